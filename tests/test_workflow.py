"""The issue workflow with the real sentry-sdk: resolve, regressions, ignore, in-release.

Each test sends the same KeyError from `tests/apps/regress.py` through a real server, changes
its issue's status with the real commands (on the store the running server writes) and looks
at what the console printed and what the store says.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

from devsentry.browse.follow import Loader
from devsentry.cli import cli
from devsentry.protocol.releases import compare_versions, parse_version
from devsentry.render.lists import render_stored
from devsentry.store.query import Query
from devsentry.store.store import Store
from devsentry.testing import LocalServer, wait_until
from tests.conftest import devsentry_json, run_python_app


def send(server: LocalServer, release: str | None = None, times: int = 1) -> None:
    """The failure, `times` times, from `release`; returns once it is indexed."""
    before = len(server.items(types=["event"]))
    args = ([release] if release else []) + ["--times", str(times)]
    run_python_app("regress", *args, SENTRY_DSN=server.dsn)
    server.wait_for("event", count=before + times)


def command(server: LocalServer, *args: str) -> Any:
    return CliRunner().invoke(cli, [*args, "--store", str(server.store_path)])


def issue(server: LocalServer) -> dict[str, Any]:
    (found,) = devsentry_json(server, "issues", "--status", "all")
    return found  # type: ignore[no-any-return]


def test_resolve_then_the_same_error_regresses_it(devsentry: LocalServer) -> None:
    send(devsentry)
    assert issue(devsentry)["status"] == "unresolved"
    assert issue(devsentry)["substatus"] == "new"

    done = command(devsentry, "resolve", "DS-1")
    assert done.exit_code == 0, done.output
    assert "resolved DS-1" in done.output
    assert issue(devsentry)["status"] == "resolved"
    assert issue(devsentry)["resolved_at"] is not None
    # `issues` lists unresolved issues only, and says what it hides
    assert devsentry_json(devsentry, "issues") == []
    listed = command(devsentry, "issues")
    assert "1 resolved issue hidden" in listed.output
    assert [i["id"] for i in devsentry_json(devsentry, "issues", "--status", "resolved")] == [
        "DS-1"
    ]

    send(devsentry)
    out = devsentry.wait_for_output("REGRESSED")
    block = out[out.index("REGRESSED") :].splitlines()
    assert "DS-1" in block[0] and "KeyError" in block[0]
    assert ("resolved" in block[1] and "ago" in block[1]) or "just now" in block[1]
    regressed = issue(devsentry)
    assert (regressed["status"], regressed["substatus"]) == ("unresolved", "regressed")
    assert regressed["regressed_at"] is not None
    assert [i["id"] for i in devsentry_json(devsentry, "issues")] == ["DS-1"]
    shown = command(devsentry, "show", "DS-1")
    assert "came back" in shown.output and "had been resolved" in shown.output

    # `tail` shows the regression as serve's console does
    with Store(devsentry.store_path, readonly=True) as store:
        events = store.items(Query(types=["event"]))  # newest first
        loader = Loader(store)
        views = [render_stored(loader.load(record)) for record in reversed(events)]
    console = Console(file=StringIO(), width=100, color_system=None)
    for view in views:
        console.print(view)
    assert console.file.getvalue().count("REGRESSED  DS-1 KeyError") == 1  # type: ignore[attr-defined]

    # a third event of a regressed issue is just one more event
    send(devsentry)
    assert devsentry.output.count("REGRESSED") == 1


def test_resolve_in_release_regresses_only_from_a_newer_release(devsentry: LocalServer) -> None:
    send(devsentry, "shop@2.1.0")
    assert command(devsentry, "resolve", "DS-1", "--in-release", "shop@2.1.0").exit_code == 0
    assert issue(devsentry)["resolved_in_release"] == "shop@2.1.0"
    # (an SDK sends no release only when it finds none: sentry-sdk takes the git sha)
    for older_or_same in ("shop@2.0.9", "shop@2.1.0", "shop@2.1.0-rc.1"):
        send(devsentry, older_or_same)
        assert issue(devsentry)["status"] == "resolved", older_or_same
    send(devsentry, "shop@2.10.0")  # newer as a version (as a string it sorts first)
    devsentry.wait_for_output("REGRESSED")
    assert issue(devsentry)["substatus"] == "regressed"
    assert "shop@2.10.0" in devsentry.output.split("REGRESSED", 1)[1].splitlines()[1]


def test_resolve_in_release_without_versions_goes_by_first_seen(devsentry: LocalServer) -> None:
    send(devsentry, "3f1c2ab")  # commit shas: no version to compare
    send(devsentry, "9e8d7c6")
    assert command(devsentry, "resolve", "DS-1", "--in-release", "9e8d7c6").exit_code == 0
    send(devsentry, "3f1c2ab")  # seen before the release it was resolved in
    assert issue(devsentry)["status"] == "resolved"
    send(devsentry, "a0b1c2d")  # first seen after it
    assert issue(devsentry)["substatus"] == "regressed"


def test_ignore_until_count_comes_back_on_the_nth_event(devsentry: LocalServer) -> None:
    send(devsentry)
    done = command(devsentry, "ignore", "DS-1", "--until-count", "3")
    assert done.exit_code == 0, done.output
    assert "until 3 more events" in done.output
    send(devsentry, times=2)
    assert issue(devsentry)["status"] == "ignored"
    assert issue(devsentry)["ignore_events_left"] == 1
    assert devsentry_json(devsentry, "issues") == []
    send(devsentry)
    devsentry.wait_for_output("UNIGNORED")
    back = issue(devsentry)
    assert (back["status"], back["substatus"]) == ("unresolved", "ongoing")


def test_ignore_for_runs_out(devsentry: LocalServer) -> None:
    send(devsentry)
    assert command(devsentry, "ignore", "DS-1", "--for", "1s").exit_code == 0
    assert devsentry_json(devsentry, "issues", "--status", "ignored")[0]["id"] == "DS-1"
    # once the time is up it is unresolved, before any event says so
    wait_until(lambda: devsentry_json(devsentry, "issues"), "the ignore never ran out", 10)
    assert issue(devsentry)["status"] == "unresolved"
    send(devsentry)
    devsentry.wait_for_output("UNIGNORED")
    assert devsentry_json(devsentry, "issues", "--status", "ignored") == []


def test_unresolve_and_unknown_issues(devsentry: LocalServer) -> None:
    send(devsentry)
    assert command(devsentry, "resolve", "DS-1").exit_code == 0
    missing = command(devsentry, "resolve", "DS-1", "DS-99")
    assert missing.exit_code == 3 and "DS-99" in missing.output
    bad = command(devsentry, "ignore", "DS-1", "--for", "soon")
    assert bad.exit_code == 2 and "not a duration" in bad.output
    done = devsentry_json(devsentry, "unresolve", "DS-1")
    assert [(i["id"], i["status"], i["substatus"]) for i in done] == [
        ("DS-1", "unresolved", "ongoing")
    ]
    send(devsentry)  # unresolved by hand: an event is no regression
    assert "REGRESSED" not in devsentry.output


def test_events_received_before_the_resolve_do_not_regress(tmp_path: Any) -> None:
    """A backlog indexed after the resolve is not news: only later events regress."""
    import time

    from devsentry.store import workflow
    from devsentry.store.records import NewEnvelope, NewIssue, NewItem
    from devsentry.store.store import Store
    from devsentry.store.writes import insert_envelopes, insert_items

    def event(received: float) -> NewEnvelope:
        item = NewItem(index=0, type="event", size=1, issue=NewIssue(hash="h", title="E"))
        return NewEnvelope(raw=b"{}\n", project="1", transport="t", received=received, items=[item])

    with Store(tmp_path / "s.db") as store:
        db = store.db
        now = time.time()
        with store.transaction():
            first = event(now - 10)
            insert_items(db, list(zip(insert_envelopes(db, [first]), [first], strict=True)))
        workflow.resolve(db, [1], now=now - 5)
        with store.transaction():
            late = [event(now - 7), event(now - 1)]
            stored = insert_items(db, list(zip(insert_envelopes(db, late), late, strict=True)))
        assert stored[0][0].came_back is None
        assert stored[1][0].came_back is not None and stored[1][0].came_back.kind == "regressed"
        assert store.issue(1) is not None and store.issue(1).status == "unresolved"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("a", "b", "want"),
    [
        ("shop@2.10.0", "shop@2.9.0", 1),
        ("shop@2.1.0", "shop@2.1.0-rc.1", 1),
        ("shop@2.1.0-rc.2", "shop@2.1.0-rc.10", -1),
        ("1.2", "1.2.0", 0),
        ("1.2.3.4", "1.2.3", 1),
        ("shop@1.0", "cart@2.0", None),
        ("3f1c2ab", "1.0", None),
        ("latest", "1.0", None),
    ],
)
def test_release_versions_compare_as_sentry_compares_them(a: str, b: str, want: int | None) -> None:
    assert compare_versions(a, b) == want
    if want is not None:
        assert compare_versions(b, a) == -want
    assert parse_version("shop@2.1.0+42") is not None


def test_a_regression_is_shown_even_in_a_burst() -> None:
    """A flood of one issue's events is summed up; the one that brought it back still shows,
    after a block of its own."""
    import asyncio

    from devsentry.store.records import CameBack
    from tests.test_live import FIXTURES, capture, publish_all

    error = (FIXTURES / "python" / "error_chained.envelope").read_bytes()
    captures = [capture(error, count=n + 2) for n in range(300)]
    captures[150].stored.items[0].came_back = CameBack("regressed", 0.0)
    out = asyncio.run(publish_all(captures))
    assert out.count("REGRESSED") == 1
    assert out.count("PaymentError") < 10  # the rest were counted, not drawn
    after = out.split("REGRESSED", 1)[1]
    assert "DS-1" in after.splitlines()[0]
    assert "more items" in out
