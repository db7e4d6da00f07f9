"""Typed views of envelope item payloads, tolerant of the ways SDKs differ (reference §2.6, §3).

`decode_item` turns one `Item` into a msgspec Struct chosen by its type. The structs accept every
shape Relay accepts (a list or `{"values": [...]}`, a dict or `[k, v]` pairs, float or RFC 3339
timestamps, `message` as a string or an object, nulls anywhere) and ignore unknown fields: the raw
payload stays on the `Item`, so nothing is lost. Accessors such as `Event.exceptions`,
`Event.tags_dict` or `Span.duration` hide those shapes, so grouping, renderers and the store never
look at them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeAlias, TypeVar
from urllib.parse import parse_qsl

import msgspec

from devsentry.envelope import Item

__all__ = [
    "Attachment",
    "Attribute",
    "Breadcrumb",
    "CheckIn",
    "ClientReport",
    "DiscardedEvent",
    "Event",
    "ExceptionValue",
    "Feedback",
    "FeedbackContext",
    "Frame",
    "Geo",
    "Log",
    "LogContainer",
    "LogEntry",
    "Measurement",
    "Mechanism",
    "Model",
    "ModelError",
    "MonitorConfig",
    "MonitorSchedule",
    "Profile",
    "ProfileChunk",
    "ProfileData",
    "ProfileTransaction",
    "ReplayEvent",
    "Request",
    "Sdk",
    "SdkPackage",
    "Session",
    "SessionAggregate",
    "SessionAggregates",
    "SessionAttrs",
    "Span",
    "SpanContainer",
    "SpanLink",
    "SpanV2",
    "Stacktrace",
    "Thread",
    "TraceContext",
    "TraceMetric",
    "TraceMetricContainer",
    "Transaction",
    "TransactionInfo",
    "User",
    "UserReport",
    "attachment_info",
    "attribute_values",
    "category_for",
    "decode_item",
    "epoch_seconds",
    "normalize_level",
]

#: A JSON scalar. JS tag values are `Primitive`, so numbers, booleans and null occur.
Primitive: TypeAlias = str | int | float | bool | None
#: Float/int epoch seconds (JS) or an RFC 3339 string (python, java, .NET).
Timestamp: TypeAlias = float | str | None
#: Tags: a dict, or a list of `[key, value]` pairs (old SDKs).
Tags: TypeAlias = dict[str, Primitive] | list[tuple[str, Primitive]]
#: Request headers, cookies, query string and env: a dict, `[key, value]` pairs or a raw string.
PairList: TypeAlias = dict[str, Any] | list[tuple[str, Any]] | str
JsonObject: TypeAlias = dict[str, Any]

_S = TypeVar("_S", bound=msgspec.Struct)


class _Model(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Base of every payload struct: every field optional, unknown fields ignored.

    Treat instances as read-only views (the raw bytes on the `Item` are the record). They are
    not `frozen` only because mypy does not see struct options inherited from a base class.
    """


# -- Normalising helpers ------------------------------------------------------------------


def epoch_seconds(value: Timestamp | int) -> float | None:
    """Any protocol timestamp as float epoch seconds; None when missing or unparseable.

    Strings are RFC 3339 (a missing zone means UTC) or, leniently, a number in a string.
    """
    if value is None or isinstance(value, bool):
        return None
    if not isinstance(value, str):
        seconds = float(value)
    else:
        try:
            seconds = float(value)
        except ValueError:
            return _rfc3339_seconds(value)
    return seconds if math.isfinite(seconds) else None


def _rfc3339_seconds(text: str) -> float | None:
    try:
        parsed = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


_LEVEL_ALIASES = {"warn": "warning", "log": "info", "critical": "fatal", "trace": "debug"}


def normalize_level(level: str | int | None) -> str | None:
    """An event level as one of fatal/error/warning/info/debug (legacy numeric levels mapped)."""
    if level is None or isinstance(level, bool):
        return None
    if isinstance(level, int):
        for threshold, name in ((50, "fatal"), (40, "error"), (30, "warning"), (20, "info")):
            if level >= threshold:
                return name
        return "debug"
    name = level.strip().lower()
    return _LEVEL_ALIASES.get(name, name) or None


