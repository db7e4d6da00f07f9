"""`devsentry ui`: Textual's pilot drives real keys over stores the real sentry-sdk filled
(tests/apps/checkout.py against a real server), and SVG snapshots of the main screens over the
recorded fixtures, replayed through the real pipeline with fixed arrival times and a fixed
clock so every picture is the same on every run."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devsentry.browse.query import parse_search
from devsentry.ingest.request import Request
from devsentry.service import ingesting
from devsentry.store.query import Query
from devsentry.store.store import Store
from devsentry.testing import LocalServer, wait_until, wait_until_async
from devsentry.ui.app import DevsentryApp
from devsentry.ui.editor import LocalFrame, editor_command
from devsentry.ui.issue import IssueScreen
from devsentry.ui.lists import PAGE, EventsScreen, IssuesScreen, LogsScreen
from devsentry.ui.source import Source
from devsentry.ui.tables import RecordTable
from devsentry.ui.traces import PerfScreen, TraceScreen, TracesScreen
from devsentry.ui.views import EventScreen, FramesScreen, KeysScreen
from tests.conftest import FIXTURES, clean_env, demo_fixtures, run_python_app

APPS = Path(__file__).parent / "apps"


def run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(body())


def text_of(app: DevsentryApp) -> str:
    """What the screen shows, as plain text (the screenshot without its styles)."""
    import html
    import re

    svg = app.export_screenshot()
    return html.unescape("".join(re.findall(r"<text[^>]*>(.*?)</text>", svg))).replace("\xa0", " ")


def table(app: DevsentryApp) -> RecordTable[Any]:
    screen = app.screen
    assert isinstance(screen, IssuesScreen | EventsScreen), screen
    return screen.table


@pytest.fixture(scope="module")
def sdk_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A store filled by the real sentry-sdk: an error twice, a message, logs, a transaction."""
    path = tmp_path_factory.mktemp("ui") / "sdk.db"
    with LocalServer(path, console=False) as server:
        for mode in ("twice", "message", "logs", "transaction"):
            run_python_app("checkout", mode, SENTRY_DSN=server.dsn)
        server.wait_for(type="transaction")
        server.wait_for(type="log")
        wait_until(lambda: _issues(path) == 2, "two issues indexed")
    yield path


def _issues(path: Path) -> int:
    with Store(path, readonly=True) as store:
        return store.count_issues()


def app_on(path: Path, **kwargs: Any) -> DevsentryApp:
    return DevsentryApp(Source(path), **kwargs)


async def loaded(app: DevsentryApp, rows: int = 1) -> None:
    await wait_until_async(
        lambda: (
            isinstance(app.screen, IssuesScreen | EventsScreen) and len(table(app).records) >= rows
        ),
        f"{rows} rows on {app.screen}",
    )


# -- the pilot over real SDK data -----------------------------------------------------------


