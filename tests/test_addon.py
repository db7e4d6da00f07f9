"""The mitmproxy addon with the real parts: embedded mitmproxy, the real SDK, a real HTTPS
upstream, and plain `mitmdump -s`. Nothing here touches the network: Sentry hosts are
answered by the addon, and the only upstream is a server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import datetime
import io
import ipaddress
import json
import socket
import sqlite3
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from mitmproxy import exceptions
from mitmproxy.addons.proxyserver import Proxyserver
from mitmproxy.test import taddons, tflow
from rich.console import Console

from devsentry.cli import cli
from devsentry.service import Background, intercepting, make_sinks
from devsentry.store import EnvelopeRecord, Query, Store
from devsentry.transports import addon
from devsentry.transports.addon import DevSentry
from devsentry.transports.intercept import InterceptError, Proxy
from tests.conftest import FIXTURES, clean_env, run_node_app, run_python_app, wait_until

T = TypeVar("T")

SENTRY_DSN = "https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.io/1"
ENVELOPE_URL = "https://o1.ingest.sentry.io/api/1/envelope/"
ERROR_ENVELOPE = (FIXTURES / "python" / "error_plain.envelope").read_bytes()
AUTH = "Sentry sentry_key=0123456789abcdef0123456789abcdef, sentry_version=7"


def envelopes(store: Path) -> list[EnvelopeRecord]:
    if not store.exists():
        return []
    with Store(store, readonly=True) as db:
        rows = db.db.execute("SELECT id FROM envelopes ORDER BY id").fetchall()
        return [e for (i,) in rows if (e := db.envelope(i)) is not None]


def item_types(store: Path) -> list[str]:
    with Store(store, readonly=True) as db:
        return [i.type for i in db.items(Query(limit=None), oldest_first=True)]


# -- a real mitmproxy, embedded, on port 0 ----------------------------------------------------


class Connections:
    """An extra mitmproxy addon: every upstream connection mitmproxy opens."""

    def __init__(self) -> None:
        self.hosts: list[str] = []

    def server_connect(self, data: Any) -> None:
        self.hosts.append(str(data.server.address[0]))


@dataclass
class RunningProxy:
    proxy: Proxy
    store: Path
    output: io.StringIO
    connections: Connections
    background: Background[Proxy] = field(repr=False)

    def opener(self) -> urllib.request.OpenerDirector:
        """urllib through the proxy, trusting its CA (and only its CA)."""
        context = ssl.create_default_context(cafile=str(self.proxy.ca_cert))
        return urllib.request.build_opener(
            urllib.request.ProxyHandler({"https": self.proxy.url, "http": self.proxy.url}),
            urllib.request.HTTPSHandler(context=context),
        )

    def send(
        self, url: str, body: bytes | None, headers: dict[str, str], method: str = "POST"
    ) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        try:
            with self.opener().open(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as err:
            with err:
                return err.code, dict(err.headers), err.read()


def start_proxy(tmp_path: Path, **options: Any) -> RunningProxy:
    output = io.StringIO()
    console = Console(file=output, width=100, color_system=None, highlight=False)
    connections = Connections()
    store = tmp_path / "store.db"
    background: Background[Proxy] = Background(
        lambda: intercepting(
            store,
            port=0,
            confdir=tmp_path / "mitmproxy",
            sinks=make_sinks(console),
            addons=[connections],
            mitmproxy_options=options,
        ),
        "test-proxy",
    )
    return RunningProxy(background.start(), store, output, connections, background)


@pytest.fixture
def proxy(tmp_path: Path, upstream: Upstream) -> Iterator[RunningProxy]:
    running = start_proxy(tmp_path, ssl_verify_upstream_trusted_ca=str(upstream.cert))
    try:
        yield running
    finally:
        running.background.stop()


# -- a real HTTPS upstream on 127.0.0.1 with a self-signed certificate ------------------------


@dataclass
class Upstream:
    port: int
    cert: Path
    seen: list[dict[str, Any]]

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "devsentry test upstream")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "upstream.pem", directory / "upstream.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[Upstream]:
    """An HTTPS server that records what reached it and echoes it back."""
    seen: list[dict[str, Any]] = []

    class Echo(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
            answer = json.dumps({"echo": body.decode(), "path": self.path}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Upstream", "local")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    cert, key = self_signed(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Upstream(server.server_address[1], cert, seen)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# -- the real SDK through the embedded proxy --------------------------------------------------


@pytest.mark.parametrize("compression", ["br", "gzip"])
def test_python_sdk_through_the_proxy_is_stored_and_answered_locally(
    proxy: RunningProxy, compression: str
) -> None:
    run_python_app(
        "checkout",
        "error",
        SENTRY_DSN=SENTRY_DSN,
        HTTPS_PROXY=proxy.proxy.url,
        SSL_CERT_FILE=str(proxy.proxy.ca_cert),
        COMPRESSION=compression,
    )
    (record,) = wait_until(lambda: envelopes(proxy.store), "the SDK's envelope was never stored")
    assert record.transport == "proxy"
    assert record.project == "1"
    assert record.content_encoding == compression  # the raw body, decoded by devsentry
    assert record.client is not None and record.client.startswith("sentry.python")
    assert record.raw.startswith(b'{"event_id":')
    wait_until(
        lambda: "RuntimeError: checkout failed" in proxy.output.getvalue(),
        f"the live console never showed the error:\n{proxy.output.getvalue()}",
    )
    assert "new issue DS-1" in proxy.output.getvalue()
    assert not [h for h in proxy.connections.hosts if "sentry" in h], "went upstream"


def test_node_sdk_through_the_proxy_with_the_lowercase_variable(proxy: RunningProxy) -> None:
    """@sentry/node reads only `https_proxy`, and trusts the CA through NODE_EXTRA_CA_CERTS."""
    run_node_app(
        "app",
        "error",
        SENTRY_DSN=SENTRY_DSN.replace("/1", "/7"),
        https_proxy=proxy.proxy.url,
        NODE_EXTRA_CA_CERTS=str(proxy.proxy.ca_cert),
    )
    records = wait_until(lambda: envelopes(proxy.store), "the Node SDK's envelope was never stored")
    assert {r.transport for r in records} == {"proxy"}
    assert {r.project for r in records} == {"7"}
    wait_until(
        lambda: "InventoryError: no stock left for SKU-RED-MUG" in proxy.output.getvalue(),
        f"the live console never showed the error:\n{proxy.output.getvalue()}",
    )
    assert proxy.connections.hosts == []


def test_answers_are_relays_with_cors_and_refusals_are_kept(proxy: RunningProxy) -> None:
    status, headers, body = proxy.send(
        ENVELOPE_URL, ERROR_ENVELOPE, {"X-Sentry-Auth": AUTH, "Origin": "http://localhost:3000"}
    )
    assert status == 200
    event_id = json.loads(ERROR_ENVELOPE.split(b"\n", 1)[0])["event_id"].replace("-", "")
    assert json.loads(body) == {"id": event_id}
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "x-sentry-rate-limits" in headers["Access-Control-Expose-Headers"]

    status, headers, body = proxy.send(ENVELOPE_URL, None, {"Origin": "x"}, method="OPTIONS")
    assert status == 200
    assert "x-sentry-auth" in headers["Access-Control-Allow-Headers"]

    status, _, body = proxy.send(ENVELOPE_URL, b"not an envelope\n", {"X-Sentry-Auth": AUTH})
    assert status == 400
    assert json.loads(body)["detail"]
    with Store(proxy.store, readonly=True) as db:
        (rejected,) = db.db.execute("SELECT raw, status FROM rejected").fetchall()
    assert rejected == (b"not an envelope\n", 400)
    assert proxy.connections.hosts == []


def test_a_locked_store_is_a_503_with_retry_after_through_the_proxy(proxy: RunningProxy) -> None:
    """The addon sends what the pipeline decided, extra headers included (as the server does)."""
    assert proxy.send(ENVELOPE_URL, ERROR_ENVELOPE, {"X-Sentry-Auth": AUTH})[0] == 200
    other = sqlite3.connect(proxy.store, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program writing the store
    try:
        status, headers, body = proxy.send(ENVELOPE_URL, ERROR_ENVELOPE, {"X-Sentry-Auth": AUTH})
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert status == 503
    assert headers["Retry-After"] == "1"
    assert "locked by another program" in json.loads(body)["detail"]
    wait_until(
        lambda: proxy.send(ENVELOPE_URL, ERROR_ENVELOPE, {"X-Sentry-Auth": AUTH})[0] == 200,
        "a 200 once the lock was released",
    )
    assert proxy.connections.hosts == []


def test_legacy_routes_through_the_proxy(proxy: RunningProxy) -> None:
    """Store, security and minidump uploads to sentry.io are recorded as envelopes too."""
    event = {"event_id": "a" * 32, "message": "from the store endpoint", "level": "info"}
    store_url = "https://o1.ingest.sentry.io/api/1/store/"
    status, _, body = proxy.send(store_url, json.dumps(event).encode(), {"X-Sentry-Auth": AUTH})
    assert (status, json.loads(body)) == (200, {"id": "a" * 32})

    report = {"csp-report": {"document-uri": "http://localhost/", "violated-directive": "img"}}
    security = "https://o1.ingest.sentry.io/api/1/security/?sentry_key=k&sentry_release=1.0"
    status, _, _ = proxy.send(
        security, json.dumps(report).encode(), {"Content-Type": "application/csp-report"}
    )
    assert status == 200

    boundary = "devsentry-boundary"
    form = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="sentry[release]"\r\n\r\n2.0\r\n'
            f"--{boundary}\r\nContent-Disposition: form-data; "
            'name="upload_file_minidump"; filename="crash.dmp"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + b"MDMP\x93\xa7\x00\x00binary"
        + f"\r\n--{boundary}--\r\n".encode()
    )
    status, headers, body = proxy.send(
        "https://o1.ingest.sentry.io/api/1/minidump/?sentry_key=k",
        form,
        {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain")
    assert len(body.decode().replace("-", "")) == 32

    wait_until(lambda: len(envelopes(proxy.store)) == 3, "not all three were stored")
    types = wait_until(
        lambda: (t := item_types(proxy.store)) and len(t) == 4 and t, "items not indexed"
    )
    assert sorted(types) == ["attachment", "event", "event", "raw_security"]
    assert proxy.connections.hosts == []


# -- what passes through ----------------------------------------------------------------------


def test_other_https_traffic_passes_through_unchanged_and_unrecorded(
    proxy: RunningProxy, upstream: Upstream
) -> None:
    body = b'{"order": 1001, "gzip": "no, really"}'
    status, headers, answer = proxy.send(
        upstream.url("/api/orders?x=1"),
        body,
        {"Content-Type": "application/json", "Content-Encoding": "identity", "X-Trace": "t1"},
    )
    assert status == 201
    assert headers["X-Upstream"] == "local"
    assert json.loads(answer) == {"echo": body.decode(), "path": "/api/orders?x=1"}
    (seen,) = upstream.seen
    assert seen["body"] == body
    assert seen["headers"]["X-Trace"] == "t1"
    # An ingest route on another host is not Sentry's without Sentry auth: it passes too.
    status, _, _ = proxy.send(upstream.url("/api/1/envelope/"), ERROR_ENVELOPE, {})
    assert status == 201
    assert len(upstream.seen) == 2
    assert envelopes(proxy.store) == []
    assert proxy.output.getvalue() == ""


def test_sentry_auth_makes_any_host_sentry(proxy: RunningProxy, upstream: Upstream) -> None:
    """A self-hosted Sentry is recognized by the request's auth, and answered here."""
    status, _, body = proxy.send(
        upstream.url("/sentry/api/7/envelope/?sentry_key=abc&sentry_version=7"), ERROR_ENVELOPE, {}
    )
    assert status == 200
    assert "id" in json.loads(body)
    assert upstream.seen == []
    (record,) = wait_until(lambda: envelopes(proxy.store), "not stored")
    assert record.project == "7"


