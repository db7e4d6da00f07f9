"""One writer per store: a lock file beside it, held while a devsentry writes.

Two `devsentry serve` on one store would both index every envelope (twice the issues, the
console printing each item twice); so the writer takes an exclusive `flock` on `<store>.lock`
and writes its pid there, and a second writer is told who holds it. The kernel drops the lock
when the process ends, however it ends, so a crash never leaves a store locked.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from devsentry.store.schema import StoreError

__all__ = ["StoreBusy", "WriterLock"]


class StoreBusy(StoreError):
    """Another devsentry writes this store."""


class WriterLock:
    """The exclusive right to write the store at `path`, until `release()`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(f"{path}.lock")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode("utf-8", "replace").strip() or "unknown"
            os.close(fd)
            raise StoreBusy(
                f"the store {path} is being written by another devsentry ({holder}); stop it, "
                "send to it instead (its DSN, or replay --to), or pass another --store"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}, since {time.strftime('%H:%M:%S')}\n".encode())
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