def _lazy_object(raw: msgspec.Raw) -> dict[str, Any]:
    """Decode a lazily kept JSON object; anything but an object reads as empty."""
    if not raw:
        return {}
    try:
        value = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    """A tag or header value as text: JSON-style booleans, lists joined (node header arrays)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return msgspec.json.encode(value).decode()


def _pairs(
    value: PairList | Tags | None, parse: Callable[[str], Iterable[tuple[str, str]]]
) -> list[tuple[str, str]]:
    """Pairs from a dict, a pair list or a raw string (split by `parse`); null values dropped."""
    if value is None:
        return []
    if isinstance(value, str):
        return list(parse(value))
    items = value.items() if isinstance(value, dict) else value
    return [(str(k), _text(v)) for k, v in items if v is not None]


def _no_string(_: str) -> Iterable[tuple[str, str]]:
    return ()


def _parse_headers(text: str) -> Iterable[tuple[str, str]]:
    for line in text.splitlines():
        name, sep, val = line.partition(":")
        if sep and name.strip():
            yield name.strip(), val.strip()


def _parse_cookies(text: str) -> Iterable[tuple[str, str]]:
    for part in text.split(";"):
        name, _, val = part.partition("=")
        if name.strip():
            yield name.strip(), val.strip()


def _parse_query(text: str) -> Iterable[tuple[str, str]]:
    return parse_qsl(text.lstrip("?"), keep_blank_values=True)


def _tags_dict(tags: Tags | None) -> dict[str, str]:
    return dict(_pairs(tags, _no_string))


def _unwrap(raw: Any, cls: type[_S]) -> list[_S]:
    """Relay's values wrapper: a list, `{"values": [...]}`, one bare object, `{}` or null.

    The wrapper types subclass the element type, so a bare object decodes into the wrapper
    with the element's fields set; it is copied back into a plain `cls`.
    """
    if raw is None:
        return []
    if isinstance(raw, list):
        return raw
    if raw.values is not None:
        return list(raw.values)
    fields = {name: getattr(raw, name) for name in cls.__struct_fields__}
    return [cls(**fields)] if any(v is not None for v in fields.values()) else []


def _typed_context(contexts: Mapping[str, Any] | None, name: str, cls: type[_S]) -> _S | None:
    """`contexts[name]` as `cls`, or None when absent or the wrong shape (it is optional)."""
    ctx = contexts.get(name) if contexts else None
    if not isinstance(ctx, dict):
        return None
    try:
        return msgspec.convert(ctx, cls)
    except msgspec.ValidationError:
        return None


def _duration(start: Timestamp, end: Timestamp) -> float | None:
    begin, finish = epoch_seconds(start), epoch_seconds(end)
    return None if begin is None or finish is None else finish - begin


# -- Event interfaces ---------------------------------------------------------------------


class Frame(_Model):
    """One stack frame. Frames in a stacktrace run oldest first; the last is the crash site."""

    filename: str | None = None
    abs_path: str | None = None
    module: str | None = None
    function: str | None = None
    raw_function: str | None = None
    lineno: int | None = None
    colno: int | None = None
    pre_context: list[str | None] | None = None
    context_line: str | None = None
    post_context: list[str | None] | None = None
    in_app: bool | None = None
    raw_vars: msgspec.Raw = msgspec.field(default=msgspec.Raw(), name="vars")
    package: str | None = None
    platform: str | None = None
    instruction_addr: str | None = None
    symbol: str | None = None
    data: JsonObject | None = None

    @property
    def vars(self) -> JsonObject:
        """Local variables, when the SDK sent them (decoded on demand, off the ingest path)."""
        return _lazy_object(self.raw_vars)


class Stacktrace(_Model):
    """A list of frames; `frames` is never None."""

    raw_frames: list[Frame] | None = msgspec.field(default=None, name="frames")
    registers: dict[str, Any] | None = None

    @property
    def frames(self) -> list[Frame]:
        return self.raw_frames or []


class Mechanism(_Model):
    """How an exception was captured; the ids link the members of an exception group."""

    type: str | None = None
    handled: bool | None = None
    synthetic: bool | None = None
    description: str | None = None
    help_link: str | None = None
    data: JsonObject | None = None
    meta: JsonObject | None = None
    exception_id: int | None = None
    parent_id: int | None = None
    is_exception_group: bool | None = None
    source: str | None = None


class ExceptionValue(_Model):
    """One exception of a chain (`exception.values[]`)."""

    type: str | None = None
    value: str | None = None
    module: str | None = None
    thread_id: int | str | None = None
    stacktrace: Stacktrace | None = None
    mechanism: Mechanism | None = None

    @property
    def frames(self) -> list[Frame]:
        return self.stacktrace.frames if self.stacktrace else []


class _ExceptionValues(ExceptionValue):
    """`{"values": [...]}` or a bare exception object; see `_unwrap`."""

    values: list[ExceptionValue] | None = None


class Thread(_Model):
    id: int | str | None = None
    name: str | None = None
    crashed: bool | None = None
    current: bool | None = None
    main: bool | None = None
    state: str | None = None
    stacktrace: Stacktrace | None = None


class _ThreadValues(Thread):
    values: list[Thread] | None = None


class Breadcrumb(_Model):
    type: str | None = None
    category: str | None = None
    message: str | None = None
    data: JsonObject | None = None
    level: str | None = None
    timestamp: Timestamp = None
    origin: str | None = None

    @property
    def timestamp_seconds(self) -> float | None:
        return epoch_seconds(self.timestamp)


class _BreadcrumbValues(Breadcrumb):
    values: list[Breadcrumb] | None = None


class LogEntry(_Model):
    """A message: `message` is the template, `params` its arguments, `formatted` the result."""

    message: str | None = None
    params: list[Any] | dict[str, Any] | None = None
    formatted: str | None = None

    @property
    def text(self) -> str | None:
        """`formatted`, else `message` with `%`-style params applied where they fit."""
        if self.formatted:
            return self.formatted
        if not self.message or not self.params:
            return self.message
        args = self.params if isinstance(self.params, dict) else tuple(self.params)
        try:
            return self.message % args
        except (TypeError, ValueError, KeyError):
            return self.message


class Geo(_Model):
    city: str | None = None
    country_code: str | None = None
    region: str | None = None
    subdivision: str | None = None


class User(_Model):
    id: str | int | None = None
    email: str | None = None
    ip_address: str | None = None
    username: str | None = None
    name: str | None = None
    segment: str | None = None
    geo: Geo | None = None
    data: JsonObject | None = None


class Request(_Model):
    """The HTTP request an event happened in. Use the `*_dict`/`*_pairs` accessors."""

    method: str | None = None
    url: str | None = None
    headers: PairList | None = None
    query_string: PairList | None = None
    cookies: PairList | None = None
    data: Any = None
    env: PairList | None = None
    fragment: str | None = None
    api_target: str | None = None

    @property
    def headers_dict(self) -> dict[str, str]:
        return dict(_pairs(self.headers, _parse_headers))

    @property
    def cookies_dict(self) -> dict[str, str]:
        return dict(_pairs(self.cookies, _parse_cookies))

    @property
    def query_pairs(self) -> list[tuple[str, str]]:
        """Query parameters in order (keys may repeat)."""
        return _pairs(self.query_string, _parse_query)

    @property
    def env_dict(self) -> dict[str, str]:
        return dict(_pairs(self.env, _no_string))


class SdkPackage(_Model):
    name: str | None = None
    version: str | None = None


class Sdk(_Model):
    name: str | None = None
    version: str | None = None
    integrations: list[str] | None = None
    packages: list[SdkPackage] | None = None
    features: list[str] | None = None


class TraceContext(_Model):
    """`contexts.trace`: links an error to its trace; a transaction's root span."""

    trace_id: str | None = None
    span_id: str | None = None
    parent_span_id: str | None = None
    op: str | None = None
    status: str | None = None
    description: str | None = None
    origin: str | None = None
    data: JsonObject | None = None


