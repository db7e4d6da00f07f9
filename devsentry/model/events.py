"""Error and message events: the event payload and its interfaces (exception, stack trace,
threads, breadcrumbs, request, user, SDK, contexts).

Field names follow Relay's `relay-event-schema/src/protocol/event.rs` and the modules beside it
(`exception.rs`, `stacktrace.rs`, `breadcrumb.rs`, `request.rs`, `user.rs`); the accessors
(`Event.exceptions`, `Event.tags_dict`, …) hide the shapes SDKs differ in.
"""

from __future__ import annotations

from typing import Any

import msgspec

from devsentry.model.base import (
    Headline,
    JsonObject,
    PairList,
    Payload,
    Tags,
    Timestamp,
    event_id,
    lazy_object,
    no_string,
    pairs,
    parse_cookies,
    parse_headers,
    parse_query,
    sdk_label,
    tags_dict,
    typed_context,
    unwrap,
)
from devsentry.protocol.levels import event_level
from devsentry.protocol.messages import format_message
from devsentry.protocol.times import epoch_seconds

__all__ = [
    "Breadcrumb",
    "Event",
    "ExceptionValue",
    "Frame",
    "Geo",
    "LogEntry",
    "Mechanism",
    "Request",
    "Sdk",
    "SdkPackage",
    "Stacktrace",
    "Thread",
    "TraceContext",
    "TransactionInfo",
    "User",
]


class Frame(Payload):
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
        return lazy_object(self.raw_vars)


class Stacktrace(Payload):
    """A list of frames; `frames` is never None."""

    raw_frames: list[Frame] | None = msgspec.field(default=None, name="frames")
    registers: dict[str, Any] | None = None

    @property
    def frames(self) -> list[Frame]:
        return self.raw_frames or []


class Mechanism(Payload):
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


class ExceptionValue(Payload):
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
    """`{"values": [...]}` or a bare exception object; see `unwrap`."""

    values: list[ExceptionValue] | None = None


class Thread(Payload):
    id: int | str | None = None
    name: str | None = None
    crashed: bool | None = None
    current: bool | None = None
    main: bool | None = None
    state: str | None = None
    stacktrace: Stacktrace | None = None


class _ThreadValues(Thread):
    values: list[Thread] | None = None


class Breadcrumb(Payload):
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


class LogEntry(Payload):
    """A message: `message` is the template, `params` its arguments, `formatted` the result."""

    message: str | None = None
    params: list[Any] | dict[str, Any] | None = None
    formatted: str | None = None

    @property
    def text(self) -> str | None:
        """`formatted`, else `message` with its params applied where they fit (bounded: a
        hostile template cannot make it allocate gigabytes)."""
        if self.formatted:
            return self.formatted
        if not self.message or not self.params:
            return self.message
        return format_message(self.message, self.params) or self.message


class Geo(Payload):
    city: str | None = None
    country_code: str | None = None
    region: str | None = None
    subdivision: str | None = None


class User(Payload):
    id: str | int | None = None
    email: str | None = None
    ip_address: str | None = None
    username: str | None = None
    name: str | None = None
    segment: str | None = None
    geo: Geo | None = None
    data: JsonObject | None = None

    @property
    def key(self) -> str | None:
        """Who counts as one user of an issue, as Sentry's `user` tag says it: `id:…`, else
        `email:…`, `username:…` or `ip:…`."""
        for field, label in (("id", "id"), ("email", "email"), ("username", "username")):
            value = getattr(self, field)
            if value not in (None, ""):
                return f"{label}:{value}"
        if self.ip_address not in (None, "", "{{auto}}"):
            return f"ip:{self.ip_address}"
        return None


class Request(Payload):
    """The HTTP request an event happened in. Use the `*_dict`/`*pairs` accessors."""

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
        return dict(pairs(self.headers, parse_headers))

    @property
    def cookies_dict(self) -> dict[str, str]:
        return dict(pairs(self.cookies, parse_cookies))

    @property
    def query_pairs(self) -> list[tuple[str, str]]:
        """Query parameters in order (keys may repeat)."""
        return pairs(self.query_string, parse_query)

    @property
    def env_dict(self) -> dict[str, str]:
        return dict(pairs(self.env, no_string))


class SdkPackage(Payload):
    name: str | None = None
    version: str | None = None


class Sdk(Payload):
    name: str | None = None
    version: str | None = None
    integrations: list[str] | None = None
    packages: list[SdkPackage] | None = None
    features: list[str] | None = None


class TraceContext(Payload):
    """`contexts.trace`: links an error to its trace; a transaction's root span."""

    trace_id: str | None = None
    span_id: str | None = None
    parent_span_id: str | None = None
    op: str | None = None
    status: str | None = None
    description: str | None = None
    origin: str | None = None
    data: JsonObject | None = None


class TransactionInfo(Payload):
    source: str | None = None


class Event(Payload):
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
        return lazy_object(self.raw_modules)

    @property
    def exceptions(self) -> list[ExceptionValue]:
        """The exception chain, oldest (the cause) first; the last one was raised last."""
        return unwrap(self.exception, ExceptionValue)

    @property
    def thread_list(self) -> list[Thread]:
        return unwrap(self.threads, Thread)

    @property
    def breadcrumb_list(self) -> list[Breadcrumb]:
        """Breadcrumbs oldest first."""
        return unwrap(self.breadcrumbs, Breadcrumb)

    @property
    def tags_dict(self) -> dict[str, str]:
        """Tags as text (JSON-style booleans); null values dropped."""
        return tags_dict(self.tags)

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
        return event_level(self.level, "info" if self.is_transaction else "error")

    @property
    def timestamp_seconds(self) -> float | None:
        return epoch_seconds(self.timestamp)

    @property
    def is_transaction(self) -> bool:
        return self.type == "transaction"

    def context(self, name: str) -> JsonObject | None:
        """One context object by name (`os`, `runtime`, `browser`, …)."""
        ctx = self.contexts.get(name) if self.contexts else None
        return ctx if isinstance(ctx, dict) else None

    @property
    def trace_context(self) -> TraceContext | None:
        return typed_context(self.contexts, "trace", TraceContext)

    def headline(self) -> Headline:
        """Everything but the title, which grouping gives errors and each subclass its own."""
        trace = self.trace_context
        sdk = self.sdk
        return Headline(
            event_id=event_id(self.event_id),
            timestamp=self.timestamp_seconds,
            level=None if self.is_transaction else self.level_name,
            release=self.release,
            environment=self.environment,
            platform=self.platform,
            sdk=sdk_label(sdk.name, sdk.version) if sdk is not None else None,
            user=self.user.key if self.user is not None else None,
            trace_id=trace.trace_id if trace is not None else None,
        )
