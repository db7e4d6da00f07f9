"""The records the store takes in and gives out: what is written, and the rows read back."""

from __future__ import annotations

import msgspec

from devsentry.store.ids import short_id

__all__ = [
    "ENVELOPE_COLUMNS",
    "ISSUE_COLUMNS",
    "ITEM_COLUMNS",
    "TEXT_LIMIT",
    "CameBack",
    "EnvelopeRecord",
    "Forward",
    "IssueRecord",
    "ItemRecord",
    "NewEnvelope",
    "NewIssue",
    "NewItem",
    "NewTransaction",
    "Processed",
    "ProcessedRecord",
    "StoredEnvelope",
    "StoredItem",
    "TagFacet",
    "TagValue",
    "storable",
]

#: The longest text an index column keeps (the raw envelope keeps everything).
TEXT_LIMIT = 4096


def storable(text: str | None, limit: int = TEXT_LIMIT) -> str | None:
    """`text` as a column can hold it: cut to `limit`, lone surrogates (from HTTP headers
    decoded with `surrogateescape`) replaced, since SQLite stores only valid UTF-8."""
    if text is None:
        return None
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


class NewItem(msgspec.Struct):
    """The searchable facts about one item, extracted by the pipeline before storing."""

    index: int
    type: str
    size: int
    event_id: str | None = None
    timestamp: float | None = None
    level: str | None = None
    release: str | None = None
    environment: str | None = None
    platform: str | None = None
    sdk: str | None = None
    title: str | None = None
    user: str | None = None
    trace_id: str | None = None
    error: str | None = None  # why the payload could not be decoded, if it could not
    issue: NewIssue | None = None
    processed: Processed | None = None  # what the processing stage derived, for events
    transaction: NewTransaction | None = None  # a transaction's timing, for `perf` and `traces`


class NewTransaction(msgspec.Struct):
    """What `perf` and `traces` read of one transaction, kept at index time (durations in ms)."""

    name: str
    start: float
    duration_ms: float
    trace_id: str | None = None
    span_id: str | None = None
    parent_span_id: str | None = None
    op: str | None = None
    status: str | None = None
    vitals: dict[str, float] = msgspec.field(default_factory=dict)  # lcp, fcp, cls, inp, ttfb
    ops: list[tuple[str, float]] = msgspec.field(default_factory=list)  # time per span op
    spans: int = 0


class Processed(msgspec.Struct):
    """What processing derived from one item: kept beside its raw payload, never instead."""

    tags: list[tuple[str, str]] = msgspec.field(default_factory=list)
    normalized: bytes | None = None  # the event as Sentry sees it, JSON
    removed: str | None = None  # what normalization removed as invalid: notes, JSON


class NewIssue(msgspec.Struct):
    """The grouping result for an error-like item."""

    hash: str
    title: str
    culprit: str | None = None
    level: str | None = None
    type: str | None = None
    value: str | None = None
    platform: str | None = None
    basis: str | None = None
    category: str = "error"  # or "performance" (a problem found in a transaction's spans)
    evidence: str | None = None  # a performance problem's evidence, JSON


class NewEnvelope(msgspec.Struct):
    """An accepted envelope, ready to be committed."""

    raw: bytes
    project: str
    transport: str
    received: float
    items: list[NewItem]
    event_id: str | None = None
    client: str | None = None
    remote_addr: str | None = None
    content_encoding: str | None = None
    forward: Forward | None = None  # where to deliver a copy, when forwarding is on
    user_agent: str | None = None  # the request's User-Agent header
    client_hints: str | None = None  # its Sec-CH-UA* headers, a JSON object


class Forward(msgspec.Struct):
    """Where a copy of an envelope goes: a DSN, or (intercept) the URL it was bound for."""

    target: str
    headers: dict[str, str] | None = None  # the original request's, for URL targets


class IssueRecord(msgspec.Struct):
    id: int
    project: str
    title: str
    culprit: str | None
    level: str | None
    type: str | None
    value: str | None
    platform: str | None
    basis: str | None
    count: int
    users: int
    first_seen: float
    last_seen: float
    hash: str
    first_release: str | None = None
    # the workflow (store/workflow.py): as written; `workflow.effective` says what holds now
    status: str = "unresolved"
    substatus: str | None = None
    resolved_at: float | None = None
    resolved_in_release: str | None = None
    ignored_at: float | None = None
    ignore_until: float | None = None
    ignore_count: int | None = None
    ignore_count_base: int | None = None
    regressed_at: float | None = None
    category: str = "error"
    evidence: str | None = None  # a performance problem's evidence, JSON

    @property
    def short_id(self) -> str:
        return short_id(self.id)


class ItemRecord(msgspec.Struct):
    id: int
    envelope_id: int
    index: int
    type: str
    project: str
    event_id: str | None
    timestamp: float | None
    received: float
    level: str | None
    release: str | None
    environment: str | None
    platform: str | None
    sdk: str | None
    title: str | None
    user: str | None
    trace_id: str | None
    size: int
    issue_id: int | None
    error: str | None


class EnvelopeRecord(msgspec.Struct):
    id: int
    received: float
    project: str
    event_id: str | None
    transport: str
    client: str | None
    remote_addr: str | None
    content_encoding: str | None
    size: int
    raw: bytes
    user_agent: str | None = None
    client_hints: str | None = None


class StoredItem(msgspec.Struct):
    """What sinks learn about a stored item: its row id and, for errors, its issue's state."""

    id: int
    issue_id: int | None = None
    issue_count: int | None = None  # 1 means the issue is new
    new_in: str | None = None  # a new issue's release, when earlier releases were seen
    came_back: CameBack | None = None  # this event regressed its issue, or ended its ignore
    trace_errors: int = 0  # a transaction's: error events of its trace indexed so far


class CameBack(msgspec.Struct):
    """An issue an event brought back: resolved (a regression) or ignored until it ran out."""

    kind: str  # "regressed" (it was resolved) or "unignored" (its ignore ran out)
    since: float  # when it was resolved, or ignored
    release: str | None = None  # the release it was resolved in, if any; or the event's


class TagValue(msgspec.Struct):
    value: str
    count: int


class TagFacet(msgspec.Struct):
    """One tag key of an issue: how many of its events carry it, and its values, most common
    first (as Sentry's issue page shows them)."""

    key: str
    total: int  # events with this key
    values: list[TagValue]  # the most common (all, unless cut to a top few)
    distinct: int = 0  # values in all


class ProcessedRecord(msgspec.Struct):
    """What the processing stage kept for one item."""

    normalized: bytes | None  # the event as Sentry sees it, JSON
    removed: str | None  # what normalization removed as invalid: notes, JSON


class StoredEnvelope(msgspec.Struct):
    id: int
    items: list[StoredItem]


ITEM_COLUMNS = (
    "id, envelope_id, idx, type, project, event_id, timestamp, received, level, release, "
    "environment, platform, sdk, title, user, trace_id, size, issue_id, error"
)
ISSUE_COLUMNS = (
    "id, project, title, culprit, level, type, value, platform, basis, count, users, "
    "first_seen, last_seen, hash, first_release"
    # the workflow's columns
    ", status, substatus, resolved_at, resolved_in_release, ignored_at, ignore_until,"
    " ignore_count, ignore_count_base, regressed_at"
    ", category, evidence"
)
ENVELOPE_COLUMNS = (
    "id, received, project, event_id, transport, client, remote_addr, content_encoding, size, raw,"
    " user_agent, client_hints"
)