def test_probe_tells_devsentry_intercept_apart(proxy: RunningProxy) -> None:
    status, _, body = proxy.send("http://devsentry.invalid/health", None, {}, method="GET")
    info = json.loads(body)
    assert status == 200
    assert info["service"] == "devsentry-intercept"
    assert info["ca_cert"] == str(proxy.proxy.ca_cert)
    assert info["store"] == str(proxy.store)
    assert proxy.proxy.ca_cert.is_file()


def test_port_in_use_is_an_intercept_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        background: Background[Proxy] = Background(
            lambda: intercepting(tmp_path / "s.db", port=port, confdir=tmp_path / "m"), "t"
        )
        with pytest.raises(InterceptError, match=f"cannot listen on 127.0.0.1:{port}"):
            background.start()
        background.stop()


# -- the addon on its own: recognition and options --------------------------------------------


#: A body of each route's kind, and the item types devsentry stores for it.
BODIES = {
    "envelope": (ERROR_ENVELOPE, ["event"]),
    "store": (b'{"message": "from the legacy store route"}', ["event"]),
    "security": (b'{"csp-report": {"document-uri": "https://app.test/"}}', ["raw_security"]),
    "minidump": (b"MDMP" + bytes(64), ["event", "attachment"]),
}


def in_loop(body: Callable[[], Any]) -> Any:
    """Run `body` (a function or a coroutine function) with a running event loop that is
    closed afterwards: mitmproxy's test context makes its own otherwise, and mitmproxy 11's
    never closes it."""

    async def main() -> Any:
        result = body()
        return await result if asyncio.iscoroutine(result) else result

    return asyncio.run(main())


