"""The shop's three apps with their real Sentry SDKs, for tests and the fixture recorder.

- The browser page (`tests/browser/`, @sentry/browser bundled by esbuild) is served by a small
  static HTTP server and driven in the system's headless Chromium by `tests/node/browser.js`
  (playwright-core). `open_browser()` builds the bundle, starts the server and the driver
  once; `Browser.run(dsn, scenario, …)` loads the page in a fresh browser context, clicks the
  scenario's button and returns once the SDK flushed.
- The FastAPI app (`tests/apps/fastapi_app.py`, sentry-sdk) runs under uvicorn:
  `start_fastapi(dsn)`.
- The Express app (`tests/node/express.js`, @sentry/node loaded with `--import
  ./instrument.js`): `start_express(dsn)`.

Everything runs in subprocesses on 127.0.0.1 and ephemeral ports, sends only to the DSN it is
given, and is stopped (then killed, if it must be) when its context ends.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from devsentry.testing import wait_until

TESTS = Path(__file__).resolve().parent
APPS = TESTS / "apps"
NODE_DIR = TESTS / "node"
BROWSER_DIR = TESTS / "browser"
REACT_DIR = BROWSER_DIR / "react"

#: A real Firefox's User-Agent (ESR 140 on Windows), sent on every request to the server apps
#: so that their events carry browser and OS facts of another machine than the test's.
FIREFOX_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"

#: Browser scenarios: the button of `tests/browser/index.html` each one clicks.
BROWSER_SCENARIOS = {
    "error": "#checkout",  # captureException(PaymentDeclined) in a click listener
    "throw": "#coupon",  # an uncaught TypeError, reported through window.onerror
    "message": "#refresh",  # captureMessage("cache miss storm")
    "react": "#checkout",  # the React page: CartTotal throws, the ErrorBoundary reports it
    "prices": "#prices",  # (with `api`) fetch the API during the pageload, then end it
}

START_TIMEOUT = 30.0  # seconds for an app (or Chromium) to come up on this 2-core machine
STOP_TIMEOUT = 15.0  # seconds for an app to shut down (and its SDK to flush) before a kill


class AppFailed(AssertionError):
    """An app under test did not start, answer or stop; the message includes its output."""


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for an app under test: no Sentry or proxy settings leak in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SENTRY_", "DEVSENTRY_")) and "proxy" not in k.lower()
    }
    env.update(extra)
    return env


def node_modules(package: str) -> Path:
    """`tests/node/node_modules/<package>`, failing with how to install it when missing."""
    path = NODE_DIR / "node_modules" / package
    if shutil.which("node") is None or not path.is_dir():
        raise AppFailed(f"{package} is not installed: run scripts/test (npm install in tests/node)")
    return path


def _stop(proc: subprocess.Popen[Any], sig: int = signal.SIGTERM) -> int:
    """Signal `proc` and wait for it; kill it when it does not exit in time."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


# -- server apps -------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


# No proxies, whatever the environment says: the apps listen on loopback.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServedApp:
    """An app server running in a subprocess on 127.0.0.1, with its output in a file.

    `get()` sends it a request as a Firefox would; `stop()` (or leaving the `with` block) lets
    it shut down, so that its SDK sends what it still holds, and kills it if it hangs.
    """

    def __init__(self, name: str, proc: subprocess.Popen[bytes], log: IO[bytes]) -> None:
        self.name = name
        self.proc = proc
        self._log = log
        self.url = ""  # http://127.0.0.1:<port>, once known
        self.returncode: int | None = None

    @property
    def output(self) -> str:
        """What the app printed so far (stdout and stderr)."""
        self._log.flush()
        return Path(self._log.name).read_text(errors="replace")

    def get(
        self,
        path: str,
        *,
        user: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = START_TIMEOUT,
    ) -> Response:
        """GET `path` with Firefox's User-Agent; `user` (`id` or `id:email`) goes in the
        `X-Shop-User` header the apps turn into the event's user. Error statuses are
        returned, not raised; a connection failure fails with the app's output."""
        sent = {"User-Agent": FIREFOX_UA, "Accept": "application/json"}
        if user is not None:
            sent["X-Shop-User"] = user
        sent.update(headers or {})
        request = urllib.request.Request(self.url + path, headers=sent)
        try:
            with _opener.open(request, timeout=timeout) as answer:
                return Response(answer.status, dict(answer.headers), answer.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers), error.read())
        except OSError as error:
            raise AppFailed(f"{self.name}: GET {path} failed: {error}\n{self.output}") from None

    def stop(self) -> str:
        """Shut the app down (SIGTERM; its SDK flushes) and return its output."""
        if self.returncode is None:
            self.returncode = _stop(self.proc)
            self._log.close()
        return Path(self._log.name).read_text(errors="replace")

    def __enter__(self) -> ServedApp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        Path(self._log.name).unlink(missing_ok=True)


