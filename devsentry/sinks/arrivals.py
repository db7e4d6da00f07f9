"""Wakes whoever waits for new items (MCP's `wait_for_events`) when the index has stored some.

Inside `devsentry serve` a waiting agent should hear of an event as soon as it is indexed,
without polling the store: the indexer publishes each indexed envelope here (or, when it runs
in the worker process, the worker says so through a pipe and `indexed()` is called), and `publish`
only bumps a counter and sets an event, so it costs ingest nothing. Waiters read the counter
before they look at the store and wait only while it is unchanged, so an item indexed between
their look and their wait still wakes them.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devsentry.process.indexer import Captured

__all__ = ["Arrivals"]


class Arrivals:
    """A sink that counts indexed envelopes and wakes the coroutines waiting for one."""

    def __init__(self) -> None:
        self.generation = 0
        self._event: asyncio.Event | None = None

    async def start(self) -> None:
        self._event = asyncio.Event()

    def publish(self, captured: Captured) -> None:
        self._wake()

    def indexed(self) -> None:
        """What `publish` does, for an index in another process (the worker tells)."""
        self._wake()

    async def stop(self) -> None:
        self._wake()  # waiters look once more, then time out or find what was indexed last

    def _wake(self) -> None:
        self.generation += 1
        if self._event is not None:
            self._event.set()
            self._event = asyncio.Event()

    async def wait(self, seen: int, at_most: float) -> None:
        """Return once something was indexed since the counter read `seen`, or after
        `at_most` seconds."""
        event = self._event
        if self.generation != seen or event is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), at_most)
