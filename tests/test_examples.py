"""Every example under `examples/` runs and passes, as a user would run it: pytest in a
subprocess, the `devsentry` fixture found through the installed `pytest11` entry point."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import clean_env

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("test_*.py"))
#: No `-p devsentry`: the plugin must load from its entry point. Hypothesis' plugin is left
#: out only to save a second of start-up.
PLUGINS = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")


def example_tests(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [
        n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")
    ]


def test_every_example_passes() -> None:
    assert {p.name for p in EXAMPLES} >= {"test_app_reports_errors.py", "test_replay_fixtures.py"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "examples", "-v", *PLUGINS],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for example in EXAMPLES:
        for name in example_tests(example):
            assert f"examples/{example.name}::{name} PASSED" in proc.stdout, proc.stdout
