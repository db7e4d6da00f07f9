"""Events and transactions as Relay would trim, correct or drop them.

The limits are the `#[metastructure(max_chars = …, max_chars_allowance = …, max_bytes = …,
max_depth = …)]` attributes of `relay-event-schema/src/protocol/` (`event.rs`, `logentry.rs`,
`exception.rs`, `stacktrace.rs`, `breadcrumb.rs`, `tags.rs`, `request.rs`, `contexts/mod.rs`;
the older `bag_size = "small"|"medium"|"large"` names are `BagSize` in
`relay-event-schema/src/processor/attrs.rs`). Stack traces follow `process_raw_stacktrace` in
`relay-event-normalization/src/trimming.rs`; timestamps and what makes a transaction invalid
follow `validate_event` in `relay-event-normalization/src/validation.rs` and `TimestampProcessor`
in `timestamp.rs` beside it.
"""

from __future__ import annotations

import re
from typing import Any

from devsentry.process.verdict.bags import check_bag, check_chars, cost_within
from devsentry.process.verdict.notes import Notes, duration
from devsentry.protocol.limits import (
    DAY,
    EVENT_RETENTION_DAYS,
    MAX_SECS_IN_FUTURE,
    METRICS_MAX_SECS_IN_PAST,
)
from devsentry.protocol.times import epoch_seconds

__all__ = ["check_event", "is_span_id", "is_trace_id", "is_uuid"]

#: Top-level strings: (field, max_chars, max_chars_allowance), `event.rs`.
EVENT_STRINGS = (
    ("culprit", 200, 0),
    ("environment", 64, 0),
    ("logger", 64, 0),
    ("release", 200, 0),
    ("server_name", 256, 20),
    ("site", 256, 20),
    ("transaction", 200, 0),
)
MESSAGE = (8192, 200)  # logentry message/formatted, exception value, breadcrumb message
SYMBOL = (256, 20)  # frame function/raw_function/symbol, exception type and module
PATH = (256, 40)  # frame filename/abs_path, request url
ENUM_LIKE = 128  # breadcrumb type and category, exception thread_id
TAG_CHARS = 200  # tag keys and values (`tags.rs`)
FRAGMENT = (1024, 100)  # request fragment

#: Free-form fields as (max_bytes, max_depth): `BagSize` small, medium, large, larger, massive.
SMALL, MEDIUM, LARGE, LARGER, MASSIVE = (1024, 3), (2048, 5), (8192, 7), (16384, 7), (262_144, 7)
CONTEXT_BYTES, FLAGS_CONTEXT_BYTES, CONTEXT_DEPTH = 8192, 132_072, 7  # each context
REQUEST_BAGS = (
    ("cookies", MEDIUM),
    ("data", LARGE),
    ("env", LARGE),
    ("headers", LARGE),
    ("query_string", SMALL),
)
SPANS_BYTES = 819_200  # a transaction's spans, all together (`event.rs`)
FRAMES_KEPT = 250  # `enforce_frame_hard_limit`: the newest are kept
FRAMES_FULL = 50  # `slim_frame_data`: frames in the middle beyond it lose vars and context
FRAME_STRINGS = (
    ("abs_path", *PATH),
    ("filename", *PATH),
    ("function", *SYMBOL),
    ("raw_function", *SYMBOL),
    ("symbol", *SYMBOL),
)

_TRACE_ID = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_SPAN_ID = re.compile(r"[0-9a-fA-F]{16}")


def check_event(
    notes: Notes, size: int, payload: object, received: float | None, transaction: bool
) -> None:
    """Note what Relay would do with an event (or, `transaction`, a transaction) payload."""
    if type(payload) is not dict:
        notes.add("", "dropped", "not a JSON object: Relay cannot read it as an event")
        return
    drop = _timestamps(notes, payload, received, transaction)
    if drop is not None:
        notes.add("", "dropped", drop)
        return
    _breadcrumbs(notes, size, payload.get("breadcrumbs"))
    _contexts(notes, size, payload.get("contexts"))
    _exceptions(notes, size, payload.get("exception"))
    _extra(notes, size, payload.get("extra"))
    _message(notes, size, "logentry", payload.get("logentry"))
    _message(notes, size, "message", payload.get("message"))
    check_bag(notes, "modules", payload.get("modules"), *LARGE, size)
    _request(notes, size, payload.get("request"))
    _spans(notes, size, payload.get("spans"))
    _stacktrace(notes, size, "stacktrace", payload.get("stacktrace"))
    for field, max_chars, allowance in EVENT_STRINGS:
        check_chars(notes, field, payload.get(field), max_chars, allowance)
    _tags(notes, payload.get("tags"))
    for i, thread in enumerate(_values(payload.get("threads"))):
        if type(thread) is dict:
            _stacktrace(notes, size, f"threads.values.{i}.stacktrace", thread.get("stacktrace"))


