"""Items that are not events: containers (logs, spans v2, trace metrics), check-ins, sessions
and client reports, as Relay reads and drops them.

Relay deserializes check-ins, sessions and client reports with serde, so a field of the wrong
type makes the whole item unreadable; the fields checked here are the structs' own
(`relay-monitors/src/lib.rs` `CheckIn`, `relay-event-schema/src/protocol/session.rs`,
`client_report.rs`), and what comes after is `process_check_in`,
`relay-server/src/processing/sessions/process.rs` and `client_reports/process.rs`.
"""

from __future__ import annotations

import re
from typing import Any

from devsentry.process.verdict.events import is_trace_id, is_uuid
from devsentry.process.verdict.notes import Notes, duration
from devsentry.protocol.limits import (
    CONTAINER_ITEM_LIMITS,
    DAY,
    EVENT_RETENTION_DAYS,
    MAX_SECS_IN_FUTURE,
    MAX_SESSION_SECS_IN_PAST,
    MINIMUM_CLOCK_DRIFT,
)
from devsentry.protocol.times import epoch_seconds

__all__ = [
    "check_check_in",
    "check_client_report",
    "check_container",
    "check_session",
    "drift",
]

SLUG_CHARS = 50  # `SLUG_LENGTH`: longer slugs are cut
CHECK_IN_ENVIRONMENT_CHARS = 64  # `ENVIRONMENT_LENGTH`: longer ones make the check-in invalid
SCHEDULE_UNITS = ("year", "month", "week", "day", "hour", "minute")
OUTCOME_REASON_BYTES = 200  # client report outcomes with a longer reason are ignored
#: The outcome lists of a client report (`ClientReport` in `client_report.rs`).
OUTCOME_LISTS = (
    "discarded_events",
    "filtered_events",
    "filtered_sampling_events",
    "rate_limited_events",
)
_ZONED = re.compile(r"(?:[Zz]|[+-]\d\d:?\d\d)\Z")


def check_container(
    notes: Notes, item_type: str, size: int, payload: object, item_count: int | None
) -> None:
    """A log, span or trace metric container: on average each item may have its type's
    limit (Relay divides by the header's `item_count`, counting one when there is none); a
    log needs a timestamp, trace_id, level and body (`processing/logs/store.rs`)."""
    items = payload.get("items") if type(payload) is dict else None
    limit = CONTAINER_ITEM_LIMITS.get(item_type)
    if type(items) is not list:
        if item_type == "span" and type(payload) is dict:  # a v1 span, alone in its item
            if limit is not None and size > limit:
                notes.add("", "dropped", f"{size:,} bytes is over Relay's {limit:,} for a span")
            return
        notes.add("", "dropped", 'not an item container ({"items": [...]}): Relay cannot read it')
        return
    count = item_count if type(item_count) is int and item_count > 0 else 1
    if limit is not None and size // count > limit:
        notes.add(
            "",
            "dropped",
            f"{size // count:,} bytes per {item_type} ({size:,} bytes for an item_count of "
            f"{count:,}) is over Relay's {limit:,}; Relay refuses the envelope",
        )
        return
    dropped = 0
    for i, entry in enumerate(items):
        problem = _log_problem(entry) if item_type == "log" else _entry_problem(entry)
        if problem is not None:
            notes.add(f"items.{i}", "dropped", problem)
            dropped += 1
    if items and dropped == len(items):
        notes.add("", "dropped", f"Relay drops every {item_type} in it")


def _entry_problem(entry: object) -> str | None:
    return None if type(entry) is dict else "not an object: Relay drops it"


def _log_problem(log: object) -> str | None:
    if type(log) is not dict:
        return "not a log object: Relay drops it"
    if epoch_seconds(log.get("timestamp")) is None:
        missing = "timestamp"
    elif not is_trace_id(log.get("trace_id")):
        missing = "trace_id"
    elif type(log.get("level")) is not str:
        missing = "level"
    elif type(log.get("body")) is not str:
        missing = "body"
    else:
        return None
    return f"no valid {missing}: Relay drops a log without one"


def check_check_in(notes: Notes, payload: object) -> None:
    """A check-in is unreadable with a field of the wrong type, invalid with an empty slug or
    an environment over 64 chars; a slug over 50 chars is cut and `missed` becomes `unknown`."""
    problem = _check_in_problem(payload)
    if problem is not None or type(payload) is not dict:
        notes.add("", "dropped", problem or "not a JSON object")
        return
    slug = payload.get("monitor_slug", "")
    if len(slug) > SLUG_CHARS:
        notes.add("monitor_slug", "trimmed", f"{len(slug):,} chars; Sentry keeps {SLUG_CHARS}")
    if payload["status"] == "missed":
        notes.add(
            "status", "removed", 'Sentry computes "missed" itself; Relay sends "unknown" instead'
        )


