"""`devsentry run -- CMD …`: run a command with its Sentry traffic sent to devsentry.

The command gets an environment pointing at devsentry — `SENTRY_DSN` (or `SENTRY_SPOTLIGHT`)
at a `devsentry serve`, or with `--intercept` the proxy and CA variables of a `devsentry
intercept`, so the app keeps its own DSN. An already running devsentry on the port is used
(its console shows what arrives); otherwise one is started in this process, on a thread of
its own, for the command's lifetime, and its live console writes to stderr so the command's
stdout stays its own. The command's exit status is passed through; Ctrl-C reaches the
command first, and devsentry shuts down after it has exited.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from devsentry.service import Background
from devsentry.store.schema import StoreError
from devsentry.transports.address import http_url

if TYPE_CHECKING:
    from devsentry.process.sourcemaps import SourceMapPolicy
    from devsentry.sinks.alerts import AlertPolicy

__all__ = [
    "RunError",
    "Target",
    "intercept_target",
    "probe_intercept",
    "probe_server",
    "run_command",
    "serve_target",
]

_PROBE_TIMEOUT = 2.0


class RunError(Exception):
    """The environment for the command cannot be set up (a port taken by something else…)."""


@dataclass
class Target:
    """Where the command's Sentry traffic goes: its environment, and a line saying so."""

    env: dict[str, str]
    description: str
    started: Background[Any] | None = field(default=None, repr=False)


# -- is devsentry already running? -----------------------------------------------------------


def _get_json(url: str, proxy: str | None) -> Any | None:
    """GET `url` (through `proxy`, or directly ignoring proxy variables); None if refused."""
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({"http": proxy} if proxy else {})
    )
    try:
        with opener.open(url, timeout=_PROBE_TIMEOUT) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return {"status": exc.code}
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ConnectionRefusedError):
            return None
        return {"status": str(exc.reason)}
    except ConnectionRefusedError:
        return None
    except (OSError, ValueError) as exc:
        return {"status": str(exc)}


def probe_server(port: int) -> bool:
    """True if `devsentry serve` answers on 127.0.0.1:`port`, False if nothing listens.

    Raises `RunError` when something else has the port.
    """
    answer = _get_json(f"http://127.0.0.1:{port}/health", None)
    if answer is None:
        return False
    if isinstance(answer, dict) and answer.get("status") == "ok" and "version" in answer:
        return True
    raise RunError(f"port {port} is in use by something that is not devsentry; pick --port")


def probe_intercept(host: str, port: int) -> dict[str, Any] | None:
    """What a `devsentry intercept` on `host:port` says about itself, or None if nothing
    listens. Raises `RunError` when something else has the port."""
    from devsentry.transports.addon import PROBE_HOST

    answer = _get_json(f"http://{PROBE_HOST}/health", http_url(host, port))
    if answer is None:
        return None
    if isinstance(answer, dict) and answer.get("service") == "devsentry-intercept":
        return answer
    raise RunError(
        f"port {port} is in use by something that is not devsentry intercept; pick --listen-port"
    )


# -- a devsentry for the command's lifetime --------------------------------------------------


# -- the command -----------------------------------------------------------------------------


