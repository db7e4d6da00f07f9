"""Shared test helpers: real servers on port 0, real SDKs in subprocesses; waiting is
`devsentry.testing.wait_until`, the helper the fixture uses too. The shop's browser, FastAPI
and Express apps are started by `tests/sdk_apps.py`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from devsentry.cli import cli
from devsentry.testing import LocalServer, wait_until
from devsentry.testing.plugin import DevSentry
from tests.sdk_apps import APPS, NODE_DIR, Browser, clean_env, open_browser

TESTS = Path(__file__).parent
FIXTURES = TESTS.parent / "fixtures"


def demo_fixtures(sdk: str = "*") -> list[Path]:
    """The fixture files recorded from the demo shop of `scripts/fixture_apps/` (release
    `demo@1.2.3`, one user), of one SDK or all: the corpus whose contents the view tests
    count on. The browser, FastAPI and Express recordings come from the test suite's own shop
    apps and are left out."""
    manifest = json.loads((FIXTURES / "manifest.json").read_text())["fixtures"]
    demo = {e["file"] for e in manifest if e["program"].startswith("scripts/fixture_apps/")}
    return [
        p
        for p in sorted(FIXTURES.glob(f"{sdk}/*.envelope"))
        if p.relative_to(FIXTURES).as_posix() in demo
    ]


@pytest.fixture
def server(devsentry: DevSentry) -> LocalServer:
    """The pytest plugin's `devsentry` fixture (a `LocalServer`), under the older name."""
    return devsentry


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """The shop's page (bundled once) in one headless Chromium for the whole session:
    `browser.run(devsentry.dsn, "error", release=…, user={"id": …}, tags={…})`."""
    with open_browser() as chromium:
        yield chromium


def devsentry_json(server: LocalServer, *args: str) -> Any:
    """What `devsentry <args> --json --store <server's store>` prints, parsed: e.g.
    `devsentry_json(devsentry, "issues")`, `devsentry_json(devsentry, "show", "DS-1")`."""
    command = [*args, "--json", "--store", str(server.store_path)]
    result = CliRunner().invoke(cli, command, catch_exceptions=False)
    assert result.exit_code == 0, f"devsentry {' '.join(command)}: {result.output}"
    return json.loads(result.stdout)


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
    "demo_fixtures",
    "devsentry_json",
    "run_node_app",
    "run_python_app",
    "wait_until",
]
