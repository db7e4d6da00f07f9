"""The index: typed items, issues and sinks, derived from committed envelopes.

The raw envelope in the store is the truth; the pipeline acknowledges an SDK as soon as it is
committed. The `Indexer` then decodes each item into its model, summarizes and groups it,
writes the item rows and issues, and tells the sinks (live console, forwarder) — at once when
the server is calm, in the gaps when it is flooded, so decoding and rendering never slow
ingest. Work it could not keep in memory (a long flood, a crash) is read back from the store:
`store.unindexed()` is everything committed but not indexed yet.

Nothing an item holds can stop it. An item no stage can use is indexed as invalid, with the
reason, and the items around it flow on; a store that cannot be written now (full, locked) is
waited for; a failing sink costs only itself; and a failure of the indexer's own is logged
once and it starts again, catching up from the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence
from typing import Protocol

import msgspec

from devsentry.ingest.pipeline import Committed
from devsentry.model import Model
from devsentry.process.derive import process_item, sender_of
from devsentry.process.sourcemaps import Resolver
from devsentry.process.summary import summarize
from devsentry.protocol.envelope import Envelope, EnvelopeError, parse
from devsentry.store.faults import StoreUnavailable
from devsentry.store.records import (
    EnvelopeRecord,
    NewEnvelope,
    NewItem,
    StoredEnvelope,
    StoredItem,
    storable,
)
from devsentry.tasks import Once, supervise

__all__ = ["Captured", "IndexTarget", "Indexer", "Sink"]

log = logging.getLogger(__name__)

_BATCH = 16  # envelopes per index transaction when calm (under 10 ms of work at a time)
_BATCH_UNDER_LOAD = 4  # … and while requests keep arriving (a flood): about 2 ms of work
_FLOOD_RATE = 200.0  # envelopes per second above which indexing yields to ingest
_MAX_WAIT_UNDER_LOAD = 0.1  # seconds: indexing always makes progress, even in a flood
_BACKLOG = 1_000  # parsed envelopes kept in memory (~12 MB); beyond that, re-read from the store
_RETRY_UNAVAILABLE = 0.5  # seconds between tries while the store takes no writes


class Captured(msgspec.Struct):
    """What sinks receive once an envelope is stored and indexed: everything, decoded."""

    envelope: Envelope
    models: list[Model | None]  # per item; None for binary, unknown or undecodable payloads
    records: list[NewItem]  # per item: the summary stored (title, level, issue, error…)
    stored: StoredEnvelope  # row ids, and for errors the issue id and its event count
    project: str
    transport: str
    received: float
    client: str | None


class Sink(Protocol):
    """A consumer of indexed envelopes (live console, forwarder, …).

    `publish` runs on the ingest loop, so it must return at once: queue, don't work. The work
    happens in a task the sink runs between `start` and `stop` (which drains the queue).
    """

    async def start(self) -> None: ...

    def publish(self, captured: Captured) -> None: ...

    async def stop(self) -> None: ...


class IndexTarget(Protocol):
    """Where the index is read from and written: the ingest process's `StoreWriter`, or the
    worker's `IndexWriter`."""

    def rate(self, now: float) -> float: ...

    def unindexed(self, limit: int = 256) -> list[EnvelopeRecord]: ...

    def index(self, batch: list[tuple[int, NewEnvelope]]) -> list[list[StoredItem] | None]: ...


class _Pending(msgspec.Struct):
    envelope_id: int
    envelope: Envelope
    record: NewEnvelope


