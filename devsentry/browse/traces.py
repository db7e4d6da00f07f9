"""Following one trace across services (`devsentry trace`) and listing recent ones (`traces`).

A trace is every stored item that carries its id: transactions (a root span and its children),
streamed (v2) and standalone spans, errors, logs and profiles, from any project and SDK. They
are joined on `parent_span_id`, whichever service sent them, so a browser pageload, the API it
called and the service behind that read as one tree; each error and log is placed on the span
(`contexts.trace.span_id`, a log's `span_id`) and at the moment it happened.
"""

from __future__ import annotations

from typing import Any

import msgspec

from devsentry.browse.errors import BrowseError, NotFound
from devsentry.browse.follow import Loader
from devsentry.model import Event, LogContainer, Span, SpanContainer, Transaction
from devsentry.protocol.times import rfc3339
from devsentry.store.ids import short_id
from devsentry.store.records import ITEM_COLUMNS, IssueRecord, ItemRecord
from devsentry.store.store import Store

__all__ = [
    "Trace",
    "TraceError",
    "TraceLog",
    "TraceSpan",
    "TraceSummary",
    "load_trace",
    "recent_traces",
    "resolve_trace",
    "trace_json",
    "traces_json",
]

#: Items of one trace read at most (a runaway loop sending one trace forever stays readable).
MAX_ITEMS = 2_000


class TraceSpan(msgspec.Struct, kw_only=True):
    span_id: str | None
    parent_span_id: str | None
    project: str
    service: str  # project, SDK and server name, as one label
    transaction: str | None  # the transaction (segment) the span belongs to
    op: str | None
    description: str | None
    start: float | None
    end: float | None
    status: str | None
    item_id: int
    is_root: bool = False  # a transaction's root span (or a v2 segment)

    @property
    def duration(self) -> float | None:
        return self.end - self.start if self.start is not None and self.end is not None else None


class TraceError(msgspec.Struct, kw_only=True):
    item_id: int
    event_id: str | None
    title: str | None
    span_id: str | None
    project: str
    timestamp: float | None
    level: str | None
    issue_id: int | None


class TraceLog(msgspec.Struct, kw_only=True):
    item_id: int
    timestamp: float | None
    level: str | None
    body: str | None
    span_id: str | None
    project: str


class Trace(msgspec.Struct, kw_only=True):
    trace_id: str
    spans: list[TraceSpan]
    errors: list[TraceError]
    logs: list[TraceLog]
    profiles: list[int]  # item ids
    projects: list[str]
    truncated: bool = False
    problems: list[IssueRecord] = msgspec.field(default_factory=list)  # performance issues

    @property
    def start(self) -> float | None:
        times = [t for t in self._times() if t is not None]
        return min(times) if times else None

    @property
    def end(self) -> float | None:
        ends = [s.end for s in self.spans if s.end is not None]
        ends += [e.timestamp for e in self.errors if e.timestamp is not None]
        return max(ends) if ends else self.start

    def _times(self) -> list[float | None]:
        return [s.start for s in self.spans] + [e.timestamp for e in self.errors]


def _hex_prefix(text: str) -> str:
    prefix = text.strip().replace("-", "").lower()
    if not prefix or any(c not in "0123456789abcdef" for c in prefix):
        raise BrowseError(f"TRACE_ID {text!r} is not a trace id (hexadecimal, or its start)")
    return prefix


def resolve_trace(store: Store, ref: str) -> str:
    """The one stored trace id that starts with `ref` (an index range, never a scan)."""
    prefix = _hex_prefix(ref)
    rows = store.db.execute(
        "SELECT DISTINCT trace_id FROM items WHERE trace_id >= ? AND trace_id < ? LIMIT 6",
        (prefix, prefix + "g"),
    ).fetchall()
    if not rows:
        raise NotFound(f"no trace starts with {prefix!r} (devsentry traces lists them)")
    if len(rows) > 1:
        shown = ", ".join(r[0] for r in rows[:5])
        raise BrowseError(f"trace id prefix {prefix!r} is ambiguous: {shown}; type more of it")
    return str(rows[0][0])


def _service(record: ItemRecord, server: str | None) -> str:
    """`1 · shop-api · python.fastapi`: project, server name and SDK (without `sentry.` and
    its version), the facts that tell services apart."""
    sdk = (record.sdk or "").split("/", 1)[0].removeprefix("sentry.")
    return " · ".join(p for p in (record.project, server, sdk) if p)


