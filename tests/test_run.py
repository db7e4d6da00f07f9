"""`devsentry run` and `devsentry intercept` end to end: the real CLI in a subprocess, the real
SDK as the command, real servers on free ports. No network: Sentry hosts are answered by
devsentry."""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from devsentry.service import Background, intercepting
from devsentry.testing import LocalServer
from devsentry.transports.intercept import Proxy
from tests.conftest import APPS, clean_env
from tests.test_addon import SENTRY_DSN, envelopes, wait_until

CHECKOUT = str(APPS / "checkout.py")


def devsentry(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devsentry", *args],
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# -- run: SENTRY_DSN to a devsentry serve -----------------------------------------------------


def test_run_starts_a_server_for_the_command_and_shows_what_it_sent(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    proc = devsentry("run", "--port", "0", "--store", str(store), "--", sys.executable, CHECKOUT)
    assert proc.returncode == 0, proc.stderr
    assert "devsentry run: SENTRY_DSN=http://devsentry@127.0.0.1:" in proc.stderr
    assert "RuntimeError: checkout failed" in proc.stderr  # the live console, on stderr
    assert "RuntimeError" not in proc.stdout  # the command's stdout stays its own
    (record,) = envelopes(store)
    assert record.transport == "envelope"


def test_run_passes_the_exit_status_through(tmp_path: Path) -> None:
    store = str(tmp_path / "store.db")
    proc = devsentry(
        "run",
        "--port",
        "0",
        "--store",
        store,
        "--",
        sys.executable,
        "-c",
        "import sys; sys.exit(3)",
    )
    assert proc.returncode == 3, proc.stderr
    proc = devsentry("run", "--port", "0", "--store", store, "--", "no-such-command-here")
    assert proc.returncode == 1
    assert "cannot run 'no-such-command-here'" in proc.stderr


def test_run_uses_a_running_server(server: LocalServer) -> None:
    port = server.url.rsplit(":", 1)[1]
    proc = devsentry("run", "--port", port, "--", sys.executable, CHECKOUT, "message")
    assert proc.returncode == 0, proc.stderr
    assert f"already serving on http://127.0.0.1:{port}" in proc.stderr
    (item,) = server.wait_for("event")
    assert item.title == "Inventory low for SKU 123"
    server.wait_for_output("Inventory low for SKU 123")  # in that server's console


def test_run_spotlight_keeps_the_apps_dsn(tmp_path: Path) -> None:
    show = "import os; print(os.environ.get('SENTRY_SPOTLIGHT'), os.environ.get('SENTRY_DSN'))"
    proc = devsentry(
        "run", "--spotlight", "--port", "0", "--store", str(tmp_path / "s.db"),
        "--", sys.executable, "-c", show,
        SENTRY_DSN="https://k@sentry.example/1",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    spotlight, dsn = proc.stdout.split()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/stream", spotlight)
    assert dsn == "https://k@sentry.example/1"


def test_run_refuses_a_port_held_by_something_else(tmp_path: Path) -> None:
    class NotDevsentry(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    other = ThreadingHTTPServer(("127.0.0.1", 0), NotDevsentry)
    thread = threading.Thread(target=other.serve_forever, daemon=True)
    thread.start()
    try:
        port = str(other.server_address[1])
        proc = devsentry("run", "--port", port, "--store", str(tmp_path / "s.db"), "--", "true")
    finally:
        other.shutdown()
        other.server_close()
    assert proc.returncode == 1
    assert f"port {port} is in use by something that is not devsentry" in proc.stderr


def test_ctrl_c_reaches_the_command_first(tmp_path: Path) -> None:
    """SIGINT to devsentry (not from a terminal) is forwarded; its exit status comes back."""
    child = (
        "import sys, time\n"
        "try:\n    print('ready', flush=True)\n    time.sleep(30)\n"
        "except KeyboardInterrupt:\n    print('child interrupted', flush=True); sys.exit(7)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "devsentry", "run", "--port", "0", "--store", str(tmp_path / "s.db"),
         "--", sys.executable, "-c", child],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    try:
        assert lines.get(timeout=20) == "ready\n", "the command never started"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 7
        assert lines.get(timeout=5) == "child interrupted\n"
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


# -- run --intercept and intercept: the app keeps its DSN -------------------------------------


def test_run_intercept_starts_a_proxy_for_the_command(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    proc = devsentry(
        "run", "--intercept", "--listen-port", "0", "--confdir", str(tmp_path / "mitmproxy"),
        "--store", str(store), "--", sys.executable, CHECKOUT, "error",
        SENTRY_DSN=SENTRY_DSN,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "devsentry run: proxy http://127.0.0.1:" in proc.stderr
    assert "RuntimeError: checkout failed" in proc.stderr
    (record,) = envelopes(store)
    assert record.transport == "proxy"


@pytest.fixture
def running_intercept(tmp_path: Path) -> Iterator[Proxy]:
    background: Background[Proxy] = Background(
        lambda: intercepting(tmp_path / "intercept.db", port=0, confdir=tmp_path / "mitm"),
        "test-intercept",
    )
    try:
        yield background.start()
    finally:
        background.stop()


def test_run_intercept_uses_a_running_intercept(tmp_path: Path, running_intercept: Proxy) -> None:
    show = "import os, json; print(json.dumps(dict(os.environ)))"
    proc = devsentry(
        "run", "--intercept", "--listen-port", str(running_intercept.port),
        "--store", str(tmp_path / "unused.db"), "--", sys.executable, "-c", show,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "already running" in proc.stderr
    env = json.loads(proc.stdout)
    ca = str(running_intercept.ca_cert)  # learned from the running proxy, not --confdir
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        assert env[name] == running_intercept.url
    for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"):
        assert env[name] == ca
    assert "SENTRY_DSN" not in env


def test_intercept_command_prints_how_to_use_it_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    store, confdir = tmp_path / "store.db", tmp_path / "mitmproxy"
    proc = subprocess.Popen(
        [sys.executable, "-m", "devsentry", "intercept", "--listen-port", "0",
         "--confdir", str(confdir), "--store", str(store), "--sentry-host", "sentry.corp"],
        env=clean_env(COLUMNS="200"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    seen: list[str] = []

    def read_until(text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in seen):
            try:
                seen.append(lines.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"never printed {text!r}:\n{''.join(seen)}") from None
        return "".join(seen)

    try:
        banner = read_until("Ctrl-C stops.")
        url = re.search(r"intercepting on (http://127\.0\.0\.1:\d+)", banner)
        assert url, banner
        ca = str(confdir / "mitmproxy-ca-cert.pem")
        for expected in (
            f"HTTPS_PROXY={url[1]}", f"https_proxy={url[1]}", f"HTTP_PROXY={url[1]}",
            f"http_proxy={url[1]}", f"SSL_CERT_FILE={ca}", f"REQUESTS_CA_BUNDLE={ca}",
            f"NODE_EXTRA_CA_CERTS={ca}", f'ca_certs="{ca}"', "transportOptions", "sentry.corp",
        ):  # fmt: skip
            assert expected in banner
        subprocess.run(
            [sys.executable, CHECKOUT, "error"],
            env=clean_env(SENTRY_DSN=SENTRY_DSN, HTTPS_PROXY=url[1], SSL_CERT_FILE=ca),
            check=True,
            timeout=60,
        )
        read_until("RuntimeError: checkout failed")
        wait_until(lambda: envelopes(store), "nothing stored")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def test_readme_shows_the_banner_intercept_prints() -> None:
    """The README's example banner is what `print_intercept_banner` prints (docs kept honest)."""
    import io

    from mitmproxy.version import VERSION
    from rich.console import Console

    from devsentry import __version__
    from devsentry.render.banner import intercept_banner
    from devsentry.transports.addon import DEFAULT_HOSTS

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    shown = readme.split("$ devsentry intercept\n", 1)[1].split("…\n```", 1)[0]
    output = io.StringIO()
    proxy = Proxy(
        "127.0.0.1",
        8080,
        Path("/home/you/.mitmproxy/mitmproxy-ca-cert.pem"),
        Path("/home/you/.local/share/devsentry/devsentry.db"),
    )
    banner = intercept_banner(
        proxy.url,
        proxy.env(),
        proxy.ca_cert,
        proxy.store,
        DEFAULT_HOSTS,
        mitmproxy_version=VERSION,
    )
    Console(file=output, width=200, color_system=None).print(banner, soft_wrap=True)
    printed = [line.rstrip() for line in output.getvalue().splitlines()]
    for line in shown.splitlines():
        line = line.replace("0.1.0.dev0", __version__).replace(
            "mitmproxy 12.3.1", f"mitmproxy {VERSION}"
        )
        assert line.rstrip() in printed
    for command in ("devsentry run --intercept -- ", 'mitmdump -s "$(devsentry addon-path)"'):
        assert command in readme
