"""Background tasks: the one way devsentry starts one, so none is lost or fails unseen.

asyncio keeps only a weak reference to a task; one that nothing holds can vanish mid-run, and
one that fails logs nothing until it is garbage-collected. `spawn` keeps the task and logs its
failure at once, naming it. (ruff's banned-API rule points `asyncio.create_task` here.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["spawn"]

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
