"""The processing stage: what Sentry derives from a committed item, kept beside the raw one.

For events and transactions `process_item` does what Relay does before Sentry stores an event:
normalizes a copy of the payload (`normalize`) and derives its tags (`tags`); the typed model
every later stage reads (summary, grouping, the views) is decoded from that normalized copy.
Other items are decoded as sent. The raw payload is never changed: the store keeps it, and the
normalized copy beside.

What Sentry would keep of an item (`verdict`) follows from those, so `judge` says it when a
view asks — the console for what it prints, `show` — rather than for every item of a flood.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from devsentry.model import Model, ModelError, decode_item, is_binary, kind_of
from devsentry.process.context import add_source_context
from devsentry.process.normalize import normalize_event
from devsentry.process.sender import Sender
from devsentry.process.sourcemaps.locate import JS_PLATFORMS
from devsentry.process.tags import event_tags
from devsentry.process.verdict import InSentry, Note, in_sentry
from devsentry.protocol.envelope import Envelope, Item
from devsentry.protocol.times import epoch_seconds
from devsentry.protocol.untrusted import decode_json
from devsentry.store.records import Processed, ProcessedRecord

if TYPE_CHECKING:
    from devsentry.process.sourcemaps import Resolver

__all__ = ["Derived", "judge", "process_item", "sender_of"]

_encode = msgspec.json.Encoder().encode
_notes = msgspec.json.Decoder(list[Note])


class Derived(msgspec.Struct):
    """One item after processing: its model, why it is invalid if it is, what was derived."""

    model: Model | None
    error: str | None = None
    processed: Processed | None = None


class _EnvelopeRow(Protocol):
    """An envelope as stored (`NewEnvelope` while indexing, `EnvelopeRecord` when read)."""

    @property
    def received(self) -> float: ...
    @property
    def remote_addr(self) -> str | None: ...
    @property
    def user_agent(self) -> str | None: ...
    @property
    def client_hints(self) -> str | None: ...


def sender_of(record: _EnvelopeRow, envelope: Envelope) -> Sender:
    """The sender facts processing uses, from the stored envelope row and its header."""
    hints: dict[str, str] = {}
    if record.client_hints:
        try:
            decoded = decode_json(record.client_hints)
        except msgspec.DecodeError:
            decoded = None
        if isinstance(decoded, dict):
            hints = {k: v for k, v in decoded.items() if isinstance(v, str)}
    return Sender(
        received=record.received,
        remote_addr=record.remote_addr,
        user_agent=record.user_agent,
        client_hints=hints,
        sent_at=epoch_seconds(envelope.header.get("sent_at")),
    )


def process_item(
    item: Item, sender: Sender, event_id: str | None = None, resolver: Resolver | None = None
) -> Derived:
    """Decode, and for events normalize, one item; an item that cannot be read is `error`.
    `event_id` is the envelope header's, which Relay gives the event it carries; `resolver`
    rewrites JavaScript frames through the source maps it prepared (`process.sourcemaps`)."""
    if not kind_of(item.type).normalized:
        return _as_sent(item)
    try:
        data = decode_json(item.payload)
    except msgspec.DecodeError:
        data = None
    if not isinstance(data, dict):  # not a JSON object: the model says what is wrong
        return _as_sent(item)
    if event_id is not None:
        data["event_id"] = event_id
    removed = normalize_event(data, sender)
    if resolver is not None and item.type == "event" and data.get("platform") in JS_PLATFORMS:
        resolver.apply(data)
    add_source_context(data)
    tags = event_tags(data)
    data["tags"] = [list(tag) for tag in tags]  # as Sentry's stored event has them
    normalized = _encode(data)
    try:
        model = decode_item(Item(item.header, normalized, item.raw_header), depth_checked=True)
    except ModelError:  # the payload as sent says why (normalization keeps every shape)
        return _as_sent(item)
    notes = _encode(removed).decode() if removed else None
    return Derived(model, None, Processed(tags, normalized, notes))


def _as_sent(item: Item) -> Derived:
    """An item processing does not normalize, decoded as sent."""
    try:
        return Derived(decode_item(item))
    except ModelError as exc:
        return Derived(None, str(exc))


def judge(
    item: Item,
    sender: Sender,
    processed: Processed | ProcessedRecord | None,
    error: str | None,
) -> InSentry:
    """What Sentry would do with `item`: from its normalized copy and what normalization
    removed (events), or its payload as sent (anything else), and why it is invalid."""
    normalized = processed.normalized if processed is not None else None
    removed: list[Note] = []
    if processed is not None and processed.removed:
        try:
            removed = _notes.decode(processed.removed)
        except msgspec.DecodeError:  # devsentry's own JSON: a damaged store
            removed = []
    payload: Any = None
    if error is None and (normalized is not None or not is_binary(item)):
        try:
            payload = decode_json(normalized if normalized is not None else item.payload)
        except msgspec.DecodeError:
            payload = None
    return in_sentry(
        item.type,
        len(item.payload),
        payload if isinstance(payload, dict) else None,
        invalid=error,
        removed=removed,
        received=sender.received,
        item_count=_item_count(item),
        sent_at=sender.sent_at,
    )


def _item_count(item: Item) -> int | None:
    """A container's `item_count` header (logs, spans, metrics), when it is a count."""
    count = item.header.get("item_count")
    return count if isinstance(count, int) and not isinstance(count, bool) else None
