#!/usr/bin/env python3
"""Record real Sentry SDK envelopes into `fixtures/`.

Usage::

    python scripts/record_fixtures.py [--only python|node|browser] [--scenario SDK/NAME ...]

The script starts a small capture server on 127.0.0.1 (an ephemeral port) that answers like
Sentry's Relay, then runs every scenario program under `scripts/fixture_apps/` as a
subprocess with `SENTRY_DSN` (or `SENTRY_SPOTLIGHT`) pointing at it. The app scenarios drive
the shop apps of the test suite instead, with the launchers of `tests/sdk_apps.py`: the
browser page in headless Chromium (@sentry/browser), the FastAPI app under uvicorn and the
Express app (@sentry/node), given requests with a Firefox User-Agent. Each POST the SDK makes
is kept exactly as received:

* `fixtures/<sdk>/<scenario>[-N].envelope` is the decompressed body, i.e. the plain envelope
  byte for byte as the SDK serialized it;
* `fixtures/<sdk>/<scenario>[-N].envelope.br` / `.gz` is the body as sent on the wire, for
  requests that carried a `Content-Encoding`;
* `fixtures/manifest.json` describes every file (SDK, scenario, request line and headers,
  item types) and `fixtures/README.md` explains how to re-record.

Nothing is synthesised: the bytes come from the real `sentry-sdk` package of this virtualenv
and the real `@sentry/node` package pinned in `scripts/fixture_apps/node/package.json`
(installed with `npm install` on first use); the app scenarios use the packages pinned in
`tests/node/package.json` (`scripts/test` installs them, and Chromium). Each scenario declares
the item types it must produce; the script exits non-zero when one does not.

`--only` records one SDK and replaces all of its files; `--scenario` (repeatable; `NAME` or
`SDK/NAME`) records just those scenarios and leaves every other file and manifest entry alone.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib.metadata
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devsentry.protocol import decompress, normalize_encoding, parse  # noqa: E402
from tests import sdk_apps  # noqa: E402

APPS = ROOT / "scripts" / "fixture_apps"
FIXTURES = ROOT / "fixtures"
MANIFEST = FIXTURES / "manifest.json"
README = FIXTURES / "README.md"

#: A fixed, fake DSN public key and project id, so recordings are stable across runs.
PUBLIC_KEY = "0123456789abcdef0123456789abcdef"
PROJECT_ID = "4242"
NODE_SDK_VERSION = "11.12.0"

SCENARIO_TIMEOUT = 60.0  # seconds, per program
GRACE_PERIOD = 0.3  # seconds to wait for stragglers after a program exits

#: The client hints a browser may send (Chromium sends the first three by default; Relay reads
#: sec-ch-ua, -model, -platform and -platform-version: `relay-event-normalization`'s
#: `user_agent.rs`). Each is a `sec_ch_ua…` field of the manifest's `request`.
CLIENT_HINT_HEADERS = (
    "Sec-CH-UA",
    "Sec-CH-UA-Mobile",
    "Sec-CH-UA-Platform",
    "Sec-CH-UA-Model",
    "Sec-CH-UA-Platform-Version",
)

#: Headers kept from each request (the manifest shows the interesting ones).
CAPTURED_HEADERS = (
    "Content-Encoding",
    "Content-Type",
    "Transfer-Encoding",
    "Content-Length",
    "User-Agent",
    "X-Sentry-Auth",
    *CLIENT_HINT_HEADERS,
)

#: What Relay answers cross-origin requests with (`relay-server/src/middlewares/cors.rs`):
#: without it a browser's fetch transport sees every send fail, though the body arrived.
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": (
        "x-sentry-auth, x-requested-with, x-forwarded-for, origin, referer, accept, "
        "content-type, authentication, authorization, content-encoding, transfer-encoding, "
        "baggage, sentry-trace"
    ),
    "Access-Control-Expose-Headers": "x-sentry-error, x-sentry-rate-limits, retry-after",
}

#: File suffix for a body kept as sent, by normalised Content-Encoding.
COMPRESSED_SUFFIX = {"br": ".br", "gzip": ".gz", "deflate": ".zz", "zstd": ".zst"}

SDK_NAMES = {
    "browser": "sentry.javascript.browser",
    "node": "sentry.javascript.node",
    "python": "sentry.python",
}

#: The source of each app of `tests/sdk_apps.py` an app scenario drives.
APP_PROGRAMS = {
    "browser": ROOT / "tests" / "browser" / "app.js",
    "fastapi": ROOT / "tests" / "apps" / "fastapi_app.py",
    "express": ROOT / "tests" / "node" / "express.js",
}


@dataclass(frozen=True)
class Scenario:
    """One program under `scripts/fixture_apps/<sdk>/`, or one run of a shop app of the test
    suite (`app`), and what it must produce.

    An app scenario runs `steps`: for the browser, the page's scenarios (a key of
    `sdk_apps.BROWSER_SCENARIOS`, each in a fresh page); for a server app, the paths it GETs,
    with Firefox's User-Agent. `release` and `user` (`id:email`) configure the SDK and say
    who made the requests.
    """

    sdk: str
    name: str
    description: str
    expect: tuple[str, ...]
    spotlight: bool = False
    min_requests: int = 1
    app: str | None = None
    steps: tuple[str, ...] = ()
    release: str | None = None
    user: str | None = None
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def program(self) -> Path:
        if self.app is not None:
            return APP_PROGRAMS[self.app]
        suffix = ".py" if self.sdk == "python" else ".js"
        return APPS / self.sdk / f"{self.name}{suffix}"

    @property
    def key(self) -> str:
        return f"{self.sdk}/{self.name}"


SCENARIOS: tuple[Scenario, ...] = (
    # -- sentry-python -----------------------------------------------------------------
    Scenario(
        "python",
        "error_chained",
        "PaymentError raised `from` a ConnectionResetError in nested in-app functions, "
        "captured with capture_exception(); local variables, breadcrumbs (incl. logging), "
        "tags, user and contexts. Default transport compression (brotli).",
        ("event",),
    ),
    Scenario(
        "python",
        "error_gzip",
        'The same checkout error sent with _experiments={"transport_compression_algo": "gzip"}.',
        ("event",),
    ),
    Scenario(
        "python",
        "error_plain",
        "The same checkout error sent uncompressed: "
        '_experiments={"transport_compression_level": 0}.',
        ("event",),
    ),
    Scenario(
        "python",
        "message",
        "capture_message(level='warning') (event with a plain `message`), then "
        "logging.error('Failed %s', x) through the logging integration (event with `logentry`).",
        ("event",),
        min_requests=2,
    ),
    Scenario(
        "python",
        "transaction_profile",
        "traces_sample_rate=1.0 and profiles_sample_rate=1.0: a task transaction with nested "
        "spans and ~250 ms of real work, sent with its transaction-based profile (v1).",
        ("transaction", "profile"),
    ),
    Scenario(
        "python",
        "attachments",
        "The checkout error with two scope attachments: a binary PNG-like screenshot "
        "(contains newlines, so `length` matters) and a text log file added by path.",
        ("event", "attachment"),
    ),
    Scenario(
        "python",
        "checkin",
        "sentry_sdk.crons.capture_checkin with a crontab monitor_config: in_progress, then ok "
        "with a duration (one envelope each).",
        ("check_in",),
        min_requests=2,
    ),
    Scenario(
        "python",
        "logs",
        "enable_logs=True: sentry_sdk.logger.info/warning/error with template parameters and "
        "attributes, plus a stdlib logging record, batched into one `log` container item.",
        ("log",),
    ),
    Scenario(
        "python",
        "feedback",
        "sentry-python 2.75 has no capture_feedback(): the checkout error, then a deprecated "
        "`user_report` item built with sentry_sdk.envelope and sent through the SDK transport.",
        ("event", "user_report"),
        min_requests=2,
    ),
    Scenario(
        "python",
        "spotlight",
        "spotlight=True without a DSN, SENTRY_SPOTLIGHT=<capture server>/stream: what the SDK "
        "POSTs to the Spotlight sidecar (uncompressed, no auth).",
        ("event",),
        spotlight=True,
    ),
    Scenario(
        "python",
        "sessions",
        "Release health: an application-mode session (start_session/end_session around an "
        "error) and request-mode sessions (track_session in isolation scopes) aggregated "
        "into a `sessions` item.",
        ("session", "sessions"),
    ),
    Scenario(
        "python",
        "spans_stream",
        'trace_lifecycle="stream" with sentry_sdk.traces.start_span: spans sent as a span v2 '
        "container item (application/vnd.sentry.items.span.v2+json).",
        ("span",),
    ),
    Scenario(
        "python",
        "metrics",
        "sentry_sdk.metrics.count/gauge/distribution, batched into a `trace_metric` container.",
        ("trace_metric",),
    ),
    Scenario(
        "python",
        "fastapi",
        "The shop's FastAPI app under uvicorn (traces_sample_rate=1.0, enable_logs=True, "
        "send_default_pii=True), sent GET /checkout (raises PaymentDeclined from a "
        "ConnectionResetError), /inventory (logging.warning and logging.error) and /refresh "
        "(capture_message) with a Firefox User-Agent and X-Shop-User u-1: events with "
        "request headers, transactions, then the logs and sessions flushed at shutdown.",
        ("event", "transaction", "log"),
        min_requests=4,
        app="fastapi",
        steps=("/checkout", "/inventory", "/refresh"),
        release="shop@2.0.0",
        user="u-1:alice@example.com",
    ),
    # -- @sentry/node ------------------------------------------------------------------
    Scenario(
        "node",
        "error",
        "Sentry.captureException of a PaymentError whose `cause` is an ECONNRESET Error, with "
        "breadcrumbs (incl. console), tags, user and context. The SDK's default "
        "processSession integration also sends the process `session` at exit.",
        ("event",),
    ),
    Scenario(
        "node",
        "attachments",
        "The checkout error with a binary screenshot and a ~40 KB text log attachment: the "
        "body exceeds 32 KiB, so @sentry/node gzips it.",
        ("event", "attachment"),
    ),
    Scenario(
        "node",
        "spans",
        "tracesSampleRate=1.0 with 11.x's default traceLifecycle 'stream': nested startSpan "
        "calls sent as a span v2 container item.",
        ("span",),
    ),
    Scenario(
        "node",
        "logs",
        "enableLogs: true with Sentry.logger.info/warn/error, Sentry.logger.fmt and "
        "consoleLoggingIntegration, batched into one `log` container item.",
        ("log",),
    ),
    Scenario(
        "node",
        "sessions",
        "Server-mode release health: requests to a node:http server (one of them reports an "
        "error) aggregated into a `sessions` item on flush; the process `session` is closed.",
        ("sessions",),
    ),
    Scenario(
        "node",
        "checkin",
        "Sentry.captureCheckIn with a crontab monitor config: in_progress, then ok with a "
        "duration (one envelope each).",
        ("check_in",),
        min_requests=2,
    ),
    Scenario(
        "node",
        "feedback",
        "The checkout error, then Sentry.captureFeedback associated with it (`feedback` item).",
        ("event", "feedback"),
        min_requests=2,
    ),
    Scenario(
        "node",
        "metrics",
        "Sentry.metrics.count/gauge/distribution, batched into a `trace_metric` container.",
        ("trace_metric",),
    ),
    Scenario(
        "node",
        "spotlight",
        "spotlight: true without a DSN, SENTRY_SPOTLIGHT=<capture server>/stream: what the "
        "SDK's Spotlight integration POSTs to the sidecar.",
        ("event",),
        spotlight=True,
    ),
    Scenario(
        "node",
        "express",
        "The shop's Express 5 app (Sentry.init in instrument.js, loaded with --import; "
        "Sentry.setupExpressErrorHandler), sent GET /checkout (throws PaymentDeclined with an "
        "ECONNRESET cause) and /refresh (Sentry.captureMessage, which attaches a synthetic "
        "stack trace) with a Firefox User-Agent and X-Shop-User u-1: events with request "
        "headers, span v2 containers, and the sessions flushed on SIGTERM.",
        ("event", "span"),
        min_requests=3,
        app="express",
        steps=("/checkout", "/refresh"),
        release="shop-node@2.0.0",
        user="u-1:alice@example.com",
    ),
    # -- @sentry/browser in headless Chromium --------------------------------------------
    Scenario(
        "browser",
        "error",
        "The shop's page (@sentry/browser bundled by esbuild) in headless Chromium: a click "
        "listener captures a PaymentDeclined with captureException; user u-1, tag plan=pro, "
        "release shop@2.0.0. The fetch transport's text/plain POSTs carry Chromium's "
        "User-Agent and client hints; the page's session goes first and is updated after.",
        ("event", "session"),
        min_requests=2,
        app="browser",
        steps=("error",),
        release="shop@2.0.0",
        user="u-1:alice@example.com",
        tags=(("plan", "pro"),),
    ),
    Scenario(
        "browser",
        "throw",
        "The shop's page in headless Chromium: an `onclick` handler throws a TypeError that "
        "reaches window.onerror (mechanism auto.browser.global_handlers.onerror, unhandled); "
        "user u-2, release shop@2.0.0.",
        ("event", "session"),
        min_requests=2,
        app="browser",
        steps=("throw",),
        release="shop@2.0.0",
        user="u-2:bob@example.com",
    ),
    Scenario(
        "browser",
        "message",
        'The shop\'s page in headless Chromium: captureMessage("cache miss storm"), sent with a '
        "synthetic stack trace (attachStacktrace defaults to true); user u-1, release "
        "shop@2.1.0.",
        ("event", "session"),
        min_requests=2,
        app="browser",
        steps=("message",),
        release="shop@2.1.0",
        user="u-1:alice@example.com",
    ),
)


# -- capture server --------------------------------------------------------------------


@dataclass
class Captured:
    """One POST as the capture server received it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    arrival: int  # 1-based position among the requests of one scenario

    @property
    def encoding(self) -> str:
        return normalize_encoding(self.headers.get("Content-Encoding"))

    def envelope(self) -> bytes:
        return decompress(self.body, self.headers.get("Content-Encoding"))


