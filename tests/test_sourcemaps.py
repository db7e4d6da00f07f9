"""JavaScript frames resolved through source maps, end to end with real builds: a React app
(react, react-dom, @sentry/react's ErrorBoundary) bundled minified by esbuild, served by a
local static server and run in headless Chromium, its maps fetched from that server or found
by debug ID in a `--sourcemaps` directory; a TypeScript Node app bundled with a map beside
it. What a user sees is checked through `devsentry show` (text and `--json`)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner

from devsentry.cli import cli
from devsentry.process.sourcemaps import SourceMapPolicy
from devsentry.process.sourcemaps.fetch import Fetched, Fetcher
from devsentry.process.sourcemaps.locate import generate_module, inline_map, mapping_comments
from devsentry.protocol.envelope import Envelope, Item, serialize
from devsentry.service import uploads_dir
from devsentry.testing.plugin import DevSentry
from tests.conftest import devsentry_json
from tests.sdk_apps import (
    NODE_DIR,
    Browser,
    build_node_ts_app,
    build_react_app,
    clean_env,
    run_node_bundle,
    sentry_cli,
    static_server,
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DevSentry]:
    with DevSentry(tmp_path / "store.db", console=False) as started:
        yield started


def _only_event(server: DevSentry) -> dict[str, Any]:
    server.settle()
    issues = devsentry_json(server, "issues")
    assert len(issues) == 1, issues
    shown: dict[str, Any] = devsentry_json(server, "show", issues[0]["id"])
    shown["the_issue"] = issues[0]
    return shown


def _exception(shown: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = shown["normalized"]["exception"]["values"][-1]
    return value


def _show_text(server: DevSentry, ref: str) -> str:
    result = CliRunner().invoke(cli, ["show", ref, "--store", str(server.store_path)])
    assert result.exit_code == 0, result.output
    return result.output


def _send_event(server: DevSentry, event: dict[str, Any]) -> None:
    item = Item.make("event", msgspec.json.encode(event), content_type="application/json")
    body = serialize(Envelope.make([item], event_id="feed" * 8))
    request = urllib.request.Request(f"{server.url}/api/1/envelope/", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def _run_react(browser_url: str, dsn: str) -> None:
    browser = Browser(browser_url)
    try:
        run = browser.run(dsn, "react")
    finally:
        browser.close()
    assert run.flushed and run.ingest, run


def test_react_frames_resolve_through_maps_fetched_from_the_dev_server(
    server: DevSentry, tmp_path: Path
) -> None:
    dist = build_react_app(tmp_path / "app")
    with static_server(dist) as url:
        _run_react(url, server.dsn)
        shown = _only_event(server)
    exc = _exception(shown)
    frames = exc["stacktrace"]["frames"]
    crash = frames[-1]
    assert crash["filename"] == "/src/Cart.jsx", crash.get("data")
    assert crash["lineno"] == 7 and crash["function"] == "CartTotal"
    assert "throw new Error('Cannot total an empty cart')" in crash["context_line"]
    assert crash["in_app"] is True
    assert crash["data"]["sourcemap"] == f"{url}/assets/main.js.map"
    assert crash["module"] == "src/Cart"
    # The generated frames are kept, as Sentry's event JSON keeps them.
    raw = exc["raw_stacktrace"]["frames"]
    assert raw[-1]["filename"] == f"{url}/assets/main.js" and raw[-1]["lineno"] == 23
    # React's own frames resolve into node_modules: library code, not the app's.
    react = [f for f in frames if "node_modules/react-dom" in f.get("abs_path", "")]
    assert react and not any(f["in_app"] for f in react)
    assert shown["the_issue"]["culprit"] == "CartTotal(src/Cart)"
    text = _show_text(server, shown["the_issue"]["id"])
    assert "/src/Cart.jsx:7" in text and "CartTotal" in text
    assert "throw new Error('Cannot total an empty cart');" in text
    assert "via main.js.map" in text


def test_react_frames_resolve_by_debug_id_from_a_sourcemaps_dir_after_a_rebuild(
    tmp_path: Path,
) -> None:
    build = tmp_path / "build"
    build.mkdir()
    policy = SourceMapPolicy(dirs=(build,))
    with DevSentry(tmp_path / "store.db", console=False, sourcemaps=policy) as server:
        # Built after the server indexed the (then empty) directory: a rebuild.
        dist = build_react_app(tmp_path / "app", debug_ids=True)
        shutil.copytree(dist, build, dirs_exist_ok=True)
        served = tmp_path / "served"
        shutil.copytree(dist, served, ignore=shutil.ignore_patterns("*.map"))
        with static_server(served) as url:
            _run_react(url, server.dsn)
            shown = _only_event(server)
        crash = _exception(shown)["stacktrace"]["frames"][-1]
        assert crash["lineno"] == 7 and crash["function"] == "CartTotal", crash
        assert crash["filename"].endswith("src/Cart.jsx")
        assert crash["data"]["sourcemap"] == str(build / "assets" / "main.js.map")
        assert "throw new Error" in crash["context_line"]


def test_unresolved_frames_say_why(server: DevSentry, tmp_path: Path) -> None:
    dist = build_react_app(tmp_path / "app")
    (dist / "assets" / "main.js.map").unlink()
    with static_server(dist) as url:
        _run_react(url, server.dsn)
        shown = _only_event(server)
    crash = _exception(shown)["stacktrace"]["frames"][-1]
    assert crash["data"]["sourcemap_note"] == (
        f"map not found at {url}/assets/main.js.map (HTTP 404)"
    ), crash
    assert crash["filename"] == f"{url}/assets/main.js"
    assert "not resolved: map not found at" in _show_text(server, shown["the_issue"]["id"])


def test_typescript_node_bundle_resolves_through_the_map_beside_it(
    server: DevSentry, tmp_path: Path
) -> None:
    bundle = build_node_ts_app(tmp_path / "app", minify=True)
    run_node_bundle(bundle, server.dsn)
    shown = _only_event(server)
    crash = _exception(shown)["stacktrace"]["frames"][-1]
    assert crash["abs_path"] == str(tmp_path / "app" / "src" / "app.ts"), crash
    assert crash["function"] == "reserveStock" and crash["lineno"] == 15
    assert "throw new RangeError" in crash["context_line"]
    assert crash["data"]["sourcemap"] == str(bundle) + ".map"


def test_a_rebuild_renaming_minified_symbols_keeps_the_issue(
    server: DevSentry, tmp_path: Path
) -> None:
    run_node_bundle(build_node_ts_app(tmp_path / "plain"), server.dsn)
    run_node_bundle(build_node_ts_app(tmp_path / "plain", minify=True), server.dsn)
    server.settle()
    issues = devsentry_json(server, "issues")
    assert len(issues) == 1 and issues[0]["count"] == 2, issues


def test_a_host_not_allowed_is_never_fetched(server: DevSentry) -> None:
    frame = {"abs_path": "http://shop.example.invalid/app.js", "filename": "app.js", "lineno": 1}
    frame |= {"colno": 10, "function": "a", "in_app": True}
    _send_event(
        server,
        {
            "platform": "javascript",
            "exception": {"values": [{"type": "Error", "stacktrace": {"frames": [frame]}}]},
        },
    )
    crash = _exception(_only_event(server))["stacktrace"]["frames"][-1]
    assert "shop.example.invalid is not an allowed host" in crash["data"]["sourcemap_note"]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://localhost:5173/assets/index.js", True),
        ("http://127.0.0.2:3000/app.js", True),
        ("http://[::1]:8080/app.js", True),
        ("http://vite.localhost/app.js", True),
        ("http://dev.internal:8080/app.js", True),
        ("http://dev.internal:9090/app.js", False),  # another port of an allowed host:port
        ("https://cdn.example.com/app.js", True),  # allowed without a port: any port
        ("http://example.com/app.js", False),
        ("http://localhost.example.com/app.js", False),
        ("file:///etc/passwd", False),
        ("ftp://localhost/app.js", False),
        ("http://127.0.0.1:99999/app.js", False),  # no such port
    ],
)
def test_only_loopback_and_the_allowed_hosts_are_fetched_from(url: str, allowed: bool) -> None:
    policy = SourceMapPolicy(fetch_from=("dev.internal:8080", "cdn.example.com"))
    assert policy.allows(url) is allowed


@pytest.mark.parametrize(
    ("path", "module"),
    [
        ("http://localhost:5173/src/Cart.jsx", "src/Cart"),
        ("https://example.com/static/js/app.min.js", "app"),
        ("https://example.com/js/v1.2.3/foo/bar.js?x=1", "foo/bar"),
        ("http://127.0.0.1:8000/assets/index-4f2a9c1d.js", "assets/index"),
        (f"https://cdn.example.com/{'a' * 40}/vendor/lib.js", "vendor/lib"),
        ("webpack:///./src/App.tsx", "src/App"),
        ("/home/me/app/dist/app.js", None),  # Node: the SDK sends its own module
    ],
)
def test_module_names_of_javascript_paths_as_sentry_makes_them(
    path: str, module: str | None
) -> None:
    assert generate_module(path) == module


def test_comments_and_inline_maps_of_a_generated_file() -> None:
    text = "x();\n//# sourceMappingURL=data:application/json;base64,e30=\n//# debugId=AB-CD\n"
    assert mapping_comments(text) == ("data:application/json;base64,e30=", None)
    debug_id = "c0ffee00-1234-4abc-8def-0123456789ab"
    url, found = mapping_comments(
        f"x()\n//# debugId={debug_id.upper()}\n//# sourceMappingURL=a.map"
    )
    assert (url, found) == ("a.map", debug_id)
    assert inline_map("data:application/json;base64,e30=") == b"{}"
    assert inline_map("data:application/json,%7B%7D") == b"{}"
    assert inline_map("main.js.map") is None


def test_sentry_cli_uploads_maps_that_resolve_by_debug_id(
    server: DevSentry, tmp_path: Path
) -> None:
    dist = build_react_app(tmp_path / "app", debug_ids=True)
    output = sentry_cli(
        ["sourcemaps", "upload", "--org", "shop", "--project", "web", str(dist)],
        env={"SENTRY_URL": server.url, "SENTRY_AUTH_TOKEN": "sntrys_devsentry"},
    )
    assert "Uploaded files to Sentry" in output or "Bundled" in output, output
    served = tmp_path / "served"
    shutil.copytree(dist, served, ignore=shutil.ignore_patterns("*.map"))
    with static_server(served) as url:
        _run_react(url, server.dsn)
        shown = _only_event(server)
    crash = _exception(shown)["stacktrace"]["frames"][-1]
    assert crash["function"] == "CartTotal" and crash["lineno"] == 7, crash
    assert crash["data"]["sourcemap"].startswith(str(uploads_dir(server.store_path)))
    assert "throw new Error" in crash["context_line"]


def test_devsentry_run_with_sourcemaps_resolves_a_node_bundle_by_debug_id(tmp_path: Path) -> None:
    """`devsentry run --sourcemaps DIR -- node dist/app.js`, the real CLI in a subprocess: the
    bundle carries a debug ID (`sentry-cli sourcemaps inject`), its map is only in DIR."""
    bundle = build_node_ts_app(tmp_path / "app", minify=True)
    sentry_cli(["sourcemaps", "inject", str(bundle.parent)])
    maps = tmp_path / "maps"
    maps.mkdir()
    shutil.move(bundle.with_suffix(".js.map"), maps / "app.js.map")
    store = tmp_path / "store.db"
    command = ["run", "--port", "0", "--store", str(store), "--sourcemaps", str(maps)]
    proc = subprocess.run(
        [sys.executable, "-m", "devsentry", *command, "--", "node", str(bundle)],
        env=clean_env(NODE_PATH=str(NODE_DIR / "node_modules")),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "reserveStock(" in proc.stderr, proc.stderr  # the live console, on stderr
    assert "15 │ throw new RangeError" in proc.stderr
    result = CliRunner().invoke(cli, ["show", "DS-1", "--json", "--store", str(store)])
    crash = json.loads(result.stdout)["normalized"]["exception"]["values"][-1]
    frame = crash["stacktrace"]["frames"][-1]
    assert frame["data"]["sourcemap"] == str(maps / "app.js.map"), frame
    assert "throw new RangeError" in frame["context_line"]


def test_hostile_javascript_frames_are_kept_as_sent(server: DevSentry) -> None:
    """Frames no map can take (huge or missing positions, odd types) never cost the event."""
    frames: list[Any] = [
        {"abs_path": "http://127.0.0.1:9/app.js", "lineno": 2**40, "colno": -1},
        {"abs_path": "http://127.0.0.1:9/app.js", "lineno": 0},
        {"abs_path": "/no/such/bundle.js", "lineno": 1, "colno": 1},
        {"filename": "<anonymous>", "function": "CI"},
        {"abs_path": "data:text/javascript,throw 1", "lineno": 1, "colno": 1},
    ]
    _send_event(
        server,
        {
            "platform": "javascript",
            "exception": {"values": [{"type": "Error", "stacktrace": {"frames": frames}}]},
            "debug_meta": {"images": [{"type": "sourcemap", "code_file": "/no/such/bundle.js"}]},
        },
    )
    shown = _only_event(server)
    assert shown["error"] is None
    kept = _exception(shown)["stacktrace"]["frames"]
    assert len(kept) == len(frames)
    assert "cannot fetch http://127.0.0.1:9/app.js" in kept[0]["data"]["sourcemap_note"]
    assert kept[2]["data"]["sourcemap_note"] == "/no/such/bundle.js is not on this machine"


def test_fetches_are_cached_and_revalidated_with_the_servers_validators(tmp_path: Path) -> None:
    """A file asked for again is revalidated (If-Modified-Since → 304: the same version, the
    parsed map reused); a rebuild that changes it is a new version."""
    served = tmp_path / "served"
    served.mkdir()
    (served / "app.js").write_text("one()\n//# sourceMappingURL=app.js.map\n")

    async def fetch_three_times(url: str) -> list[Fetched]:
        fetcher = Fetcher()
        try:
            first = await fetcher.get(url)
            first.checked = -1e9  # as if FRESH seconds went by
            again = await fetcher.get(url)
            again.checked = -1e9
            target = served / "app.js"
            target.write_text("two()\n//# sourceMappingURL=app.js.map\n")
            stat = target.stat()
            os.utime(target, (stat.st_atime, stat.st_mtime + 10))
            changed = await fetcher.get(url)
        finally:
            await fetcher.close()
        return [first, again, changed]

    with static_server(served) as url:
        first, again, changed = asyncio.run(fetch_three_times(f"{url}/app.js"))
    assert first.error is None and "last-modified" in first.headers
    assert again is first  # answered 304: nothing new to parse
    assert changed.version != first.version and changed.body is not None
    assert changed.body.startswith(b"two()")
