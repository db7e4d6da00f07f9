"""`devsentry serve` end to end: real SDKs and real HTTP against a server on port 0."""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import brotli
import pytest
import zstandard
from click.testing import CliRunner

from devsentry.cli import cli
from devsentry.ingest.origins import OriginPolicy
from devsentry.protocol import parse
from devsentry.service import Background, serving
from devsentry.store import Store
from devsentry.testing import LocalServer, wait_until
from devsentry.transports.server import Server
from tests.conftest import FIXTURES, run_node_app, run_python_app


def post(
    url: str, body: bytes, headers: dict[str, str] | None = None, method: str = "POST"
) -> tuple[int, dict[str, str], bytes]:
    """A plain HTTP request; returns status, headers and body even for 4xx answers."""
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


ERROR_ENVELOPE = (FIXTURES / "python" / "error_plain.envelope").read_bytes()
AUTH = {"X-Sentry-Auth": "Sentry sentry_key=devsentry, sentry_version=7, sentry_client=test/1.0"}


# -- real SDKs -------------------------------------------------------------------------------


def test_python_sdk_error_is_stored_grouped_and_printed(server: LocalServer) -> None:
    run_python_app("checkout", "error", SENTRY_DSN=server.dsn)
    (item,) = server.wait_for("event")
    assert item.title == "RuntimeError: checkout failed"
    assert item.release == "shop@1.2.3"
    assert item.environment == "development"
    assert item.sdk is not None and item.sdk.startswith("sentry.python")
    assert item.project == "1"
    (issue,) = server.issues
    assert (issue.count, issue.users) == (1, 1)
    assert issue.culprit == "shop in checkout"
    out = server.wait_for_output("RuntimeError: checkout failed")
    assert "new issue DS-1" in out
    assert "devsentry show DS-1" in out


def test_same_error_twice_is_one_issue(server: LocalServer) -> None:
    run_python_app("checkout", "twice", SENTRY_DSN=server.dsn)
    run_python_app("checkout", "error", SENTRY_DSN=server.dsn, APP_USER="7")
    server.wait_for("event", count=3)
    (issue,) = server.issues
    assert issue.count == 3
    assert issue.users == 2
    server.wait_for_output("seen 3 times")


def test_message_transaction_and_logs(server: LocalServer) -> None:
    run_python_app("checkout", "message", SENTRY_DSN=server.dsn)
    run_python_app("checkout", "transaction", SENTRY_DSN=server.dsn)
    run_python_app("checkout", "logs", SENTRY_DSN=server.dsn)
    (message,) = server.wait_for("event")
    assert message.title == "Inventory low for SKU 123"
    assert message.level == "warning"
    (tx,) = server.wait_for("transaction")
    assert tx.title is not None and tx.title.startswith("POST /checkout in ")
    assert tx.title.endswith("2 spans")
    (logs,) = server.wait_for("log")
    assert logs.level == "error"
    out = server.wait_for_output("Payment failed for 1001")
    assert "POST /checkout" in out


@pytest.mark.parametrize("compression", ["gzip", "none", "br"])
def test_python_sdk_compression(server: LocalServer, compression: str) -> None:
    run_python_app("checkout", "error", SENTRY_DSN=server.dsn, COMPRESSION=compression)
    (item,) = server.wait_for("event")
    with Store(server.store_path) as store:
        envelope = store.envelope(item.envelope_id)
    assert envelope is not None
    expected = {"gzip": "gzip", "none": None, "br": "br"}[compression]
    assert envelope.content_encoding == expected
    assert envelope.raw.startswith(b'{"event_id":')  # stored decompressed


def test_python_sdk_spotlight_without_dsn(server: LocalServer) -> None:
    run_python_app("checkout", "error", SENTRY_SPOTLIGHT=server.spotlight_url)
    (item,) = server.wait_for("event")
    assert item.title == "RuntimeError: checkout failed"
    with Store(server.store_path) as store:
        envelope = store.envelope(item.envelope_id)
    assert envelope is not None and envelope.transport == "stream"
    assert item.project == "spotlight"


