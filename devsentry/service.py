"""Assembly: transport + pipeline + sinks, started and stopped together.

`serving()` is what `devsentry serve`, `devsentry run` and the pytest fixture use: it opens the
store's writer, wires the sinks, binds the HTTP server, and on exit stops accepting, drains the
sinks and commits what is queued. `ingesting()` is the part without a transport, which
`devsentry intercept` puts mitmproxy in front of.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from rich.console import Console

from devsentry.envelope import DEFAULT_MAX_SIZE
from devsentry.forward import Forwarder, ForwardPolicy
from devsentry.outbox import Delivery, Outbox
from devsentry.pipeline import Pipeline, Sink
from devsentry.server import Server
from devsentry.store import DEFAULT_KEEP
from devsentry.writer import StoreWriter


def make_sinks(console: Console | None) -> list[Sink]:
    """The sinks for a front end: the live console unless quiet (forwarding joins here)."""
    sinks: list[Sink] = []
    if console is not None:
        from devsentry.render.live import ConsoleSink

        sinks.append(ConsoleSink(console))
    return sinks


def make_pipeline(
    writer: StoreWriter,
    sinks: Sequence[Sink],
    *,
    max_size: int = DEFAULT_MAX_SIZE,
    forward: ForwardPolicy | None = None,
) -> Pipeline:
    """The pipeline every transport shares, with a forwarder when forwarding is on.

    The forwarder's results go to the live console as one line per round.
    """
    forwarder = None
    if forward is not None:
        from devsentry.render.live import ConsoleSink, forward_notice

        consoles = [s for s in sinks if isinstance(s, ConsoleSink)]

        def notify(deliveries: list[Delivery]) -> None:
            for console in consoles:
                console.notice(forward_notice(deliveries))

        forwarder = Forwarder(
            Outbox(writer.store), backoff=forward.backoff, notify=notify if consoles else None
        )
    return Pipeline(writer, sinks, max_size=max_size, forward=forward, forwarder=forwarder)


@asynccontextmanager
async def serving(
    store: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8969,
    sinks: Sequence[Sink] = (),
    keep: int = DEFAULT_KEEP,
    max_size: int = DEFAULT_MAX_SIZE,
    forward: ForwardPolicy | None = None,
) -> AsyncIterator[Server]:
    """Run an ingest server on `store` for the duration of the `async with` block."""
    async with ingesting(
        store, sinks=sinks, keep=keep, max_size=max_size, forward=forward
    ) as pipeline:
        server = Server(pipeline, host=host, port=port)
        try:
            await server.start()
            yield server
        finally:
            await server.stop()


@asynccontextmanager
async def ingesting(
    store: Path,
    *,
    sinks: Sequence[Sink] = (),
    keep: int = DEFAULT_KEEP,
    max_size: int = DEFAULT_MAX_SIZE,
    forward: ForwardPolicy | None = None,
) -> AsyncIterator[Pipeline]:
    """The store's writer, the pipeline and its sinks, started and stopped together.

    What every front end shares (`serve`'s server, `intercept`'s mitmproxy, `run`): on exit
    everything acknowledged is indexed, the sinks drain, and the queue is committed.
    """
    writer = StoreWriter(store, keep=keep)
    pipeline = make_pipeline(writer, sinks, max_size=max_size, forward=forward)
    started: list[Sink] = []
    try:
        for sink in sinks:
            await sink.start()
            started.append(sink)
        await pipeline.start()
        yield pipeline
    finally:
        await pipeline.stop()
        for sink in reversed(started):
            await sink.stop()
        writer.close()
