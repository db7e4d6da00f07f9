"""When the store cannot be written now: a full disk, a failing disk, another program's lock.

These are states of the machine, not devsentry bugs, and they pass: space is freed, the other
program commits. So the writer refuses what it cannot commit the way Relay refuses what it
cannot queue — `503` (`relay-server/src/endpoints/common.rs`, `QueueFailed`: "It might retry
event submission at a later time"), here with a `Retry-After` (RFC 9110, section 10.2.3) —
and accepts again as soon as a write succeeds. Anything else SQLite raises stays an error
(a 500 naming the log), because then devsentry is at fault.

SQLite's result codes (https://www.sqlite.org/rescode.html): `SQLITE_FULL` "database or disk
is full" (also the store's `max_page_count`), `SQLITE_IOERR` "disk I/O error" with its
extended codes (a full disk seen while growing the `-shm` file, a vanished mount), and
`SQLITE_BUSY` "database is locked" once the busy timeout passed: another connection holds
the write lock.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Literal

__all__ = ["Reason", "StoreUnavailable", "unavailable"]

Reason = Literal["full", "io", "locked"]

_SQLITE_BUSY = 5
_SQLITE_IOERR = 10
_SQLITE_FULL = 13
_REASONS: dict[int, Reason] = {_SQLITE_FULL: "full", _SQLITE_IOERR: "io", _SQLITE_BUSY: "locked"}

#: Seconds an SDK is asked to wait: a lock passes in moments, space takes a person.
RETRY_AFTER: dict[Reason, int] = {"full": 60, "io": 60, "locked": 1}


class StoreUnavailable(Exception):
    """The store cannot take writes now (`reason`); `detail` says so to the person sending."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason: Reason = reason
        self.detail = detail

    @property
    def retry_after(self) -> int:
        return RETRY_AFTER[self.reason]


def unavailable(exc: BaseException, path: Path) -> StoreUnavailable | None:
    """`exc` as a passing state of the store at `path`, or None for anything else."""
    if not isinstance(exc, sqlite3.Error):
        return None
    reason = _REASONS.get(getattr(exc, "sqlite_errorcode", 0) & 0xFF)
    if reason is None:
        return None
    return StoreUnavailable(reason, _detail(reason, path, exc))


def _detail(reason: Reason, path: Path, exc: sqlite3.Error) -> str:
    if reason == "full":
        return (
            f"devsentry's store is full ({exc}): free space on the disk holding {path}; "
            "envelopes are accepted again as soon as there is room"
        )
    if reason == "locked":
        return (
            f"devsentry's store is locked by another program (a write transaction on {path}); "
            "envelopes are accepted again once it commits or closes"
        )
    return f"devsentry cannot write its store {path} ({exc}); check the disk"