def test_node_sdk_error_logs_and_spans(server: LocalServer) -> None:
    run_node_app("app", "error", SENTRY_DSN=server.dsn_for(7))
    (event,) = server.wait_for("event")
    assert event.title == "InventoryError: no stock left for SKU-RED-MUG"
    assert event.project == "7"
    assert event.sdk is not None and event.sdk.startswith("sentry.javascript.node/")
    (issue,) = server.issues
    assert issue.culprit is not None and issue.culprit.startswith("reserveStock(")

    run_node_app("app", "logs", SENTRY_DSN=server.dsn_for(7))
    (logs,) = server.wait_for("log")
    assert logs.level == "error"
    run_node_app("app", "spans", SENTRY_DSN=server.dsn_for(7))
    spans = server.wait_for(predicate=lambda i: i.type in ("span", "transaction"))
    assert any("rebuild-index" in (s.title or "") for s in spans)
    server.wait_for_output("Gateway timeout")


def test_node_sdk_spotlight(server: LocalServer) -> None:
    run_node_app("app", "spotlight", SENTRY_SPOTLIGHT=server.spotlight_url)
    (event,) = server.wait_for("event")
    assert event.title == "InventoryError: no stock left for SKU-RED-MUG"


# -- HTTP details ------------------------------------------------------------------------------


def test_answers_follow_relay(server: LocalServer) -> None:
    status, headers, body = post(f"{server.url}/api/3/envelope/", ERROR_ENVELOPE, AUTH)
    assert status == 200
    event_id = json.loads(ERROR_ENVELOPE.split(b"\n")[0])["event_id"]
    assert json.loads(body) == {"id": event_id}
    assert headers["Access-Control-Allow-Origin"] == "*"
    # a header-only envelope has no event id: {}
    status, _, body = post(f"{server.url}/api/3/envelope/", b"{}\n", AUTH)
    assert (status, json.loads(body)) == (200, {})
    assert server.wait_for("event")[0].project == "3"


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("br", brotli.compress),
        ("zstd", zstandard.ZstdCompressor().compress),
        ("deflate", __import__("zlib").compress),
        ("", lambda b: b),
    ],
)
def test_content_encodings(server: LocalServer, encoding: str, compress: object) -> None:
    body = compress(ERROR_ENVELOPE)  # type: ignore[operator]
    status, _, _ = post(
        f"{server.url}/api/1/envelope/", body, {**AUTH, "Content-Encoding": encoding}
    )
    assert status == 200
    server.wait_for("event")