def _check_in_problem(check_in: object) -> str | None:
    if type(check_in) is not dict:
        return "not a JSON object: Relay cannot read it as a check-in"
    if "check_in_id" in check_in and not is_uuid(check_in["check_in_id"]):
        return "check_in_id is not a UUID: Relay cannot read the check-in"
    slug = check_in.get("monitor_slug", "")
    if type(slug) is not str:
        return "monitor_slug is not a string: Relay cannot read the check-in"
    if type(check_in.get("status")) is not str:
        return "no status: Relay cannot read the check-in"
    for field, ok in (
        ("environment", _optional_str),
        ("duration", _optional_number),
        ("monitor_config", _monitor_config),
        ("contexts", _check_in_contexts),
    ):
        if not ok(check_in.get(field)):
            return f"{field} is not what Relay reads: it cannot read the check-in"
    if not slug:
        return "monitor_slug is empty: Relay drops the check-in"
    environment = check_in.get("environment")
    if environment is not None and len(environment) > CHECK_IN_ENVIRONMENT_CHARS:
        return (
            f"environment is {len(environment):,} chars; Relay drops a check-in whose "
            f"environment is over {CHECK_IN_ENVIRONMENT_CHARS}"
        )
    return None


def _monitor_config(config: object) -> bool:
    if config is None:
        return True
    if type(config) is not dict or type(config.get("schedule")) is not dict:
        return False
    schedule = config["schedule"]
    kind, value = schedule.get("type"), schedule.get("value")
    if kind == "crontab":
        fine = type(value) is str
    elif kind == "interval":
        fine = _count(value) and schedule.get("unit") in SCHEDULE_UNITS
    else:
        fine = False
    numbers = ("checkin_margin", "max_runtime", "failure_issue_threshold", "recovery_threshold")
    return (
        fine
        and all(config.get(key) is None or _count(config[key]) for key in numbers)
        and _optional_str(config.get("timezone"))
        and _optional_str(config.get("owner"))
    )


def _check_in_contexts(contexts: object) -> bool:
    if contexts is None:
        return True
    if type(contexts) is not dict:
        return False
    trace = contexts.get("trace")
    return trace is None or (type(trace) is dict and is_trace_id(trace.get("trace_id")))


def drift(received: float | None, sent_at: float | None) -> float:
    """How far Relay shifts an item's timestamps for its sender's clock: the difference of
    received and `sent_at` when it is at least `MINIMUM_CLOCK_DRIFT`, else nothing."""
    if received is None or sent_at is None or abs(received - sent_at) < MINIMUM_CLOCK_DRIFT:
        return 0.0
    return received - sent_at


def check_session(
    notes: Notes, aggregates: bool, payload: object, received: float | None, shift: float
) -> None:
    """A session update (or, `aggregates`, a batch) Relay cannot read is dropped; so is one
    that started or was updated more than 5 days before it was received, or more than 60 s
    after, once its clock is corrected by `shift`. In a batch only the aggregates that are
    too old or new go."""
    problem = _aggregates_problem(payload) if aggregates else _session_problem(payload)
    if problem is not None or type(payload) is not dict:
        notes.add("", "dropped", problem or "not a JSON object")
        return
    if received is None:
        return
    if not aggregates:
        started = (_date(payload["started"]) or 0.0) + shift
        updated = received  # Relay's default for an update without a timestamp
        if "timestamp" in payload:
            updated = (_date(payload["timestamp"]) or 0.0) + shift
        if updated < started:
            notes.add("timestamp", "removed", "before started: Relay sets it to started")
            updated = started
        for field, moment in (("timestamp", updated), ("started", started)):
            late = _session_age(moment, received)
            if late is not None:
                notes.add("", "dropped", f"{field} is {late}")
                return
        return
    entries = payload.get("aggregates", [])
    gone = 0
    for i, entry in enumerate(entries):
        late = _session_age((_date(entry["started"]) or 0.0) + shift, received)
        if late is not None:
            notes.add(f"aggregates.{i}", "dropped", f"started is {late}")
            gone += 1
    if entries and gone == len(entries):
        notes.add("", "dropped", "Relay drops every aggregate in it")


def _session_age(moment: float, received: float) -> str | None:
    if received - moment > MAX_SESSION_SECS_IN_PAST:
        return (
            f"{duration(received - moment)} before it was received; Relay drops sessions older "
            f"than {MAX_SESSION_SECS_IN_PAST // DAY} days"
        )
    if moment - received > MAX_SECS_IN_FUTURE:
        return (
            f"{duration(moment - received)} after it was received; Relay drops sessions more "
            f"than {MAX_SECS_IN_FUTURE} s ahead"
        )
    return None