class Indexer:
    """Decodes, groups and indexes committed envelopes in order, then notifies the sinks."""

    def __init__(
        self,
        writer: IndexTarget,
        sinks: Sequence[Sink] = (),
        resolver: Resolver | None = None,
        *,
        batch: int = _BATCH,
    ) -> None:
        self.writer = writer
        self.sinks = list(sinks)
        self.resolver = resolver or Resolver()
        self.batch = batch
        self._queue: deque[_Pending] = deque()
        self._from_store = True  # start by catching up on what a previous run left
        self._done_upto = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._once = Once(log)
        self._inflight: list[_Pending] | None = None  # taken, waiting for its source maps

    def committed(self, committed: Committed) -> None:
        """Hand over a committed envelope (never blocks; never loses it: it is in the store)."""
        if not self._from_store:
            if len(self._queue) < _BACKLOG:
                self._queue.append(
                    _Pending(committed.envelope_id, committed.envelope, committed.record)
                )
            else:
                self._queue.clear()
                self._from_store = True
        self._wake.set()

    def poke(self) -> None:
        """Something was committed that this process did not see (the worker, woken by the
        ingest process): read it from the store."""
        self._from_store = True
        self._wake.set()

    async def start(self) -> None:
        await self.resolver.start()
        self.open()

    async def stop(self) -> None:
        """Index everything committed so far (source maps fetched as usual: an app that
        crashes and exits is the common case), then stop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            batch, self._inflight = self._inflight, None
            while batch is not None:
                if batch:
                    await self._index_resolved(batch)
                batch = self._take(self.batch)
        except StoreUnavailable as exc:  # full or locked: the next start indexes it
            log.warning("not indexed yet (the next start does it): %s", exc.detail)
        self.close()
        await self.resolver.close()

    def open(self) -> None:
        """`start` for hosts whose lifecycle hooks are synchronous (mitmproxy's `running`)."""
        self._wake.set()
        self._task = supervise(self._run, name="devsentry indexer", on_restart=self._restart)

    def _restart(self) -> None:
        """After a failure of its own: forget what is in memory, read it from the store."""
        self._queue.clear()
        self._inflight = None
        self._from_store = True
        self._wake.set()

    def close(self) -> None:
        """`stop` for synchronous hooks (mitmproxy's `done`): cancel, then index what is left.

        Safe without awaiting the task: it runs on this same thread and is parked at an
        `await`, so the drain here cannot interleave with it.
        """
        if self._task is not None:
            self._task.cancel()
            self._task = None
        try:
            batch, self._inflight = self._inflight, None
            if batch:  # cancelled while its maps were fetched: indexed without them
                self._index_batch(batch)
            while self._index_next(self.batch):
                pass
        except StoreUnavailable as exc:  # full or locked: the next start indexes it
            log.warning("not indexed yet (the next start does it): %s", exc.detail)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await self._wake.wait()
            self._wake.clear()
            while True:
                now = loop.time()
                flood = self.writer.rate(now) > _FLOOD_RATE
                if flood and now - last < _MAX_WAIT_UNDER_LOAD:
                    await asyncio.sleep(_MAX_WAIT_UNDER_LOAD - (now - last))  # requests first
                    continue
                try:
                    batch = self._take(_BATCH_UNDER_LOAD if flood else self.batch)
                    if batch:
                        await self._index_resolved(batch)
                    more = batch is not None
                except StoreUnavailable:  # full, locked (the writer tells): it is all stored
                    self._restart()
                    await asyncio.sleep(_RETRY_UNAVAILABLE)
                    continue
                if not more:
                    break
                last = loop.time()
                await asyncio.sleep(0)

    def _index_next(self, limit: int) -> bool:
        """Index up to `limit` envelopes; False when there was nothing to do. Synchronous
        (the drain on stop): maps not fetched before are not fetched now."""
        batch = self._take(limit)
        if batch:
            self._index_batch(batch)
        return batch is not None

    def _take(self, limit: int) -> list[_Pending] | None:
        """The next envelopes to index (empty when only unparseable leftovers were marked
        done); None when there is nothing to do."""
        batch: list[_Pending] = []
        if self._from_store:
            records = self.writer.unindexed(limit)
            if len(records) < limit:
                self._from_store = False  # caught up: later envelopes arrive via committed()
            batch = [p for p in map(_from_record, records) if p is not None]
            if not records:
                return self._take(limit) if self._queue else None
            self._done_upto = max(self._done_upto, records[-1].id)
            if not batch:  # only unparseable leftovers: mark them done
                self.writer.index([(records[-1].id, NewEnvelope(b"", "", "", 0.0, []))])
            return batch
        while self._queue and len(batch) < limit:
            pending = self._queue.popleft()
            if pending.envelope_id > self._done_upto:  # not already read from the store
                batch.append(pending)
        return batch or None

    def _index_batch(self, batch: list[_Pending]) -> None:
        self._index(batch)
        self._done_upto = max(self._done_upto, batch[-1].envelope_id)

    async def _index_resolved(self, batch: list[_Pending]) -> None:
        """Index the batch; events whose JavaScript frames need maps not looked up yet are
        processed again once `prepare` fetched and parsed them (awaited: the loop goes on
        answering SDKs meanwhile). Other events are processed once, as before."""
        resolver = self.resolver
        resolver.missed.clear()
        decoded: list[list[Model | None]] = []
        again: list[int] = []
        for n, pending in enumerate(batch):
            misses = resolver.misses
            decoded.append(self._decode(pending))
            if resolver.misses != misses:
                again.append(n)
        if resolver.missed:
            self._inflight = batch  # a stop meanwhile indexes it (`stop`, `close`)
            await resolver.prepare()
            self._inflight = None
            for n in again:
                decoded[n] = self._decode(batch[n])
            resolver.missed.clear()  # what is still missing is said in each frame's note
        self._index(batch, decoded)
        self._done_upto = max(self._done_upto, batch[-1].envelope_id)

    def _index(
        self, batch: list[_Pending], decoded: list[list[Model | None]] | None = None
    ) -> None:
        if decoded is None:
            decoded = [self._decode(pending) for pending in batch]
        stored = self._write(batch)
        if not self.sinks:
            return
        for pending, models, items in zip(batch, decoded, stored, strict=True):
            if items is None:  # another indexer did it (and told its sinks)
                continue
            record = pending.record
            captured = Captured(
                envelope=pending.envelope,
                models=models,
                records=record.items,
                stored=StoredEnvelope(pending.envelope_id, items),
                project=record.project,
                transport=record.transport,
                received=record.received,
                client=record.client,
            )
            for sink in self.sinks:
                try:
                    sink.publish(captured)
                except Exception as exc:  # a failing sink costs itself, never the others
                    self._once.failed(f"the sink {type(sink).__name__} failed", exc)

    def _decode(self, pending: _Pending) -> list[Model | None]:
        """Each item's model and stored summary; an item no stage can use is kept as invalid,
        with the reason."""
        envelope = pending.envelope
        sender = sender_of(pending.record, envelope)
        models: list[Model | None] = []
        records: list[NewItem] = []
        for index, item in enumerate(envelope.items):
            try:
                derived = process_item(item, sender, envelope.event_id, self.resolver)
            except Exception as exc:  # a payload processing cannot take: that item's problem
                self._once.failed(f"processing a {item.type!r} item", exc)
                models.append(None)
                records.append(_invalid(index, item.type, len(item.payload), "process", exc))
                continue
            model = derived.model
            try:
                record = summarize(index, item, model, envelope, derived.error)
                record.processed = derived.processed
            except Exception as exc:  # a payload a stage cannot take: that item's problem
                self._once.failed(f"summarizing a {item.type!r} item", exc)
                model = None
                record = _invalid(index, item.type, len(item.payload), "summarize", exc)
            models.append(model)
            records.append(record)
        pending.record.items = records
        return models

    def _write(self, batch: list[_Pending]) -> list[list[StoredItem] | None]:
        """Index rows for the batch in one commit; when a row cannot be written (a bug, never
        a full store: that raises), each envelope alone, and the one at fault as invalid."""
        try:
            return self.writer.index([(p.envelope_id, p.record) for p in batch])
        except StoreUnavailable:
            raise
        except Exception as exc:
            self._once.failed("writing index rows", exc)
        stored: list[list[StoredItem] | None] = []
        for pending in batch:
            try:
                stored += self.writer.index([(pending.envelope_id, pending.record)])
                continue
            except StoreUnavailable:
                raise
            except Exception as exc:
                pending.record.items = [
                    _invalid(i.index, i.type, i.size, "index", exc) for i in pending.record.items
                ]
            try:
                stored += self.writer.index([(pending.envelope_id, pending.record)])
            except StoreUnavailable:
                raise
            except Exception as exc:  # not even a bare row: move past it, said in the log
                self._once.failed(f"indexing envelope {pending.envelope_id} at all", exc)
                pending.record.items = []
                stored += self.writer.index([(pending.envelope_id, pending.record)])
        return stored


def _invalid(index: int, item_type: str, size: int, stage: str, exc: Exception) -> NewItem:
    """The index row of an item a stage could not use: its type, size and why."""
    reason = storable(f"devsentry could not {stage} it: {exc!r}"[:500])
    return NewItem(
        index=index,
        type=storable(item_type, 200) or "",
        size=size,
        title=reason,
        error=reason,
    )


def _from_record(row: EnvelopeRecord) -> _Pending | None:
    try:
        envelope = parse(row.raw)
    except EnvelopeError:  # stored raw is always a parsed envelope; be safe anyway
        log.warning("stored envelope %s does not parse; not indexed", row.id)
        return None
    record = NewEnvelope(
        raw=row.raw,
        project=row.project,
        transport=row.transport,
        received=row.received,
        items=[],
        event_id=row.event_id,
        client=row.client,
        remote_addr=row.remote_addr,
        content_encoding=row.content_encoding,
        user_agent=row.user_agent,
        client_hints=row.client_hints,
    )
    return _Pending(row.id, envelope, record)