def test_issues_list_opens_an_issue_and_its_tabs(sdk_store: Path) -> None:
    async def body() -> None:
        app = app_on(sdk_store, watch=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await loaded(app, 2)
            titles = [r.title for r in table(app).records]
            assert any("checkout failed" in t for t in titles), titles
            assert any("Inventory low" in t for t in titles), titles
            await pilot.press("k", "k")  # up to the top, whatever was first
            error = next(i for i, r in enumerate(table(app).records) if "checkout" in r.title)
            for _ in range(error):
                await pilot.press("j")
            await pilot.press("enter")
            await wait_until_async(
                lambda: isinstance(app.screen, IssueScreen) and app.screen.detail is not None,
                "the issue screen with its event",
            )
            shown = text_of(app)
            assert "checkout failed" in shown and "2 events" in shown, shown
            assert "PaymentDeclined" in shown  # the chained cause, on the Stack trace tab
            await pilot.press("tab")
            await pilot.pause()
            assert "added 2 items" in text_of(app)  # the breadcrumb
            await pilot.press("tab")
            await pilot.pause()
            assert "feature" in text_of(app) and "checkout" in text_of(app)  # its facets
            await pilot.press("tab", "tab")  # context, then events
            await pilot.pause()
            events = app.screen.query_one("#issue-events", RecordTable)
            await wait_until_async(lambda: len(events.records) == 2, "the issue's 2 events")
            assert events.has_focus  # the tab's list takes ↑ ↓ and enter
            await pilot.press("enter")
            await wait_until_async(
                lambda: isinstance(app.screen, EventScreen) and app.screen.detail is not None,
                "the event page",
            )
            assert f"#{events.records[0].id}" in text_of(app)  # the show page of that event
            await pilot.press("escape")
            assert isinstance(app.screen, IssueScreen)
            await pilot.press("escape")
            assert isinstance(app.screen, IssuesScreen)

    run(body)


def test_filter_as_you_type_and_sort(sdk_store: Path) -> None:
    async def body() -> None:
        app = app_on(sdk_store, watch=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await loaded(app, 2)
            await pilot.press("slash", *"level:warning")
            await wait_until_async(
                lambda: [r.level for r in table(app).records] == ["warning"], "only warnings"
            )
            await pilot.press("enter")  # back to the list, the filter kept
            assert table(app).has_focus
            assert "level:warning" in text_of(app)
            await pilot.press("slash", *["backspace"] * 13, *"checkout")
            await wait_until_async(
                lambda: [r.title for r in table(app).records] == ["RuntimeError: checkout failed"],
                "the text filter",
            )
            await pilot.press(*["backspace"] * 8, "escape")  # still typing in the line
            await loaded(app, 2)
            await pilot.press("s")
            await wait_until_async(lambda: "by events" in text_of(app), "sorted by events")
            counts = [r.count for r in table(app).records]
            assert counts == sorted(counts, reverse=True) and counts[0] == 2

    run(body)


def test_events_and_logs_screens(sdk_store: Path) -> None:
    async def body() -> None:
        app = app_on(sdk_store, watch=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await loaded(app)
            await pilot.press("3")
            await wait_until_async(
                lambda: isinstance(app.screen, LogsScreen) and "Order 1001 created" in text_of(app),
                "the log records",
            )
            assert "Payment failed for 1001" in text_of(app)
            await pilot.press("2")
            await loaded(app, 5)
            types = {r.type for r in table(app).records}
            assert {"event", "transaction", "log"} <= types, types
            transaction = next(
                i for i, r in enumerate(table(app).records) if r.type == "transaction"
            )
            table(app).move_cursor(row=transaction)
            await pilot.press("enter")
            await wait_until_async(
                lambda: (
                    isinstance(app.screen, EventScreen) and "SELECT * FROM orders" in text_of(app)
                ),
                "the transaction's waterfall",
            )
            await pilot.press("escape", "1")
            assert isinstance(app.screen, IssuesScreen)
            await pilot.press("question_mark")
            assert isinstance(app.screen, KeysScreen)
            assert "$EDITOR" in text_of(app)
            await pilot.press("escape")
            assert not isinstance(app.screen, KeysScreen)

    run(body)


def _open_issue_of(app: DevsentryApp, word: str) -> int:
    return next(r.id for r in table(app).records if word in r.title)


def test_open_frame_in_editor_and_export(sdk_store: Path, tmp_path: Path) -> None:
    """`o` runs $EDITOR (a real program that writes down its arguments) on the frame's file at
    its line; `e` writes the event's envelope, byte for byte, as a fixture."""
    said = tmp_path / "editor-args"
    editor = tmp_path / "editor.sh"
    editor.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {said}\n')
    editor.chmod(0o755)

    async def body() -> None:
        app = app_on(sdk_store, watch=0, export_dir=tmp_path / "fixtures")
        async with app.run_test(size=(100, 30)) as pilot:
            await loaded(app, 2)
            app.push_screen(IssueScreen(_open_issue_of(app, "checkout")))
            await wait_until_async(
                lambda: isinstance(app.screen, IssueScreen) and app.screen.detail is not None,
                "the issue",
            )
            await pilot.press("o")  # shop.py's charge and checkout, checkout.py's main
            await wait_until_async(lambda: isinstance(app.screen, FramesScreen), "the picker")
            assert "(crash)" in text_of(app)
            await pilot.press("enter")  # the first: the crash frame
            await wait_until_async(said.exists, "the editor to run")
            args = said.read_text().split()
            assert args[1] == str(APPS / "shop.py") and args[0].startswith("+"), args
            line = int(args[0][1:])
            assert (
                "raise PaymentDeclined" in (APPS / "shop.py").read_text().splitlines()[line - 1]
                or "raise RuntimeError" in (APPS / "shop.py").read_text().splitlines()[line - 1]
            )
            await pilot.press("e")
            out = tmp_path / "fixtures"
            files = await wait_until_async(lambda: list(out.glob("*.envelope")), "the export")
            assert "runtimeerror-checkout-failed" in files[0].name
            detail = app.screen.detail
            assert detail is not None and detail.envelope is not None
            assert files[0].read_bytes() == detail.envelope.raw

    os.environ["EDITOR"] = str(editor)
    try:
        run(body)
    finally:
        del os.environ["EDITOR"]


def test_issues_update_live_as_events_arrive(tmp_path: Path) -> None:
    path = tmp_path / "live.db"

    async def body() -> None:
        with LocalServer(path, console=False) as server:
            run_python_app("checkout", "error", SENTRY_DSN=server.dsn)
            wait_until(lambda: _issues(path) == 1, "the first issue")
            app = app_on(path, watch=0.05)
            async with app.run_test(size=(100, 30)):
                await loaded(app, 1)
                assert table(app).records[0].count == 1
                proc = await asyncio.create_subprocess_exec(
                    sys.executable,
                    str(APPS / "checkout.py"),
                    "twice",
                    env=clean_env(SENTRY_DSN=server.dsn),
                )
                assert await proc.wait() == 0
                await wait_until_async(
                    lambda: table(app).records and table(app).records[0].count == 3,
                    lambda: f"the count to reach 3 (rows: {table(app).records})",
                )
                await proc_message(server)
                await wait_until_async(lambda: len(table(app).records) == 2, "a new issue")
                assert "●" in text_of(app)  # new since the dashboard opened

    async def proc_message(server: LocalServer) -> None:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(APPS / "checkout.py"),
            "message",
            env=clean_env(SENTRY_DSN=server.dsn),
        )
        assert await proc.wait() == 0

    run(body)


def test_pages_are_loaded_as_the_cursor_reaches_them(tmp_path: Path) -> None:
    """A screenful at a time: the first page only, the next when the cursor gets there."""
    sys.path.insert(0, str(Path(__file__).parent.parent))
    from benchmarks.store import fill

    path = tmp_path / "big.db"
    fill(path, 2_000, 10)  # 240 issues

    async def body() -> None:
        app = app_on(path, watch=0)
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(app, PAGE)
            assert len(table(app).records) == PAGE and table(app).total > 2 * PAGE
            await pilot.press("end")
            await wait_until_async(lambda: len(table(app).records) == 2 * PAGE, "page 2")
            ids = [r.id for r in table(app).records]
            assert len(set(ids)) == len(ids)

    run(body)


def test_resolve_ignore_unresolve_and_regressions(tmp_path: Path) -> None:
    """`r`, `i`, `u` change the selected issue's status; `is:` words pick which are listed;
    an event after the resolve brings the issue back as regressed, live."""
    path = tmp_path / "workflow.db"

    async def body() -> None:
        with LocalServer(path, console=False) as server:
            for mode in ("error", "message"):
                run_python_app("checkout", mode, SENTRY_DSN=server.dsn)
            wait_until(lambda: _issues(path) == 2, "two issues")
            app = app_on(path, watch=0.05)
            async with app.run_test(size=(120, 30)) as pilot:
                await loaded(app, 2)
                row = next(i for i, r in enumerate(table(app).records) if "checkout" in r.title)
                table(app).move_cursor(row=row)
                await pilot.press("r")
                await wait_until_async(
                    lambda: len(table(app).records) == 1, "the resolved one gone"
                )
                await wait_until_async(
                    lambda: "1 resolved issue hidden — is:all lists them" in text_of(app),
                    "what is hidden",
                )
                await pilot.press("slash", *"is:resolved", "enter")
                await wait_until_async(
                    lambda: [r.status for r in table(app).records] == ["resolved"],
                    "the resolved issue",
                )
                assert "resolved" in text_of(app)
                proc = await asyncio.create_subprocess_exec(
                    sys.executable,
                    str(APPS / "checkout.py"),
                    "error",
                    env=clean_env(SENTRY_DSN=server.dsn),
                )
                assert await proc.wait() == 0
                await wait_until_async(  # regressed: unresolved again, gone from is:resolved
                    lambda: not table(app).records, "the regression to leave is:resolved"
                )
                await pilot.press("slash", *["backspace"] * 11, "enter")
                await wait_until_async(
                    lambda: len(table(app).records) == 2 and "regressed" in text_of(app),
                    "the regressed issue back in the list",
                )
                row = next(i for i, r in enumerate(table(app).records) if "Inventory" in r.title)
                table(app).move_cursor(row=row)
                await pilot.press("i")
                await wait_until_async(lambda: len(table(app).records) == 1, "the ignored one gone")
                await pilot.press("slash", *"is:ignored", "enter")
                await wait_until_async(
                    lambda: [r.status for r in table(app).records] == ["ignored"], "the ignored"
                )
                await pilot.press("u")
                await wait_until_async(lambda: not table(app).records, "unresolved again")
                await pilot.press("slash", *["backspace"] * 10, *"is:all", "enter")
                await wait_until_async(lambda: len(table(app).records) == 2, "every issue")
                app.push_screen(IssueScreen(_open_issue_of(app, "checkout")))
                await wait_until_async(
                    lambda: isinstance(app.screen, IssueScreen) and app.screen.detail is not None,
                    "the issue",
                )
                await pilot.press("r")
                await wait_until_async(lambda: "resolved" in text_of(app).split("#")[0], "resolved")
                with Store(path, readonly=True) as store:
                    assert [i.status for i in store.issues(Query(search="checkout"))] == [
                        "resolved"
                    ]

    run(body)


# -- the pieces -------------------------------------------------------------------------------


def test_search_line_reads_sentry_style_filters() -> None:
    assert parse_search('level:Error release:shop@2.1 browser.name:"Mobile Safari" checkout') == {
        "level": "error",
        "release": "shop@2.1",
        "tags": (("browser.name", "Mobile Safari"),),
        "search": "checkout",
    }
    assert parse_search("env:dev project:2 is:unresolved type:transaction") == {
        "environment": "dev",
        "project": "2",
        "is": ["unresolved"],
        "types": ("transaction",),
    }
    assert parse_search('open "quote') == {"search": 'open "quote'}  # still typing


def test_issue_sorts(sdk_store: Path) -> None:
    with Store(sdk_store, readonly=True) as store:
        by_count = store.issues(Query(sort="count"))
        assert [i.count for i in by_count] == sorted((i.count for i in by_count), reverse=True)
        first, *rest = store.issues(Query(limit=1, offset=1))
        assert not rest and first.id == store.issues(Query())[1].id


@pytest.mark.parametrize(
    ("editor", "expected"),
    [
        ("vim", ["vim", "+12", "/src/app.py"]),
        ("emacs -nw", ["emacs", "-nw", "+12", "/src/app.py"]),
        ("code --wait", ["code", "--wait", "--goto", "/src/app.py:12"]),
    ],
)
def test_editor_command(editor: str, expected: list[str]) -> None:
    frame = LocalFrame(Path("/src/app.py"), 12, "main", crashed=True)
    assert editor_command(frame, editor) == expected


def test_no_color(sdk_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With NO_COLOR the screen is drawn in greys only."""
    import re

    monkeypatch.setenv("NO_COLOR", "1")

    async def body() -> None:
        app = app_on(sdk_store, watch=0)
        async with app.run_test(size=(80, 24)):
            await loaded(app, 2)
            svg = app.export_screenshot()
        colours = set(re.findall(r"fill: #([0-9a-f]{6})", svg))
        assert colours
        colourful = {c for c in colours if not c[0:2] == c[2:4] == c[4:6]}
        assert colourful <= {"c5c8c6"}, colourful  # the picture frame's default text colour

    run(body)


# -- serve --ui, end to end -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.skipif(shutil.which("script") is None, reason="needs script(1) for a terminal")
def test_serve_ui_runs_the_server_beside_the_dashboard(tmp_path: Path) -> None:
    store = tmp_path / "serve.db"
    port = _free_port()
    command = f"stty cols 120 rows 30; {sys.executable} -m devsentry serve --ui --port {port} --store {store}"
    proc = subprocess.Popen(
        ["script", "-qfec", command, "/dev/null"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**clean_env(), "COLUMNS": "100", "LINES": "30", "TERM": "xterm-256color"},
    )
    screen = bytearray()  # what the dashboard drew, read as it comes

    def read() -> None:
        assert proc.stdout is not None
        while chunk := proc.stdout.read1(65536):
            screen.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        wait_until(lambda: _listening(port), f"serve --ui to listen on {port}")
        run_python_app("checkout", "error", SENTRY_DSN=f"http://devsentry@127.0.0.1:{port}/1")
        wait_until(lambda: store.exists() and _issues(store) == 1, "the issue stored")
        wait_until(lambda: b"checkout failed" in screen, "the dashboard to show it live")
        assert proc.stdin is not None
        proc.stdin.write(b"q")
        proc.stdin.flush()
        proc.wait(timeout=20)
        reader.join(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()
    out = bytes(screen)
    assert proc.returncode == 0, out[-2000:]
    assert f"127.0.0.1:{port}".encode() in out  # and where to send


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


# -- snapshots --------------------------------------------------------------------------------

#: When the snapshot store's envelopes arrived (one a second) and the clock the views use.
ARRIVED = 1_790_000_000.0
NOW = ARRIVED + 3600


@pytest.fixture(scope="module")
def fixture_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo shop's recorded fixtures, through the real pipeline, in order, one a second."""
    path = tmp_path_factory.mktemp("ui-snap") / "fixtures.db"

    async def fill() -> None:
        async with ingesting(path) as pipeline:
            for n, fixture in enumerate(demo_fixtures("python") + demo_fixtures("node")):
                await pipeline.ingest(
                    Request(
                        body=fixture.read_bytes(),
                        transport="replay",
                        project="1",
                        received=ARRIVED + n,
                    )
                )

    asyncio.run(fill())
    assert FIXTURES.is_dir()
    return path


def snapshot_app(path: Path) -> DevsentryApp:
    return DevsentryApp(Source(path, now=lambda: NOW), watch=0, started=NOW)


async def _settle(pilot: Any) -> None:
    """Until every load the last key started has drawn its rows."""
    await pilot.pause()
    await wait_until_async(
        lambda: all(w.is_finished for w in pilot.app.workers), "the screen's loads"
    )
    await pilot.pause()


SCREENS = {
    "issues": [],
    "issue": ["s", "enter"],  # the issue with the most events: the Python shop's DS-1
    "issue_breadcrumbs": ["s", "enter", "tab"],
    "issue_tags": ["s", "enter", "tab", "tab"],
    "events": ["2"],
    "logs": ["3"],
    "traces": ["4"],
    "trace": ["4", "enter"],
    "perf": ["5"],
    "keys": ["question_mark"],
}


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Log and breadcrumb times are local clock times: UTC in the pictures."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.usefixtures("utc")
def test_snapshot(screen: str, fixture_store: Path, snap_compare: Any) -> None:
    keys = SCREENS[screen]

    async def before(pilot: Any) -> None:
        await _settle(pilot)
        for key in keys:
            await pilot.press(key)
            await _settle(pilot)

    assert snap_compare(snapshot_app(fixture_store), terminal_size=(80, 24), run_before=before)


def test_payload_text_is_shown_literally(tmp_path: Path) -> None:
    """Markup and terminal escapes an SDK sends are shown as text, in the list and the issue."""
    path = tmp_path / "hostile.db"
    hostile = "[bold red]pwned[/] \x1b[2J\u202egnp.exe"
    script = (
        "import sys, sentry_sdk\n"
        "sentry_sdk.init(dsn=sys.argv[1])\n"
        "sentry_sdk.capture_message(sys.argv[2])\n"
        "sentry_sdk.flush(timeout=10)\n"
    )
    with LocalServer(path, console=False) as server:
        proc = subprocess.run(
            [sys.executable, "-c", script, server.dsn, hostile],
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        wait_until(lambda: _issues(path) == 1, "the issue")

    async def body() -> None:
        app = app_on(path, watch=0)
        async with app.run_test(size=(140, 30)) as pilot:
            await loaded(app)
            shown = text_of(app)
            assert "[bold red]pwned[/] \\x1b[2J\\u202egnp.exe" in shown, shown
            await pilot.press("enter")
            await wait_until_async(
                lambda: isinstance(app.screen, IssueScreen) and app.screen.detail is not None,
                "the issue",
            )
            assert "[bold red]pwned[/] \\x1b[2J" in text_of(app)

    run(body)


def test_traces_trace_waterfall_and_performance(tmp_path: Path) -> None:
    """Two FastAPI services with the real sentry-sdk: the api's /checkout calls payments,
    which fails; the Traces screen lists the trace with its error, enter draws it across both
    services, the Issue screen's Trace tab draws it too, and Performance has /checkout."""
    from tests.sdk_apps import start_fastapi

    path = tmp_path / "traces.db"
    with LocalServer(path, console=False) as server:
        payments_env = clean_env(SHOP_ROLE="payments")
        with start_fastapi(server.dsn_for(2), app="services:app", env=payments_env) as payments:
            env = clean_env(SHOP_ROLE="api", PAYMENTS_URL=payments.url)
            with start_fastapi(server.dsn_for(1), app="services:app", env=env) as api:
                assert api.get("/checkout").status == 200
                server.wait_for(type="event")

                def both() -> bool:
                    with Store(path, readonly=True) as store:
                        txs = store.items(Query(types=("transaction",)))
                    return {t.project for t in txs} == {"1", "2"}

                wait_until(both, "the transactions of both services", 30)

    async def body() -> None:
        app = app_on(path, watch=0)
        async with app.run_test(size=(120, 34)) as pilot:
            await loaded(app)
            await pilot.press("4")
            await wait_until_async(
                lambda: isinstance(app.screen, TracesScreen) and app.screen.table.records,
                "the traces",
            )
            (trace,) = app.screen.table.records
            assert trace.errors == 1 and set(trace.projects) == {"1", "2"}
            await pilot.press("enter")
            await wait_until_async(
                lambda: isinstance(app.screen, TraceScreen) and "/charge" in text_of(app),
                "the waterfall",
            )
            shown = text_of(app)
            assert "/checkout" in shown and "CardDeclined" in shown, shown
            await pilot.press("escape", "5")
            await wait_until_async(
                lambda: isinstance(app.screen, PerfScreen) and "/checkout" in text_of(app),
                "the performance table",
            )
            await pilot.press("1")
            await loaded(app)
            app.push_screen(IssueScreen(_open_issue_of(app, "CardDeclined")))
            await wait_until_async(
                lambda: isinstance(app.screen, IssueScreen) and app.screen.detail is not None,
                "the issue",
            )
            await pilot.press(*["tab"] * 5)
            await wait_until_async(
                lambda: f"trace {trace.trace_id}" in text_of(app), "the issue's trace tab"
            )

    run(body)


def test_the_mouse_opens_rows_and_tabs(sdk_store: Path) -> None:
    async def body() -> None:
        app = app_on(sdk_store, watch=0)
        async with app.run_test(size=(100, 30)) as pilot:
            await loaded(app, 2)
            second = table(app).records[1]
            await pilot.click("#issues", offset=(20, 4))  # the second issue (rows are 2 high)
            await pilot.pause()
            assert table(app).selected == second
            await pilot.click("#issues", offset=(20, 4))  # a click on the selected row opens it
            await wait_until_async(
                lambda: isinstance(app.screen, IssueScreen) and app.screen.detail is not None,
                "the issue opened by the mouse",
            )
            assert app.screen.issue_id == second.id
            await pilot.click("#tabs Tab#--content-tab-tags")
            await pilot.pause()
            tabs = app.screen.query_one("#tabs")
            assert getattr(tabs, "active", None) == "tags"

    run(body)