def test_browser_style_request(server: LocalServer) -> None:
    """Query-string auth, text/plain body, a CORS preflight first (what browser SDKs do)."""
    url = f"{server.url}/api/5/envelope/?sentry_version=7&sentry_key=browserkey&sentry_client=sentry.javascript.browser%2F9.1.0"
    status, headers, _ = post(
        url,
        b"",
        {
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        method="OPTIONS",
    )
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "content-type" in headers["Access-Control-Allow-Headers"]
    assert "x-sentry-rate-limits" in headers["Access-Control-Expose-Headers"]
    envelope = (
        b'{"event_id":"0123456789abcdef0123456789abcdef","sent_at":"2026-11-25T10:00:00.000Z",'
        b'"sdk":{"name":"sentry.javascript.browser","version":"9.1.0"}}\n'
        b'{"type":"event"}\n'
        b'{"exception":{"values":[{"type":"TypeError","value":"x is undefined","stacktrace":{"frames":'
        b'[{"filename":"http://localhost:5173/src/App.jsx","function":"onClick","lineno":12,"in_app":true}]}}]},'
        b'"platform":"javascript","timestamp":1764064800.5}'
    )
    status, headers, body = post(
        url,
        envelope,
        {"Content-Type": "text/plain;charset=UTF-8", "Origin": "http://localhost:5173"},
    )
    assert status == 200, body
    assert json.loads(body) == {"id": "0123456789abcdef0123456789abcdef"}
    assert headers["Access-Control-Allow-Origin"] == "*"
    (item,) = server.wait_for("event")
    assert item.title == "TypeError: x is undefined"
    assert item.sdk == "sentry.javascript.browser/9.1.0"
    assert item.project == "5"


# -- which web pages may send --------------------------------------------------------------

#: What a browser SDK sends: query-string auth, a text/plain body (no preflight needed).
BROWSER_QUERY = (
    "?sentry_version=7&sentry_key=browserkey&sentry_client=sentry.javascript.browser%2F9.1.0"
)
BROWSER = {"Content-Type": "text/plain;charset=UTF-8"}


def refusal(origin: str) -> str:
    return (
        f"origin {origin} is not allowed to send to devsentry; start devsentry serve with "
        f"--allow-origin {origin} to accept it"
    )


def send_from(url: str, origin: str, method: str = "POST") -> tuple[int, bytes]:
    """A browser SDK's POST from a page of `origin` (or its preflight, method OPTIONS)."""
    if method == "OPTIONS":
        headers = {
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        }
        status, _, body = post(f"{url}/api/1/envelope/{BROWSER_QUERY}", b"", headers, "OPTIONS")
    else:
        headers = {**BROWSER, "Origin": origin}
        status, _, body = post(f"{url}/api/1/envelope/{BROWSER_QUERY}", ERROR_ENVELOPE, headers)
    return status, body


def rejected_rows(store: Path) -> list[tuple[int, str, bytes, str | None, str | None]]:
    with Store(store, readonly=True) as db:
        return db.db.execute(
            "SELECT status, reason, raw, client, remote_addr FROM rejected ORDER BY id"
        ).fetchall()


def test_a_web_page_of_another_origin_is_refused_and_kept(server: LocalServer) -> None:
    """Any website can POST text/plain to 127.0.0.1 without a preflight: it gets a 403 that
    names the option, its preflight too, and what it sent is kept but never stored as data."""
    status, body = send_from(server.url, "https://evil.example")
    assert status == 403
    assert json.loads(body) == {"detail": refusal("https://evil.example")}
    status, body = send_from(server.url, "https://evil.example", method="OPTIONS")
    assert status == 403
    assert json.loads(body) == {"detail": refusal("https://evil.example")}
    status, body = send_from(server.url, "null")  # a sandboxed frame, a file: page
    assert (status, json.loads(body)) == (403, {"detail": refusal("null")})

    assert post(f"{server.url}/api/1/envelope/", ERROR_ENVELOPE, AUTH)[0] == 200  # no Origin
    server.wait_for("event")
    with Store(server.store_path) as store:
        assert store.count_envelopes() == 1
    rows = rejected_rows(server.store_path)
    assert [(r[0], r[1]) for r in rows] == [
        (403, refusal("https://evil.example")),
        (403, refusal("null")),
    ]  # the POSTs; a preflight has no body to keep
    _, _, raw, client, remote_addr = rows[0]
    assert raw == ERROR_ENVELOPE
    assert client == "sentry.javascript.browser/9.1.0"
    assert remote_addr == "127.0.0.1"


def test_pages_on_loopback_are_accepted_on_any_port(server: LocalServer) -> None:
    origins = [
        "http://localhost",
        "http://localhost:5173",
        "https://localhost:8443",
        "http://127.0.0.1:3000",
        "http://127.1.2.3:8080",
        "http://[::1]:4200",
        "https://[::1]",
    ]
    for origin in origins:
        assert send_from(server.url, origin, method="OPTIONS")[0] == 200, origin
        status, body = send_from(server.url, origin)
        assert status == 200, (origin, body)
    server.wait_for("event", count=len(origins))
    assert rejected_rows(server.store_path) == []


def test_lookalikes_of_loopback_are_refused(server: LocalServer) -> None:
    lookalikes = [
        "http://localhost.evil.example",
        "http://127.0.0.1.nip.io:3000",
        "http://evil.example:8969",
        "http://localhost@evil.example",
        "http://[::2]:3000",
        "http://[::ffff:7f00:1]",
        "ftp://localhost",
        "http://128.0.0.1",
        "",
    ]
    for origin in lookalikes:
        status, body = send_from(server.url, origin)
        assert status == 403, (origin, body)
        assert json.loads(body) == {"detail": refusal(origin)}
    assert [r[0] for r in rejected_rows(server.store_path)] == [403] * len(lookalikes)
    with Store(server.store_path) as store:
        assert store.count_envelopes() == 0


def test_allowed_origins_through_serving(tmp_path: Path) -> None:
    """`serving(origins=…)` is what `serve --allow-origin` builds; `*` accepts any page."""

    def start(policy: OriginPolicy, name: str) -> Background[Server]:
        return Background(lambda: serving(tmp_path / f"{name}.db", port=0, origins=policy), name)

    named = start(OriginPolicy.parse(["https://app.example.com, http://intranet:8080"]), "named")
    server = named.start()
    try:
        assert send_from(server.base_url, "https://app.example.com")[0] == 200
        assert send_from(server.base_url, "http://intranet:8080", method="OPTIONS")[0] == 200
        assert send_from(server.base_url, "http://localhost:3000")[0] == 200  # loopback still
        assert send_from(server.base_url, "http://intranet:8081")[0] == 403
        assert send_from(server.base_url, "http://app.example.com")[0] == 403  # not https
    finally:
        named.stop()
    anywhere = start(OriginPolicy.parse(["*"]), "any")
    server = anywhere.start()
    try:
        assert send_from(server.base_url, "https://evil.example")[0] == 200
        assert send_from(server.base_url, "null", method="OPTIONS")[0] == 200
    finally:
        anywhere.stop()


def test_serve_allow_origin_option_and_env_twin(tmp_path: Path) -> None:
    """The real CLI: --allow-origin, and DEVSENTRY_ALLOW_ORIGIN with several origins."""
    store = tmp_path / "cli.db"
    proc, dsn, _ = start_serve(store, "--allow-origin", "https://app.example.com")
    try:
        url = "http://127.0.0.1:" + dsn.rsplit(":", 1)[1].split("/")[0]
        assert send_from(url, "https://app.example.com")[0] == 200
        assert send_from(url, "https://app.example.com:443", method="OPTIONS")[0] == 200
        assert send_from(url, "https://other.example.com")[0] == 403
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=15)
    proc, dsn, _ = start_serve(
        store, DEVSENTRY_ALLOW_ORIGIN="https://a.example, https://b.example:8443,http://c.test"
    )
    try:
        url = "http://127.0.0.1:" + dsn.rsplit(":", 1)[1].split("/")[0]
        for origin in ("https://a.example", "https://b.example:8443", "http://c.test"):
            assert send_from(url, origin)[0] == 200, origin
        assert send_from(url, "https://evil.example")[0] == 403
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=15)
    assert proc.returncode == 130