def _values(value: object) -> list[Any]:
    """The entries of a `Values` field (`exception`, `breadcrumbs`, `threads`): a list, an
    object with `values`, or one bare object (`protocol/types.rs`)."""
    if type(value) is list:
        return value
    if type(value) is dict:
        if "values" in value:
            inner = value["values"]
            return inner if type(inner) is list else []
        return [value] if value else []
    return []


def _timestamps(
    notes: Notes, event: dict[str, Any], received: float | None, transaction: bool
) -> str | None:
    """Note a timestamp Relay would replace; return why Relay would drop a transaction.

    An event dated more than `MAX_SECS_IN_FUTURE` after it was received, or before the
    retention, gets the time it was received (`normalize_timestamps`, with the clock drift
    moving every other timestamp of the event by as much); a transaction must then still
    start no later than it ends, end after 1970 and within the metrics window, and carry a
    trace context and valid spans."""
    end = epoch_seconds(event.get("timestamp"))
    shift = 0.0
    if received is not None:
        if end is None:
            end = received  # Relay fills in the time it was received
        elif end > received + MAX_SECS_IN_FUTURE:
            notes.add(
                "timestamp",
                "removed",
                f"{duration(end - received)} after it was received; Sentry allows "
                f"{MAX_SECS_IN_FUTURE} s and uses the time received instead "
                "(recording a future_timestamp error)",
            )
            shift, end = received - end, received
        elif end < received - EVENT_RETENTION_DAYS * DAY:
            notes.add(
                "timestamp",
                "removed",
                f"{duration(received - end)} before it was received; Sentry keeps "
                f"{EVENT_RETENTION_DAYS} days (the default retention) and uses the time "
                "received instead (recording a past_timestamp error)",
            )
            shift, end = received - end, received
    if not transaction:
        return None
    start = epoch_seconds(event.get("start_timestamp"))
    if start is None:
        return "no valid start_timestamp: Relay drops a transaction without one"
    start += shift
    if end is not None:
        if end < start:
            return f"it ends {duration(start - end)} before it starts: Relay drops it"
        if start < 0 or end < 0:
            return "it is dated before 1970: Relay drops it as too stale"
        if received is not None and int(end) < int(received) - METRICS_MAX_SECS_IN_PAST:
            return (
                f"it ended {duration(received - end)} before it was received; Relay drops a "
                f"transaction that ends more than {METRICS_MAX_SECS_IN_PAST // DAY} days "
                "before (the metrics window)"
            )
    return _trace_context(event.get("contexts")) or _transaction_spans(event.get("spans"), shift)


def _trace_context(contexts: object) -> str | None:
    trace = contexts.get("trace") if type(contexts) is dict else None
    kind = trace.get("type") if type(trace) is dict else None
    if type(trace) is not dict or (type(kind) is str and kind not in ("", "trace")):
        return "no trace context (contexts.trace): Relay drops a transaction without one"
    if not is_trace_id(trace.get("trace_id")):
        return "contexts.trace has no valid trace_id: Relay drops the transaction"
    if not is_span_id(trace.get("span_id")):
        return "contexts.trace has no valid span_id: Relay drops the transaction"
    return None


def _transaction_spans(spans: object, shift: float) -> str | None:
    """Why one span makes Relay drop the whole transaction (`validate_spans`); a span without
    an end gets the transaction's, and one dated before 1970 is removed first, which then
    fails the transaction too (`TimestampProcessor::process_span`)."""
    if type(spans) is not list:
        return None
    for k, span in enumerate(spans):
        if type(span) is not dict:
            return f"spans.{k} is not a span: Relay drops the whole transaction"
        start = epoch_seconds(span.get("start_timestamp"))
        end = epoch_seconds(span.get("timestamp"))
        if start is None:
            return f"spans.{k} has no valid start_timestamp: Relay drops the whole transaction"
        if end is not None and end < start:
            return f"spans.{k} ends before it starts: Relay drops the whole transaction"
        if start + shift < 0 or (end is not None and end + shift < 0):
            return f"spans.{k} is dated before 1970: Relay drops the whole transaction"
        if not is_trace_id(span.get("trace_id")):
            return f"spans.{k} has no valid trace_id: Relay drops the whole transaction"
        if not is_span_id(span.get("span_id")):
            return f"spans.{k} has no valid span_id: Relay drops the whole transaction"
    return None