def load_trace(store: Store, ref: str) -> Trace:
    """Every stored item of the trace `ref` names, decoded and joined."""
    trace_id = resolve_trace(store, ref)
    records = [
        ItemRecord(*row)
        for row in store.db.execute(
            f"SELECT {ITEM_COLUMNS} FROM items WHERE trace_id = ? ORDER BY id LIMIT ?",
            (trace_id, MAX_ITEMS + 1),
        )
    ]
    truncated = len(records) > MAX_ITEMS
    loader = Loader(store)
    trace = Trace(
        trace_id=trace_id,
        spans=[],
        errors=[],
        logs=[],
        profiles=[],
        projects=[],
        truncated=truncated,
    )
    for record in records[:MAX_ITEMS]:
        model = loader.load(record).model
        if isinstance(model, Transaction):
            _add_transaction(trace, record, model)
        elif isinstance(model, SpanContainer):
            _add_container(trace, record, model)
        elif isinstance(model, Span):
            trace.spans.append(_v1_span(record, model, None, _service(record, None)))
        elif isinstance(model, Event) and record.type == "event":
            context = model.trace_context
            trace.errors.append(
                TraceError(
                    item_id=record.id,
                    event_id=record.event_id,
                    title=record.title,
                    span_id=context.span_id if context else None,
                    project=record.project,
                    timestamp=record.timestamp,
                    level=record.level,
                    issue_id=record.issue_id,
                )
            )
        elif isinstance(model, LogContainer):
            for log in model.items or []:
                if log.trace_id in (None, trace_id):
                    trace.logs.append(
                        TraceLog(
                            item_id=record.id,
                            timestamp=log.timestamp_seconds,
                            level=log.level,
                            body=log.body,
                            span_id=log.span_id,
                            project=record.project,
                        )
                    )
        elif record.type in ("profile", "profile_chunk"):
            trace.profiles.append(record.id)
        if record.project not in trace.projects:
            trace.projects.append(record.project)
        if (
            record.issue_id is not None
            and record.type in ("transaction", "span")
            and all(p.id != record.issue_id for p in trace.problems)
            and (issue := store.issue(record.issue_id)) is not None
        ):
            trace.problems.append(issue)
    trace.spans.sort(key=lambda s: (s.start is None, s.start or 0.0))
    return trace


def _v1_span(record: ItemRecord, span: Span, transaction: str | None, service: str) -> TraceSpan:
    return TraceSpan(
        span_id=span.span_id,
        parent_span_id=span.parent_span_id,
        project=record.project,
        service=service,
        transaction=transaction,
        op=span.op,
        description=span.description,
        start=span.start_timestamp_seconds,
        end=span.timestamp_seconds,
        status=span.status,
        item_id=record.id,
    )


def _add_transaction(trace: Trace, record: ItemRecord, tx: Transaction) -> None:
    context = tx.trace_context
    service = _service(record, tx.server_name)
    trace.spans.append(
        TraceSpan(
            span_id=context.span_id if context else None,
            parent_span_id=context.parent_span_id if context else None,
            project=record.project,
            service=service,
            transaction=tx.transaction,
            op=context.op if context else None,
            description=tx.transaction,
            start=tx.start_timestamp_seconds,
            end=tx.timestamp_seconds,
            status=context.status if context else None,
            item_id=record.id,
            is_root=True,
        )
    )
    trace.spans += [_v1_span(record, s, tx.transaction, service) for s in tx.span_list]


def _add_container(trace: Trace, record: ItemRecord, container: SpanContainer) -> None:
    segment = container.segment
    for span in container.spans:
        if span.trace_id not in (None, trace.trace_id):
            continue
        attrs = span.attrs
        server = (
            attrs.get("server.address") if isinstance(attrs.get("server.address"), str) else None
        )
        trace.spans.append(
            TraceSpan(
                span_id=span.span_id,
                parent_span_id=span.parent_span_id,
                project=record.project,
                service=_service(record, server),
                transaction=segment.name if segment else None,
                op=span.op,
                description=span.name,
                start=span.start_timestamp_seconds,
                end=span.end_timestamp_seconds,
                status=span.status,
                item_id=record.id,
                is_root=bool(span.is_segment),
            )
        )


def _ms(seconds: float | None) -> float | None:
    return round(seconds * 1000, 3) if seconds is not None else None