def _envelope_header(data: bytes) -> dict[str, Any]:
    try:
        header = json.loads(data.split(b"\n", 1)[0])
    except ValueError:
        return {}
    return header if isinstance(header, dict) else {}


class CaptureServer:
    """A tiny stand-in for Relay that keeps every request body exactly as received."""

    def __init__(self) -> None:
        self.requests: list[Captured] = []
        self._count = 0
        # auto_decompress=False: keep the body as sent (Transfer-Encoding is still undone).
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("POST", "/{tail:.*}", self._handle)
        app.router.add_route("OPTIONS", "/{tail:.*}", self._preflight)
        self._runner = web.AppRunner(app, access_log=None, auto_decompress=False)
        self.port = 0

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        await self._runner.cleanup()

    def take(self) -> list[Captured]:
        """Hand over the requests received so far, numbered 1.. in arrival order."""
        taken, self.requests = self.requests, []
        for number, request in enumerate(taken, start=1):
            request.arrival = number
        return taken

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self._count += 1
        headers = {
            name: request.headers[name] for name in CAPTURED_HEADERS if name in request.headers
        }
        captured = Captured(
            method=request.method,
            path=request.path,
            query=request.query_string,
            headers=headers,
            body=body,
            arrival=self._count,
        )
        self.requests.append(captured)  # arrival is renumbered per scenario in take()
        try:
            event_id = _envelope_header(captured.envelope()).get("event_id")
        except ValueError:
            event_id = None
        return web.json_response(
            {"id": event_id} if isinstance(event_id, str) else {}, headers=CORS_HEADERS
        )

    async def _preflight(self, request: web.Request) -> web.Response:
        return web.Response(status=200, headers=CORS_HEADERS)


