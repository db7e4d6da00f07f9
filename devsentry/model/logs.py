"""Logs and trace metrics: containers of records with typed attributes.

Relay's `relay-event-schema/src/protocol/ourlog.rs` and `trace_metric.rs`; develop.sentry.dev/
sdk/telemetry/logs/ and …/metrics/.
"""

from __future__ import annotations

from typing import Any

from devsentry.model.base import (
    Attributes,
    Headline,
    Payload,
    Timestamp,
    attribute_values,
    from_attributes,
    plural,
)
from devsentry.protocol.levels import normalize_level, severity
from devsentry.protocol.times import epoch_seconds

__all__ = [
    "SDK_ATTRIBUTES",
    "Log",
    "LogContainer",
    "TraceMetric",
    "TraceMetricContainer",
    "app_attributes",
]

#: Attribute prefixes an SDK puts on every record it sends (develop.sentry.dev/sdk/telemetry/
#: logs/, "Default Attributes"; sentry-python adds `thread.*`, `logger.name`, `code.*` and,
#: inside a request, `user_agent.original`):
#: they say which process sent a record, not what it is about.
SDK_ATTRIBUTES = (
    *("sentry.", "server.", "thread.", "logger.", "code.", "process.", "telemetry."),
    *("os.", "device.", "browser.", "user.", "user_agent.", "client."),
)

#: Attributes a log line shows (the rest: `devsentry show`).
_LINE_ATTRIBUTES = 4


def app_attributes(attrs: dict[str, Any]) -> dict[str, Any]:
    """The attributes the app set on a record: all but the SDK's own (`SDK_ATTRIBUTES`)."""
    return {k: v for k, v in attrs.items() if not k.startswith(SDK_ATTRIBUTES)}


def _attribute_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


class Log(Payload):
    """One log record of a `log` container."""

    timestamp: Timestamp = None
    trace_id: str | None = None
    span_id: str | None = None
    level: str | None = None
    body: str | None = None
    severity_number: int | None = None
    attributes: Attributes | None = None

    @property
    def attrs(self) -> dict[str, Any]:
        return attribute_values(self.attributes)

    @property
    def timestamp_seconds(self) -> float | None:
        return epoch_seconds(self.timestamp)


class LogContainer(Payload):
    items: list[Log] | None = None
    version: int | str | None = None

    @property
    def logs(self) -> list[Log]:
        return self.items or []

    def headline(self) -> Headline:
        logs = self.logs
        if not logs:
            return Headline(title="0 logs")
        first = logs[0]
        levels = [normalize_level(log.level) for log in logs]
        body = first.body.splitlines()[0] if first.body and first.body.strip() else ""
        own = list(app_attributes(first.attrs).items())[:_LINE_ATTRIBUTES]
        body += "".join(f" {k}={_attribute_text(v)}" for k, v in own)
        more = f" (+{len(logs) - 1} more)" if len(logs) > 1 else ""
        return from_attributes(
            first.attrs,
            title=f"{body.strip()}{more}" if body.strip() else plural(len(logs), "log"),
            timestamp=first.timestamp_seconds,
            trace_id=first.trace_id,
            level=max(levels, key=severity),
        )


class TraceMetric(Payload):
    timestamp: Timestamp = None
    trace_id: str | None = None
    span_id: str | None = None
    name: str | None = None
    type: str | None = None
    value: float | None = None
    unit: str | None = None
    attributes: Attributes | None = None

    @property
    def attrs(self) -> dict[str, Any]:
        return attribute_values(self.attributes)

    @property
    def timestamp_seconds(self) -> float | None:
        return epoch_seconds(self.timestamp)


class TraceMetricContainer(Payload):
    items: list[TraceMetric] | None = None
    version: int | str | None = None

    @property
    def metrics(self) -> list[TraceMetric]:
        return self.items or []

    def headline(self) -> Headline:
        metrics = self.metrics
        names = sorted({m.name for m in metrics if m.name})
        title = f"{plural(len(metrics), 'metric')}: {', '.join(names[:5])}"
        if not metrics:
            return Headline(title=title)
        return from_attributes(
            metrics[0].attrs, title=title, timestamp=metrics[0].timestamp_seconds
        )
