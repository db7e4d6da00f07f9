"""Group commit: many concurrent requests, one SQLite transaction, each answered after commit.

Handlers `await writer.write(envelope)` with the raw envelope, the source of truth. The first
write of a loop iteration schedules a flush with `call_soon`; every request that reaches
`write` before the flush runs joins the same batch, so batches grow with load by themselves
and a lone envelope at rest is committed at once. The flush runs on the event loop: with WAL
and `synchronous=NORMAL` a commit is an append to the WAL file, no fsync, and staying on one
thread avoids GIL hand-offs that cost more than the write. The one slow part of WAL —
checkpointing the log back into the database, which fsyncs — runs on a thread of its own with
its own connection, so it never stalls ingest.

What the store takes on disk stays bounded. Retention prunes between commits, a few hundred
envelopes at a time (never one big DELETE on the loop), and the checkpointer keeps the WAL
small: under load a PASSIVE checkpoint cannot let the log restart while commits keep coming,
so once the log passes `WAL_RESTART` bytes a RESTART checkpoint makes the next commit rewind
it, and `journal_size_limit` truncates the file then; once writes stop, a TRUNCATE checkpoint
empties it (https://www.sqlite.org/wal.html, "Avoiding Excessively Large WAL Files";
https://www.sqlite.org/pragma.html#pragma_wal_checkpoint).

When the store cannot be written now — the disk is full, another program holds the write
lock — each waiting request is refused with `StoreUnavailable` (the pipeline's 503), `notify`
is told once, and once more when a commit succeeds again. The write lock is waited for
briefly (`INGEST_BUSY_TIMEOUT`), since the wait blocks the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from devsentry.store import writes
from devsentry.store.faults import StoreUnavailable, unavailable
from devsentry.store.lock import WriterLock
from devsentry.store.records import EnvelopeRecord, NewEnvelope, StoredItem
from devsentry.store.store import DEFAULT_KEEP, Store

__all__ = ["INGEST_BUSY_TIMEOUT", "WAL_RESTART", "StoreWriter", "write_index"]

log = logging.getLogger(__name__)

#: Milliseconds the loop waits for another program's write lock before refusing (a 503).
INGEST_BUSY_TIMEOUT = 150
#: WAL bytes past which the checkpointer restarts the log; also the size it is truncated to.
WAL_RESTART = 64 * 1024 * 1024
_RESTART_REMAINDER = 4 * 1024 * 1024  # restart only when a PASSIVE pass left less than this
_CHECKPOINT_BUSY_TIMEOUT = 50  # ms a RESTART/TRUNCATE waits for readers (it blocks writers)
_CHECKPOINT_INTERVAL = 0.25  # seconds between checkpoints
_CALM = 1.0  # seconds without a commit before the WAL is truncated
_PRUNE_STEP = 256  # envelopes over `keep` before a prune step (a transaction has its cost)
_PRUNE_MAX = 512  # envelopes one step deletes at most (a few ms on the loop)
_PRUNE_EVERY = 1000  # envelopes between the costlier retention checks (bytes, rejected)
_CHECKPOINT_WAIT = 0.002  # seconds a flush waits while the checkpointer holds the write lock
_WINDOW = 0.1  # seconds over which the write rate is measured

#: Told when the store stops taking writes (the reason) and when it takes them again (None).
Notify = Callable[[StoreUnavailable | None], None]


class StoreWriter:
    """The store's single writer for one event loop, shared by every transport in a process."""

    def __init__(
        self,
        path: Path,
        *,
        keep: int = DEFAULT_KEEP,
        max_bytes: int | None = None,
        notify: Notify | None = None,
    ) -> None:
        self.path = path
        self.keep = keep
        self.max_bytes = max_bytes
        self.notify = notify
        self.fault: StoreUnavailable | None = None  # why the last commit failed, until one works
        self._lock = WriterLock(path)  # one writer per store; raises StoreBusy
        try:
            self._store = Store(path)  # opened here so a bad path fails at start, not later
        except BaseException:
            self._lock.release()
            raise
        db = self._store.db
        db.execute("PRAGMA wal_autocheckpoint = 0")  # the checkpointer's job
        db.execute(f"PRAGMA journal_size_limit = {WAL_RESTART}")
        # Never wait for the write lock inside SQLite: its busy handler sleeps on the event
        # loop. A flush that finds the lock taken (the worker's index commit, another
        # program) tries again a millisecond later while requests keep arriving, and refuses
        # only after INGEST_BUSY_TIMEOUT.
        db.execute("PRAGMA busy_timeout = 0")
        self._pending: list[tuple[NewEnvelope, asyncio.Future[int]]] = []
        self._since_prune = _PRUNE_EVERY  # the first commit runs the full retention check
        self._bytes_cutoff = 0
        self._newest = 0  # the newest envelope id committed by this writer
        self._pruned_upto = 0  # retention is done up to this id
        self._window_start = 0.0
        self._window_count = 0
        self._rate = 0.0
        self._last_commit = time.monotonic()
        self._closing = False
        self._locked_since: float | None = None  # when flushes began to find the lock taken
        self._exclusive = threading.Event()  # set while a checkpoint holds the write lock
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
        """Queue `envelope`, wait until it is committed, and return its id.

        Raises `StoreUnavailable` when the store cannot take it now.
        """
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
        """Keep a refused request for inspection (rare: written at once, waiting briefly for
        the write lock)."""
        db = self._store.db
        db.execute(f"PRAGMA busy_timeout = {INGEST_BUSY_TIMEOUT}")
        try:
            writes.reject(
                db,
                raw,
                status=status,
                reason=reason,
                path=path,
                headers=headers,
                remote_addr=remote_addr,
                client=client,
            )
        except sqlite3.Error as exc:
            if (fault := unavailable(exc, self.path)) is None:
                log.exception("could not keep a rejected request")
            else:
                log.warning("could not keep a rejected request: %s", fault.detail)
        finally:
            db.execute("PRAGMA busy_timeout = 0")

    def _flush(self) -> None:
        if self._exclusive.is_set() and self._pending:
            # Our own checkpointer holds the write lock for a moment: wait it out rather than
            # refuse the batch as "locked by another program".
            asyncio.get_running_loop().call_later(_CHECKPOINT_WAIT, self._flush)
            return
        batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            with self._store.transaction() as db:
                results = writes.insert_envelopes(db, [envelope for envelope, _ in batch])
        except Exception as exc:  # every waiter gets an answer (a 503 or a 500), never a hang
            if self._retry_locked(exc):  # the lock is held for a moment: try again soon
                self._pending = batch + self._pending
                asyncio.get_running_loop().call_later(_CHECKPOINT_WAIT, self._flush)
                return
            self._locked_since = None
            error = self._failed(exc)
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        self._locked_since = None
        self._committed()
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():  # a cancelled request (client gone): its data is stored
                future.set_result(result)
        self._newest = results[-1]
        self._prune(len(batch))

    def _retry_locked(self, exc: Exception) -> bool:
        """Whether a flush that failed with `exc` should try again shortly: the write lock is
        held by our checkpointer, or by someone else for less than INGEST_BUSY_TIMEOUT so far
        (the worker's index commits take a few milliseconds)."""
        if self._closing:
            return False
        fault = unavailable(exc, self.path)
        if fault is None or fault.reason != "locked":
            return False
        if self._exclusive.is_set():
            return True
        now = time.monotonic()
        if self._locked_since is None:
            self._locked_since = now
        return now - self._locked_since < INGEST_BUSY_TIMEOUT / 1000

    def _failed(self, exc: Exception) -> Exception:
        """What the waiters of a failed commit get: `StoreUnavailable`, or the bug itself."""
        fault = unavailable(exc, self.path)
        if fault is None:
            log.exception("store write failed")
            return exc
        if self.fault is None or self.fault.reason != fault.reason:
            self._tell(fault, f"refusing envelopes: {fault.detail}")
        self.fault = fault
        return fault

    def _committed(self) -> None:
        self._last_commit = time.monotonic()
        if self.fault is not None:
            self.fault = None
            self._tell(None, "the store takes writes again; accepting envelopes")

    def _tell(self, fault: StoreUnavailable | None, message: str) -> None:
        """Once per change: to `notify` (the live console), else to the log (`--quiet`)."""
        if self.notify is not None:
            self.notify(fault)
        else:
            log.warning("%s", message)

    def _prune(self, arrived: int) -> None:
        """Retention after a commit, in bounded steps: once a few hundred envelopes are over
        `keep`, at most `_PRUNE_MAX` per step, so no commit waits on one big DELETE and a
        store far over `keep` (a smaller `--keep`) shrinks back while ingest stays fast."""
        if self._closing:
            return
        self._since_prune += arrived
        db = self._store.db
        try:
            if self._since_prune >= _PRUNE_EVERY:
                self._since_prune = 0
                writes.trim_rejected(db)
                if self.max_bytes is not None:
                    self._bytes_cutoff = writes.retention_cutoff(db, self.keep, self.max_bytes)
            cutoff = max(self._newest - self.keep, self._bytes_cutoff)
            if cutoff - self._pruned_upto < min(_PRUNE_STEP, self.keep // 16 + 1):
                return
            if writes.prune_upto(db, cutoff, _PRUNE_MAX) < _PRUNE_MAX:
                self._pruned_upto = cutoff
            else:  # more to go: again on the next loop iteration
                self._prune_soon()
        except sqlite3.Error as exc:
            if unavailable(exc, self.path) is None:  # a full disk is told by the next commit
                log.exception("pruning the store failed")

    def _prune_soon(self) -> None:
        """Another step on a later loop iteration (none from synchronous code: a close)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # the next start carries on
        loop.call_soon(self._prune, 0)

    def index(self, batch: list[tuple[int, NewEnvelope]]) -> list[list[StoredItem] | None]:
        """Index the items of committed envelopes (called by the indexer), in one commit.

        Envelopes retention pruned before the index reached them (a flood longer than `keep`)
        get no rows. Raises `StoreUnavailable` when the store cannot take the index now; the
        envelopes stay unindexed in the store (`unindexed()`).
        """
        check = bool(batch) and batch[0][0] <= max(self._newest - self.keep, self._bytes_cutoff)
        stored = write_index(self._store, self.path, batch, check_pruned=check)
        self._last_commit = time.monotonic()  # not calm while the index catches up
        return stored

    def unindexed(self, limit: int = 256) -> list[EnvelopeRecord]:
        return self._store.unindexed(limit)

    # -- the checkpointer thread ---------------------------------------------------------------

    def _checkpoint_loop(self) -> None:
        db = sqlite3.connect(self.path, isolation_level=None)
        db.execute(f"PRAGMA busy_timeout = {_CHECKPOINT_BUSY_TIMEOUT}")
        db.execute(f"PRAGMA journal_size_limit = {WAL_RESTART}")
        (page_size,) = db.execute("PRAGMA page_size").fetchone()
        failing = False
        try:
            while not self._stop.wait(_CHECKPOINT_INTERVAL):
                try:
                    self._checkpoint(db, page_size)
                    failing = False
                except sqlite3.Error:
                    if not failing:  # a full disk fails every pass: say it once
                        log.exception("WAL checkpoint failed")
                    failing = True
        finally:
            db.close()

    def _checkpoint(self, db: sqlite3.Connection, page_size: int) -> None:
        """One pass: copy the WAL into the database without blocking anyone (PASSIVE), then
        let the log restart if it grew large, or empty it once writes have stopped."""
        _, frames, copied = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if frames <= 0:
            return
        calm = time.monotonic() - self._last_commit >= _CALM
        large = frames * page_size >= WAL_RESTART
        if calm or (large and (frames - copied) * page_size < _RESTART_REMAINDER):
            # RESTART and TRUNCATE take the write lock while they finish: flushes wait.
            self._exclusive.set()
            try:
                db.execute(f"PRAGMA wal_checkpoint({'TRUNCATE' if calm else 'RESTART'})")
            finally:
                self._exclusive.clear()

    def close(self) -> None:
        """Commit what is queued, checkpoint, and close."""
        self._closing = True
        self._stop.set()
        self._checkpointer.join()
        self._store.db.execute("PRAGMA busy_timeout = 10000")  # nothing waits on us now
        self._flush()
        try:
            self._store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:
            log.exception("final WAL checkpoint failed")
        self._store.close()
        self._lock.release()


def write_index(
    store: Store, path: Path, batch: list[tuple[int, NewEnvelope]], *, check_pruned: bool
) -> list[list[StoredItem] | None]:
    """The index rows of `batch` in one commit, for whichever process indexes (this one's
    writer, or the worker beside it). An envelope is indexed once: one another indexer
    already did (a worker orphaned by a killed server, finishing its batch while a new one
    starts) gets None in place of its rows. With `check_pruned`, envelopes retention deleted
    before the index reached them get no rows. Both are looked up inside the transaction, so
    the other process cannot slip in between. Raises `StoreUnavailable` when the store
    cannot take the index now."""
    try:
        with store.transaction() as db:
            (done,) = db.execute(
                "SELECT coalesce((SELECT value FROM meta WHERE key = 'indexed_upto'), 0)"
            ).fetchone()
            elsewhere = {envelope_id for envelope_id, _ in batch if envelope_id <= done}
            gone: set[int] = set()
            if check_pruned and batch:
                ids = [envelope_id for envelope_id, _ in batch]
                present = db.execute(
                    f"SELECT id FROM envelopes WHERE id IN ({','.join('?' * len(ids))})", ids
                )
                gone |= set(ids) - {envelope_id for (envelope_id,) in present}
            gone -= elsewhere
            rows = writes.insert_items(db, [e for e in batch if e[0] not in gone | elsewhere])
            stored = iter(rows)
            return [
                None if envelope_id in elsewhere else [] if envelope_id in gone else next(stored)
                for envelope_id, _ in batch
            ]
    except sqlite3.Error as exc:
        fault = unavailable(exc, path)
        if fault is None:
            raise
        raise fault from exc
