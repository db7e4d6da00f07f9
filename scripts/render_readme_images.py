"""Render the README's pictures of `devsentry issues`, `show`, `events`, `tail`, `trace`,
`perf` and `ui` as SVG.

`show-react.svg` is drawn from a live run instead: the React app of tests/test_sourcemaps.py
built by esbuild, served locally and run in headless Chromium, its error resolved through
the bundle's source map (needs the Node packages and Chromium `scripts/test` installs).

Every recorded fixture is POSTed to a real `LocalServer` with a temporary store, then the same
library calls and renderers the commands use draw into a recording 100-column console, which
is exported to `docs/images/*.svg`. The `trace` and `perf` pictures come from the shop's two
FastAPI services (`tests/apps/services.py`, the real sentry-sdk) and its page in headless
Chromium (`@sentry/browser`), run against another server for a few seconds. Re-run after
changing a view:

    .venv/bin/python scripts/render_readme_images.py        # all of them
    .venv/bin/python scripts/render_readme_images.py --ui   # only the dashboard's

The dashboard's are Textual's own screenshots of `devsentry ui` (headless, 100x30), driven by
the same keys a user presses.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devsentry.browse.detail import load_detail  # noqa: E402
from devsentry.browse.follow import Loader  # noqa: E402
from devsentry.browse.lists import issue_page, item_page  # noqa: E402
from devsentry.protocol import parse  # noqa: E402
from devsentry.render.lists import render_events, render_issues, render_stored  # noqa: E402
from devsentry.render.show import render_detail  # noqa: E402
from devsentry.store import Query, Store  # noqa: E402
from devsentry.store.ids import parse_ref  # noqa: E402
from devsentry.testing import LocalServer, wait_until_async  # noqa: E402

FIXTURES = ROOT / "fixtures"
IMAGES = ROOT / "docs" / "images"
WIDTH = 100


def ingest(store: Path) -> None:
    """POST every fixture envelope to a real server on port 0, as an SDK would."""
    bodies = [f.read_bytes() for f in sorted(FIXTURES.glob("*/*.envelope"))]
    with LocalServer(store, console=False) as server:
        for body in bodies:
            request = urllib.request.Request(
                f"{server.url}/api/1/envelope/", data=body, method="POST"
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        server.wait_for(count=sum(len(parse(b).items) for b in bodies))


def picture(name: str, title: str, draw: Callable[[Console], None]) -> Path:
    console = Console(
        file=io.StringIO(),
        record=True,
        width=WIDTH,
        force_terminal=True,
        color_system="truecolor",
        highlight=False,
        emoji=False,
    )
    draw(console)
    path = IMAGES / f"{name}.svg"
    path.write_text(console.export_svg(title=title), encoding="utf-8")
    return path


def event_id(fixture: str) -> str:
    value = parse((FIXTURES / fixture).read_bytes()).event_id
    assert value is not None, fixture
    return value


#: The dashboard's pictures: file name, title, the keys pressed from the Issues screen.
UI_PICTURES = [
    ("ui-issues", "devsentry ui", ["s"]),
    ("ui-issue", "devsentry ui: an issue", ["s", "enter"]),
    ("ui-breadcrumbs", "devsentry ui: an issue's breadcrumbs", ["s", "enter", "tab"]),
    ("ui-trace", "devsentry ui: a trace", ["4", "enter"]),
]


def ui_pictures(path: Path) -> list[Path]:
    """Screenshots of `devsentry ui` on the store, after each picture's keys."""
    import asyncio

    from devsentry.ui.app import DevsentryApp
    from devsentry.ui.source import Source

    async def shoot(name: str, title: str, keys: list[str]) -> Path:
        app = DevsentryApp(Source(path), watch=0)
        async with app.run_test(size=(100, 30)) as pilot:
            for key in ["", *keys]:
                if key:
                    await pilot.press(key)
                await pilot.pause()
                await wait_until_async(
                    lambda: all(w.is_finished for w in app.workers), "the screen's loads"
                )
                await pilot.pause()
            svg = app.export_screenshot(title=title)
        out = IMAGES / f"{name}.svg"
        out.write_text(svg, encoding="utf-8")
        return out

    return [asyncio.run(shoot(*picture)) for picture in UI_PICTURES]


