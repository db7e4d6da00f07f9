"""Following the store as items arrive (`devsentry tail`): the backlog, then new items."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import msgspec

from devsentry.model import ModelError, Payload, decode_item
from devsentry.protocol.envelope import Envelope, EnvelopeError, Item, parse
from devsentry.store.query import Query
from devsentry.store.records import IssueRecord, ItemRecord
from devsentry.store.store import Store

__all__ = ["Loaded", "Loader", "follow", "tail_backlog"]


class Loaded(msgspec.Struct):
    """A stored item ready for the live views: its envelope item, model, issue and the
    issue's event count when it arrived (1: it opened the issue)."""

    record: ItemRecord
    item: Item | None
    model: Payload | None
    issue: IssueRecord | None
    issue_count: int | None
    error: str | None = None  # why the payload cannot be shown


class Loader:
    """Loads stored items for the live views, parsing each envelope once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._envelopes: dict[int, Envelope | None] = {}

    def _envelope(self, envelope_id: int) -> Envelope | None:
        if envelope_id not in self._envelopes:
            if len(self._envelopes) > 64:
                self._envelopes.clear()
            record = self.store.envelope(envelope_id)
            try:
                self._envelopes[envelope_id] = parse(record.raw) if record else None
            except EnvelopeError:
                self._envelopes[envelope_id] = None
        return self._envelopes[envelope_id]

    def load(self, record: ItemRecord) -> Loaded:
        issue = self.store.issue(record.issue_id) if record.issue_id is not None else None
        count = (
            self.store.issue_count_at(record.issue_id, record.id)
            if record.issue_id is not None
            else None
        )
        error = record.error
        envelope = self._envelope(record.envelope_id)
        item = (
            envelope.items[record.index]
            if envelope and record.index < len(envelope.items)
            else None
        )
        model = None
        if item is None:
            error = error or "its envelope is no longer in the store"
        elif error is None:
            try:
                model = decode_item(item)
            except ModelError as exc:
                error = str(exc)
        return Loaded(record, item, model, issue, count, error)


def tail_backlog(
    store: Store, query: Query, *, count: int | None, since: float | None
) -> tuple[list[ItemRecord], int]:
    """What `tail` prints before following (oldest first) and the id to follow from.

    Without `count` or `since` nothing is shown: tail starts at the newest item.
    """
    after = store.last_item_id()
    if count is None and since is None:
        return [], after
    rows = store.items(msgspec.structs.replace(query, since=since, limit=count))
    rows.reverse()
    return rows, max([after, *(r.id for r in rows)])


def follow(
    store: Store,
    query: Query,
    after: int,
    *,
    interval: float = 0.2,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[ItemRecord]:
    """New items matching `query`, oldest first, forever: polls every `interval` seconds.

    The server commits in its own process; WAL lets this reader poll without blocking it. A
    store cleared meanwhile (ids start again at 1) is followed from its new beginning.
    """
    while True:
        rows = store.items(
            msgspec.structs.replace(query, after_id=after, limit=500), oldest_first=True
        )
        if rows:
            after = rows[-1].id
            yield from rows
            continue
        if store.last_item_id() < after:
            after = 0
            continue
        sleep(interval)
