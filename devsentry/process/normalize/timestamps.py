"""Event timestamps as Relay stores them: float epoch seconds, corrected for the sender's clock.

- Every timestamp (the event's, `start_timestamp`, each breadcrumb's and span's) is read as
  float seconds or RFC 3339 and written back as float seconds; one that cannot be read is
  removed (`Timestamp` in `relay-event-schema/src/protocol/types.rs`).
- Clock drift: when the envelope's `sent_at` and the moment Relay received it differ by 55
  minutes or more, the difference is added to every timestamp of the event
  (`relay-event-normalization/src/clock_drift.rs`, applied with `MINIMUM_CLOCK_DRIFT` in
  `finalize`, `relay-server/src/processing/utils/event.rs`).
- An event dated more than 60 seconds ahead of its arrival or older than the event retention
  (90 days) is moved to the time it was received, and every other timestamp with it
  (`normalize_timestamps` in `relay-event-normalization/src/validation.rs`; the limits are
  `max_secs_in_future` of `relay-config/src/config.rs` and `DEFAULT_EVENT_RETENTION` of
  `relay-server/src/constants.rs`). A missing timestamp becomes the time received.
- A timestamp before 1970 rejects the event, or removes the breadcrumb or span carrying it
  (`relay-event-normalization/src/timestamp.rs`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from devsentry.process.normalize.fields import Notes, as_dict, as_list
from devsentry.process.sender import Sender
from devsentry.protocol.times import epoch_seconds, rfc3339

__all__ = [
    "MAX_SECS_IN_FUTURE",
    "MAX_SECS_IN_PAST",
    "MINIMUM_CLOCK_DRIFT",
    "correct_timestamps",
    "read_timestamps",
    "remove_stale",
]

MINIMUM_CLOCK_DRIFT = 55 * 60
MAX_SECS_IN_FUTURE = 60
MAX_SECS_IN_PAST = 90 * 24 * 3600
#: The event's own timestamps (breadcrumbs and spans have `timestamp` and `start_timestamp`).
_EVENT_FIELDS = ("timestamp", "start_timestamp", "received")


def _holders(event: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each object holding timestamps, with its path: the event, breadcrumbs, spans."""
    yield "", event
    breadcrumbs = as_dict(event.get("breadcrumbs"))
    crumbs = as_list(breadcrumbs.get("values")) if breadcrumbs else None
    for i, crumb in enumerate(crumbs or ()):
        if isinstance(crumb, dict):
            yield f"breadcrumbs.values.{i}.", crumb
    for i, span in enumerate(as_list(event.get("spans")) or ()):
        if isinstance(span, dict):
            yield f"spans.{i}.", span


def read_timestamps(event: dict[str, Any], notes: Notes) -> None:
    """Every timestamp as float seconds; unreadable ones removed. Breadcrumbs must already be
    in their `{"values": [...]}` form."""
    for prefix, holder in _holders(event):
        for field in ("timestamp", "start_timestamp") if holder is not event else _EVENT_FIELDS:
            if field not in holder or holder[field] is None:
                continue
            seconds = epoch_seconds(holder[field])
            if seconds is None:
                del holder[field]
                notes.removed(prefix + field, "not a timestamp (float seconds or RFC 3339)")
            else:
                holder[field] = seconds


def _shift(event: dict[str, Any], drift: float) -> None:
    """Add `drift` seconds to every timestamp of the event (`ClockDriftProcessor`)."""
    for _, holder in _holders(event):
        for field in _EVENT_FIELDS:
            value = holder.get(field)
            if isinstance(value, float):
                holder[field] = value + drift


def _duration(seconds: float) -> str:
    """`+2:00:00`, `-91 days, 0:00:00`: a shift as a reader takes it in."""
    total = round(abs(seconds)) if math.isfinite(seconds) else 0
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    clock = f"{hours}:{rest // 60:02}:{rest % 60:02}"
    return ("+" if seconds >= 0 else "-") + (f"{days} days, {clock}" if days else clock)


def _when(seconds: float) -> str:
    return rfc3339(seconds) or f"{seconds:.0f} s after 1970"


def correct_timestamps(event: dict[str, Any], sender: Sender, notes: Notes) -> None:
    """Clock drift from `sent_at`, then timestamps out of range, then the defaults."""
    received = sender.received
    sent_at = epoch_seconds(sender.sent_at)  # one no calendar holds is ignored
    if sent_at is not None:
        drift = received - sent_at
        if abs(math.trunc(drift)) >= MINIMUM_CLOCK_DRIFT:
            _shift(event, drift)
            notes.removed(
                "timestamp",
                f"clock drift: the envelope was sent at {_when(sent_at)} but received at "
                f"{_when(received)}; Relay moved every timestamp by {_duration(drift)}",
            )
    timestamp = event.get("timestamp")
    if isinstance(timestamp, float):
        if timestamp > received + MAX_SECS_IN_FUTURE:
            kind = f"more than {MAX_SECS_IN_FUTURE} s in the future"
        elif timestamp < received - MAX_SECS_IN_PAST:
            kind = f"older than the {MAX_SECS_IN_PAST // 86400}-day retention"
        else:
            kind = None
        if kind is not None:
            drift = received - timestamp
            _shift(event, drift)
            notes.removed(
                "timestamp",
                f"{_when(timestamp)} is {kind}; Relay dated the event when it was received "
                f"and moved its other timestamps by {_duration(drift)}",
            )
    event["received"] = received
    if not isinstance(event.get("timestamp"), float):
        event["timestamp"] = received


def remove_stale(event: dict[str, Any], notes: Notes) -> None:
    """Timestamps before 1970: the event is rejected, a breadcrumb or span removed
    (`TimestampProcessor`)."""
    for field in ("timestamp", "start_timestamp"):
        value = event.get(field)
        if isinstance(value, float) and value < 0:
            notes.dropped(f"Relay rejects the event: {field} {value} is before 1970")
    breadcrumbs = as_dict(event.get("breadcrumbs"))
    crumbs = as_list(breadcrumbs.get("values")) if breadcrumbs else None
    if crumbs:
        breadcrumbs["values"] = _without_stale(crumbs, "breadcrumbs.values", notes)  # type: ignore[index]
    spans = as_list(event.get("spans"))
    if spans:
        event["spans"] = _without_stale(spans, "spans", notes)


def _without_stale(items: list[Any], path: str, notes: Notes) -> list[Any]:
    stale = [i for i, item in enumerate(items) if isinstance(item, dict) and _is_stale(item)]
    for i in stale:
        notes.removed(f"{path}.{i}", "its timestamp is before 1970")
    if not stale:
        return items
    gone = set(stale)
    return [item for i, item in enumerate(items) if i not in gone]


def _is_stale(item: dict[str, Any]) -> bool:
    end, start = item.get("timestamp"), item.get("start_timestamp")
    return (isinstance(end, float) and end < 0) or (isinstance(start, float) and start < 0)