def react_picture() -> Path:
    """`show` of the React app's error, its frames resolved through the fetched source map."""
    from tests.sdk_apps import Browser, build_react_app, static_server

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.db"
        dist = build_react_app(Path(tmp) / "shop")
        with static_server(dist) as url, LocalServer(path, console=False) as server:
            browser = Browser(url)
            try:
                browser.run(server.dsn, "react", release="shop@3.0.0")
            finally:
                browser.close()
            server.wait_for(count=1, type="event")
        with Store(path, readonly=True) as store:
            (issue,) = issue_page(store, Query(limit=5)).rows
            detail = load_detail(store, parse_ref(issue.short_id))
            return picture(
                "show-react",
                f"devsentry show {issue.short_id}",
                lambda c: c.print(render_detail(detail)),
            )


def main() -> None:
    os.environ["TZ"] = "UTC"  # the live views print wall-clock times: make them the same anywhere
    time.tzset()
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.db"
        ingest(path)
        if "--ui" in sys.argv[1:]:
            for shot in ui_pictures(path):
                print(shot.relative_to(ROOT))
            return
        with Store(path, readonly=True) as store:
            issues = issue_page(store, Query(limit=50))
            recent = item_page(store, Query(limit=15))
            error = load_detail(store, parse_ref(event_id("python/error_chained.envelope")))
            trace = load_detail(store, parse_ref(event_id("python/transaction_profile.envelope")))
            loader = Loader(store)
            stream = [
                loader.load(r)
                for r in store.items(Query(types=["log", "event", "transaction"], limit=6))
            ]
            stream.reverse()
            written = [
                picture(
                    "issues",
                    "devsentry issues",
                    lambda c: c.print(render_issues(issues.rows, issues.total)),
                ),
                picture(
                    "show-error",
                    f"devsentry show {(error.record.event_id or '')[:8]}",
                    lambda c: c.print(render_detail(error)),
                ),
                picture(
                    "show-transaction",
                    f"devsentry show #{trace.record.id}",
                    lambda c: c.print(render_detail(trace)),
                ),
                picture(
                    "events",
                    "devsentry events --limit 15",
                    lambda c: c.print(render_events(recent.rows, recent.total)),
                ),
                picture(
                    "tail",
                    "devsentry tail -n 6 --type log --type event --type transaction",
                    lambda c: c.print(*(render_stored(loaded) for loaded in stream)),
                ),
            ]
        written += trace_pictures(Path(tmp) / "traces.db")
        written += ui_pictures(path)
    written.append(react_picture())
    for path in written:
        print(path.relative_to(ROOT))


def trace_pictures(path: Path) -> list[Path]:
    """The shop's services and page with their real SDKs, then `trace` and `perf` of it."""
    from devsentry.browse.perf import perf_report
    from devsentry.browse.traces import load_trace, recent_traces
    from devsentry.render.perf import render_perf
    from devsentry.render.trace import render_trace
    from tests.sdk_apps import clean_env, open_browser, start_fastapi

    with LocalServer(path, console=False) as server:
        env = clean_env(SHOP_ROLE="payments")
        with start_fastapi(server.dsn_for(2), app="services:app", env=env) as payments:
            env = clean_env(SHOP_ROLE="api", PAYMENTS_URL=payments.url)
            with start_fastapi(server.dsn_for(1), app="services:app", env=env) as api:
                for round_ in range(12):
                    for endpoint in ("/authors", "/dashboard", "/checkout")[: 1 + round_ % 3]:
                        api.get(endpoint)
                    time.sleep(0.5)  # a script, not a test: spread the requests over the chart
                with open_browser() as browser:
                    browser.run(server.dsn_for(1), "prices", release="shop@2.0.0", api=payments.url)
    with Store(path, readonly=True) as store:
        checkout = next(
            t
            for t in recent_traces(store, since=None, project=None, limit=50)
            if t.root == "/checkout"
        )
        trace = load_trace(store, checkout.trace_id)
        report = perf_report(store)
    return [
        picture(
            "trace",
            f"devsentry trace {checkout.trace_id[:8]}",
            lambda c: c.print(render_trace(trace)),
        ),
        picture("perf", "devsentry perf", lambda c: c.print(render_perf(report))),
    ]


if __name__ == "__main__":
    main()