@pytest.mark.parametrize("value", ["app.example.com", "https://app.example.com/path", "http://"])
def test_serve_refuses_what_is_no_origin(value: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["serve", "--port", "0", "--store", str(tmp_path / "s.db"), "--allow-origin", value]
    )
    assert result.exit_code == 2
    assert "is not an origin" in result.output
    assert not (tmp_path / "s.db").exists()


def test_legacy_store_endpoint(server: LocalServer) -> None:
    event = {
        "event_id": "fedcba9876543210fedcba9876543210",
        "message": "legacy hello",
        "level": "info",
        "platform": "python",
    }
    status, _, body = post(
        f"{server.url}/api/2/store/",
        json.dumps(event).encode(),
        {**AUTH, "Content-Type": "application/json"},
    )
    assert status == 200
    assert json.loads(body) == {"id": "fedcba9876543210fedcba9876543210"}
    (item,) = server.wait_for("event")
    assert item.title == "legacy hello"


def test_malformed_envelope_is_refused_kept_and_server_goes_on(server: LocalServer) -> None:
    bad = b'{"event_id":"x"}\n{"type":"event","length":500}\n{"short": true}\n'
    status, _, body = post(f"{server.url}/api/1/envelope/", bad, AUTH)
    assert status == 400
    assert "payload truncated" in json.loads(body)["detail"]
    status, _, body = post(f"{server.url}/api/1/envelope/", b"\x00\x01 not json", AUTH)
    assert status == 400
    assert "envelope header is not valid JSON" in json.loads(body)["detail"]
    status, _, body = post(
        f"{server.url}/api/1/envelope/", b"x", {**AUTH, "Content-Encoding": "gzip"}
    )
    assert status == 400
    assert "not valid gzip" in json.loads(body)["detail"]
    # the server still serves
    status, _, _ = post(f"{server.url}/api/1/envelope/", ERROR_ENVELOPE, AUTH)
    assert status == 200
    server.wait_for("event")
    with Store(server.store_path) as store:
        rows = store.db.execute("SELECT status, reason, raw FROM rejected ORDER BY id").fetchall()
    assert [r[0] for r in rows] == [400, 400, 400]
    assert rows[0][2] == bad  # the bytes are kept for inspection


def test_compression_bomb_gets_413(server: LocalServer) -> None:
    bomb = gzip.compress(b"{}\n" + b" " * (150 * 1024 * 1024))
    status, _, body = post(
        f"{server.url}/api/1/envelope/", bomb, {**AUTH, "Content-Encoding": "gzip"}
    )
    assert status == 413
    assert "compression bomb" in json.loads(body)["detail"]
    assert post(f"{server.url}/api/1/envelope/", ERROR_ENVELOPE, AUTH)[0] == 200