# -- running scenarios -------------------------------------------------------------------


@dataclass
class Recording:
    scenario: Scenario
    requests: list[Captured]
    output: str
    problems: list[str] = field(default_factory=list)
    runtime: str = ""


@dataclass(frozen=True)
class Selection:
    """The scenarios to record, and so the fixture files and manifest entries they replace:
    every scenario of some SDKs (all their files), or named scenarios (only theirs)."""

    sdks: frozenset[str]
    keys: frozenset[str] | None = None  # `sdk/name`; None: every scenario of `sdks`

    @property
    def scenarios(self) -> list[Scenario]:
        return [
            s for s in SCENARIOS if s.sdk in self.sdks and (self.keys is None or s.key in self.keys)
        ]

    def replaces(self, entry: dict[str, Any]) -> bool:
        sdk = entry["file"].split("/", 1)[0]
        if self.keys is None:
            return sdk in self.sdks
        return f"{sdk}/{entry['scenario']}" in self.keys

    def clear(self) -> None:
        """Remove the files this selection records anew."""
        for sdk in self.sdks:
            directory = FIXTURES / sdk
            directory.mkdir(parents=True, exist_ok=True)
            names = {s.name for s in self.scenarios if s.sdk == sdk}
            for path in directory.iterdir():
                if ".envelope" not in path.name:
                    continue
                # `<scenario>[-N].envelope[.br|.gz…]`
                stem = path.name.split(".envelope", 1)[0]
                if self.keys is None or stem in names or stem.rsplit("-", 1)[0] in names:
                    path.unlink()


