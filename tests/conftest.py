"""Shared test helpers: real servers on port 0, real SDKs in subprocesses; waiting is
`devsentry.testing.wait_until`, the helper the fixture uses too."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devsentry.testing import LocalServer, wait_until
from devsentry.testing.plugin import DevSentry

TESTS = Path(__file__).parent
APPS = TESTS / "apps"
NODE_DIR = TESTS / "node"
FIXTURES = TESTS.parent / "fixtures"


@pytest.fixture
def server(devsentry: DevSentry) -> LocalServer:
    """The pytest plugin's `devsentry` fixture (a `LocalServer`), under the older name."""
    return devsentry


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for an app under test: no Sentry or proxy settings leak in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SENTRY_", "DEVSENTRY_")) and "proxy" not in k.lower()
    }
    env.update(extra)
    return env


def run_python_app(name: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `tests/apps/<name>.py` with the real sentry-sdk; fail with its output if it fails."""
    proc = subprocess.run(
        [sys.executable, str(APPS / f"{name}.py"), *args],
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, f"{name}.py failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def node_available() -> bool:
    return (
        shutil.which("node") is not None
        and (NODE_DIR / "node_modules" / "@sentry" / "node").is_dir()
    )


def run_node_app(name: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `tests/node/<name>.js` with the real @sentry/node (installed by scripts/test)."""
    if not node_available():
        pytest.fail(
            "@sentry/node is not installed: run scripts/test (npm install --prefix tests/node)"
        )
    proc = subprocess.run(
        ["node", str(NODE_DIR / f"{name}.js"), *args],
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, f"{name}.js failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


__all__ = [
    "APPS",
    "FIXTURES",
    "NODE_DIR",
    "clean_env",
    "run_node_app",
    "run_python_app",
    "wait_until",
]