def test_bad_auth_is_400_with_detail(server: LocalServer) -> None:
    status, _, body = post(
        f"{server.url}/api/1/envelope/",
        ERROR_ENVELOPE,
        {"X-Sentry-Auth": "Sentry sentry_version=7"},
    )
    assert status == 400
    assert "missing sentry_key" in json.loads(body)["detail"]


def test_unknown_path_is_404_with_hint_and_health(server: LocalServer) -> None:
    status, _, body = post(f"{server.url}/api/1/nope/", b"{}")
    assert status == 404
    assert "POST /api/<project>/envelope/" in json.loads(body)["detail"]
    with urllib.request.urlopen(f"{server.url}/health", timeout=5) as response:
        assert json.loads(response.read())["status"] == "ok"


def test_store_survives_restart(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with LocalServer(path) as first:
        assert post(f"{first.url}/api/1/envelope/", ERROR_ENVELOPE, AUTH)[0] == 200
    with LocalServer(path) as second:
        assert post(f"{second.url}/api/1/envelope/", ERROR_ENVELOPE, AUTH)[0] == 200
        items = second.wait_for("event", count=2)
        assert len(items) == 2
        (issue,) = second.issues
        assert issue.count == 2


def start_serve(store: Path, *args: str, **env: str) -> tuple[subprocess.Popen[str], str, float]:
    """`devsentry serve --port 0` as a real process: the process, the DSN its banner prints,
    and the deadline the test has to finish by. The caller stops it (SIGINT)."""
    from tests.conftest import clean_env

    proc = subprocess.Popen(
        [sys.executable, "-m", "devsentry", "serve", "--port", "0", "--store", str(store), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(COLUMNS="120", **env),
    )
    assert proc.stdout is not None
    banner = ""
    deadline = time.monotonic() + 15
    while "DSN" not in banner:
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail(f"no banner: {banner!r} {proc.communicate()[1]}")
        banner += proc.stdout.readline()
    return proc, banner.split("DSN", 1)[1].split()[0], deadline


def test_serve_runs_as_a_command_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    """The real CLI: banner with the DSN, an envelope stored, Ctrl-C exits 130 with no trace."""
    store = tmp_path / "cli.db"
    proc, dsn, deadline = start_serve(store)
    try:
        assert proc.stdout is not None
        assert dsn.startswith("http://devsentry@127.0.0.1:") and dsn.endswith("/1")
        port = dsn.rsplit(":", 1)[1].split("/")[0]
        status, _, _ = post(f"http://127.0.0.1:{port}/api/1/envelope/", ERROR_ENVELOPE, AUTH)
        assert status == 200
        line = ""
        while "ERROR" not in line:
            assert time.monotonic() < deadline, "the live console printed nothing"
            line = proc.stdout.readline()
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    with Store(store) as db:
        assert db.count_envelopes() == 1


def test_every_acknowledged_envelope_survives_sigkill_under_load(tmp_path: Path) -> None:
    """Killed mid-flood (no chance to flush or close), a restarted devsentry has every
    envelope it answered 200 for, and indexes the ones it had not indexed yet."""
    import http.client
    import threading
    import uuid

    store = tmp_path / "store.db"
    proc, dsn, _ = start_serve(store, "--quiet")
    port = int(dsn.rsplit(":", 1)[1].split("/")[0])
    template = ERROR_ENVELOPE.decode()
    old_id = parse(ERROR_ENVELOPE).event_id or ""
    acknowledged: list[str] = []
    stop = threading.Event()

    def flood() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            while not stop.is_set():
                event_id = uuid.uuid4().hex
                body = template.replace(old_id, event_id).encode()
                try:
                    connection.request("POST", "/api/1/envelope/", body, AUTH)
                    response = connection.getresponse()
                    response.read()
                except OSError:
                    return  # the server is gone
                if response.status == 200:
                    acknowledged.append(event_id)
        finally:
            connection.close()

    threads = [threading.Thread(target=flood) for _ in range(4)]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(acknowledged) > 300, "300 acknowledged envelopes", timeout=30)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)  # and close its pipes
    stop.set()
    for thread in threads:
        thread.join(10)
    answered = set(acknowledged)
    with Store(store, readonly=True) as db:
        stored = {row[0] for row in db.db.execute("SELECT event_id FROM envelopes")}
    assert answered <= stored, f"{len(answered - stored)} acknowledged envelopes are missing"
    with LocalServer(store, console=False) as restarted:
        restarted.wait_for("event", count=len(stored), timeout=60)