def run_command(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Run `argv` with `env`, forwarding signals; its exit status (128+N if killed by N).

    Ctrl-C in a terminal reaches the whole foreground process group, so the command already
    has it and it is not sent again (a second Ctrl-C is). A SIGINT sent to devsentry alone —
    not from the terminal, e.g. `kill -INT` or a supervisor — is forwarded, as are SIGTERM
    and SIGHUP. devsentry itself waits for the command either way.
    """
    proc: subprocess.Popen[bytes] | None = None
    early: list[int] = []  # signals that came before the command existed
    interrupts = 0

    def forward(signum: int, _frame: FrameType | None) -> None:
        nonlocal interrupts
        if proc is None:
            early.append(signum)
            return
        if signum == signal.SIGINT:
            interrupts += 1
            if interrupts == 1 and _terminal_foreground():
                return  # the terminal sent it to the command too
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signum)

    # Handlers first: a signal just after the command starts must reach it, not kill us.
    with _handling((signal.SIGINT, signal.SIGTERM, signal.SIGHUP), forward):
        try:
            proc = subprocess.Popen(list(argv), env=dict(env))
        except OSError as exc:
            raise RunError(f"cannot run {argv[0]!r}: {exc.strerror or exc}") from None
        for signum in early:
            proc.send_signal(signum)
        code = proc.wait()
    return 128 - code if code < 0 else code


def _terminal_foreground() -> bool:
    """True if this process's group is the foreground group of a controlling terminal."""
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        try:
            fd = stream.fileno()
            if os.isatty(fd):
                return os.tcgetpgrp(fd) == os.getpgrp()
        except (OSError, ValueError, AttributeError):
            continue
    return False


@contextlib.contextmanager
def _handling(
    signums: Sequence[int], handler: Callable[[int, FrameType | None], None]
) -> Iterator[None]:
    previous = {signum: signal.signal(signum, handler) for signum in signums}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


# -- where the traffic goes ------------------------------------------------------------------


def serve_target(
    port: int,
    store: Path,
    console: Any,
    *,
    spotlight: bool = False,
    alerts: AlertPolicy | None = None,
    sourcemaps: SourceMapPolicy | None = None,
) -> Target:
    """`SENTRY_DSN` (or `SENTRY_SPOTLIGHT`) for a `devsentry serve` on `port`: the running
    one, or one started here (`port` 0: always started here, on a free port).

    Only one of the two variables: an SDK given both sends every envelope to each, and
    devsentry would store everything twice.
    """
    from devsentry.protocol.dsn import Dsn
    from devsentry.service import make_sinks, serving

    started: Background[Any] | None = None
    if port and probe_server(port):
        base = f"http://127.0.0.1:{port}"
        where = f"the devsentry already serving on {base} (its console shows what arrives)"
    else:
        started = Background(
            lambda: serving(
                store,
                host="127.0.0.1",
                port=port,
                sinks=make_sinks(console),
                alerts=alerts,
                sourcemaps=sourcemaps,
            ),
            "devsentry-serve",
        )
        try:
            base = started.start().base_url
        except StoreError as exc:
            raise RunError(str(exc)) from None
        except OSError as exc:
            raise RunError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
        where = f"devsentry on {base} until the command exits, storing in {store}"
    host, _, bound = base.removeprefix("http://").rpartition(":")
    dsn = str(
        Dsn(scheme="http", public_key="devsentry", host=host, port=int(bound), project_id="1")
    )
    if spotlight:
        return Target({"SENTRY_SPOTLIGHT": f"{base}/stream"}, f"Spotlight → {where}", started)
    return Target({"SENTRY_DSN": dsn}, f"SENTRY_DSN={dsn} → {where}", started)


def intercept_target(
    host: str,
    port: int,
    confdir: Path,
    store: Path,
    console: Any,
    on_warning: Callable[[str], None] | None = None,
    *,
    alerts: AlertPolicy | None = None,
    sourcemaps: SourceMapPolicy | None = None,
) -> Target:
    """Proxy and CA variables for a `devsentry intercept` on `host:port`: the running one
    (it names its CA), or one started here (`port` 0: always started here)."""
    from devsentry.service import intercepting, make_sinks
    from devsentry.transports.intercept import InterceptError, proxy_env

    info = probe_intercept(host, port) if port else None
    if info is not None:
        url = http_url(host, port)
        env = proxy_env(url, Path(info["ca_cert"]))
        where = f"the devsentry intercept already running on {url} (its console shows it)"
        return Target(env, f"proxy {url} → {where}")
    started: Background[Any] = Background(
        lambda: intercepting(
            store,
            host=host,
            port=port,
            confdir=confdir,
            sinks=make_sinks(console),
            on_warning=on_warning,
            alerts=alerts,
            sourcemaps=sourcemaps,
        ),
        "devsentry-intercept",
    )
    try:
        proxy = started.start()
    except (InterceptError, StoreError) as exc:
        raise RunError(str(exc)) from None
    where = f"devsentry intercept until the command exits, storing in {store}"
    return Target(proxy.env(), f"proxy {proxy.url} (CA {proxy.ca_cert}) → {where}", started)
