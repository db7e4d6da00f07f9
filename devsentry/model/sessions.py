"""Release health and crons: session updates, aggregated sessions, client reports, check-ins.

develop.sentry.dev/sdk/telemetry/sessions/, …/client-reports/ and …/check-ins/; Relay's
`relay-event-schema/src/protocol/session.rs` and `client_report.rs`.
"""

from __future__ import annotations

from devsentry.model.base import Headline, JsonObject, Payload, Timestamp, plural, typed_context
from devsentry.model.events import TraceContext
from devsentry.protocol.times import epoch_seconds

__all__ = [
    "CheckIn",
    "ClientReport",
    "DiscardedEvent",
    "MonitorConfig",
    "MonitorSchedule",
    "Session",
    "SessionAggregate",
    "SessionAggregates",
    "SessionAttrs",
]


class SessionAttrs(Payload):
    release: str | None = None
    environment: str | None = None
    ip_address: str | None = None
    user_agent: str | None = None


class Session(Payload):
    """One session update (mobile, desktop and browser SDKs)."""

    sid: str | None = None
    did: str | int | None = None
    seq: int | None = None
    init: bool | None = None
    started: Timestamp = None
    timestamp: Timestamp = None
    duration: float | None = None
    status: str | None = None
    errors: int | None = None
    abnormal_mechanism: str | None = None
    attrs: SessionAttrs | None = None

    @property
    def started_seconds(self) -> float | None:
        return epoch_seconds(self.started)

    @property
    def timestamp_seconds(self) -> float | None:
        return epoch_seconds(self.timestamp)

    def headline(self) -> Headline:
        errors = f", {plural(self.errors, 'error')}" if self.errors else ""
        attrs = self.attrs or SessionAttrs()
        return Headline(
            title=f"session {self.status or 'ok'}{errors}",
            timestamp=self.timestamp_seconds or self.started_seconds,
            release=attrs.release,
            environment=attrs.environment,
        )


class SessionAggregate(Payload):
    started: Timestamp = None
    did: str | int | None = None
    exited: int | None = None
    errored: int | None = None
    abnormal: int | None = None
    crashed: int | None = None

    @property
    def started_seconds(self) -> float | None:
        return epoch_seconds(self.started)


class SessionAggregates(Payload):
    """A `sessions` item: per-minute counts from server SDKs in request mode."""

    aggregates: list[SessionAggregate] | None = None
    attrs: SessionAttrs | None = None

    def headline(self) -> Headline:
        totals: dict[str, int] = {}
        for agg in self.aggregates or ():
            for key in ("exited", "errored", "abnormal", "crashed"):
                totals[key] = totals.get(key, 0) + (getattr(agg, key) or 0)
        first = next(iter(self.aggregates or ()), None)
        shown = ", ".join(f"{n} {k}" for k, n in totals.items() if n) or "no sessions"
        attrs = self.attrs or SessionAttrs()
        return Headline(
            title=f"sessions: {shown}",
            timestamp=first.started_seconds if first is not None else None,
            release=attrs.release,
            environment=attrs.environment,
        )


class DiscardedEvent(Payload):
    reason: str | None = None
    category: str | None = None
    quantity: int | None = None


class ClientReport(Payload):
    """What the SDK dropped, and why."""

    timestamp: Timestamp = None
    discarded_events: list[DiscardedEvent] | None = None

    @property
    def discarded(self) -> list[DiscardedEvent]:
        return self.discarded_events or []

    @property
    def timestamp_seconds(self) -> float | None:
        return epoch_seconds(self.timestamp)

    def headline(self) -> Headline:
        dropped = sum(d.quantity or 0 for d in self.discarded if isinstance(d.quantity, int))
        return Headline(
            title=f"client report: {dropped:,} discarded", timestamp=self.timestamp_seconds
        )


class MonitorSchedule(Payload):
    type: str | None = None
    value: str | int | None = None
    unit: str | None = None


class MonitorConfig(Payload):
    schedule: MonitorSchedule | None = None
    checkin_margin: int | None = None
    max_runtime: int | None = None
    failure_issue_threshold: int | None = None
    recovery_threshold: int | None = None
    timezone: str | None = None
    owner: str | None = None


class CheckIn(Payload):
    """A cron monitor check-in."""

    check_in_id: str | None = None
    monitor_slug: str | None = None
    status: str | None = None
    duration: float | None = None
    release: str | None = None
    environment: str | None = None
    monitor_config: MonitorConfig | None = None
    contexts: dict[str, JsonObject | None] | None = None

    @property
    def trace_context(self) -> TraceContext | None:
        return typed_context(self.contexts, "trace", TraceContext)

    def headline(self) -> Headline:
        took = f" in {self.duration:.2f}s" if self.duration is not None else ""
        trace = self.trace_context
        return Headline(
            title=f"check-in {self.monitor_slug or '?'}: {self.status or '?'}{took}",
            level="error" if self.status == "error" else None,
            release=self.release,
            environment=self.environment,
            trace_id=trace.trace_id if trace is not None else None,
        )