@pytest.mark.parametrize(
    ("method", "url", "headers", "route"),
    [
        # sentry.io's ingest hosts, every ingest route
        ("POST", "https://o1.ingest.sentry.io/api/1/envelope/", {}, ("envelope", "1")),
        ("POST", "https://o1.ingest.us.sentry.io/api/22/envelope/", {}, ("envelope", "22")),
        ("POST", "https://sentry.io/api/3/store/", {}, ("store", "3")),
        ("POST", "https://o1.ingest.sentry.io/api/1/security/", {}, ("security", "1")),
        ("POST", "https://o1.ingest.sentry.io/api/1/csp-report/", {}, ("security", "1")),
        ("POST", "https://o1.ingest.sentry.io/api/1/minidump", {}, ("minidump", "1")),
        ("OPTIONS", "https://o1.ingest.sentry.io/api/1/envelope/", {}, ("envelope", "1")),
        ("POST", "https://O1.INGEST.SENTRY.IO/api/1/envelope/", {}, ("envelope", "1")),
        # ... but not their other routes or methods
        ("GET", "https://o1.ingest.sentry.io/api/1/envelope/", {}, None),
        ("POST", "https://sentry.io/api/0/projects/", {}, None),
        ("POST", "https://notsentry.io/api/1/envelope/", {}, None),
        ("POST", "https://o1.ingest.sentry.io/stream", {}, None),
        # any host with Sentry auth, behind a DSN path prefix too
        ("POST", "http://sentry.corp/api/1/envelope/", {"X-Sentry-Auth": AUTH}, ("envelope", "1")),
        ("POST", "http://10.0.0.5:9000/s/api/4/envelope/?sentry_key=k", {}, ("envelope", "4")),
        (
            "POST",
            "http://sentry.corp/api/1/store/",
            {"Authorization": "Sentry sentry_key=k"},
            ("store", "1"),
        ),
        ("POST", "http://sentry.corp/api/1/envelope/", {}, None),
        ("POST", "http://sentry.corp/api/1/other/", {"X-Sentry-Auth": AUTH}, None),
        # a real web app's browser SDK, from any origin: `serve`'s origin rule is not the addon's
        (
            "POST",
            "https://o1.ingest.sentry.io/api/1/envelope/?sentry_key=k",
            {"Origin": "https://shop.example.com", "Content-Type": "text/plain;charset=UTF-8"},
            ("envelope", "1"),
        ),
        (
            "OPTIONS",
            "https://o1.ingest.sentry.io/api/1/envelope/",
            {"Origin": "https://shop.example.com", "Access-Control-Request-Method": "POST"},
            ("envelope", "1"),
        ),
        ("POST", "http://example.com/search?q=sentry_key", {}, None),
    ],
)
def test_recognition(
    method: str,
    url: str,
    headers: dict[str, str],
    route: tuple[str, str] | None,
    tmp_path: Path,
) -> None:
    """Through the addon's own `request` hook, with mitmproxy's test flows: what is Sentry is
    answered here and stored under the route's kind and project; the rest passes untouched."""
    store = tmp_path / "s.db"
    recorder = DevSentry()
    flow = tflow.tflow()
    flow.request.method = method
    flow.request.url = url
    flow.request.headers.clear()
    flow.request.headers.update(headers)
    body, types = BODIES[route[0] if route else "envelope"]
    flow.request.content = body

    async def scenario() -> None:
        with taddons.context(recorder) as tctx:
            tctx.configure(recorder, devsentry_store=str(store))
            await recorder.request(flow)
            recorder.done()

    in_loop(scenario)
    if route is None:
        assert flow.response is None  # not ours: mitmproxy sends it on
        assert not envelopes(store)
        return
    assert flow.response is not None
    assert flow.response.status_code == 200, flow.response.text
    assert flow.response.headers["Access-Control-Allow-Origin"] == "*"
    if method == "OPTIONS":
        assert not envelopes(store)  # a preflight stores nothing
        return
    (stored,) = envelopes(store)
    assert (stored.transport, stored.project) == ("proxy", route[1])
    assert item_types(store) == types