def _breadcrumbs(notes: Notes, size: int, breadcrumbs: object) -> None:
    """Each breadcrumb's strings and `data`; Relay caps neither their number nor their total,
    only the event's size does. One dated before 1970 is removed (`TimestampProcessor`)."""
    for i, crumb in enumerate(_values(breadcrumbs)):
        if type(crumb) is not dict:
            continue
        base = f"breadcrumbs.values.{i}"
        check_chars(notes, base + ".category", crumb.get("category"), ENUM_LIKE)
        check_bag(notes, base + ".data", crumb.get("data"), *MEDIUM, size)
        check_chars(notes, base + ".message", crumb.get("message"), *MESSAGE)
        check_chars(notes, base + ".type", crumb.get("type"), ENUM_LIKE)
        if _before_1970(crumb.get("timestamp")):
            notes.add(base, "removed", "dated before 1970: Relay removes the breadcrumb")


def _before_1970(stamp: object) -> bool:
    """Cheaply, whether a timestamp is before 1970 (a number below 0, a year below 1970)."""
    if type(stamp) is int or type(stamp) is float:
        return stamp < 0
    return type(stamp) is str and stamp[:4].isdigit() and stamp[:4] < "1970"


def _contexts(notes: Notes, size: int, contexts: object) -> None:
    if type(contexts) is not dict:
        return
    for name, context in contexts.items():
        if type(context) is dict and context:
            kind = context.get("type", name)
            limit = FLAGS_CONTEXT_BYTES if kind == "flags" else CONTEXT_BYTES
            check_bag(notes, f"contexts.{name}", context, limit, CONTEXT_DEPTH, size)


def _exceptions(notes: Notes, size: int, exceptions: object) -> None:
    for i, exception in enumerate(_values(exceptions)):
        if type(exception) is not dict:
            continue
        base = f"exception.values.{i}"
        check_chars(notes, base + ".module", exception.get("module"), *SYMBOL)
        _stacktrace(notes, size, base + ".raw_stacktrace", exception.get("raw_stacktrace"))
        _stacktrace(notes, size, base + ".stacktrace", exception.get("stacktrace"))
        check_chars(notes, base + ".thread_id", exception.get("thread_id"), ENUM_LIKE)
        check_chars(notes, base + ".type", exception.get("type"), *SYMBOL)
        check_chars(notes, base + ".value", exception.get("value"), *MESSAGE)


def _stacktrace(notes: Notes, size: int, path: str, stacktrace: object) -> None:
    """Frames over 250 are dropped, oldest first; beyond 50, frames in the middle (system
    frames before in-app ones) lose `vars`, `pre_context` and `post_context`."""
    frames = stacktrace.get("frames") if type(stacktrace) is dict else None
    if type(frames) is not list:
        return
    total, first = len(frames), max(0, len(frames) - FRAMES_KEPT)
    if first:
        notes.add(
            path + ".frames",
            "trimmed",
            f"{total:,} frames; Sentry keeps the newest {FRAMES_KEPT} and drops the "
            f"{first:,} oldest",
        )
    in_app: list[int] = []
    system: list[int] = []
    for j in range(first, total):
        frame = frames[j]
        if type(frame) is not dict:
            continue
        (in_app if frame.get("in_app") is True else system).append(j)
        for field, max_chars, allowance in FRAME_STRINGS:
            value = frame.get(field)
            if type(value) is str and len(value) > max_chars + allowance:
                check_chars(notes, f"{path}.frames.{j}.{field}", value, max_chars, allowance)
        if frame.get("vars"):
            check_bag(notes, f"{path}.frames.{j}.vars", frame["vars"], *MEDIUM, size)
    kept = total - first
    if kept > FRAMES_FULL:
        slimmed = _slimmed(kept, in_app, system)
        lose = sum(
            1
            for j in slimmed
            if any(frames[j].get(key) for key in ("vars", "pre_context", "post_context"))
        )
        if lose:
            notes.add(
                path + ".frames",
                "trimmed",
                f"{kept:,} frames; beyond {FRAMES_FULL}, Sentry strips local variables and "
                f"source context from {lose:,} frames in the middle",
            )


