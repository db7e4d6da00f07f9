"""`devsentry intercept`: mitmproxy embedded, with the addon on the shared pipeline.

The front end assembles parts and nothing else, as mitmproxy's own `tools/dump.py` does:
mitmproxy's default addons, and `DevSentry` handed the pipeline (`service.intercepting` puts
the store, pipeline and live console under it). mitmproxy's flow dump and terminal log stay
off — the live console is the output — and its warnings (a client that does not trust the
CA) are passed to a callback so the front end can show them. `Proxy.env()` is what an app
needs to send through it, used by the banner and by `devsentry run --intercept`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mitmproxy import addons as mitm_addons
from mitmproxy import master, options

from devsentry.ingest.pipeline import Pipeline
from devsentry.tasks import spawn
from devsentry.transports.addon import CA_FILE, DevSentry
from devsentry.transports.address import DEFAULT_PROXY_PORT, http_url

__all__ = ["DEFAULT_CONFDIR", "InterceptError", "Proxy", "proxy_env", "proxying"]

DEFAULT_CONFDIR = Path("~/.mitmproxy")


class InterceptError(Exception):
    """mitmproxy could not start (the port is taken, the confdir is unwritable, …)."""


@dataclass(frozen=True)
class Proxy:
    """A running intercepting proxy: where it listens and which CA its certificates chain to."""

    host: str
    port: int
    ca_cert: Path
    store: Path | None = None

    @property
    def url(self) -> str:
        return http_url(self.host, self.port)

    def env(self) -> dict[str, str]:
        return proxy_env(self.url, self.ca_cert)


def proxy_env(url: str, ca_cert: Path) -> dict[str, str]:
    """The variables that send an app's HTTP(S) through the proxy and make it trust the CA.

    Both spellings of the proxy variables: @sentry/node reads only the lowercase ones, many
    other tools only the uppercase ones. sentry-python and requests read
    `SSL_CERT_FILE` / `REQUESTS_CA_BUNDLE`; Node adds `NODE_EXTRA_CA_CERTS` to its own roots.
    """
    ca = str(ca_cert)
    return {
        "HTTPS_PROXY": url,
        "https_proxy": url,
        "HTTP_PROXY": url,
        "http_proxy": url,
        "SSL_CERT_FILE": ca,
        "REQUESTS_CA_BUNDLE": ca,
        "NODE_EXTRA_CA_CERTS": ca,
    }


class _InterceptMaster(master.Master):
    """mitmproxy's default addons plus devsentry's; no flow dump, no terminal log.

    Like `DumpMaster(with_termlog=False, with_dumper=False)` without `ErrorCheck`, which
    calls `sys.exit` from inside the event loop on a startup error; `intercepting` reports
    startup errors as an `InterceptError` instead.
    """

    def __init__(self, opts: options.Options, *extra: object) -> None:
        super().__init__(opts, with_termlog=False)
        self.addons.add(*mitm_addons.default_addons(), *extra)


class _Running:
    """Tells the front end when mitmproxy has started (its `running` hook)."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def running(self) -> None:
        self.event.set()


class _Warnings(logging.Handler):
    """mitmproxy's warnings and errors, kept during startup and passed on afterwards."""

    def __init__(self, on_warning: Callable[[str], None] | None) -> None:
        super().__init__(logging.WARNING)
        self.on_warning = on_warning
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.levelno >= logging.ERROR:
            self.errors.append(message)
        if self.on_warning is not None:
            self.on_warning(message)


@asynccontextmanager
async def proxying(
    pipeline: Pipeline,
    store: Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PROXY_PORT,
    confdir: Path = DEFAULT_CONFDIR,
    hosts: Sequence[str] = (),
    on_warning: Callable[[str], None] | None = None,
    addons: Sequence[object] = (),
    mitmproxy_options: Mapping[str, Any] | None = None,
) -> AsyncIterator[Proxy]:
    """Run mitmproxy with the devsentry addon on `pipeline` for the `async with` block.

    `port=0` picks a free port (`Proxy.port` is the real one). mitmproxy creates its CA in
    `confdir` on first start. More `addons` and `mitmproxy_options` (`ssl_insecure=True`,
    …) go to mitmproxy as they are. Raises `InterceptError` when mitmproxy cannot start.
    """
    confdir = confdir.expanduser()  # noqa: ASYNC240 - reads $HOME, no disk I/O
    warnings = _Warnings(on_warning)
    mitm_log = logging.getLogger("mitmproxy")
    mitm_log.addHandler(warnings)
    try:
        opts = options.Options(listen_host=host, listen_port=port, confdir=str(confdir))
        started = _Running()
        recorder = DevSentry(pipeline, store=store)
        proxy_master = _InterceptMaster(opts, recorder, *addons, started)
        # Lazy: answer Sentry without resolving or connecting to it (see the addon).
        opts.update(
            connection_strategy="lazy",
            devsentry_hosts=list(hosts),
            **dict(mitmproxy_options or {}),
        )
        run = spawn(proxy_master.run(), name="mitmproxy")
        try:
            proxy = await _started(proxy_master, run, started, warnings, host, port)
            proxy = Proxy(proxy.host, proxy.port, confdir / CA_FILE, store)
            yield proxy
        finally:
            proxy_master.shutdown()
            with contextlib.suppress(asyncio.CancelledError):
                await run
            # mitmproxy leaves its listening sockets to process exit; a process that
            # goes on (`devsentry run`, tests) closes them.
            if (server := proxy_master.addons.get("proxyserver")) is not None:
                await server.servers.update([])
    finally:
        mitm_log.removeHandler(warnings)


async def _started(
    proxy_master: master.Master,
    run: asyncio.Task[None],
    started: _Running,
    warnings: _Warnings,
    host: str,
    port: int,
) -> Proxy:
    """Wait until mitmproxy runs (or failed to), and where it listens."""
    ready = spawn(started.event.wait(), name="mitmproxy start")
    await asyncio.wait([run, ready], return_when=asyncio.FIRST_COMPLETED)
    ready.cancel()
    if run.done():
        run.result()  # raise what stopped it
    server = proxy_master.addons.get("proxyserver")
    addresses = server.listen_addrs() if server is not None else []
    if not addresses:
        detail = "; ".join(warnings.errors) or "mitmproxy did not start a proxy server"
        raise InterceptError(f"cannot listen on {host}:{port}: {detail}")
    return Proxy(host, addresses[0][1], Path())
