"""Group commit: many concurrent requests, one SQLite transaction, each answered after commit.

Handlers `await writer.write(envelope)`. A single thread owns the write connection: it takes
everything queued since its last commit, writes it in one transaction, commits, and wakes
every waiter. Under load, batches grow by themselves; at rest, a lone envelope is committed at
once. The event loop never blocks on SQLite.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from dataclasses import dataclass
from pathlib import Path

from devsentry.store import DEFAULT_KEEP, NewEnvelope, Store, StoredEnvelope

log = logging.getLogger(__name__)

_MAX_BATCH = 512
_PRUNE_EVERY = 1000


@dataclass(slots=True)
class _Write:
    envelope: NewEnvelope
    future: asyncio.Future[StoredEnvelope]
    loop: asyncio.AbstractEventLoop


@dataclass(slots=True)
class _Reject:
    raw: bytes
    status: int
    reason: str
    path: str | None
    headers: dict[str, str]


class _Stop:
    pass


_Job = _Write | _Reject | _Stop


class StoreWriter:
    """The store's single writer, shared by every transport in a process."""

    def __init__(self, path: Path, *, keep: int = DEFAULT_KEEP, max_bytes: int | None = None):
        self.path = path
        self.keep = keep
        self.max_bytes = max_bytes
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._store = Store(path)  # opened here so a bad path fails at start, not later
        self._thread = threading.Thread(target=self._run, name="devsentry-writer", daemon=True)
        self._since_prune = 0
        self._thread.start()

    async def write(self, envelope: NewEnvelope) -> StoredEnvelope:
        """Queue `envelope` and wait until it is committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[StoredEnvelope] = loop.create_future()
        self._queue.put(_Write(envelope, future, loop))
        return await future

    def reject(
        self, raw: bytes, *, status: int, reason: str, path: str | None, headers: dict[str, str]
    ) -> None:
        """Keep a refused request (fire and forget: the client already has its answer)."""
        self._queue.put(_Reject(raw, status, reason, path, headers))

    def close(self) -> None:
        """Commit what is queued, then stop the thread."""
        if self._thread.is_alive():
            self._queue.put(_Stop())
            self._thread.join()

    def _run(self) -> None:
        store = self._store
        try:
            while True:
                first = self._queue.get()
                batch = [first]
                while len(batch) < _MAX_BATCH:
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                self._commit(store, batch)
                if any(isinstance(job, _Stop) for job in batch):
                    return
        finally:
            store.close()

    def _commit(self, store: Store, batch: list[_Job]) -> None:
        for job in batch:
            if isinstance(job, _Reject):
                try:
                    store.reject(
                        job.raw,
                        status=job.status,
                        reason=job.reason,
                        path=job.path,
                        headers=job.headers,
                    )
                except Exception:
                    log.exception("could not keep a rejected request")
        writes = [job for job in batch if isinstance(job, _Write)]
        if not writes:
            return
        try:
            results = store.write([job.envelope for job in writes])
        except Exception as exc:  # the waiters get the error (a 500), never a hang
            log.exception("store write failed")
            for job in writes:
                job.loop.call_soon_threadsafe(_resolve, job.future, None, exc)
            return
        for job, result in zip(writes, results, strict=True):
            job.loop.call_soon_threadsafe(_resolve, job.future, result, None)
        self._since_prune += len(writes)
        if self._since_prune >= _PRUNE_EVERY:
            self._since_prune = 0
            try:
                store.prune(self.keep, self.max_bytes)
            except Exception:
                log.exception("pruning the store failed")


def _resolve(
    future: asyncio.Future[StoredEnvelope],
    result: StoredEnvelope | None,
    error: BaseException | None,
) -> None:
    if future.done():  # the request was cancelled (client went away); the data is stored
        return
    if error is not None:
        future.set_exception(error)
    else:
        assert result is not None
        future.set_result(result)
