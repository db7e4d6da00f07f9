"""One line of facts per item: what the store indexes and lists show.

`summarize` reads the typed model of an item (never its raw JSON) and returns a `NewItem`:
event id, timestamp, level, release, environment, SDK, user, trace and a human title, plus
the issue for error events. Views and filters all read these columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from devsentry.envelope import Envelope, Item
from devsentry.grouping import group_event
from devsentry.model import (
    CheckIn,
    ClientReport,
    Event,
    Feedback,
    LogContainer,
    Model,
    Profile,
    ProfileChunk,
    ReplayEvent,
    Session,
    SessionAggregates,
    Span,
    SpanContainer,
    TraceMetricContainer,
    Transaction,
    UserReport,
    attachment_info,
    epoch_seconds,
)
from devsentry.store import NewIssue, NewItem

__all__ = ["LEVELS", "summarize", "user_key"]

#: Log and event levels from least to most severe (logs say `warn`, events `warning`).
LEVELS = ("trace", "debug", "info", "warning", "error", "fatal")
_LEVEL_ALIASES = {"warn": "warning", "critical": "fatal", "log": "info"}


def _level(value: str | None) -> str | None:
    if not value:
        return None
    value = value.lower()
    return _LEVEL_ALIASES.get(value, value)


def _sdk(name: str | None, version: str | None) -> str | None:
    if not name:
        return None
    return f"{name}/{version}" if version else name


def user_key(user: Any) -> str | None:
    """What counts as one user for an issue: id, else email, username or IP (as Sentry)."""
    if user is None:
        return None
    for field in ("id", "email", "username", "ip_address"):
        value = getattr(user, field, None)
        if value not in (None, "", "{{auto}}"):
            return f"{field}:{value}"
    return None


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _attr_str(attrs: Mapping[str, Any], key: str) -> str | None:
    value = attrs.get(key)
    return value if isinstance(value, str) else None


def _from_attributes(record: NewItem, attrs: Mapping[str, Any]) -> None:
    record.release = record.release or _attr_str(attrs, "sentry.release")
    record.environment = record.environment or _attr_str(attrs, "sentry.environment")
    record.sdk = record.sdk or _sdk(
        _attr_str(attrs, "sentry.sdk.name"), _attr_str(attrs, "sentry.sdk.version")
    )


def summarize(
    index: int, item: Item, model: Model | None, envelope: Envelope, error: str | None = None
) -> NewItem:
    """The stored facts about `item`, the `index`-th item of `envelope`."""
    header_sdk = envelope.header.get("sdk")
    trace = envelope.header.get("trace")
    record = NewItem(
        index=index,
        type=item.type,
        size=len(item.payload),
        error=error,
        sdk=_sdk(header_sdk.get("name"), header_sdk.get("version"))
        if isinstance(header_sdk, dict)
        else None,
        trace_id=trace.get("trace_id") if isinstance(trace, dict) else None,
        release=trace.get("release") if isinstance(trace, dict) else None,
        environment=trace.get("environment") if isinstance(trace, dict) else None,
    )
    if isinstance(model, Event):
        _event(record, model, envelope)
    elif model is not None:
        _other(record, model)
    elif item.type == "attachment":
        info = attachment_info(item)
        record.title = f"{info.filename or 'attachment'} ({info.size:,} bytes)"
        record.event_id = envelope.event_id
    else:
        record.title = error or f"{item.type or 'unknown'} item ({len(item.payload):,} bytes)"
    return record


def _event(record: NewItem, event: Event, envelope: Envelope) -> None:
    record.event_id = envelope.event_id or (event.event_id or "").replace("-", "").lower() or None
    record.timestamp = event.timestamp_seconds
    record.release = event.release or record.release
    record.environment = event.environment or record.environment
    record.platform = event.platform
    if event.sdk is not None and event.sdk.name:
        record.sdk = _sdk(event.sdk.name, event.sdk.version)
    record.user = user_key(event.user)
    if (trace := event.trace_context) is not None and trace.trace_id:
        record.trace_id = trace.trace_id
    if isinstance(event, Transaction):
        spans = event.span_list
        duration = event.duration
        took = f" in {duration * 1000:,.0f} ms" if duration is not None else ""
        record.title = (
            f"{event.transaction or '<unnamed transaction>'}{took}, {_plural(len(spans), 'span')}"
        )
    elif isinstance(event, Feedback):
        feedback = event.feedback
        record.title = (feedback.message if feedback else None) or "user feedback"
        record.level = "info"
    elif isinstance(event, ReplayEvent):
        record.title = f"replay {event.replay_id or ''} segment {event.segment_id}".strip()
    else:
        grouping = group_event(event)
        record.level = _level(event.level_name) or "error"
        record.title = grouping.title
        record.issue = NewIssue(
            hash=grouping.hash,
            title=grouping.title,
            culprit=grouping.culprit,
            level=record.level,
            type=grouping.type,
            value=grouping.value,
            platform=event.platform,
            basis=grouping.basis,
        )


def _other(record: NewItem, model: Model) -> None:
    if isinstance(model, LogContainer):
        logs = model.logs
        if logs:
            first = logs[0]
            record.timestamp = first.timestamp_seconds
            record.trace_id = first.trace_id or record.trace_id
            levels = [_level(log.level) for log in logs]
            record.level = max(
                (lv for lv in levels if lv in LEVELS), key=LEVELS.index, default=None
            )
            _from_attributes(record, first.attrs)
            body = (first.body or "").splitlines()[0] if first.body else ""
            more = f" (+{len(logs) - 1} more)" if len(logs) > 1 else ""
            record.title = f"{body}{more}" if body else _plural(len(logs), "log")
        else:
            record.title = "0 logs"
    elif isinstance(model, SpanContainer):
        spans = model.spans
        segment = next((s for s in spans if s.is_segment), spans[0] if spans else None)
        if segment is not None:
            record.timestamp = epoch_seconds(segment.start_timestamp)
            record.trace_id = segment.trace_id or record.trace_id
            _from_attributes(record, segment.attrs)
        name = segment.name if segment is not None and segment.name else "spans"
        record.title = f"{name}, {_plural(len(spans), 'span')}"
    elif isinstance(model, Span):
        record.timestamp = model.start_timestamp_seconds
        record.trace_id = model.trace_id or record.trace_id
        record.title = " ".join(x for x in (model.op, model.description) if x) or "span"
    elif isinstance(model, Session):
        record.timestamp = epoch_seconds(model.timestamp) or model.started_seconds
        if model.attrs is not None:
            record.release = model.attrs.release or record.release
            record.environment = model.attrs.environment or record.environment
        errors = f", {_plural(model.errors, 'error')}" if model.errors else ""
        record.title = f"session {model.status or 'ok'}{errors}"
    elif isinstance(model, SessionAggregates):
        totals: dict[str, int] = {}
        for agg in model.aggregates or ():
            for key in ("exited", "errored", "abnormal", "crashed"):
                totals[key] = totals.get(key, 0) + (getattr(agg, key) or 0)
            record.timestamp = record.timestamp or epoch_seconds(agg.started)
        if model.attrs is not None:
            record.release = model.attrs.release or record.release
            record.environment = model.attrs.environment or record.environment
        shown = ", ".join(f"{n} {k}" for k, n in totals.items() if n) or "no sessions"
        record.title = f"sessions: {shown}"
    elif isinstance(model, ClientReport):
        record.timestamp = epoch_seconds(model.timestamp)
        dropped = sum(d.quantity or 0 for d in model.discarded)
        record.title = f"client report: {dropped:,} discarded"
    elif isinstance(model, CheckIn):
        record.release = model.release or record.release
        record.environment = model.environment or record.environment
        took = f" in {model.duration:.2f}s" if model.duration is not None else ""
        record.title = f"check-in {model.monitor_slug or '?'}: {model.status or '?'}{took}"
        record.level = "error" if model.status == "error" else None
        if (trace := model.trace_context) is not None and trace.trace_id:
            record.trace_id = trace.trace_id
    elif isinstance(model, Profile):
        record.event_id = (model.event_id or "").replace("-", "").lower() or None
        record.timestamp = epoch_seconds(model.timestamp)
        record.release = model.release or record.release
        record.environment = model.environment or record.environment
        record.platform = model.platform
        tx = model.profiled_transaction
        name = tx.name if tx and tx.name else "?"
        record.title = f"profile of {name}, {_plural(model.sample_count, 'sample')}"
    elif isinstance(model, ProfileChunk):
        record.release = model.release or record.release
        record.environment = model.environment or record.environment
        record.platform = model.platform
        record.title = f"profile chunk, {_plural(model.sample_count, 'sample')}"
    elif isinstance(model, UserReport):
        record.event_id = (model.event_id or "").replace("-", "").lower() or None
        record.title = model.comments or "user report"
        record.user = f"email:{model.email}" if model.email else None
    elif isinstance(model, TraceMetricContainer):
        metrics = model.metrics
        names = sorted({m.name for m in metrics if m.name})
        record.timestamp = metrics[0].timestamp_seconds if metrics else None
        if metrics:
            _from_attributes(record, metrics[0].attrs)
        record.title = f"{_plural(len(metrics), 'metric')}: {', '.join(names[:5])}"
