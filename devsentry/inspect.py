"""The library under `devsentry issues|show|events|tail|stats|clear`.

Commands stay thin: they turn flags into a `Query`, call one function here, and hand the result
to a renderer (`render/lists.py`, `render/detail.py`) or print its JSON. Everything that needs a
rule lives here, once: which ids mean what (`parse_ref`), how `--since` reads, what an item or
issue looks like as JSON, where attachments may be written. Failures raise `InspectError`
subclasses whose message is ready for the user; the CLI maps them to exit codes.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import msgspec

from devsentry.envelope import Envelope, EnvelopeError, Item, parse
from devsentry.model import Attachment, Model, ModelError, attachment_info, decode_item
from devsentry.outbox import Delivery, Outbox
from devsentry.render.layout import ItemMeta
from devsentry.render.text import clean
from devsentry.status import ID_HELP
from devsentry.store import EnvelopeRecord, IssueRecord, ItemRecord, Query, Store

__all__ = [
    "ID_HELP",
    "Ambiguous",
    "AttachmentFile",
    "Detail",
    "InspectError",
    "IssuePage",
    "ItemPage",
    "Loaded",
    "Loader",
    "NotFound",
    "Ref",
    "SavedFile",
    "StoreMissing",
    "clear_store",
    "follow",
    "iso",
    "issue_json",
    "issue_page",
    "item_json",
    "item_meta",
    "item_page",
    "load_detail",
    "open_store",
    "parse_issue_id",
    "parse_ref",
    "parse_since",
    "safe_filename",
    "save_attachments",
    "short_issue",
    "show_json",
    "store_stats",
    "tail_backlog",
]


class InspectError(Exception):
    """A failure worth one line to the user (exit 1)."""


class StoreMissing(InspectError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"no devsentry store at {path} (run devsentry serve first or pass --store)"
        )


class NotFound(InspectError):
    """The id names nothing stored (exit 3)."""


class Ambiguous(InspectError):
    """An event id prefix matches several events; the message lists them."""

    def __init__(self, prefix: str, candidates: list[ItemRecord]) -> None:
        lines = [
            clean(
                f"  {c.event_id}  #{c.id}  {c.type}  {c.title or ''}", single_line=True, limit=100
            )
            for c in candidates
        ]
        super().__init__(
            f"event id prefix {prefix!r} is ambiguous; it matches:\n" + "\n".join(lines)
        )
        self.candidates = candidates


def open_store(path: Path) -> Store:
    """The store at `path`, read-only; never creates the file (a typo must not look empty)."""
    if not path.is_file():
        raise StoreMissing(path)
    try:
        return Store(path, readonly=True)
    except FileNotFoundError:
        raise StoreMissing(path) from None


# -- ids and times ------------------------------------------------------------------------

_ISSUE_ID = re.compile(r"ds-(\d+)", re.IGNORECASE)
_ITEM_ID = re.compile(r"(?:#|item:)(\d+)", re.IGNORECASE)
_EVENT_ID = re.compile(r"[0-9a-f-]+", re.IGNORECASE)


class Ref(msgspec.Struct, frozen=True):
    """What a `show` argument names: an issue, an item row, or an event id prefix."""

    kind: Literal["issue", "item", "event"]
    text: str  # as typed
    number: int = 0  # issue or item id
    prefix: str = ""  # event id prefix, lowercase, no dashes


def parse_ref(text: str) -> Ref:
    """Apply the id rules of `ID_HELP`; ValueError when `text` fits none of them."""
    value = text.strip()
    if m := _ISSUE_ID.fullmatch(value):
        return Ref("issue", value, number=int(m.group(1)))
    if m := _ITEM_ID.fullmatch(value):
        return Ref("item", value, number=int(m.group(1)))
    if value.isdigit():
        prefix = value if len(value) >= 6 else ""
        return Ref("item", value, number=int(value), prefix=prefix)
    hexdigits = value.replace("-", "").lower()
    if _EVENT_ID.fullmatch(value) and 6 <= len(hexdigits) <= 32:
        return Ref("event", value, prefix=hexdigits)
    raise ValueError(
        f"{text!r} is not an id: use DS-<n> for an issue, #<n> for an item, "
        "or at least 6 hex digits of an event id"
    )


def parse_issue_id(text: str) -> int:
    """`DS-12` or `12` → 12, for `--issue`."""
    value = text.strip()
    if m := _ISSUE_ID.fullmatch(value):
        return int(m.group(1))
    if value.isdigit():
        return int(value)
    raise ValueError(f"{text!r} is not an issue id (expected DS-<n>)")


_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str, now: float | None = None) -> float:
    """`--since`: a duration back from now (`90s`, `10m`, `1h30m`, `2d`, `1w`) or an ISO date.

    A date or time without a zone is local time, as the user's clock shows it.
    """
    value = text.strip().lower()
    now = time.time() if now is None else now
    if value and "".join(m.group() for m in _DURATION.finditer(value)) == value:
        return now - sum(float(n) * _UNITS[unit] for n, unit in _DURATION.findall(value))
    try:
        parsed = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a duration (30s, 10m, 2h, 1d, 1w) nor an ISO date "
            "(2026-01-31 or 2026-01-31T14:00)"
        ) from None
    return parsed.timestamp()  # naive datetimes are local time


def iso(seconds: float | None) -> str | None:
    """Epoch seconds as ISO 8601 UTC with milliseconds: `2026-01-31T14:00:00.123Z`."""
    if seconds is None:
        return None
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- JSON shapes --------------------------------------------------------------------------


def short_issue(issue_id: int | None) -> str | None:
    return f"DS-{issue_id}" if issue_id is not None else None


def forward_json(delivery: Delivery | None) -> dict[str, Any] | None:
    """An envelope's forwarding state, for `--json` (None when it was not forwarded)."""
    if delivery is None:
        return None
    return {
        "state": delivery.state,
        "attempts": delivery.attempts,
        "status": delivery.status,
        "detail": delivery.detail,
        "next_attempt": iso(delivery.next_attempt)
        if delivery.state in ("pending", "rate_limited")
        else None,
        "updated": iso(delivery.updated),
    }