def test_devsentry_hosts_option_adds_hosts_and_names_bad_ones(tmp_path: Path) -> None:
    recorder = DevSentry()
    url = "https://sentry.mycorp.dev/api/2/envelope/"

    def flow() -> Any:
        made = tflow.tflow()
        made.request.method, made.request.url = "POST", url
        made.request.headers.clear()
        made.request.content = ERROR_ENVELOPE
        return made

    async def scenario() -> None:
        with taddons.context(recorder) as tctx:
            tctx.configure(recorder, devsentry_store=str(tmp_path / "s.db"))
            before = flow()
            await recorder.request(before)
            assert before.response is None  # an unknown host without Sentry auth
            tctx.configure(recorder, devsentry_hosts=["*.mycorp.dev"])
            after = flow()
            await recorder.request(after)
            assert after.response is not None and after.response.status_code == 200
            with pytest.raises(exceptions.OptionsError, match="not a host name"):
                tctx.configure(recorder, devsentry_hosts=["https://sentry.mycorp.dev"])
            recorder.done()

    in_loop(scenario)
    assert [e.project for e in envelopes(tmp_path / "s.db")] == ["2"]


def test_the_addon_makes_connections_lazy_once() -> None:
    """Offline, eager connections would never let a Sentry request reach the addon."""
    recorder = DevSentry()

    def body() -> None:
        with taddons.context(Proxyserver(), recorder) as tctx:
            assert tctx.options.connection_strategy == "eager"
            tctx.configure(recorder, connection_strategy="eager")
            assert tctx.options.connection_strategy == "lazy"
            tctx.options.connection_strategy = "eager"  # the user's later choice is kept
            assert tctx.options.connection_strategy == "eager"

    in_loop(body)


