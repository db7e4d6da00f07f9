"""What every payload struct shares: the base struct, the shapes SDKs vary in, typed attributes.

Relay accepts many shapes for one field (`relay-event-schema/src/protocol/types.rs`: `Values`
wrappers, `PairList`s, float or RFC 3339 timestamps); the helpers here read them all, so the
family modules beside this one declare plain fields and never look at shapes again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeAlias, TypeVar
from urllib.parse import parse_qsl

import msgspec

from devsentry.protocol.envelope import event_id_of
from devsentry.protocol.times import epoch_seconds

__all__ = [
    "Attribute",
    "Attributes",
    "Headline",
    "JsonObject",
    "PairList",
    "Primitive",
    "Tags",
    "Timestamp",
    "attribute_values",
    "plural",
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


S = TypeVar("S", bound=msgspec.Struct)


class Payload(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Base of every payload struct: every field optional, unknown fields ignored.

    Treat instances as read-only views (the raw bytes on the `Item` are the record). They are
    not `frozen` only because mypy does not see struct options inherited from a base class.
    """

    def headline(self) -> Headline:
        """The facts the index keeps about this payload (each family says its own)."""
        return Headline()


def lazy_object(raw: msgspec.Raw) -> dict[str, Any]:
    """Decode a lazily kept JSON object; anything but an object reads as empty."""
    if not raw:
        return {}
    try:
        value = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def as_text(value: Any) -> str:
    """A tag or header value as text: JSON-style booleans, lists joined (node header arrays)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return ", ".join(as_text(v) for v in value)
    return msgspec.json.encode(value).decode()


def pairs(
    value: PairList | Tags | None, parse: Callable[[str], Iterable[tuple[str, str]]]
) -> list[tuple[str, str]]:
    """Pairs from a dict, a pair list or a raw string (split by `parse`); null values dropped."""
    if value is None:
        return []
    if isinstance(value, str):
        return list(parse(value))
    items = value.items() if isinstance(value, dict) else value
    return [(str(k), as_text(v)) for k, v in items if v is not None]


def no_string(_: str) -> Iterable[tuple[str, str]]:
    return ()


def parse_headers(text: str) -> Iterable[tuple[str, str]]:
    for line in text.splitlines():
        name, sep, val = line.partition(":")
        if sep and name.strip():
            yield name.strip(), val.strip()


def parse_cookies(text: str) -> Iterable[tuple[str, str]]:
    for part in text.split(";"):
        name, _, val = part.partition("=")
        if name.strip():
            yield name.strip(), val.strip()


def parse_query(text: str) -> Iterable[tuple[str, str]]:
    return parse_qsl(text.lstrip("?"), keep_blank_values=True)


def tags_dict(tags: Tags | None) -> dict[str, str]:
    return dict(pairs(tags, no_string))


def unwrap(raw: Any, cls: type[S]) -> list[S]:
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


def typed_context(contexts: Mapping[str, Any] | None, name: str, cls: type[S]) -> S | None:
    """`contexts[name]` as `cls`, or None when absent or the wrong shape (it is optional)."""
    ctx = contexts.get(name) if contexts else None
    if not isinstance(ctx, dict):
        return None
    try:
        return msgspec.convert(ctx, cls)
    except msgspec.ValidationError:
        return None


def duration_between(start: Timestamp, end: Timestamp) -> float | None:
    begin, finish = epoch_seconds(start), epoch_seconds(end)
    return None if begin is None or finish is None else finish - begin


class Attribute(Payload):
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


class Headline(msgspec.Struct, kw_only=True):
    """What a payload says about itself for the index: the columns lists show and filter on.

    Every payload struct answers `headline()`; a field left None is one the payload does not
    know (the envelope header may).
    """

    title: str | None = None
    event_id: str | None = None
    timestamp: float | None = None
    level: str | None = None
    release: str | None = None
    environment: str | None = None
    platform: str | None = None
    sdk: str | None = None
    user: str | None = None
    trace_id: str | None = None


def plural(count: int, noun: str) -> str:
    """`1 span`, `3 spans`: the count words of titles."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def event_id(value: object) -> str | None:
    """An event id as the index keeps it: 32 lowercase hex digits, no dashes (None if none)."""
    return event_id_of(value)


def sdk_label(name: object, version: object) -> str | None:
    """`name/version` of an SDK, as `sentry_client` says it; None without a name."""
    if not isinstance(name, str) or not name:
        return None
    return f"{name}/{version}" if isinstance(version, str) and version else name


def attr_text(attrs: Mapping[str, Any], key: str) -> str | None:
    value = attrs.get(key)
    return value if isinstance(value, str) else None


def from_attributes(attrs: Mapping[str, Any], **fields: Any) -> Headline:
    """A headline with release, environment and SDK from `sentry.*` attributes (logs, spans)."""
    return Headline(
        release=attr_text(attrs, "sentry.release"),
        environment=attr_text(attrs, "sentry.environment"),
        sdk=sdk_label(attrs.get("sentry.sdk.name"), attrs.get("sentry.sdk.version")),
        **fields,
    )