def item_json(r: ItemRecord, forward: Delivery | None = None) -> dict[str, Any]:
    """One stored item as `events --json` and `tail --json` print it."""
    return {
        "id": r.id,
        "event_id": r.event_id,
        "type": r.type,
        "project": r.project,
        "timestamp": iso(r.timestamp),
        "received": iso(r.received),
        "title": r.title,
        "level": r.level,
        "release": r.release,
        "environment": r.environment,
        "platform": r.platform,
        "sdk": r.sdk,
        "user": r.user,
        "trace_id": r.trace_id,
        "size": r.size,
        "issue": short_issue(r.issue_id),
        "envelope_id": r.envelope_id,
        "error": r.error,
        "forward": forward_json(forward),
    }


def issue_json(r: IssueRecord) -> dict[str, Any]:
    """One issue as `issues --json` prints it."""
    return {
        "id": r.short_id,
        "title": r.title,
        "culprit": r.culprit,
        "level": r.level,
        "type": r.type,
        "value": r.value,
        "platform": r.platform,
        "count": r.count,
        "users": r.users,
        "first_seen": iso(r.first_seen),
        "last_seen": iso(r.last_seen),
        "project": r.project,
    }


# -- lists --------------------------------------------------------------------------------


class IssuePage(msgspec.Struct):
    rows: list[IssueRecord]
    total: int  # all issues matching the filters, not only those shown


class ItemPage(msgspec.Struct):
    rows: list[ItemRecord]
    total: int


def issue_page(store: Store, query: Query) -> IssuePage:
    """Issues by last seen, newest first; counting all matches only when the page is full."""
    rows = store.issues(query)
    full = query.limit is not None and len(rows) >= query.limit
    return IssuePage(rows, store.count_issues(query) if full else len(rows))


def item_page(store: Store, query: Query) -> ItemPage:
    """Items newest first; counting all matches only when the page is full."""
    rows = store.items(query)
    full = query.limit is not None and len(rows) >= query.limit
    return ItemPage(rows, store.count_items(query) if full else len(rows))


# -- one item, in full --------------------------------------------------------------------


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
    model: Model | None = None
    error: str | None = None  # why the payload could not be read
    latest: bool = False  # named by its issue: the issue's latest event
    attachments: list[AttachmentFile] = msgspec.field(default_factory=list)
    forward: Delivery | None = None  # its envelope's forwarding state, when forwarded

    @property
    def meta(self) -> ItemMeta:
        return item_meta(self.record, self.issue)


#: Which item to show when one event id names several (an event and its attachments).
_PRIMARY = ("event", "transaction", "feedback", "user_report", "check_in", "replay_event")


def _resolve(store: Store, ref: Ref) -> ItemRecord:
    if ref.kind == "issue":
        if store.issue(ref.number) is None:
            raise NotFound(f"not found: {ref.text} (no issue DS-{ref.number})")
        latest = store.items(Query(issue_id=ref.number, limit=1))
        if not latest:
            raise NotFound(f"not found: {ref.text} (its events were pruned from the store)")
        return latest[0]
    if ref.kind == "item":
        if (record := store.item(ref.number)) is not None:
            return record
        if not ref.prefix:
            raise NotFound(f"not found: {ref.text} (no item #{ref.number})")
    matches = store.items_by_event_id(ref.prefix)
    if not matches:
        raise NotFound(f"not found: {ref.text} (no item or event id starts with it)")
    if len({m.event_id for m in matches}) > 1:
        raise Ambiguous(ref.text, matches)
    return min(
        matches,
        key=lambda m: (_PRIMARY.index(m.type) if m.type in _PRIMARY else len(_PRIMARY), m.id),
    )