def _child_env(extra: dict[str, str]) -> dict[str, str]:
    proxy_vars = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith("SENTRY_") and key.lower() not in proxy_vars
    }
    env.update(
        {
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
            "PYTHONUNBUFFERED": "1",
            "TZ": "UTC",
        }
    )
    env.update(extra)
    return env


def _command(scenario: Scenario) -> list[str]:
    if scenario.sdk == "python":
        return [sys.executable, scenario.program.name]
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is not on PATH")
    return [node, scenario.program.name]


async def run_scenario(server: CaptureServer, scenario: Scenario) -> Recording:
    base = f"http://127.0.0.1:{server.port}"
    if scenario.spotlight:
        extra = {"SENTRY_SPOTLIGHT": f"{base}/stream"}
    else:
        extra = {"SENTRY_DSN": f"http://{PUBLIC_KEY}@127.0.0.1:{server.port}/{PROJECT_ID}"}
    server.take()  # drop anything left over from an earlier program
    proc = await asyncio.create_subprocess_exec(
        *_command(scenario),
        cwd=scenario.program.parent,
        env=_child_env(extra),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    problems = []
    try:
        stdout, _ = await asyncio.wait_for(proc.communicate(), SCENARIO_TIMEOUT)
    except TimeoutError:
        proc.kill()
        stdout, _ = await proc.communicate()
        problems.append(f"timed out after {SCENARIO_TIMEOUT:.0f}s")
    if proc.returncode:
        problems.append(f"exited with status {proc.returncode}")
    await asyncio.sleep(GRACE_PERIOD)
    recording = Recording(scenario, _order(server.take()), stdout.decode(errors="replace"))
    recording.problems.extend(problems)
    recording.problems.extend(_check(recording))
    return recording


def _drive_app(
    scenario: Scenario, dsn: str, browser: sdk_apps.Browser | None
) -> tuple[str, list[str]]:
    """Run an app scenario's steps against `dsn` (in a thread: the capture server needs the
    loop); returns the app's output and any problems."""
    problems = []
    if scenario.app == "browser":
        assert browser is not None
        user_id, _, email = (scenario.user or "").partition(":")
        user = {"id": user_id, "email": email} if user_id else None
        lines = []
        for step in scenario.steps:
            run = browser.run(
                dsn, step, release=scenario.release, user=user, tags=dict(scenario.tags)
            )
            lines.append(json.dumps(dataclasses.asdict(run), indent=1))
            if not run.flushed:
                problems.append(f"{step}: the SDK did not flush")
            refused = [r.status for r in run.ingest if r.status != 200]
            problems += [f"{step}: the capture server answered {status}" for status in refused]
        return "\n".join(lines), problems
    start = sdk_apps.start_fastapi if scenario.app == "fastapi" else sdk_apps.start_express
    with start(dsn, release=scenario.release, env=_child_env({})) as app:
        for path in scenario.steps:
            status = app.get(path, user=scenario.user).status
            if status not in (200, 500):
                problems.append(f"GET {path} answered {status}")
        output = app.stop()
    if app.returncode not in (0, -signal.SIGTERM):
        problems.append(f"{scenario.app} exited with status {app.returncode}")
    return output, problems


async def run_app_scenario(
    server: CaptureServer, scenario: Scenario, browser: sdk_apps.Browser | None
) -> Recording:
    dsn = f"http://{PUBLIC_KEY}@127.0.0.1:{server.port}/{PROJECT_ID}"
    server.take()
    try:
        output, problems = await asyncio.wait_for(
            asyncio.to_thread(_drive_app, scenario, dsn, browser), SCENARIO_TIMEOUT
        )
    except (AssertionError, TimeoutError) as exc:  # sdk_apps.AppFailed is an AssertionError
        output, problems = "", [f"{type(exc).__name__}: {exc}"]
    await asyncio.sleep(GRACE_PERIOD)
    recording = Recording(scenario, _order(server.take()), output)
    recording.problems.extend(problems)
    recording.problems.extend(_check(recording))
    return recording


#: Ranks for numbering a scenario's requests: the payload it is about first, then release
#: health and client reports. Ties go by the SDK's `sent_at`, then by arrival.
TYPE_RANK = {
    kind: rank
    for rank, kind in enumerate(
        (
            "event",
            "transaction",
            "profile",
            "feedback",
            "user_report",
            "check_in",
            "span",
            "log",
            "trace_metric",
            "attachment",
            "session",
            "sessions",
            "client_report",
        )
    )
}


def _order(requests: list[Captured]) -> list[Captured]:
    """Number a scenario's requests in an order that survives re-recording.

    @sentry/node sends envelopes concurrently and stamps `sent_at` with millisecond
    precision, so neither arrival order nor `sent_at` alone is stable between runs (an event
    and its session update often share a millisecond). The manifest keeps the arrival order.
    """

    def key(request: Captured) -> tuple[int, str, int]:
        try:
            data = request.envelope()
            sent_at = _envelope_header(data).get("sent_at")
            kinds = _item_types(data)
        except ValueError:
            sent_at, kinds = None, []
        rank = TYPE_RANK.get(kinds[0], len(TYPE_RANK)) if kinds else len(TYPE_RANK) + 1
        return rank, sent_at if isinstance(sent_at, str) else "", request.arrival

    return sorted(requests, key=key)


def _item_types(envelope: bytes) -> list[str]:
    return [item.type for item in parse(envelope).items]


def _check(recording: Recording) -> list[str]:
    problems = []
    scenario = recording.scenario
    if len(recording.requests) < scenario.min_requests:
        problems.append(
            f"expected at least {scenario.min_requests} request(s), got {len(recording.requests)}"
        )
    seen: set[str] = set()
    for request in recording.requests:
        try:
            seen.update(_item_types(request.envelope()))
        except ValueError as exc:
            problems.append(f"request {request.arrival} is not a valid envelope: {exc}")
        wanted_path = "/stream" if scenario.spotlight else f"/api/{PROJECT_ID}/envelope/"
        if request.path != wanted_path:
            problems.append(f"unexpected request path {request.path}")
    missing = [kind for kind in scenario.expect if kind not in seen]
    if missing:
        problems.append(f"missing item type(s) {missing}; got {sorted(seen)}")
    return problems


# -- SDK metadata ------------------------------------------------------------------------


def _package_version(node_modules: Path, package: str) -> str | None:
    path = node_modules / package / "package.json"
    return json.loads(path.read_text())["version"] if path.exists() else None


def _sdk_version(scenario: Scenario) -> str | None:
    """The version of the SDK package the scenario ran (None: not installed)."""
    if scenario.sdk == "python":
        return importlib.metadata.version("sentry-sdk")
    directory = sdk_apps.NODE_DIR if scenario.app else APPS / "node"
    return _package_version(directory / "node_modules", f"@sentry/{scenario.sdk}")


def _runtime(scenario: Scenario, browser: sdk_apps.Browser | None) -> str:
    """The runtime a scenario ran on, with the framework versions of an app scenario."""
    if scenario.app == "browser":
        return f"Chromium {browser.version if browser else '?'} (headless, playwright-core)"
    if scenario.sdk == "python":
        runtime = f"{platform.python_implementation()} {platform.python_version()}"
        if scenario.app == "fastapi":
            versions = (f"{p} {importlib.metadata.version(p)}" for p in ("fastapi", "uvicorn"))
            runtime += ", " + ", ".join(versions)
        return runtime
    node = shutil.which("node")
    version = subprocess.run(
        [node or "node", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    runtime = f"node {version}"
    if scenario.app == "express":
        runtime += f", express {_package_version(sdk_apps.NODE_DIR / 'node_modules', 'express')}"
    return runtime


def _sdk_from_request(request: Captured) -> tuple[str, str] | None:
    """The `sentry_client=<name>/<version>` the SDK sent (header or query), if any."""
    auth = request.headers.get("X-Sentry-Auth", "")
    for part in auth.removeprefix("Sentry ").split(","):
        key, _, value = part.strip().partition("=")
        if key == "sentry_client" and "/" in value:
            name, _, version = value.partition("/")
            return name, version
    client = parse_qs(request.query).get("sentry_client")
    if client and "/" in client[0]:
        name, _, version = client[0].partition("/")
        return name, version
    return None


def ensure_node_modules(scenarios: Sequence[Scenario]) -> None:
    """Install the Node packages the scenarios need, and check they are the pinned SDKs:
    @sentry/node in scripts/fixture_apps/node; @sentry/node and @sentry/browser (with
    Express, esbuild, playwright-core) in tests/node for the app scenarios."""
    wanted: list[tuple[Path, tuple[str, ...]]] = []
    if any(s.sdk == "node" and s.app is None for s in scenarios):
        wanted.append((APPS / "node", ("@sentry/node",)))
    if any(s.app in ("browser", "express") for s in scenarios):
        wanted.append((sdk_apps.NODE_DIR, ("@sentry/node", "@sentry/browser")))
    for node_dir, packages in wanted:
        where = node_dir.relative_to(ROOT)
        if not all((node_dir / "node_modules" / p).exists() for p in packages):
            npm = shutil.which("npm")
            if npm is None:
                raise SystemExit(f"npm is not on PATH; cannot install {where}'s packages")
            print(f"installing the Node packages of {where} ...", flush=True)
            env = {**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"}
            command = [npm, "ci", "--no-audit", "--no-fund"]
            subprocess.run(command, cwd=node_dir, env=env, check=True)
        for package in packages:
            installed = _package_version(node_dir / "node_modules", package)
            if installed != NODE_SDK_VERSION:
                raise SystemExit(
                    f"{where} has {package} {installed}, expected {NODE_SDK_VERSION}; "
                    "remove its node_modules and re-run"
                )


# -- writing fixtures --------------------------------------------------------------------


def _file_names(scenario: Scenario, count: int) -> list[str]:
    if count == 1:
        return [f"{scenario.sdk}/{scenario.name}.envelope"]
    return [f"{scenario.sdk}/{scenario.name}-{n}.envelope" for n in range(1, count + 1)]


def write_recordings(recordings: Sequence[Recording]) -> list[dict]:
    entries: list[dict[str, Any]] = []
    for recording in recordings:
        scenario = recording.scenario
        names = _file_names(scenario, len(recording.requests))
        for name, request in zip(names, recording.requests, strict=True):
            plain = request.envelope()
            (FIXTURES / name).write_bytes(plain)
            as_sent = None
            if request.encoding != "identity":
                as_sent = name + COMPRESSED_SUFFIX[request.encoding]
                (FIXTURES / as_sent).write_bytes(request.body)
            sdk_name, sdk_version = SDK_NAMES[scenario.sdk], _sdk_version(scenario)
            announced = _sdk_from_request(request)
            if announced and announced != (sdk_name, sdk_version):
                recording.problems.append(f"{name}: SDK announced itself as {announced}")
            entries.append(
                {
                    "file": name,
                    "as_sent": as_sent,
                    "sdk": {"name": sdk_name, "version": sdk_version},
                    "runtime": recording.runtime,
                    "scenario": scenario.name,
                    "arrival": request.arrival,
                    "program": scenario.program.relative_to(ROOT).as_posix(),
                    "description": scenario.description,
                    "request": {
                        "method": request.method,
                        "path": request.path,
                        "query": request.query,
                        "content_encoding": request.headers.get("Content-Encoding"),
                        "content_type": request.headers.get("Content-Type"),
                        "transfer_encoding": request.headers.get("Transfer-Encoding"),
                        "content_length": request.headers.get("Content-Length"),
                        "user_agent": request.headers.get("User-Agent"),
                        "x_sentry_auth": request.headers.get("X-Sentry-Auth"),
                        **{_field(name): request.headers.get(name) for name in CLIENT_HINT_HEADERS},
                    },
                    "item_types": _item_types(plain),
                }
            )
    return entries


def _field(header: str) -> str:
    """The manifest's name for a request header: `Sec-CH-UA-Mobile` → `sec_ch_ua_mobile`."""
    return header.lower().replace("-", "_")


def write_manifest(new_entries: list[dict[str, Any]], selection: Selection) -> list[dict]:
    kept: list[dict[str, Any]] = []
    if MANIFEST.exists():
        old = json.loads(MANIFEST.read_text())
        kept = [e for e in old.get("fixtures", []) if not selection.replaces(e)]
    for entry in kept:  # recorded before the client hints were: no SDK outside a browser sends them
        for name in CLIENT_HINT_HEADERS:
            entry["request"].setdefault(_field(name), None)
    entries = sorted(kept + new_entries, key=lambda e: e["file"])
    manifest = {
        "about": "Real SDK envelopes recorded by scripts/record_fixtures.py; see README.md.",
        "dsn": f"http://{PUBLIC_KEY}@127.0.0.1:<port>/{PROJECT_ID}",
        "spotlight_url": "http://127.0.0.1:<port>/stream",
        "fixtures": entries,
    }
    MANIFEST.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return entries


def write_readme(entries: list[dict[str, Any]]) -> None:
    sdks = sorted({(e["sdk"]["name"], e["sdk"]["version"], e["runtime"]) for e in entries})
    lines = [
        "# Recorded SDK envelopes",
        "",
        "Real envelopes captured from the official Sentry SDKs, for devsentry's tests and",
        "benchmarks. Every byte comes from the SDK; nothing here is hand-written.",
        "",
        "- `<sdk>/<scenario>[-N].envelope`: the request body after undoing `Content-Encoding`,",
        "  i.e. the plain envelope exactly as the SDK serialized it. When a scenario made",
        "  several requests, `-N` numbers them so that re-recording keeps the names: the",
        "  scenario's payload first (event, transaction, check-in, logs, ...), then session",
        "  updates and client reports, ties broken by the SDK's `sent_at`. The manifest's",
        "  `arrival` field keeps the order in which the requests really arrived.",
        "- `<sdk>/<scenario>[-N].envelope.br` / `.envelope.gz`: the body exactly as it went over",
        "  the wire, for requests that were compressed.",
        "- `manifest.json`: for each envelope, the SDK and version, the scenario, the request",
        "  path, query and headers (`Content-Encoding`, `Content-Type`, `Transfer-Encoding`,",
        "  `Content-Length`, `User-Agent`, `X-Sentry-Auth`, and the client hints `Sec-CH-UA`,",
        "  `-Mobile`, `-Platform`, `-Model`, `-Platform-Version`) and the item types.",
        "",
        "SDKs recorded:",
        "",
    ]
    lines += [f"- `{name}` {version} ({runtime})" for name, version, runtime in sdks]
    lines += [
        "",
        "The programs that produce them live in `scripts/fixture_apps/python/*.py` and",
        "`scripts/fixture_apps/node/*.js` (small demo-shop apps with in-app frames, release",
        "`demo@1.2.3`, environment `development`, a fixed user). The `browser/` files and",
        "`python/fastapi-*`, `node/express-*` come from the shop apps of the test suite, driven",
        "by `tests/sdk_apps.py`: the page `tests/browser/` (@sentry/browser, bundled by esbuild)",
        "in headless Chromium, `tests/apps/fastapi_app.py` under uvicorn and",
        "`tests/node/express.js`, the servers sent requests with a Firefox User-Agent; releases",
        "`shop@2.0.0` / `shop@2.1.0` and users `u-1`, `u-2`. The DSN is",
        f"`http://{PUBLIC_KEY}@127.0.0.1:<port>/{PROJECT_ID}`; the port changes per run.",
        "",
        "## Re-recording",
        "",
        "```sh",
        ". .venv/bin/activate",
        "python scripts/record_fixtures.py            # everything",
        "python scripts/record_fixtures.py --only node  # or only one SDK",
        "python scripts/record_fixtures.py --scenario browser/error --scenario fastapi",
        "pytest tests/test_fixtures_manifest.py",
        "```",
        "",
        "The Python scenarios use the `sentry-sdk` installed in the virtualenv; the Node ones use",
        "`@sentry/node` pinned in `scripts/fixture_apps/node/package.json` (`npm install` runs",
        "there when `node_modules` is missing); the browser and Express ones the packages pinned",
        "in `tests/node/package.json` and the system's Chromium (`scripts/test` installs both).",
        "Timestamps, ids and durations change on every recording; the structure does not.",
        "",
        "## Files",
        "",
        "| File | As sent | Request | Items |",
        "|---|---|---|---|",
    ]
    for e in entries:
        req = e["request"]
        wire = ", ".join(
            f"{label}: {req[key]}"
            for label, key in (("CE", "content_encoding"), ("TE", "transfer_encoding"))
            if req.get(key)
        )
        as_sent = f"`{Path(e['as_sent']).name}`" if e["as_sent"] else ""
        items = ", ".join(e["item_types"])
        lines.append(f"| `{e['file']}` | {as_sent} | `{req['path']}` {wire} | {items} |")
    README.write_text("\n".join(lines) + "\n")


# -- main --------------------------------------------------------------------------------


async def record(scenarios: Sequence[Scenario]) -> list[Recording]:
    server = CaptureServer()
    await server.start()
    recordings = []
    stack = ExitStack()
    try:
        browser: sdk_apps.Browser | None = None
        if any(s.app == "browser" for s in scenarios):
            browser = stack.enter_context(sdk_apps.open_browser())
        for scenario in scenarios:
            started = time.monotonic()
            if scenario.app is None:
                recording = await run_scenario(server, scenario)
            else:
                recording = await run_app_scenario(server, scenario, browser)
            recording.runtime = _runtime(scenario, browser)
            recordings.append(recording)
            status = "ok" if not recording.problems else "; ".join(recording.problems)
            print(
                f"{scenario.sdk:6} {scenario.name:20} {len(recording.requests)} request(s) "
                f"in {time.monotonic() - started:4.1f}s  {status}",
                flush=True,
            )
    finally:
        stack.close()
        await server.stop()
    return recordings


def _selection(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Selection:
    if not args.scenario:
        return Selection(frozenset([args.only] if args.only else SDK_NAMES))
    keys: set[str] = set()
    for wanted in args.scenario:
        found = [s.key for s in SCENARIOS if wanted in (s.key, s.name)]
        if len(found) != 1:
            problem = "no such scenario" if not found else "ambiguous, give SDK/NAME"
            known = ", ".join(found or [s.key for s in SCENARIOS])
            parser.error(f"--scenario {wanted}: {problem} ({known})")
        keys |= set(found)
    return Selection(frozenset(key.split("/", 1)[0] for key in keys), frozenset(keys))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--only", choices=sorted(SDK_NAMES), help="record one SDK only")
    choice.add_argument(
        "--scenario",
        action="append",
        metavar="[SDK/]NAME",
        help="record only this scenario, keeping every other file (repeatable)",
    )
    args = parser.parse_args(argv)
    selection = _selection(parser, args)
    scenarios = selection.scenarios
    ensure_node_modules(scenarios)

    recordings = asyncio.run(record(scenarios))
    selection.clear()
    entries = write_manifest(write_recordings(recordings), selection)
    write_readme(entries)

    failed = [r for r in recordings if r.problems]
    for recording in failed:
        print(f"\n{recording.scenario.sdk}/{recording.scenario.name}: {recording.problems}")
        print("--- program output ---\n" + recording.output.rstrip()[-4000:])
    total = sum(len(r.requests) for r in recordings)
    recorded = ", ".join(sorted(selection.keys or selection.sdks))
    print(f"\nwrote {total} envelope(s) for {recorded} to {FIXTURES.relative_to(ROOT)}/")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