class TransactionInfo(_Model):
    source: str | None = None


class Event(_Model):
    """An error or message event (and the base of transactions, feedback and replay events)."""

    event_id: str | None = None
    type: str | None = None
    timestamp: Timestamp = None
    platform: str | None = None
    level: str | int | None = None
    logger: str | None = None
    transaction: str | None = None
    transaction_info: TransactionInfo | None = None
    server_name: str | None = None
    release: str | None = None
    dist: str | None = None
    environment: str | None = None
    culprit: str | None = None
    message: str | LogEntry | None = None
    logentry: LogEntry | str | None = None
    exception: list[ExceptionValue] | _ExceptionValues | None = None
    threads: list[Thread] | _ThreadValues | None = None
    stacktrace: Stacktrace | None = None
    breadcrumbs: list[Breadcrumb] | _BreadcrumbValues | None = None
    tags: Tags | None = None
    contexts: dict[str, JsonObject | None] | None = None
    user: User | None = None
    request: Request | None = None
    sdk: Sdk | None = None
    fingerprint: list[str] | None = None
    extra: JsonObject | None = None
    raw_modules: msgspec.Raw = msgspec.field(default=msgspec.Raw(), name="modules")

    @property
    def modules(self) -> dict[str, str | None]:
        """Installed packages → versions (decoded on demand: python sends hundreds)."""
        return _lazy_object(self.raw_modules)

    @property
    def exceptions(self) -> list[ExceptionValue]:
        """The exception chain, oldest (the cause) first; the last one was raised last."""
        return _unwrap(self.exception, ExceptionValue)

    @property
    def thread_list(self) -> list[Thread]:
        return _unwrap(self.threads, Thread)

    @property
    def breadcrumb_list(self) -> list[Breadcrumb]:
        """Breadcrumbs oldest first."""
        return _unwrap(self.breadcrumbs, Breadcrumb)

    @property
    def tags_dict(self) -> dict[str, str]:
        """Tags as text (JSON-style booleans); null values dropped."""
        return _tags_dict(self.tags)

    @property
    def _logentries(self) -> list[LogEntry]:
        entries = (self.logentry, self.message)
        return [LogEntry(formatted=e) if isinstance(e, str) else e for e in entries if e]

    @property
    def message_text(self) -> str | None:
        """The message as the user reads it (logentry wins over the legacy `message`)."""
        return next((t for e in self._logentries if (t := e.text)), None)

    @property
    def message_template(self) -> str | None:
        """The message before params were applied (`logentry.message`), for grouping."""
        return next((t for e in self._logentries if (t := e.message or e.text)), None)

    @property
    def level_name(self) -> str:
        """The normalised level; Relay's default is error (info for transactions)."""
        return normalize_level(self.level) or ("info" if self.is_transaction else "error")

    @property
    def timestamp_seconds(self) -> float | None:
        return epoch_seconds(self.timestamp)

    @property
    def is_transaction(self) -> bool:
        return isinstance(self, Transaction) or self.type == "transaction"

    def context(self, name: str) -> JsonObject | None:
        """One context object by name (`os`, `runtime`, `browser`, …)."""
        ctx = self.contexts.get(name) if self.contexts else None
        return ctx if isinstance(ctx, dict) else None

    @property
    def trace_context(self) -> TraceContext | None:
        return _typed_context(self.contexts, "trace", TraceContext)