def load_detail(store: Store, ref: Ref) -> Detail:
    """The item `ref` names, its decoded payload, issue and the attachments sent with it."""
    record = _resolve(store, ref)
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
    try:
        detail.model = decode_item(detail.item)
    except ModelError as exc:
        detail.error = str(exc)
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


def show_json(detail: Detail) -> dict[str, Any]:
    """`show --json`: the payload as sent (decoded JSON), with the item, issue and envelope."""
    return {
        "item": item_json(detail.record, detail.forward),
        "issue": issue_json(detail.issue) if detail.issue is not None else None,
        "envelope": detail.parsed.header if detail.parsed is not None else None,
        "payload": detail.item.payload_view() if detail.item is not None else None,
        "attachments": [
            {
                "index": a.index,
                "filename": a.info.filename,
                "content_type": a.info.content_type,
                "attachment_type": a.info.attachment_type,
                "size": a.info.size,
            }
            for a in detail.attachments
        ],
        "error": detail.error,
    }


# -- attachments --------------------------------------------------------------------------

_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f:*?\"<>|]")


def safe_filename(name: str | None, fallback: str) -> str:
    """A file name that stays in its directory: no separators, no `..`, no control bytes."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE_CHARS.sub("_", base).strip().lstrip(".")
    return base[:200] or fallback


class SavedFile(msgspec.Struct):
    path: Path
    size: int


def save_attachments(detail: Detail, directory: Path) -> list[SavedFile]:
    """Write the attachments into `directory` (created if needed), never outside it.

    Existing files are never overwritten: a clash gets `-1`, `-2`… before the extension.
    """
    directory.mkdir(parents=True, exist_ok=True)
    root = directory.resolve()
    saved: list[SavedFile] = []
    for a in detail.attachments:
        name = safe_filename(a.info.filename, f"attachment-{a.index}")
        stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
        for n in range(1000):
            candidate = root / (name if n == 0 else f"{stem}-{n}{dot}{ext}")
            if candidate.parent != root:  # cannot happen after safe_filename; belt and braces
                raise InspectError(f"refusing to write {candidate} outside {root}")
            try:
                # O_EXCL: never follow a planted symlink, never overwrite.
                fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                continue
            with os.fdopen(fd, "wb") as out:
                out.write(a.data)
            saved.append(SavedFile(candidate, len(a.data)))
            break
        else:
            raise InspectError(f"could not find a free file name for {name} in {root}")
    return saved


# -- following the store ------------------------------------------------------------------


class Loaded(msgspec.Struct):
    """A stored item ready for the live views: its envelope item, model and `ItemMeta`."""

    record: ItemRecord
    item: Item | None
    model: Model | None
    meta: ItemMeta


def item_meta(record: ItemRecord, issue: IssueRecord | None, count: int | None = None) -> ItemMeta:
    """The facts the compact views show, from the store's rows (as serve builds them live)."""
    return ItemMeta.of(
        record,
        project=record.project,
        received=record.received,
        culprit=issue.culprit if issue is not None else None,
        issue_id=record.issue_id,
        issue_count=count if count is not None else (issue.count if issue else None),
    )


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
        meta = item_meta(record, issue, count)
        envelope = self._envelope(record.envelope_id)
        item = (
            envelope.items[record.index]
            if envelope and record.index < len(envelope.items)
            else None
        )
        model = None
        if item is None:
            meta.error = meta.error or "its envelope is no longer in the store"
        elif meta.error is None:
            try:
                model = decode_item(item)
            except ModelError as exc:
                meta.error = str(exc)
        return Loaded(record, item, model, meta)


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


# -- stats and clear ----------------------------------------------------------------------


def store_stats(store: Store) -> dict[str, Any]:
    """`store.stats()` plus the time span of what is stored."""
    stats = store.stats()
    oldest, newest = store.received_range()
    stats["oldest"] = iso(oldest)
    stats["newest"] = iso(newest)
    return stats


def clear_store(path: Path, confirm: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
    """Delete everything in the store at `path` once `confirm(stats)` agrees; None if not."""
    with open_store(path) as store:
        stats = store.stats()
    if not confirm(stats):
        return None
    with Store(path) as store:
        store.clear()
    return {
        "path": stats["path"],
        "deleted": {k: stats[k] for k in ("envelopes", "items", "issues", "rejected")},
    }