def _session_problem(session: object) -> str | None:
    if type(session) is not dict:
        return "not a JSON object: Relay cannot read it as a session"
    if _date(session.get("started")) is None:
        return "no valid started (an RFC 3339 time with a zone): Relay cannot read the session"
    if "timestamp" in session and _date(session["timestamp"]) is None:
        return "timestamp is not an RFC 3339 time with a zone: Relay cannot read the session"
    if "sid" in session and not is_uuid(session["sid"]):
        return "sid is not a UUID: Relay cannot read the session"
    checks: tuple[tuple[str, Any], ...] = (
        ("did", _optional_str),
        ("seq", _count),
        ("init", lambda v: type(v) is bool),
        ("duration", _optional_number),
        ("status", lambda v: type(v) is str),
        ("errors", _count),
        ("abnormal_mechanism", _optional_str),
    )
    for field, ok in checks:
        if field in session and not ok(session[field]):
            return f"{field} is not what Relay reads: it cannot read the session"
    return _attrs_problem(session.get("attrs"))


def _aggregates_problem(batch: object) -> str | None:
    if type(batch) is not dict:
        return "not a JSON object: Relay cannot read it as sessions"
    entries = batch.get("aggregates", [])
    if type(entries) is not list:
        return "aggregates is not a list: Relay cannot read the sessions"
    counts = ("exited", "errored", "abnormal", "unhandled", "crashed")
    for i, entry in enumerate(entries):
        if (
            type(entry) is not dict
            or _date(entry.get("started")) is None
            or not _optional_str(entry.get("did"))
            or not all(_count(entry[key], 2**32) for key in counts if key in entry)
        ):
            return f"aggregates.{i} is not what Relay reads: it cannot read the sessions"
    return _attrs_problem(batch.get("attrs"))


def _attrs_problem(attrs: object) -> str | None:
    if type(attrs) is not dict or type(attrs.get("release")) is not str:
        return "no attrs.release: Relay cannot read the session"
    for field in ("environment", "ip_address", "user_agent"):
        if not _optional_str(attrs.get(field)):
            return f"attrs.{field} is not a string: Relay cannot read the session"
    return None


def check_client_report(
    notes: Notes, payload: object, received: float | None, shift: float
) -> None:
    """Outcomes with a reason over 200 bytes are ignored; a report dated (once its clock is
    corrected by `shift`) before the retention or more than 60 s after it was received is
    ignored whole."""
    problem = _report_problem(payload)
    if problem is not None or type(payload) is not dict:
        notes.add("", "dropped", problem or "not a JSON object")
        return
    total = ignored = 0
    for field in OUTCOME_LISTS:
        for i, outcome in enumerate(payload.get(field, ())):
            total += 1
            reason = outcome["reason"]
            length = len(reason) if reason.isascii() else len(reason.encode("utf-8", "replace"))
            if length > OUTCOME_REASON_BYTES:
                ignored += 1
                notes.add(
                    f"{field}.{i}",
                    "dropped",
                    f"a reason of {length:,} bytes; Relay ignores outcomes with one over "
                    f"{OUTCOME_REASON_BYTES}",
                )
    if not total:
        return  # nothing in it to count
    if ignored == total:
        notes.add("", "dropped", "Relay ignores every outcome in it")
        return
    stamp = payload.get("timestamp")
    moment = received if stamp is None else epoch_seconds(stamp)
    if received is None or moment is None:
        return
    if stamp is not None:
        moment += shift
    if received - moment > EVENT_RETENTION_DAYS * DAY:
        notes.add(
            "",
            "dropped",
            f"{duration(received - moment)} before it was received; Relay ignores client reports "
            f"older than {EVENT_RETENTION_DAYS} days (the default retention)",
        )
    elif moment - received > MAX_SECS_IN_FUTURE:
        notes.add(
            "",
            "dropped",
            f"{duration(moment - received)} after it was received; Relay ignores client reports "
            f"more than {MAX_SECS_IN_FUTURE} s ahead",
        )


def _report_problem(report: object) -> str | None:
    if type(report) is not dict:
        return "not a JSON object: Relay cannot read it as a client report"
    stamp = report.get("timestamp")
    if stamp is not None and (type(stamp) is bool or epoch_seconds(stamp) is None):
        return "timestamp is not a timestamp: Relay cannot read the client report"
    for field in OUTCOME_LISTS:
        outcomes = report.get(field, [])
        if type(outcomes) is not list:
            return f"{field} is not a list: Relay cannot read the client report"
        for i, outcome in enumerate(outcomes):
            if (
                type(outcome) is not dict
                or type(outcome.get("reason")) is not str
                or type(outcome.get("category")) is not str
                or not _count(outcome.get("quantity"), 2**32)
            ):
                return f"{field}.{i} is not an outcome: Relay cannot read the client report"
    return None


def _date(value: object) -> float | None:
    """An RFC 3339 time with a zone, as serde reads a `DateTime<Utc>`, in epoch seconds."""
    if type(value) is not str or _ZONED.search(value) is None:
        return None
    return epoch_seconds(value)


def _count(value: object, below: int = 2**64) -> bool:
    return type(value) is int and 0 <= value < below


def _optional_str(value: object) -> bool:
    return value is None or type(value) is str


def _optional_number(value: object) -> bool:
    return value is None or type(value) is int or type(value) is float
