#!/usr/bin/env python3
"""Record real Sentry SDK envelopes into `fixtures/`.

Usage::

    python scripts/record_fixtures.py [--only python|node] [--keep-going]

The script starts a small capture server on 127.0.0.1 (an ephemeral port) that answers like
Sentry's Relay, then runs every scenario program under `scripts/fixture_apps/` as a
subprocess with `SENTRY_DSN` (or `SENTRY_SPOTLIGHT`) pointing at it. Each POST the SDK makes
is kept exactly as received:

* `fixtures/<sdk>/<scenario>[-N].envelope` is the decompressed body, i.e. the plain envelope
  byte for byte as the SDK serialized it;
* `fixtures/<sdk>/<scenario>[-N].envelope.br` / `.gz` is the body as sent on the wire, for
  requests that carried a `Content-Encoding`;
* `fixtures/manifest.json` describes every file (SDK, scenario, request line and headers,
  item types) and `fixtures/README.md` explains how to re-record.

Nothing is synthesised: the bytes come from the real `sentry-sdk` package of this virtualenv
and the real `@sentry/node` package pinned in `scripts/fixture_apps/node/package.json`
(installed with `npm install` on first use). Each scenario declares the item types it must
produce; the script exits non-zero when one does not.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devsentry.protocol import decompress, normalize_encoding, parse  # noqa: E402

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

#: Headers kept from each request (the manifest shows the interesting ones).
CAPTURED_HEADERS = (
    "Content-Encoding",
    "Content-Type",
    "Transfer-Encoding",
    "Content-Length",
    "User-Agent",
    "X-Sentry-Auth",
)

#: File suffix for a body kept as sent, by normalised Content-Encoding.
COMPRESSED_SUFFIX = {"br": ".br", "gzip": ".gz", "deflate": ".zz", "zstd": ".zst"}

SDK_NAMES = {"python": "sentry.python", "node": "sentry.javascript.node"}


@dataclass(frozen=True)
class Scenario:
    """One program under `scripts/fixture_apps/<sdk>/` and what it must produce."""

    sdk: str
    name: str
    description: str
    expect: tuple[str, ...]
    spotlight: bool = False
    min_requests: int = 1

    @property
    def program(self) -> Path:
        suffix = ".py" if self.sdk == "python" else ".js"
        return APPS / self.sdk / f"{self.name}{suffix}"


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
        return web.json_response({"id": event_id} if isinstance(event_id, str) else {})


# -- running scenarios -------------------------------------------------------------------


@dataclass
class Recording:
    scenario: Scenario
    requests: list[Captured]
    output: str
    problems: list[str] = field(default_factory=list)


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


def _sdk_versions() -> dict[str, str]:
    versions = {"python": importlib.metadata.version("sentry-sdk")}
    package = APPS / "node" / "node_modules" / "@sentry" / "node" / "package.json"
    if package.exists():
        versions["node"] = json.loads(package.read_text())["version"]
    return versions


def _runtime(sdk: str) -> str:
    if sdk == "python":
        return f"{platform.python_implementation()} {platform.python_version()}"
    node = shutil.which("node")
    version = subprocess.run(
        [node or "node", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return f"node {version}"


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


def ensure_node_modules() -> None:
    node_dir = APPS / "node"
    if not (node_dir / "node_modules" / "@sentry" / "node").exists():
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("npm is not on PATH; cannot install @sentry/node")
        print("installing @sentry/node in scripts/fixture_apps/node ...", flush=True)
        subprocess.run([npm, "install", "--no-audit", "--no-fund"], cwd=node_dir, check=True)
    installed = _sdk_versions().get("node")
    if installed != NODE_SDK_VERSION:
        raise SystemExit(
            f"scripts/fixture_apps/node has @sentry/node {installed}, expected {NODE_SDK_VERSION}; "
            "remove its node_modules and re-run"
        )


# -- writing fixtures --------------------------------------------------------------------


def _file_names(scenario: Scenario, count: int) -> list[str]:
    if count == 1:
        return [f"{scenario.sdk}/{scenario.name}.envelope"]
    return [f"{scenario.sdk}/{scenario.name}-{n}.envelope" for n in range(1, count + 1)]


def write_recordings(recordings: Sequence[Recording], versions: dict[str, str]) -> list[dict]:
    entries: list[dict[str, Any]] = []
    runtimes: dict[str, str] = {}
    for recording in recordings:
        scenario = recording.scenario
        runtime = runtimes.setdefault(scenario.sdk, _runtime(scenario.sdk))
        names = _file_names(scenario, len(recording.requests))
        for name, request in zip(names, recording.requests, strict=True):
            plain = request.envelope()
            (FIXTURES / name).write_bytes(plain)
            as_sent = None
            if request.encoding != "identity":
                as_sent = name + COMPRESSED_SUFFIX[request.encoding]
                (FIXTURES / as_sent).write_bytes(request.body)
            sdk_name, sdk_version = SDK_NAMES[scenario.sdk], versions[scenario.sdk]
            announced = _sdk_from_request(request)
            if announced and announced != (sdk_name, sdk_version):
                recording.problems.append(f"{name}: SDK announced itself as {announced}")
            entries.append(
                {
                    "file": name,
                    "as_sent": as_sent,
                    "sdk": {"name": sdk_name, "version": sdk_version},
                    "runtime": runtime,
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
                    },
                    "item_types": _item_types(plain),
                }
            )
    return entries


def _clear(sdk: str) -> None:
    directory = FIXTURES / sdk
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.iterdir():
        if ".envelope" in path.name:
            path.unlink()


def write_manifest(new_entries: list[dict[str, Any]], sdks: Iterable[str]) -> list[dict]:
    sdks = set(sdks)
    kept: list[dict[str, Any]] = []
    if MANIFEST.exists():
        old = json.loads(MANIFEST.read_text())
        kept = [e for e in old.get("fixtures", []) if e["file"].split("/", 1)[0] not in sdks]
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
        "  `Content-Length`, `User-Agent`, `X-Sentry-Auth`) and the item types.",
        "",
        "SDKs recorded:",
        "",
    ]
    lines += [f"- `{name}` {version} ({runtime})" for name, version, runtime in sdks]
    lines += [
        "",
        "The programs that produce them live in `scripts/fixture_apps/python/*.py` and",
        "`scripts/fixture_apps/node/*.js` (small demo-shop apps with in-app frames, release",
        "`demo@1.2.3`, environment `development`, a fixed user). The DSN is",
        f"`http://{PUBLIC_KEY}@127.0.0.1:<port>/{PROJECT_ID}`; the port changes per run.",
        "",
        "## Re-recording",
        "",
        "```sh",
        ". .venv/bin/activate",
        "python scripts/record_fixtures.py            # everything",
        "python scripts/record_fixtures.py --only node  # or only one SDK",
        "pytest tests/test_fixtures_manifest.py",
        "```",
        "",
        "The Python scenarios use the `sentry-sdk` installed in the virtualenv; the Node ones use",
        "`@sentry/node` pinned in `scripts/fixture_apps/node/package.json` (`npm install` runs",
        "there when `node_modules` is missing). Timestamps, ids and durations change on every",
        "recording; the structure does not.",
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


async def record(sdks: Sequence[str]) -> list[Recording]:
    server = CaptureServer()
    await server.start()
    recordings = []
    try:
        for scenario in SCENARIOS:
            if scenario.sdk not in sdks:
                continue
            started = time.monotonic()
            recording = await run_scenario(server, scenario)
            recordings.append(recording)
            status = "ok" if not recording.problems else "; ".join(recording.problems)
            print(
                f"{scenario.sdk:6} {scenario.name:20} {len(recording.requests)} request(s) "
                f"in {time.monotonic() - started:4.1f}s  {status}",
                flush=True,
            )
    finally:
        await server.stop()
    return recordings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=sorted(SDK_NAMES), help="record one SDK only")
    args = parser.parse_args(argv)
    sdks = [args.only] if args.only else sorted(SDK_NAMES)
    if "node" in sdks:
        ensure_node_modules()
    versions = _sdk_versions()

    recordings = asyncio.run(record(sdks))
    for sdk in sdks:
        _clear(sdk)
    entries = write_manifest(write_recordings(recordings, versions), sdks)
    write_readme(entries)

    failed = [r for r in recordings if r.problems]
    for recording in failed:
        print(f"\n{recording.scenario.sdk}/{recording.scenario.name}: {recording.problems}")
        print("--- program output ---\n" + recording.output.rstrip()[-4000:])
    total = sum(len(r.requests) for r in recordings)
    print(f"\nwrote {total} envelope(s) for {', '.join(sdks)} to {FIXTURES.relative_to(ROOT)}/")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