def _spawn(
    name: str, command: list[str], cwd: Path, env: Mapping[str, str], pass_fds: tuple[int, ...]
) -> ServedApp:
    log = tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        command,
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        pass_fds=pass_fds,
    )
    return ServedApp(name, proc, log)


def _app_env(dsn: str, release: str | None, env: Mapping[str, str] | None) -> dict[str, str]:
    extra = {"SENTRY_DSN": dsn}
    if release is not None:
        extra["SENTRY_RELEASE"] = release
    return {**(env if env is not None else clean_env()), **extra}


def start_fastapi(
    dsn: str,
    *,
    release: str | None = None,
    env: Mapping[str, str] | None = None,
    app: str = "fastapi_app:app",
) -> ServedApp:
    """`tests/apps/fastapi_app.py` (or another ASGI `app` of `tests/apps/`) under uvicorn,
    reporting to `dsn`.

    The socket is bound here (port 0) and handed to uvicorn with `--fd`: it listens before
    uvicorn starts, so the first request simply waits until the app is up.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        fd = sock.fileno()
        command = [sys.executable, "-m", "uvicorn", app, "--fd", str(fd)]
        command += ["--log-level", "warning", "--no-access-log"]
        served = _spawn("fastapi", command, APPS, _app_env(dsn, release, env), (fd,))
        served.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()  # uvicorn holds its own copy
    return served


def start_express(
    dsn: str, *, release: str | None = None, env: Mapping[str, str] | None = None
) -> ServedApp:
    """`tests/node/express.js` (with `--import ./instrument.js`), reporting to `dsn`; waits
    for the `{"port": N}` line it prints once it listens."""
    node_modules("express")
    command = ["node", "--import", "./instrument.js", "express.js"]
    app = _spawn("express", command, NODE_DIR, _app_env(dsn, release, env), ())

    def port() -> int | None:
        if app.proc.poll() is not None:
            app.stop()
            raise AppFailed(f"express.js exited with {app.returncode}:\n{app.output}")
        for line in app.output.splitlines():
            if line.startswith('{"port":'):
                return int(json.loads(line)["port"])
        return None

    try:
        app.url = f"http://127.0.0.1:{wait_until(port, 'express.js to listen', START_TIMEOUT)}"
    except BaseException:
        app.stop()
        raise
    return app


# -- the browser -------------------------------------------------------------------------


class _StaticHandler(http.server.SimpleHTTPRequestHandler):
    """Files of one directory, uncached and unlogged; no favicon (204)."""

    def do_GET(self) -> None:
        if self.path == "/favicon.ico":
            self.send_response(204)
            self.end_headers()
            return
        super().do_GET()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def static_server(directory: Path) -> Iterator[str]:
    """Serve `directory` over HTTP on 127.0.0.1 and an ephemeral port; yields its URL."""
    handler = functools.partial(_StaticHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="static server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def build_browser_app(directory: Path) -> Path:
    """Bundle `tests/browser/app.js` (with @sentry/browser) into `directory`, beside a copy
    of `index.html`. Not minified: frames keep their function names."""
    esbuild = node_modules("esbuild") / "bin" / "esbuild"
    node_modules("@sentry/browser")
    directory.mkdir(parents=True, exist_ok=True)
    command = [str(esbuild), str(BROWSER_DIR / "app.js"), "--bundle", "--format=iife"]
    command += ["--target=es2020", f"--outfile={directory / 'app.js'}", "--log-level=warning"]
    proc = subprocess.run(
        command,
        env=clean_env(NODE_PATH=str(NODE_DIR / "node_modules")),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode:
        raise AppFailed(f"esbuild failed:\n{proc.stdout}\n{proc.stderr}")
    shutil.copy(BROWSER_DIR / "index.html", directory / "index.html")
    return directory


def _esbuild(args: list[str]) -> None:
    esbuild = node_modules("esbuild") / "bin" / "esbuild"
    proc = subprocess.run(
        [str(esbuild), *args, "--log-level=warning"],
        env=clean_env(NODE_PATH=str(NODE_DIR / "node_modules")),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode:
        raise AppFailed(f"esbuild failed:\n{proc.stdout}\n{proc.stderr}")


def build_react_app(directory: Path, *, debug_ids: bool = False) -> Path:
    """The React page (`tests/browser/react/`: react, react-dom, @sentry/react with its
    ErrorBoundary) as a project would build it: sources in `src/`, a minified bundle with an
    external map in `dist/assets/`; with `debug_ids`, debug IDs injected by
    `sentry-cli sourcemaps inject`. Returns `dist/`."""
    node_modules("react")
    node_modules("@sentry/react")
    src, dist = directory / "src", directory / "dist"
    src.mkdir(parents=True, exist_ok=True)
    for name in ("main.jsx", "Cart.jsx"):
        shutil.copy(REACT_DIR / name, src / name)
    _esbuild(
        [
            str(src / "main.jsx"),
            "--bundle",
            "--minify",
            "--sourcemap",
            "--format=iife",
            "--target=es2020",
            "--jsx=automatic",
            "--define:process.env.NODE_ENV='production'".replace("'", '"'),
            f"--outfile={dist / 'assets' / 'main.js'}",
        ]
    )
    shutil.copy(REACT_DIR / "index.html", dist / "index.html")
    if debug_ids:
        sentry_cli(["sourcemaps", "inject", str(dist)])
    return dist


def sentry_cli(args: list[str], env: Mapping[str, str] | None = None) -> str:
    """Run `@sentry/cli` (from tests/node) and return its output; fail with it if it fails."""
    binary = NODE_DIR / "node_modules" / ".bin" / "sentry-cli"
    if not binary.exists():
        raise AppFailed("@sentry/cli is not installed: run scripts/test")
    proc = subprocess.run(
        [str(binary), *args],
        env=clean_env(SENTRY_LOG_LEVEL="warn", **(env or {})),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode:
        raise AppFailed(f"sentry-cli {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout + proc.stderr


def build_node_ts_app(directory: Path, *, minify: bool = False) -> Path:
    """`tests/node/ts/app.ts` bundled for Node by esbuild with a source map next to it:
    `directory/src/app.ts` → `directory/dist/app.js` (+ `app.js.map`). Returns the bundle."""
    node_modules("@sentry/node")
    src = directory / "src"
    src.mkdir(parents=True, exist_ok=True)
    shutil.copy(NODE_DIR / "ts" / "app.ts", src / "app.ts")
    out = directory / "dist" / "app.js"
    args = [str(src / "app.ts"), "--bundle", "--platform=node", "--sourcemap"]
    args += ["--packages=external", f"--outfile={out}"]
    _esbuild([*args, "--minify"] if minify else args)
    return out


def run_node_bundle(bundle: Path, dsn: str, **env: str) -> None:
    """Run a bundled Node app (its packages from tests/node) until it exits."""
    proc = subprocess.run(
        ["node", str(bundle)],
        env=clean_env(SENTRY_DSN=dsn, NODE_PATH=str(NODE_DIR / "node_modules"), **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode:
        raise AppFailed(f"node {bundle} failed:\n{proc.stdout}\n{proc.stderr}")


def chromium_executable() -> str:
    """The system's Chromium: `$CHROMIUM`, else `chromium` on PATH (scripts/test installs
    Debian's package)."""
    found = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not found:
        raise AppFailed("Chromium is not installed: run scripts/test (it installs chromium)")
    return found


