"""Source context for frames sent without it: the real sentry-sdk with
`include_source_context=False`, and devsentry reading the lines from the file on this
machine (`process/context.py`)."""

from __future__ import annotations

from pathlib import Path

from devsentry.process.context import add_source_context
from devsentry.testing.plugin import DevSentry
from tests.conftest import devsentry_json, run_python_app
from tests.sdk_apps import APPS


def test_python_frames_without_context_get_it_from_the_file(devsentry: DevSentry) -> None:
    run_python_app("no_context", SENTRY_DSN=devsentry.dsn)
    devsentry.settle()
    (issue,) = devsentry_json(devsentry, "issues")
    shown = devsentry_json(devsentry, "show", issue["id"])
    frames = shown["normalized"]["exception"]["values"][-1]["stacktrace"]["frames"]
    crash = frames[-1]
    assert crash["abs_path"] == str(APPS / "no_context.py")
    assert crash["context_line"] == '        raise ValueError(f"amount {amount} over the limit")'
    assert crash["pre_context"][-1] == "    if amount > 100:"
    assert (
        "context_line"
        not in shown["payload"]["exception"]["values"][-1]["stacktrace"]["frames"][-1]
    ), "the payload as sent stays as sent"


def test_frames_of_missing_or_non_source_files_stay_without_context(tmp_path: Path) -> None:
    binary = tmp_path / "blob.py"
    binary.write_bytes(b"\0\1\2" * 10)
    frames = [
        {"abs_path": str(tmp_path / "gone.py"), "lineno": 1},
        {"abs_path": str(binary), "lineno": 1},
        {"abs_path": "/etc/passwd", "lineno": 1},  # not a source file: never read
        {"abs_path": "relative.py", "lineno": 1},
    ]
    data = {"exception": {"values": [{"stacktrace": {"frames": frames}}]}}
    add_source_context(data)
    assert not any("context_line" in f for f in frames)