def _slimmed(count: int, in_app: list[int], system: list[int]) -> list[int]:
    """The frames `slim_frame_data` strips: the middle system frames first, then as many
    middle in-app frames as are still over the allowance."""
    system_half = max(0, FRAMES_FULL - len(in_app)) // 2
    from_system = system[system_half : len(system) - system_half]
    remaining = max(0, count - FRAMES_FULL - len(from_system))
    app_half = max(0, len(in_app) - remaining) // 2
    return from_system + in_app[app_half : len(in_app) - app_half]


def _extra(notes: Notes, size: int, extra: object) -> None:
    """Each value of `extra` has 16 KiB and all of them 256 KiB; keys are taken in sorted
    order (Relay's maps are B-trees), so the ones that sort last are dropped first, whole."""
    if type(extra) is not dict or not extra:
        return
    outer_bytes, outer_depth = MASSIVE
    value_bytes = LARGER[0] + 3
    budget = outer_bytes + 3 if 3 * size > 2 * outer_bytes else None
    for key, value in extra.items():
        if budget is not None and budget < 0:
            break
        # the outer depth binds: `extra` is one level above its values
        check_bag(notes, f"extra.{key}", value, LARGER[0], outer_depth - 1, size)
        if budget is not None:
            budget -= value_bytes - max(cost_within(value, value_bytes), 0)
    if budget is not None and budget < 0:
        notes.add(
            "extra",
            "trimmed",
            f"more than {outer_bytes:,} bytes as Relay counts them; Sentry keeps "
            f"{outer_bytes:,} and drops the keys that sort last",
        )


def _message(notes: Notes, size: int, path: str, message: object) -> None:
    """`logentry` (or its legacy alias `message`: an object, or a plain string that becomes
    `formatted`, `logentry.rs`)."""
    if type(message) is str:
        check_chars(notes, path, message, *MESSAGE)
    elif type(message) is dict:
        check_chars(notes, path + ".formatted", message.get("formatted"), *MESSAGE)
        check_chars(notes, path + ".message", message.get("message"), *MESSAGE)
        check_bag(notes, path + ".params", message.get("params"), *MEDIUM, size)


def _request(notes: Notes, size: int, request: object) -> None:
    if type(request) is not dict:
        return
    for field, (max_bytes, max_depth) in REQUEST_BAGS:
        check_bag(notes, f"request.{field}", request.get(field), max_bytes, max_depth, size)
    check_chars(notes, "request.fragment", request.get("fragment"), *FRAGMENT)
    check_chars(notes, "request.url", request.get("url"), *PATH)


def _spans(notes: Notes, size: int, spans: object) -> None:
    """A transaction's spans share 800 KiB; the spans after it runs out are dropped."""
    if type(spans) is not list or 3 * size <= 2 * SPANS_BYTES:
        return
    budget, kept = SPANS_BYTES, 0
    for span in spans:
        if budget <= 0:
            break
        kept += 1
        budget = cost_within(span, budget)
    if kept < len(spans):
        notes.add(
            "spans",
            "trimmed",
            f"more than {SPANS_BYTES:,} bytes of spans as Relay counts them; Sentry keeps the "
            f"first {kept:,} of {len(spans):,}",
        )


def _tags(notes: Notes, tags: object) -> None:
    """Tags as an object or as `[key, value]` pairs (`PairList`)."""
    if type(tags) is dict:
        pairs: Any = tags.items()
    elif type(tags) is list:
        pairs = (p for p in tags if type(p) is list and len(p) == 2)
    else:
        return
    for key, value in pairs:
        if type(key) is not str:
            continue
        short = len(key) <= TAG_CHARS
        if not short:
            notes.add("tags", "trimmed", f"a tag key of {len(key):,} chars; Sentry keeps 200")
        check_chars(notes, f"tags.{key}" if short else "tags", value, TAG_CHARS)


def is_trace_id(value: object) -> bool:
    """Whether Relay reads `value` as a trace id (32 hex digits, or a UUID with dashes)."""
    return type(value) is str and _TRACE_ID.fullmatch(value) is not None


is_uuid = is_trace_id  # an event or check-in id is read the same way


def is_span_id(value: object) -> bool:
    """Whether Relay reads `value` as a span id (16 hex digits)."""
    return type(value) is str and _SPAN_ID.fullmatch(value) is not None
