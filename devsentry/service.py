"""Assembly: transport + pipeline + sinks, started and stopped together.

`serving()` is what `devsentry serve`, `devsentry run` and the pytest fixture use: it opens the
store's writer, wires the sinks, binds the HTTP server, and on exit stops accepting, drains the
sinks and commits what is queued.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from rich.console import Console

from devsentry.envelope import DEFAULT_MAX_SIZE
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


@asynccontextmanager
async def serving(
    store: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8969,
    sinks: Sequence[Sink] = (),
    keep: int = DEFAULT_KEEP,
    max_size: int = DEFAULT_MAX_SIZE,
) -> AsyncIterator[Server]:
    """Run an ingest server on `store` for the duration of the `async with` block."""
    writer = StoreWriter(store, keep=keep)
    pipeline = Pipeline(writer, sinks, max_size=max_size)
    server = Server(pipeline, host=host, port=port)
    started: list[Sink] = []
    try:
        for sink in sinks:
            await sink.start()
            started.append(sink)
        await pipeline.start()
        await server.start()
        yield server
    finally:
        await server.stop()
        await pipeline.stop()
        for sink in reversed(started):
            await sink.stop()
        writer.close()
