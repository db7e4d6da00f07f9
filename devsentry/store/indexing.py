"""The worker's side of the store: it reads what the ingest process committed and writes the
index beside it.

With `serve --workers 1` two processes write one SQLite file: the ingest process commits raw
envelopes (`StoreWriter`, which holds the store's writer lock and prunes), the worker commits
index rows. WAL lets both read while one writes; writes take turns on SQLite's write lock. The
ingest side never waits for it inside SQLite (it retries from its event loop); the worker may,
since nothing waits on the worker, so its connection has a long busy timeout.
"""

from __future__ import annotations

from pathlib import Path

from devsentry.store.records import EnvelopeRecord, NewEnvelope, StoredItem
from devsentry.store.store import Store
from devsentry.store.writer import write_index

__all__ = ["WORKER_BUSY_TIMEOUT", "IndexWriter"]

#: Milliseconds the worker waits for the write lock before it counts the store as locked.
WORKER_BUSY_TIMEOUT = 5_000


class IndexWriter:
    """The index's writes and reads for a process that does not ingest (the worker)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._store = Store(path)
        self._store.db.execute(f"PRAGMA busy_timeout = {WORKER_BUSY_TIMEOUT}")

    @property
    def store(self) -> Store:
        """The connection, for the forwarder's outbox."""
        return self._store

    def rate(self, now: float) -> float:
        """Ingest's rate is no concern here: the worker never competes with it on a loop."""
        return 0.0

    def unindexed(self, limit: int = 256) -> list[EnvelopeRecord]:
        return self._store.unindexed(limit)

    def index(self, batch: list[tuple[int, NewEnvelope]]) -> list[list[StoredItem] | None]:
        """Index rows for `batch` in one commit; envelopes the ingest process pruned first
        get none (always checked: this process does not know where retention is)."""
        return write_index(self._store, self.path, batch, check_pruned=True)

    def close(self) -> None:
        self._store.close()