def test_addon_path_prints_the_module_file() -> None:
    result = CliRunner().invoke(cli, ["addon-path"])
    assert result.exit_code == 0
    assert Path(result.output.strip()) == Path(addon.__file__)
    assert addon.addons and isinstance(addon.addons[0], DevSentry)


# -- plain mitmdump -s ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_plain_mitmdump_loads_the_addon_and_records_offline(tmp_path: Path) -> None:
    mitmdump = Path(sys.executable).parent / "mitmdump"
    port, store, confdir = free_port(), tmp_path / "store.db", tmp_path / "mitmproxy"
    proc = subprocess.Popen(
        [
            str(mitmdump),
            "-s",
            addon.__file__,
            "--listen-host",
            "127.0.0.1",
            "--listen-port",
            str(port),
            "--set",
            f"confdir={confdir}",
            "--set",
            f"devsentry_store={store}",
        ],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:

        def listening() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"mitmdump exited:\n{proc.communicate()[0]}")
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", port)) == 0

        wait_until(listening, "mitmdump never listened", timeout=20)
        run_python_app(
            "checkout",
            "message",
            SENTRY_DSN=SENTRY_DSN,
            HTTPS_PROXY=f"http://127.0.0.1:{port}",
            SSL_CERT_FILE=str(confdir / "mitmproxy-ca-cert.pem"),
        )
        (record,) = wait_until(lambda: envelopes(store), "mitmdump's addon stored nothing")
        assert record.transport == "proxy"
    finally:
        proc.terminate()
        output = proc.communicate(timeout=20)[0]
    assert "devsentry: setting connection_strategy=lazy" in output
    assert "devsentry: recorded POST https://o1.ingest.sentry.io/api/1/envelope/" in output
    assert item_types(store) == ["event"]  # `done` indexed it before closing the store