@dataclass(frozen=True)
class IngestRequest:
    """A request the page made to the DSN's server, headers as Chromium sent them."""

    url: str
    method: str
    status: int | None
    headers: dict[str, str]  # lower-case names, client hints included


@dataclass(frozen=True)
class BrowserRun:
    """What one scenario did in the page."""

    flushed: bool  # Sentry.flush() resolved true: the SDK sent everything it queued
    user_agent: str  # navigator.userAgent
    ingest: list[IngestRequest]
    page_errors: list[str] = field(default_factory=list)  # uncaught errors
    console: list[str] = field(default_factory=list)


class Browser:
    """One headless Chromium (driven by `tests/node/browser.js`) and the page's URL."""

    def __init__(self, page_url: str, chromium: str | None = None) -> None:
        self.page_url = page_url
        self.chromium = chromium or chromium_executable()
        node_modules("playwright-core")
        self.version = ""
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: list[str] = []
        self._proc = subprocess.Popen(
            ["node", "browser.js", self.chromium],
            cwd=NODE_DIR,
            env=clean_env(PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._readers = [
            threading.Thread(target=self._read, daemon=True, name="browser.js stdout"),
            threading.Thread(target=self._drain, daemon=True, name="browser.js stderr"),
        ]
        for reader in self._readers:
            reader.start()
        try:
            self.version = self._answer(START_TIMEOUT, "Chromium to start")["version"]
        except BaseException:
            self.close()
            raise

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _drain(self) -> None:
        assert self._proc.stderr is not None
        for line in self._proc.stderr:
            self._stderr.append(line)

    def _answer(self, timeout: float, what: str) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self.close()
            raise AppFailed(f"browser.js: no answer in {timeout:g}s waiting for {what}") from None
        if line is None:
            self._proc.wait(5)
            raise AppFailed(
                f"browser.js exited ({self._proc.returncode}) waiting for {what}:\n"
                + "".join(self._stderr)
            )
        answer: dict[str, Any] = json.loads(line)
        if not answer.get("ok"):
            raise AppFailed(f"browser.js failed {what}: {answer.get('error')}")
        return answer

    def run(
        self,
        dsn: str,
        scenario: str,
        *,
        page: str = "/index.html",
        release: str | None = None,
        user: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
        api: str | None = None,
        timeout: float = 15.0,
    ) -> BrowserRun:
        """Load the page with the SDK pointed at `dsn`, run `scenario` (a key of
        `BROWSER_SCENARIOS`) with this release, user (`{"id": …, "email": …}`) and tags,
        and return once the SDK flushed. With `api` (a backend's URL) the page traces."""
        config = {"dsn": dsn, "release": release, "user": dict(user or {}), "tags": tags or {}}
        if api is not None:
            config["api"] = api
        dsn_url = urlsplit(dsn)
        job = {
            "url": self.page_url + page,
            "config": config,
            "click": BROWSER_SCENARIOS[scenario],
            "ingest": f"{dsn_url.scheme}://{dsn_url.hostname}:{dsn_url.port}/",
            "timeout": int(timeout * 1000),
        }
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps(job) + "\n")
        self._proc.stdin.flush()
        answer = self._answer(timeout + 5, f"scenario {scenario!r}")
        return BrowserRun(
            flushed=answer["flushed"],
            user_agent=answer["user_agent"],
            ingest=[IngestRequest(**request) for request in answer["ingest"]],
            page_errors=answer["page_errors"],
            console=answer["console"],
        )

    def close(self) -> None:
        """Close Chromium (stdin's end tells the driver to), killing the driver if need be."""
        if self._proc.poll() is None:
            with contextlib.suppress(OSError):
                assert self._proc.stdin is not None
                self._proc.stdin.close()
            try:
                self._proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        for reader in self._readers:
            reader.join(5)  # they see the end of the pipes once the driver is gone
        for pipe in (self._proc.stdout, self._proc.stderr):
            if pipe is not None:
                pipe.close()


@contextlib.contextmanager
def open_browser(chromium: str | None = None) -> Iterator[Browser]:
    """Build the page, serve it, and start Chromium: a `Browser` ready to `run` scenarios."""
    with tempfile.TemporaryDirectory(prefix="devsentry-browser-") as temp:
        directory = build_browser_app(Path(temp))
        with static_server(directory) as url:
            browser = Browser(url, chromium)
            try:
                yield browser
            finally:
                browser.close()


__all__ = [
    "APPS",
    "BROWSER_SCENARIOS",
    "FIREFOX_UA",
    "NODE_DIR",
    "AppFailed",
    "Browser",
    "BrowserRun",
    "IngestRequest",
    "Response",
    "ServedApp",
    "build_browser_app",
    "build_node_ts_app",
    "build_react_app",
    "chromium_executable",
    "clean_env",
    "open_browser",
    "run_node_bundle",
    "sentry_cli",
    "start_express",
    "start_fastapi",
    "static_server",
]