# -- Transactions and spans ---------------------------------------------------------------


class Measurement(_Model):
    value: float | None = None
    unit: str | None = None


class Span(_Model):
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
        return _duration(self.start_timestamp, self.timestamp)

    @property
    def tags_dict(self) -> dict[str, str]:
        return _tags_dict(self.tags)


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
        return _duration(self.start_timestamp, self.timestamp)


class FeedbackContext(_Model):
    message: str | None = None
    contact_email: str | None = None
    name: str | None = None
    url: str | None = None
    associated_event_id: str | None = None
    replay_id: str | None = None
    source: str | None = None


class Feedback(Event):
    """A `feedback` item: an event whose `contexts.feedback` holds what the user wrote."""

    @property
    def feedback(self) -> FeedbackContext | None:
        return _typed_context(self.contexts, "feedback", FeedbackContext)


class ReplayEvent(Event):
    """Metadata of one replay segment; the recording is a separate binary item."""

    replay_id: str | None = None
    replay_type: str | None = None
    segment_id: int | None = None
    replay_start_timestamp: Timestamp = None
    urls: list[str | None] | None = None
    trace_ids: list[str] | None = None
    error_ids: list[str] | None = None

    @property
    def replay_start_timestamp_seconds(self) -> float | None:
        return epoch_seconds(self.replay_start_timestamp)


class UserReport(_Model):
    """The deprecated user feedback item."""

    event_id: str | None = None
    email: str | None = None
    name: str | None = None
    comments: str | None = None


# -- Containers with typed attributes (logs, span v2, trace metrics) ----------------------


class Attribute(_Model):
    """A typed attribute `{"value", "type", "unit"?}`."""

    value: Any = None
    type: str | None = None
    unit: str | None = None


#: Typed attribute objects; plain values are accepted too, so hand-written payloads decode.
Attributes: TypeAlias = dict[str, Attribute | str | int | float | bool | list[Any] | None]


def attribute_values(attributes: Attributes | None) -> dict[str, Any]:
    """Typed attributes flattened to plain values: `{"a": {"value": 1, …}}` → `{"a": 1}`."""
    if not attributes:
        return {}
    return {k: v.value if isinstance(v, Attribute) else v for k, v in attributes.items()}


