"""Traces: transactions with their spans, legacy standalone spans, and streamed (v2) spans.

Relay's `relay-event-schema/src/protocol/transaction.rs`, `span.rs` and `span_v2.rs`; the
span v2 container is develop.sentry.dev/sdk/telemetry/spans/span-protocol/.
"""

from __future__ import annotations

from typing import Any

import msgspec

from devsentry.model.base import (
    Attributes,
    Headline,
    JsonObject,
    Payload,
    Tags,
    Timestamp,
    attribute_values,
    duration_between,
    from_attributes,
    plural,
    tags_dict,
)
from devsentry.model.events import Event
from devsentry.protocol.times import epoch_seconds

__all__ = [
    "Measurement",
    "Span",
    "SpanContainer",
    "SpanLink",
    "SpanV2",
    "Transaction",
    "decode_span",
]


class Measurement(Payload):
    value: float | None = None
    unit: str | None = None


class Span(Payload):
    """A span inside a transaction, or a legacy (v1) standalone `span` item."""

    span_id: str | None = None
    parent_span_id: str | None = None
    trace_id: str | None = None
    segment_id: str | None = None
    is_segment: bool | None = None
    op: str | None = None
    description: str | None = None
    start_timestamp: Timestamp = None
    timestamp: Timestamp = None
    exclusive_time: float | None = None
    status: str | None = None
    tags: Tags | None = None
    data: JsonObject | None = None
    origin: str | None = None
    measurements: dict[str, Measurement] | None = None  # JS standalone web-vital spans

    @property
    def start_timestamp_seconds(self) -> float | None:
        return epoch_seconds(self.start_timestamp)

    @property
    def timestamp_seconds(self) -> float | None:
        return epoch_seconds(self.timestamp)

    @property
    def duration(self) -> float | None:
        """Seconds from start to end; None when either is missing."""
        return duration_between(self.start_timestamp, self.timestamp)

    @property
    def tags_dict(self) -> dict[str, str]:
        return tags_dict(self.tags)

    def headline(self) -> Headline:
        title = " ".join(x for x in (self.op, self.description) if x) or "span"
        return Headline(title=title, timestamp=self.start_timestamp_seconds, trace_id=self.trace_id)


class Transaction(Event):
    """A transaction event: the root span is `trace_context`, children are `spans`."""

    start_timestamp: Timestamp = None
    spans: list[Span] | None = None
    measurements: dict[str, Measurement] | None = None

    @property
    def span_list(self) -> list[Span]:
        return self.spans or []

    @property
    def start_timestamp_seconds(self) -> float | None:
        return epoch_seconds(self.start_timestamp)

    @property
    def duration(self) -> float | None:
        return duration_between(self.start_timestamp, self.timestamp)

    @property
    def is_transaction(self) -> bool:
        return True

    def headline(self) -> Headline:
        took = self.duration
        timing = f" in {took * 1000:,.0f} ms" if took is not None else ""
        name = self.transaction or "<unnamed transaction>"
        title = f"{name}{timing}, {plural(len(self.span_list), 'span')}"
        return msgspec.structs.replace(super().headline(), title=title)


class SpanLink(Payload):
    trace_id: str | None = None
    span_id: str | None = None
    sampled: bool | None = None
    attributes: Attributes | None = None


class SpanV2(Payload):
    """A streamed span (span v2 container entry); `op` and friends live in the attributes."""

    trace_id: str | None = None
    span_id: str | None = None
    parent_span_id: str | None = None
    name: str | None = None
    status: str | None = None
    is_segment: bool | None = None
    start_timestamp: Timestamp = None
    end_timestamp: Timestamp = None
    attributes: Attributes | None = None
    links: list[SpanLink] | None = None

    @property
    def attrs(self) -> dict[str, Any]:
        return attribute_values(self.attributes)

    @property
    def start_timestamp_seconds(self) -> float | None:
        return epoch_seconds(self.start_timestamp)

    @property
    def end_timestamp_seconds(self) -> float | None:
        return epoch_seconds(self.end_timestamp)

    @property
    def op(self) -> str | None:
        op = self.attrs.get("sentry.op")
        return op if isinstance(op, str) else None

    @property
    def duration(self) -> float | None:
        return duration_between(self.start_timestamp, self.end_timestamp)


class SpanContainer(Payload):
    items: list[SpanV2] | None = None
    version: int | str | None = None

    @property
    def spans(self) -> list[SpanV2]:
        return self.items or []

    @property
    def segment(self) -> SpanV2 | None:
        """The span the SDK marked as the segment (the root of this service's work)."""
        return next((s for s in self.spans if s.is_segment), None)

    def headline(self) -> Headline:
        spans = self.spans
        first = self.segment or (spans[0] if spans else None)
        if first is None:
            return Headline(title="0 spans")
        name = first.name or "spans"
        return from_attributes(
            first.attrs,
            title=f"{name}, {plural(len(spans), 'span')}",
            timestamp=first.start_timestamp_seconds,
            trace_id=first.trace_id,
        )


_SPAN_V2 = "application/vnd.sentry.items.span.v2+json"


class _Probe(msgspec.Struct):
    """Looks for a top-level `items` without decoding anything else."""

    items: list[msgspec.Raw] | None = None


_probe = msgspec.json.Decoder(_Probe).decode
_span_v1 = msgspec.json.Decoder(Span).decode
_span_v2 = msgspec.json.Decoder(SpanContainer).decode


def decode_span(payload: bytes, content_type: str | None) -> Span | SpanContainer:
    """A `span` item is a v2 container (by content type, or an `items` key) or one v1 span."""
    if content_type == _SPAN_V2 or _probe(payload).items is not None:
        return _span_v2(payload)
    return _span_v1(payload)
