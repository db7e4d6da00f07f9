"""Background tasks: the one way devsentry starts one, so none is lost, fails unseen, or stays
down after a failure.

asyncio keeps only a weak reference to a task; one that nothing holds can vanish mid-run, and
one that fails logs nothing until it is garbage-collected. `spawn` keeps the task and logs its
failure at once, naming it. `supervise` is for the long-running parts (the indexer, the
console, the forwarder): a failure is logged with its traceback once, and the part starts
again after a pause, so no bug and no payload can switch it off for the rest of the session.
(ruff's banned-API rule points `asyncio.create_task` here.)
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["Once", "call_on", "run_loop", "spawn", "supervise"]

log = logging.getLogger(__name__)
T = TypeVar("T")

_running: set[asyncio.Task[Any]] = set()


def spawn(coro: Coroutine[Any, Any, T], *, name: str) -> asyncio.Task[T]:
    """Run `coro` as a task on the running loop, kept alive and logged if it fails."""
    task = asyncio.get_running_loop().create_task(coro, name=name)
    _running.add(task)
    task.add_done_callback(_finished)
    return task


def _finished(task: asyncio.Task[Any]) -> None:
    _running.discard(task)
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("%s stopped", task.get_name(), exc_info=exc)


class Once:
    """Logs each distinct failure with its traceback the first time, and a count afterwards
    (a failure that repeats for every item must not bury the log)."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self.seen: dict[tuple[str, str], int] = {}

    def failed(self, what: str, exc: BaseException) -> None:
        key = (what, type(exc).__name__)
        count = self.seen.get(key, 0) + 1
        self.seen[key] = count
        if count == 1:
            self.logger.error("%s: %r", what, exc, exc_info=exc)
        elif count in (10, 100, 1000) or count % 10_000 == 0:
            self.logger.error("%s: %r (%d times so far)", what, exc, count)


def supervise(
    run: Callable[[], Coroutine[Any, Any, None]],
    *,
    name: str,
    pause: float = 1.0,
    on_restart: Callable[[], None] | None = None,
) -> asyncio.Task[None]:
    """Run `run()` as a task that starts again `pause` seconds after any failure (its
    traceback logged once); it ends only when cancelled, or when `run()` returns."""
    once = Once(log)

    async def supervisor() -> None:
        while True:
            try:
                await run()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                once.failed(f"{name} failed and restarts", exc)
                await asyncio.sleep(pause)
                if on_restart is not None:
                    on_restart()

    return spawn(supervisor(), name=name)


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` on a new event loop until it returns: uvloop's where it is installed (a
    faster loop, measured by `benchmarks/ingest.py`) unless `DEVSENTRY_LOOP=asyncio` asks for
    the standard library's."""
    factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    if os.environ.get("DEVSENTRY_LOOP", "").strip().lower() != "asyncio":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)


def call_on(loop: asyncio.AbstractEventLoop | None, callback: Callable[[], object]) -> None:
    """Run `callback` on `loop`: at once when already on it, else soon, from any thread
    (sinks are published to from the ingest loop and from other threads). Nothing when the
    loop is gone."""
    if loop is None or loop.is_closed():
        return
    try:
        here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        here = None
    if here is loop:
        callback()
    else:
        loop.call_soon_threadsafe(callback)