class Log(_Model):
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


class LogContainer(_Model):
    items: list[Log] | None = None
    version: int | str | None = None

    @property
    def logs(self) -> list[Log]:
        return self.items or []


class SpanLink(_Model):
    trace_id: str | None = None
    span_id: str | None = None
    sampled: bool | None = None
    attributes: Attributes | None = None


class SpanV2(_Model):
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
        return _duration(self.start_timestamp, self.end_timestamp)


class SpanContainer(_Model):
    items: list[SpanV2] | None = None
    version: int | str | None = None

    @property
    def spans(self) -> list[SpanV2]:
        return self.items or []


class TraceMetric(_Model):
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


class TraceMetricContainer(_Model):
    items: list[TraceMetric] | None = None
    version: int | str | None = None

    @property
    def metrics(self) -> list[TraceMetric]:
        return self.items or []


# -- Sessions, client reports, check-ins --------------------------------------------------


class SessionAttrs(_Model):
    release: str | None = None
    environment: str | None = None
    ip_address: str | None = None
    user_agent: str | None = None


class Session(_Model):
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


class SessionAggregate(_Model):
    started: Timestamp = None
    did: str | int | None = None
    exited: int | None = None
    errored: int | None = None
    abnormal: int | None = None
    crashed: int | None = None

    @property
    def started_seconds(self) -> float | None:
        return epoch_seconds(self.started)


class SessionAggregates(_Model):
    """A `sessions` item: per-minute counts from server SDKs in request mode."""

    aggregates: list[SessionAggregate] | None = None
    attrs: SessionAttrs | None = None


class DiscardedEvent(_Model):
    reason: str | None = None
    category: str | None = None
    quantity: int | None = None


class ClientReport(_Model):
    """What the SDK dropped, and why."""

    timestamp: Timestamp = None
    discarded_events: list[DiscardedEvent] | None = None

    @property
    def discarded(self) -> list[DiscardedEvent]:
        return self.discarded_events or []

    @property
    def timestamp_seconds(self) -> float | None:
        return epoch_seconds(self.timestamp)


class MonitorSchedule(_Model):
    type: str | None = None
    value: str | int | None = None
    unit: str | None = None


class MonitorConfig(_Model):
    schedule: MonitorSchedule | None = None
    checkin_margin: int | None = None
    max_runtime: int | None = None
    failure_issue_threshold: int | None = None
    recovery_threshold: int | None = None
    timezone: str | None = None
    owner: str | None = None


class CheckIn(_Model):
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
        return _typed_context(self.contexts, "trace", TraceContext)


# -- Profiles (summary only) --------------------------------------------------------------


class ProfileData(_Model):
    """The sample tables. Entries stay undecoded (`msgspec.Raw`): we only count them."""

    samples: list[msgspec.Raw] | None = None
    stacks: list[msgspec.Raw] | None = None
    frames: list[msgspec.Raw] | None = None
    thread_metadata: dict[str, msgspec.Raw] | None = None


class _ProfileBase(_Model):
    version: str | int | None = None
    platform: str | None = None
    release: str | None = None
    environment: str | None = None
    profile: ProfileData | None = None

    @property
    def sample_count(self) -> int:
        return len(self.profile.samples or ()) if self.profile else 0

    @property
    def stack_count(self) -> int:
        return len(self.profile.stacks or ()) if self.profile else 0

    @property
    def frame_count(self) -> int:
        return len(self.profile.frames or ()) if self.profile else 0

    @property
    def thread_count(self) -> int:
        return len(self.profile.thread_metadata or ()) if self.profile else 0


class ProfileTransaction(_Model):
    id: str | None = None
    name: str | None = None
    trace_id: str | None = None
    active_thread_id: int | str | None = None


class Profile(_ProfileBase):
    """A transaction profile (sample format v1); it belongs to the envelope's transaction."""

    event_id: str | None = None
    timestamp: Timestamp = None
    transaction: ProfileTransaction | None = None
    transactions: list[ProfileTransaction] | None = None  # sentry-python's form

    @property
    def timestamp_seconds(self) -> float | None:
        return epoch_seconds(self.timestamp)

    @property
    def profiled_transaction(self) -> ProfileTransaction | None:
        """The transaction profiled: the spec's `transaction`, or python's `transactions[0]`."""
        return self.transaction or next(iter(self.transactions or ()), None)


