"""Assembly: store writer, pipeline, indexer, sinks and forwarder, started and stopped together.

Every front end runs the same parts. `ingesting()` is the whole pipeline without a transport;
`serving()` puts the HTTP server in front of it (`devsentry serve`, `devsentry run`, the pytest
fixture), `intercepting()` mitmproxy (`devsentry intercept`, `devsentry run --intercept`). On
exit each stops accepting, indexes everything acknowledged so the sinks see it, drains the sinks
and commits what is queued.
`run_until_stopped` is the loop `serve` and `intercept` share (Ctrl-C and SIGTERM stop it
cleanly); `Background` runs an assembly on an event loop of its own, in a thread, for code that
is not async (tests, `devsentry run`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import signal
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import msgspec
from rich.console import Console

from devsentry.agents.http import AgentEndpoint
from devsentry.ingest.forward import ForwardPolicy
from devsentry.ingest.origins import OriginPolicy
from devsentry.ingest.pipeline import Pipeline
from devsentry.protocol.compression import DEFAULT_MAX_SIZE
from devsentry.sinks.arrivals import Arrivals
from devsentry.store.bundles import Bundles
from devsentry.store.faults import StoreUnavailable
from devsentry.store.outbox import Delivery, Outbox
from devsentry.store.store import DEFAULT_KEEP
from devsentry.store.writer import Notify as StoreNotify
from devsentry.store.writer import StoreWriter
from devsentry.tasks import run_loop
from devsentry.transports.address import DEFAULT_PORT, DEFAULT_PROXY_PORT
from devsentry.transports.server import Server

if TYPE_CHECKING:
    from devsentry.ingest.pipeline import Listener
    from devsentry.process.indexer import Indexer, Sink
    from devsentry.process.sourcemaps import SourceMapPolicy
    from devsentry.sinks.alerts import AlertPolicy
    from devsentry.sinks.forward import Forwarder
    from devsentry.store.indexing import IndexWriter
    from devsentry.transports.intercept import Proxy
    from devsentry.worker import Work

__all__ = [
    "Background",
    "alert_sink",
    "ingesting",
    "intercepting",
    "make_sinks",
    "run_until_stopped",
    "serving",
    "store_notices",
    "uploads_dir",
]

T = TypeVar("T")
R = TypeVar("R")


def uploads_dir(store: Path) -> Path:
    """Where the server keeps uploaded source-map bundles: beside the store."""
    return store.with_name(f"{store.stem}-sourcemaps")


def make_sinks(console: Console | None) -> list[Sink]:
    """The sinks for a front end: the live console, unless quiet."""
    sinks: list[Sink] = []
    if console is not None:
        from devsentry.sinks.console import ConsoleSink

        sinks.append(ConsoleSink(console))
    return sinks


def store_notices(sinks: Sequence[Sink]) -> StoreNotify | None:
    """The writer's `notify`: a line on each live console when the store stops taking writes
    (a full disk, another program's lock) and when it takes them again; None without one
    (the writer then logs it)."""
    from devsentry.sinks.console import ConsoleSink

    consoles = [s for s in sinks if isinstance(s, ConsoleSink)]
    if not consoles:
        return None

    def notify(fault: StoreUnavailable | None) -> None:
        from devsentry.render.store import store_notice

        for console in consoles:
            console.notice(store_notice(fault))

    return notify


def console_notices(console: Console | None) -> StoreNotify | None:
    """`store_notices` for an ingest process whose sinks run in the worker: printed on
    `console` directly (the ingest process prints nothing else while it runs)."""
    if console is None:
        return None

    def notify(fault: StoreUnavailable | None) -> None:
        from devsentry.render.store import store_notice

        console.print(store_notice(fault))

    return notify


class Processing:
    """What runs after the commit, started together: the indexer, the sinks and the
    forwarder. `listeners` are the pipeline's when they share its process; `poke()` wakes them
    when the commit happened in another process (the worker is told through a pipe)."""

    def __init__(self, indexer: Indexer, forwarder: Forwarder | None) -> None:
        self.indexer = indexer
        self.forwarder = forwarder
        self.listeners: list[Listener] = [indexer.committed]
        if forwarder is not None:
            self.listeners.append(forwarder.committed)

    def poke(self) -> None:
        self.indexer.poke()
        if self.forwarder is not None:
            self.forwarder.poke()


def alert_sink(policy: AlertPolicy, store: Path, sinks: Sequence[Sink]) -> Sink:
    """The alerts sink; what it has to say goes to the live consoles, its terminal
    notifications to the first console's terminal (only when it is one)."""
    from devsentry.sinks.alerts import AlertSink
    from devsentry.sinks.console import ConsoleSink

    consoles = [s for s in sinks if isinstance(s, ConsoleSink)]
    terminal = next((c.control for c in consoles if c.console.is_terminal), None)

    def say(line: str) -> None:
        from rich.text import Text

        for console in consoles:
            console.notice(Text(line, "yellow"))

    return AlertSink(policy, store, say=say if consoles else None, terminal=terminal)


@asynccontextmanager
async def processing(
    writer: StoreWriter | IndexWriter,
    *,
    sinks: Sequence[Sink] = (),
    forward: ForwardPolicy | None = None,
    alerts: AlertPolicy | None = None,
    sourcemaps: SourceMapPolicy | None = None,
    batch: int | None = None,
) -> AsyncIterator[Processing]:
    """The indexer, the sinks, (with `alerts`) the alerts sink and (with `forward`) the
    forwarder on `writer`, for the block; on exit everything committed is indexed and the
    sinks are drained. `sourcemaps` says where JavaScript frames' maps may be read from
    (and the maps uploaded to `serving` always are)."""
    from devsentry.process.indexer import Indexer
    from devsentry.process.sourcemaps import Resolver, SourceMapPolicy

    if alerts is not None and alerts.targets:
        sinks = [*sinks, alert_sink(alerts, writer.path, sinks)]
    policy = sourcemaps or SourceMapPolicy()
    policy = msgspec.structs.replace(policy, dirs=(*policy.dirs, uploads_dir(writer.path)))
    resolver = Resolver(policy)
    indexer = (
        Indexer(writer, sinks, resolver)
        if batch is None
        else Indexer(writer, sinks, resolver, batch=batch)
    )
    forwarder = None
    if forward is not None:
        from devsentry.render.forwarding import forward_notice
        from devsentry.sinks.console import ConsoleSink
        from devsentry.sinks.forward import Forwarder

        consoles = [s for s in sinks if isinstance(s, ConsoleSink)]

        def notify(deliveries: list[Delivery]) -> None:
            for console in consoles:
                console.notice(forward_notice(deliveries))

        forwarder = Forwarder(
            Outbox(writer.store),
            backoff=forward.backoff,
            max_waiting=forward.max_waiting,
            notify=notify if consoles else None,
        )
    started: list[Sink] = []
    try:
        for sink in sinks:
            await sink.start()
            started.append(sink)
        await indexer.start()
        if forwarder is not None:
            await forwarder.start()
        yield Processing(indexer, forwarder)
    finally:
        if forwarder is not None:
            await forwarder.stop()
        await indexer.stop()  # index what was acknowledged, so the sinks see it
        for sink in reversed(started):
            await sink.stop()


@asynccontextmanager
async def ingesting(
    store: Path,
    *,
    sinks: Sequence[Sink] = (),
    keep: int = DEFAULT_KEEP,
    max_size: int = DEFAULT_MAX_SIZE,
    forward: ForwardPolicy | None = None,
    alerts: AlertPolicy | None = None,
    sourcemaps: SourceMapPolicy | None = None,
    work: Work | None = None,
    notices: Console | None = None,
    on_indexed: Callable[[], None] | None = None,
) -> AsyncIterator[Pipeline]:
    """The store's writer, the pipeline and everything after it, for the `async with` block.

    With `work`, everything after the commit runs in a worker process (`devsentry.worker`)
    that `work` describes (`alerts` and `sourcemaps` are folded into it), and `sinks` must be
    empty; `notices` is the console that says what the ingest process itself has to say (a
    store that takes no writes, a worker restarted), and `on_indexed` is told whenever the
    worker's index moved. Without it, `sinks` run here and say those things.
    """
    if work is None:
        writer = StoreWriter(store, keep=keep, notify=store_notices(sinks))
        try:
            async with processing(
                writer, sinks=sinks, forward=forward, alerts=alerts, sourcemaps=sourcemaps
            ) as after:
                yield Pipeline(
                    writer, max_size=max_size, forward=forward, listeners=after.listeners
                )
        finally:
            writer.close()
        return
    if sinks:
        raise ValueError("with a worker process, the sinks run there: describe them in `work`")
    from devsentry.worker import WorkerProcess

    if alerts is not None:
        work = msgspec.structs.replace(work, alerts=alerts)
    if sourcemaps is not None:
        work = msgspec.structs.replace(work, sourcemaps=sourcemaps)
    writer = StoreWriter(store, keep=keep, notify=console_notices(notices))
    worker = WorkerProcess(store, work, forward=forward, console=notices, on_indexed=on_indexed)
    try:
        await worker.start()
        try:
            yield Pipeline(writer, max_size=max_size, forward=forward, listeners=[worker.committed])
        finally:
            await worker.stop()  # it indexes what was acknowledged, so the sinks see it
    finally:
        writer.close()


@asynccontextmanager
async def serving(
    store: Path,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    sinks: Sequence[Sink] = (),
    keep: int = DEFAULT_KEEP,
    max_size: int = DEFAULT_MAX_SIZE,
    forward: ForwardPolicy | None = None,
    origins: OriginPolicy | None = None,
    work: Work | None = None,
    notices: Console | None = None,
    alerts: AlertPolicy | None = None,
    sourcemaps: SourceMapPolicy | None = None,
) -> AsyncIterator[Server]:
    """An ingest server on `store` for the duration of the `async with` block; web pages may
    send to it from loopback origins and those `origins` allows. Source maps uploaded to it
    (`sentry-cli sourcemaps upload`) are kept in `uploads_dir(store)`. It answers MCP at
    `/mcp` too (`agents.http`: the SDK loads on the first request), woken by the index (in
    this process, or told by the worker). `work`: as for `ingesting`."""
    bundles = Bundles(uploads_dir(store))
    arrivals = Arrivals()
    if work is not None:
        await arrivals.start()  # as a sink it would be started with the others
    async with ingesting(
        store,
        sinks=[*sinks, arrivals] if work is None else sinks,
        keep=keep,
        max_size=max_size,
        forward=forward,
        work=work,
        notices=notices,
        alerts=alerts,
        sourcemaps=sourcemaps,
        on_indexed=arrivals.indexed if work is not None else None,
    ) as pipeline:
        agents = AgentEndpoint(store, arrivals)
        server = Server(
            pipeline,
            host=host,
            port=port,
            origins=origins or OriginPolicy(),
            bundles=bundles,
            agents=agents.handle,
        )
        try:
            await server.start()
            yield server
        finally:
            await agents.stop()  # ends MCP's sessions and streams, so none holds the server
            await server.stop()
            if work is not None:
                await arrivals.stop()


@asynccontextmanager
async def intercepting(
    store: Path,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PROXY_PORT,
    confdir: Path = Path("~/.mitmproxy"),
    sinks: Sequence[Sink] = (),
    hosts: Sequence[str] = (),
    keep: int = DEFAULT_KEEP,
    max_size: int = DEFAULT_MAX_SIZE,
    forward: ForwardPolicy | None = None,
    on_warning: Callable[[str], None] | None = None,
    addons: Sequence[object] = (),
    mitmproxy_options: Mapping[str, Any] | None = None,
    work: Work | None = None,
    notices: Console | None = None,
    alerts: AlertPolicy | None = None,
    sourcemaps: SourceMapPolicy | None = None,
) -> AsyncIterator[Proxy]:
    """mitmproxy with the devsentry addon in front of the pipeline, for the `async with`
    block (`transports.intercept.proxying` says what the proxy options mean; `work` is as for
    `ingesting`)."""
    from devsentry.transports.intercept import proxying

    async with (
        ingesting(
            store,
            sinks=sinks,
            keep=keep,
            max_size=max_size,
            forward=forward,
            work=work,
            notices=notices,
            alerts=alerts,
            sourcemaps=sourcemaps,
        ) as pipeline,
        proxying(
            pipeline,
            store,
            host=host,
            port=port,
            confdir=confdir,
            hosts=hosts,
            on_warning=on_warning,
            addons=addons,
            mitmproxy_options=mitmproxy_options,
        ) as proxy,
    ):
        yield proxy


def run_until_stopped(
    factory: Callable[[], AbstractAsyncContextManager[T]], on_ready: Callable[[T], None]
) -> None:
    """Enter `factory()` and wait until Ctrl-C (KeyboardInterrupt, after a clean exit) or
    SIGTERM (service managers, `kill`), which stop as cleanly."""

    async def run() -> None:
        async with factory() as value:
            on_ready(value)
            stop = asyncio.Event()
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
            await stop.wait()

    run_loop(run())


class Background(Generic[T]):
    """An async context manager entered on an event loop of its own, in a daemon thread.

    `start()` returns what the context manager yields (the server, the proxy) once it is up,
    or raises what stopped it; `call()` runs a coroutine on that loop; `stop()` leaves the
    context — draining the console and committing the store — and waits for the thread.
    `context` is the contextvars context the loop runs in (the pytest fixture gives one that
    hides the server from a Sentry SDK in the same process).
    """

    def __init__(
        self,
        factory: Callable[[], AbstractAsyncContextManager[T]],
        name: str,
        *,
        context: contextvars.Context | None = None,
    ) -> None:
        self._factory = factory
        run = self._main if context is None else lambda: context.run(self._main)
        self._thread = threading.Thread(target=run, name=name, daemon=True)
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._value: T | None = None
        self._error: BaseException | None = None

    def start(self, timeout: float = 30.0) -> T:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"{self._thread.name} did not start within {timeout:.0f} s")
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value

    def call(self, coro: Coroutine[Any, Any, R], timeout: float = 30.0) -> R:
        """Run `coro` on the background loop and return its result."""
        assert self._loop is not None, "not started"
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)

    def _main(self) -> None:
        run_loop(self._run())

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            async with self._factory() as value:
                self._value = value
                self._ready.set()
                await self._stop.wait()
        except BaseException as exc:  # reported by start(), never lost in the thread
            self._error = exc
        finally:
            self._ready.set()