def trace_json(trace: Trace) -> dict[str, Any]:
    """`trace --json`: times RFC 3339 UTC, durations in milliseconds."""
    start, end = trace.start, trace.end
    return {
        "trace_id": trace.trace_id,
        "start": rfc3339(start),
        "duration": _ms(end - start) if start is not None and end is not None else None,
        "projects": trace.projects,
        "spans": [
            {
                "span_id": s.span_id,
                "parent_span_id": s.parent_span_id,
                "project": s.project,
                "transaction": s.transaction,
                "op": s.op,
                "description": s.description,
                "start": rfc3339(s.start),
                "duration": _ms(s.duration),
                "status": s.status,
            }
            for s in trace.spans
        ],
        "errors": [
            {
                "id": e.item_id,
                "event_id": e.event_id,
                "title": e.title,
                "span_id": e.span_id,
                "project": e.project,
                "timestamp": rfc3339(e.timestamp),
                "issue": short_id(e.issue_id) if e.issue_id is not None else None,
            }
            for e in trace.errors
        ],
        "logs": [
            {
                "id": log.item_id,
                "timestamp": rfc3339(log.timestamp),
                "level": log.level,
                "body": log.body,
                "span_id": log.span_id,
                "project": log.project,
            }
            for log in trace.logs
        ],
        "profiles": trace.profiles,
        "problems": [
            {"issue": p.short_id, "title": p.title, "culprit": p.culprit} for p in trace.problems
        ],
        "truncated": trace.truncated,
    }


class TraceSummary(msgspec.Struct, kw_only=True):
    """One line of `devsentry traces`."""

    trace_id: str
    root: str | None  # the root transaction's name (the earliest when no root is stored)
    root_op: str | None
    projects: list[str]
    start: float
    duration_ms: float
    transactions: int
    spans: int
    errors: int
    status: str | None


def recent_traces(
    store: Store, *, since: float | None, project: str | None, limit: int | None
) -> list[TraceSummary]:
    """The traces whose transactions arrived most recently, newest first, from the
    transactions table (indexed at ingest) and one indexed error count per trace."""
    clauses: list[str] = ["trace_id IS NOT NULL"]
    args: list[Any] = []
    if since is not None:
        clauses.append("start >= ?")
        args.append(since)
    if project is not None:
        clauses.append("project = ?")
        args.append(project)
    where = " AND ".join(clauses)
    # Newest transactions first (the primary key, no sort), their distinct traces in order:
    # a page of rows at a time until `limit` traces are found.
    wanted = limit or 1_000_000
    trace_ids: list[str] = []
    seen: set[str] = set()
    before = None
    while len(trace_ids) < wanted:
        page = store.db.execute(
            f"SELECT item_id, trace_id FROM transactions WHERE {where}"
            + (" AND item_id < ?" if before is not None else "")
            + " ORDER BY item_id DESC LIMIT 1000",
            (*args, *([before] if before is not None else [])),
        ).fetchall()
        if not page:
            break
        before = page[-1][0]
        for _, trace_id in page:
            if trace_id not in seen:
                seen.add(trace_id)
                trace_ids.append(trace_id)
    rows = [(trace_id, None) for trace_id in trace_ids[:wanted]]
    out: list[TraceSummary] = []
    for trace_id, _ in rows:
        members = store.db.execute(
            "SELECT name, op, project, start, duration_ms, spans, parent_span_id, status"
            " FROM transactions WHERE trace_id = ? ORDER BY start",
            (trace_id,),
        ).fetchall()
        root = next((m for m in members if m[6] is None), members[0])
        start = min(m[3] for m in members)
        end = max(m[3] + m[4] / 1000 for m in members)
        (errors,) = store.db.execute(
            "SELECT count(*) FROM items WHERE trace_id = ? AND type = 'event'", (trace_id,)
        ).fetchone()
        projects: list[str] = []
        for m in members:
            if m[2] not in projects:
                projects.append(m[2])
        out.append(
            TraceSummary(
                trace_id=trace_id,
                root=root[0],
                root_op=root[1],
                projects=projects,
                start=start,
                duration_ms=(end - start) * 1000,
                transactions=len(members),
                spans=sum(m[5] + 1 for m in members),
                errors=int(errors),
                status=root[7],
            )
        )
    return out


def traces_json(rows: list[TraceSummary]) -> list[dict[str, Any]]:
    return [
        {
            "trace_id": t.trace_id,
            "root": t.root,
            "op": t.root_op,
            "projects": t.projects,
            "start": rfc3339(t.start),
            "duration": round(t.duration_ms, 3),
            "transactions": t.transactions,
            "spans": t.spans,
            "errors": t.errors,
            "status": t.status,
        }
        for t in rows
    ]
