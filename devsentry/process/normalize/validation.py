"""When Relay rejects a transaction outright (`validate_transaction` in
`relay-event-normalization/src/validation.rs`).

A transaction needs both timestamps (end not before start), a trace context with a trace and a
span id, and spans that each have the same. Its end must also fall in the range the metrics
aggregator accepts — 5 days back to 1 minute ahead of its arrival (`AggregatorConfig` in
`relay-metrics/src/aggregator/config.rs`). Relay drops a transaction that fails any of these.
"""

from __future__ import annotations

import re
from typing import Any

from devsentry.process.normalize.fields import Notes, as_dict, as_list, as_str

__all__ = ["validate_transaction"]

METRICS_SECS_IN_PAST = 5 * 24 * 3600
METRICS_SECS_IN_FUTURE = 60
_TRACE_ID = re.compile(r"[0-9a-fA-F]{32}")
_SPAN_ID = re.compile(r"[0-9a-fA-F]{16}")


def validate_transaction(event: dict[str, Any], received: float, notes: Notes) -> None:
    """Note `dropped` when Relay would reject this transaction; no-op for other events."""
    if event.get("type") != "transaction":
        return
    reason = _timestamps(event, received) or _trace_context(event) or _spans(event)
    if reason is not None:
        notes.dropped(f"Relay rejects the transaction: {reason}")


def _timestamps(event: dict[str, Any], received: float) -> str | None:
    start, end = event.get("start_timestamp"), event.get("timestamp")
    if not isinstance(end, float):
        return "timestamp hard-required for transaction events"
    if not isinstance(start, float):
        return "start_timestamp hard-required for transaction events"
    if end < start:
        return "end timestamp is smaller than start timestamp"
    if not received - METRICS_SECS_IN_PAST <= end < received + METRICS_SECS_IN_FUTURE:
        return "timestamp is out of the valid range for metrics (5 days back to 1 minute ahead)"
    return None


def _trace_context(event: dict[str, Any]) -> str | None:
    contexts = as_dict(event.get("contexts"))
    trace = as_dict(contexts.get("trace")) if contexts else None
    if trace is None:
        return "missing valid trace context"
    if not _is_id(trace.get("trace_id"), _TRACE_ID):
        return "trace context is missing trace_id"
    if not _is_id(trace.get("span_id"), _SPAN_ID):
        return "trace context is missing span_id"
    return None


def _spans(event: dict[str, Any]) -> str | None:
    for span in as_list(event.get("spans")) or ():
        if not isinstance(span, dict):
            return "spans must be valid in transaction event"
        start, end = span.get("start_timestamp"), span.get("timestamp")
        if not isinstance(end, float):
            return "span is missing timestamp"
        if not isinstance(start, float):
            return "span is missing start_timestamp"
        if end < start:
            return "end timestamp is smaller than start timestamp"
        if not _is_id(span.get("trace_id"), _TRACE_ID):
            return "span is missing trace_id"
        if not _is_id(span.get("span_id"), _SPAN_ID):
            return "span is missing span_id"
    return None


def _is_id(value: object, pattern: re.Pattern[str]) -> bool:
    text = as_str(value)
    return text is not None and len(text) <= 36 and bool(pattern.fullmatch(text.replace("-", "")))
