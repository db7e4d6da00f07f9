"""Waiting for a condition, the one way every devsentry test (and the fixture) waits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["WaitTimeout", "wait_until", "wait_until_async"]

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """A condition did not come true in time; the message says what did not happen."""


def wait_until(
    check: Callable[[], T | None],
    what: str | Callable[[], str],
    timeout: float = 10.0,
    interval: float = 0.02,
) -> T:
    """Poll `check` until it returns something truthy and return that.

    On timeout, raise `WaitTimeout` with `what` (or what `what()` says then: the fixture
    lists everything that did arrive).
    """
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            detail = what() if callable(what) else what
            raise WaitTimeout(f"waited {timeout:g}s for {detail}")
        time.sleep(interval)


async def wait_until_async(
    check: Callable[[], T | None],
    what: str | Callable[[], str],
    timeout: float = 10.0,  # noqa: ASYNC109  (the same signature as wait_until)
    interval: float = 0.02,
) -> T:
    """`wait_until` for async tests (the dashboard's pilot): the event loop runs between
    polls, so the app under test keeps working while the test waits."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            detail = what() if callable(what) else what
            raise WaitTimeout(f"waited {timeout:g}s for {detail}")
        await asyncio.sleep(interval)