class ProfileChunk(_ProfileBase):
    """A continuous-profiling chunk (sample format v2)."""

    profiler_id: str | None = None
    chunk_id: str | None = None
    client_sdk: SdkPackage | None = None


# -- Attachments ---------------------------------------------------------------------------

_ATTACHMENT_REF = "application/vnd.sentry.attachment-ref+json"


class Attachment(_Model):
    """What the item header says about an attachment; the payload is never decoded."""

    filename: str | None = None
    content_type: str | None = None
    attachment_type: str | None = None
    size: int = 0


def attachment_info(item: Item) -> Attachment:
    """Attachment metadata from the item header (a placeholder's size is the referenced one)."""
    attachment_type = item.header.get("attachment_type")
    size = item.header.get("attachment_length")
    if item.content_type != _ATTACHMENT_REF or not isinstance(size, int):
        size = len(item.payload)
    return Attachment(
        filename=item.filename,
        content_type=item.content_type,
        attachment_type=attachment_type if isinstance(attachment_type, str) else None,
        size=size,
    )


# -- Dispatch ------------------------------------------------------------------------------

Model: TypeAlias = (
    Event
    | UserReport
    | Session
    | SessionAggregates
    | ClientReport
    | CheckIn
    | Profile
    | ProfileChunk
    | LogContainer
    | SpanContainer
    | Span
    | TraceMetricContainer
)


class ModelError(ValueError):
    """An item's JSON payload does not decode: invalid JSON or a field of the wrong shape."""

    def __init__(self, item_type: str, reason: str):
        super().__init__(f"cannot decode {item_type!r} item: {reason}")
        self.item_type = item_type
        self.reason = reason


_DECODERS: dict[str, msgspec.json.Decoder[Any]] = {
    item_type: msgspec.json.Decoder(cls)
    for item_type, cls in {
        "event": Event,
        "transaction": Transaction,
        "feedback": Feedback,
        "replay_event": ReplayEvent,
        "user_report": UserReport,
        "session": Session,
        "sessions": SessionAggregates,
        "client_report": ClientReport,
        "check_in": CheckIn,
        "profile": Profile,
        "profile_chunk": ProfileChunk,
        "profile_chunk_ui": ProfileChunk,
        "log": LogContainer,
        "trace_metric": TraceMetricContainer,
    }.items()
}

_SPAN_V2 = "application/vnd.sentry.items.span.v2+json"


class _Probe(msgspec.Struct):
    """Looks for a top-level `items` without decoding anything else."""

    items: list[msgspec.Raw] | None = None


_probe = msgspec.json.Decoder(_Probe).decode
_span_v1 = msgspec.json.Decoder(Span).decode
_span_v2 = msgspec.json.Decoder(SpanContainer).decode


def _decode_span(item: Item) -> Span | SpanContainer:
    """A span item is a v2 container (by content type, or an `items` key) or one v1 span."""
    if item.content_type == _SPAN_V2 or _probe(item.payload).items is not None:
        return _span_v2(item.payload)
    return _span_v1(item.payload)


def decode_item(item: Item) -> Model | None:
    """The typed payload of an item; None for binary or unknown item types.

    Raises `ModelError` naming the item type and msgspec's reason (with the JSON path).
    """
    item_type = item.type
    decoder = _DECODERS.get(item_type)
    if decoder is None and item_type != "span":
        return None
    try:
        return decoder.decode(item.payload) if decoder else _decode_span(item)
    except msgspec.ValidationError as exc:
        raise ModelError(item_type, str(exc)) from None
    except msgspec.DecodeError as exc:
        raise ModelError(item_type, f"invalid JSON: {exc}") from None


_CATEGORIES = {
    "event": "error",
    "transaction": "transaction",
    "attachment": "attachment",
    "session": "session",
    "sessions": "session",
    "log": "log_item",
    "feedback": "feedback",
    "user_report": "feedback",
    "profile": "profile",
    "profile_chunk": "profile_chunk",
    "profile_chunk_ui": "profile_chunk_ui",
    "check_in": "monitor",
    "span": "span",
    "trace_metric": "trace_metric",
    "raw_security": "security",
    "client_report": "internal",
}


def category_for(item_type: str) -> str | None:
    """The rate-limit data category of an item type (reference §4.4); None if never counted."""
    if item_type.startswith("replay_"):
        return "replay"
    return _CATEGORIES.get(item_type)
