"""One stored item in full, for `devsentry show`: its record, payload, issue and attachments.

The one resolver of ids (`resolve`): `show`, `export` and every other command that takes an id
find what it names here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from devsentry.browse.errors import Ambiguous, NotFound
from devsentry.browse.saving import SavedFile, safe_filename, save_new, saving_dir
from devsentry.model import (
    Attachment,
    ModelError,
    Payload,
    attachment_info,
    decode_item,
    kind_of,
    primary_rank,
)
from devsentry.process.derive import judge, process_item, sender_of
from devsentry.process.verdict import InSentry
from devsentry.protocol.envelope import Envelope, EnvelopeError, Item, parse
from devsentry.protocol.untrusted import decode_json
from devsentry.store.ids import Ref
from devsentry.store.outbox import Delivery, Outbox
from devsentry.store.query import Query
from devsentry.store.records import (
    EnvelopeRecord,
    IssueRecord,
    ItemRecord,
    Processed,
    ProcessedRecord,
    TagFacet,
)
from devsentry.store.store import Store

__all__ = [
    "AttachmentFile",
    "Detail",
    "SavedFile",
    "envelopes_for",
    "load_detail",
    "resolve",
    "safe_filename",
    "save_attachments",
]


class AttachmentFile(msgspec.Struct):
    """An attachment that came in the same envelope as the item shown."""

    index: int  # in the envelope
    info: Attachment
    data: bytes


class Detail(msgspec.Struct, kw_only=True):
    """Everything `devsentry show` knows about one item: record, payload, issue, envelope."""

    record: ItemRecord
    issue: IssueRecord | None = None
    envelope: EnvelopeRecord | None = None
    parsed: Envelope | None = None
    item: Item | None = None
    model: Payload | None = None
    error: str | None = None  # why the payload could not be read
    latest: bool = False  # named by its issue: the issue's latest event
    attachments: list[AttachmentFile] = msgspec.field(default_factory=list)
    forward: Delivery | None = None  # its envelope's forwarding state, when forwarded
    normalized: dict[str, Any] | None = None  # the event as Sentry sees it (events only)
    tags: list[tuple[str, str]] = msgspec.field(default_factory=list)  # Sentry's, in order
    in_sentry: InSentry = msgspec.field(default_factory=InSentry)  # what Sentry would keep
    facets: list[TagFacet] = msgspec.field(default_factory=list)  # the issue's tag values
    releases: list[str] = msgspec.field(default_factory=list)  # the issue's, oldest first


#: Tag values per key that `show` and `show --json` list (Sentry's issue page shows the top 9).
FACET_VALUES = 9


def _matches(store: Store, ref: Ref) -> list[ItemRecord]:
    """The items `ref` names: an issue's latest event, one item, or the items of one event
    id. Raises `NotFound` when it names nothing, `Ambiguous` for a prefix of several events."""
    if ref.kind == "issue":
        if store.issue(ref.number) is None:
            raise NotFound(f"not found: {ref.text} (no issue DS-{ref.number})")
        latest = store.items(Query(issue_id=ref.number, limit=1))
        if not latest:
            raise NotFound(f"not found: {ref.text} (its events were pruned from the store)")
        return latest
    if ref.kind == "item":
        if (record := store.item(ref.number)) is not None:
            return [record]
        if not ref.prefix:
            raise NotFound(f"not found: {ref.text} (no item #{ref.number})")
    matches = store.items_by_event_id(ref.prefix)
    if not matches:
        raise NotFound(f"not found: {ref.text} (no item or event id starts with it)")
    if len({m.event_id for m in matches}) > 1:
        raise Ambiguous(ref.text, matches)
    return matches


def resolve(store: Store, ref: Ref) -> ItemRecord:
    """The one item `ref` names; for an event id, the item that names its envelope (the event
    rather than its attachments)."""
    return min(_matches(store, ref), key=lambda m: (primary_rank(m.type), m.id))


def envelopes_for(store: Store, ref: Ref) -> list[int]:
    """The envelopes `ref` names, oldest first: all of an issue's events, one item's envelope,
    or every envelope of an event id (the event, and a user report sent for it later)."""
    if ref.kind == "issue":
        _matches(store, ref)  # not found, or pruned: said the same way as for `show`
        return sorted(store.envelope_ids(Query(issue_id=ref.number, limit=None)))
    return sorted({m.envelope_id for m in _matches(store, ref)})


def load_detail(store: Store, ref: Ref) -> Detail:
    """The item `ref` names, its decoded payload, issue and the attachments sent with it."""
    record = resolve(store, ref)
    detail = Detail(record=record, latest=ref.kind == "issue")
    detail.forward = Outbox(store).get(record.envelope_id)
    if record.issue_id is not None:
        detail.issue = store.issue(record.issue_id)
    detail.envelope = store.envelope(record.envelope_id)
    if detail.envelope is None:
        detail.error = "its envelope was pruned from the store"
        return detail
    try:
        detail.parsed = parse(detail.envelope.raw)
    except EnvelopeError as exc:  # stored envelopes parsed once already: a damaged file
        detail.error = f"the stored envelope does not parse: {exc}"
        return detail
    items = detail.parsed.items
    if record.index >= len(items):
        detail.error = f"the stored envelope has no item {record.index}"
        return detail
    detail.item = items[record.index]
    _read_payload(store, detail, detail.envelope, detail.parsed)
    if detail.issue is not None:
        detail.facets = store.issue_tags(detail.issue.id, top=FACET_VALUES)
        detail.releases = store.issue_releases([detail.issue.id]).get(detail.issue.id, [])
    detail.attachments = [
        AttachmentFile(i, attachment_info(it), it.payload)
        for i, it in enumerate(items)
        if it.type == "attachment" and i != record.index
    ]
    if detail.item.type == "attachment":
        detail.attachments.insert(
            0, AttachmentFile(record.index, attachment_info(detail.item), detail.item.payload)
        )
    return detail


def _read_payload(store: Store, detail: Detail, row: EnvelopeRecord, envelope: Envelope) -> None:
    """The item's model, as the index saw it: an event decoded from its normalized copy (made
    now for one indexed before devsentry processed events), anything else as sent; and what
    Sentry would do with it."""
    assert detail.item is not None
    item = detail.item
    sender = sender_of(row, envelope)
    processed: Processed | ProcessedRecord | None = store.processed(detail.record.id)
    if processed is None and kind_of(item.type).normalized:
        derived = process_item(item, sender, envelope.event_id)
        detail.model, detail.error, processed = derived.model, derived.error, derived.processed
    else:
        normalized = processed.normalized if processed is not None else None
        try:
            source = Item(item.header, normalized, item.raw_header) if normalized else item
            detail.model = decode_item(source, depth_checked=normalized is not None)
        except ModelError as exc:
            detail.error = str(exc)
    if processed is not None and processed.normalized is not None:
        try:
            decoded = decode_json(processed.normalized)
        except msgspec.DecodeError:
            decoded = None
        if isinstance(decoded, dict):
            detail.normalized = decoded
            detail.tags = _tag_pairs(decoded.get("tags"))
    detail.in_sentry = judge(item, sender, processed, detail.error)


def _tag_pairs(tags: Any) -> list[tuple[str, str]]:
    """The normalized event's `tags` (pairs, as processing wrote them)."""
    if not isinstance(tags, list):
        return []
    return [
        (t[0], t[1])
        for t in tags
        if isinstance(t, list) and len(t) == 2 and all(isinstance(x, str) for x in t)
    ]


# -- attachments --------------------------------------------------------------------------


def save_attachments(detail: Detail, directory: Path) -> list[SavedFile]:
    """Write the attachments into `directory` (created if needed), never outside it; existing
    files are never overwritten (`browse.saving`)."""
    root = saving_dir(directory)
    return [
        save_new(root, safe_filename(a.info.filename, f"attachment-{a.index}"), a.data)
        for a in detail.attachments
    ]
