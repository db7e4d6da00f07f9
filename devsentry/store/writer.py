"""Group commit: many concurrent requests, one SQLite transaction, each answered after commit.

Handlers `await writer.write(envelope)` with the raw envelope, the source of truth. The first
write of a loop iteration schedules a flush with `call_soon`; every request that reaches
`write` before the flush runs joins the same batch, so batches grow with load by themselves
and a lone envelope at rest is committed at once. The flush runs on the event loop: with WAL
and `synchronous=NORMAL` a commit is an append to the WAL file, no fsync, and staying on one
thread avoids GIL hand-offs that cost more than the write. The one slow part of WAL —
checkpointing the log back into the database, which fsyncs — runs on a thread of its own with
its own connection, so it never stalls ingest.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from pathlib import Path

from devsentry.store import writes
from devsentry.store.lock import WriterLock
from devsentry.store.records import EnvelopeRecord, NewEnvelope, StoredItem
from devsentry.store.store import DEFAULT_KEEP, Store

__all__ = ["StoreWriter"]

log = logging.getLogger(__name__)

_PRUNE_EVERY = 1000  # envelopes between retention checks
_CHECKPOINT_INTERVAL = 0.5  # seconds between passive checkpoints
_WINDOW = 0.1  # seconds over which the write rate is measured


class StoreWriter:
    """The store's single writer for one event loop, shared by every transport in a process."""

    def __init__(
        self, path: Path, *, keep: int = DEFAULT_KEEP, max_bytes: int | None = None
    ) -> None:
        self.path = path
        self.keep = keep
        self.max_bytes = max_bytes
        self._lock = WriterLock(path)  # one writer per store; raises StoreBusy
        try:
            self._store = Store(path)  # opened here so a bad path fails at start, not later
        except BaseException:
            self._lock.release()
            raise
        self._store.db.execute("PRAGMA wal_autocheckpoint = 0")  # the checkpointer's job
        self._pending: list[tuple[NewEnvelope, asyncio.Future[int]]] = []
        self._since_prune = 0
        self._window_start = 0.0
        self._window_count = 0
        self._rate = 0.0
        self._stop = threading.Event()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop, name="devsentry-checkpoint", daemon=True
        )
        self._checkpointer.start()

    @property
    def store(self) -> Store:
        """The write connection, for other loop-thread writers (the forwarder's outbox)."""
        return self._store

    def rate(self, now: float) -> float:
        """Writes per second over the last complete 100 ms window (0 when quiet since)."""
        self._roll(now)
        return self._rate if now - self._window_start < 2 * _WINDOW else 0.0

    def _roll(self, now: float) -> None:
        if now - self._window_start >= _WINDOW:
            elapsed = now - self._window_start
            self._rate = self._window_count / elapsed if elapsed < 2 * _WINDOW else 0.0
            self._window_start = now
            self._window_count = 0

    async def write(self, envelope: NewEnvelope) -> int:
        """Queue `envelope`, wait until it is committed, and return its id."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        now = loop.time()
        self._roll(now)
        self._window_count += 1
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((envelope, future))
        return await future

    def reject(
        self,
        raw: bytes,
        *,
        status: int,
        reason: str,
        path: str | None,
        headers: dict[str, str],
        remote_addr: str | None = None,
        client: str | None = None,
    ) -> None:
        """Keep a refused request for inspection (rare: written at once)."""
        try:
            writes.reject(
                self._store.db,
                raw,
                status=status,
                reason=reason,
                path=path,
                headers=headers,
                remote_addr=remote_addr,
                client=client,
            )
        except sqlite3.Error:
            log.exception("could not keep a rejected request")

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            with self._store.transaction() as db:
                results = writes.insert_envelopes(db, [envelope for envelope, _ in batch])
        except Exception as exc:  # every waiter gets the error (a 500), never a hang
            log.exception("store write failed")
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():  # a cancelled request (client gone): its data is stored
                future.set_result(result)
        self._since_prune += len(batch)
        if self._since_prune >= _PRUNE_EVERY:
            self._since_prune = 0
            try:
                writes.prune(self._store.db, self.keep, self.max_bytes)
            except sqlite3.Error:
                log.exception("pruning the store failed")

    def index(self, batch: list[tuple[int, NewEnvelope]]) -> list[list[StoredItem]]:
        """Index the items of committed envelopes (called by the indexer), in one commit."""
        with self._store.transaction() as db:
            return writes.insert_items(db, batch)

    def unindexed(self, limit: int = 256) -> list[EnvelopeRecord]:
        return self._store.unindexed(limit)

    def _checkpoint_loop(self) -> None:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            while not self._stop.wait(_CHECKPOINT_INTERVAL):
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:
                    log.exception("WAL checkpoint failed")
        finally:
            db.close()

    def close(self) -> None:
        """Commit what is queued, checkpoint, and close."""
        self._flush()
        self._stop.set()
        self._checkpointer.join()
        try:
            self._store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:
            log.exception("final WAL checkpoint failed")
        self._store.close()
        self._lock.release()
