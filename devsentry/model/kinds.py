"""The item kinds devsentry knows: one row per envelope item type, everything said about it.

A row names the payload struct that decodes the item (None: opaque bytes), Relay's data
category for rate limits and outcomes (`relay-base-schema/src/data_category.rs`, mapped as
`Item::quantities` in `relay-server/src/envelope/item.rs` does), whether the payload is binary,
and, for items that carry an event id, which one names an envelope that holds several (an
event before its attachments). Adding an SDK item type is one row here and one model module.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from typing import Any, NamedTuple

import msgspec

from devsentry.protocol.envelope import Envelope, Item
from devsentry.protocol.untrusted import too_deep

__all__ = [
    "ITEM_TYPES",
    "KINDS",
    "Kind",
    "category_for",
    "envelope_json",
    "is_binary",
    "kind_of",
    "payload_view",
    "primary_rank",
]


class Kind(NamedTuple):
    """One item type and what devsentry knows about it."""

    type: str
    #: The struct that decodes the payload, as `module:Name` in this package (a function
    #: `decode_x(payload, content_type)` where one struct is not enough); None: never decoded.
    #: Named rather than imported, so that the command line can list the types at once.
    model: str | None
    category: str | None  # Relay's data category; None: never counted or limited
    binary: bool = False  # opaque bytes, even when a content type says otherwise
    primary: int | None = None  # lower names the envelope first; None: never names one
    groups: bool = False  # grouped into issues (error and message events)
    normalized: bool = False  # processed as Relay normalizes events (contexts, tags, …)

    def decoder(self) -> Callable[[Item], Any] | None:
        """What turns an item of this kind into its struct (raising msgspec's errors); None
        for kinds that are never decoded. Built on first use and kept."""
        return _decoder(self.model) if self.model is not None else None


#: Every item type current SDKs send (develop.sentry.dev/sdk/data-model/envelope-items/).
KINDS: dict[str, Kind] = {
    kind.type: kind
    for kind in (
        Kind("event", "events:Event", "error", primary=0, groups=True, normalized=True),
        Kind("transaction", "traces:Transaction", "transaction", primary=1, normalized=True),
        Kind("feedback", "feedback:Feedback", "feedback", primary=2),
        Kind("user_report", "feedback:UserReport", "feedback", primary=3),
        Kind("check_in", "sessions:CheckIn", "monitor", primary=4),
        Kind("replay_event", "replays:ReplayEvent", "replay", primary=5),
        Kind("log", "logs:LogContainer", "log_item", primary=6),
        Kind("span", "traces:decode_span", "span", primary=7),
        Kind("trace_metric", "logs:TraceMetricContainer", "trace_metric", primary=8),
        Kind("session", "sessions:Session", "session"),
        Kind("sessions", "sessions:SessionAggregates", "session"),
        Kind("client_report", "sessions:ClientReport", "internal"),
        Kind("profile", "profiles:Profile", "profile"),
        Kind("profile_chunk", "profiles:ProfileChunk", "profile_chunk"),
        Kind("profile_chunk_ui", "profiles:ProfileChunk", "profile_chunk_ui"),
        Kind("attachment", None, "attachment", binary=True),
        Kind("replay_recording", None, "replay", binary=True),
        Kind("replay_video", None, "replay", binary=True),
        Kind("raw_security", None, "security"),
        Kind("statsd", None, None),
    )
}

#: The types `--type` accepts, in the table's order.
ITEM_TYPES = tuple(KINDS)

_UNKNOWN = Kind("", None, None)


@cache
def _decoder(model: str) -> Callable[[Item], Any]:
    """The decoding function a row names: a msgspec decoder of the struct, or the function
    (which takes the payload and its content type)."""
    module, _, name = model.partition(":")
    target = getattr(importlib.import_module(f"devsentry.model.{module}"), name)
    if isinstance(target, type) and issubclass(target, msgspec.Struct):
        decode = msgspec.json.Decoder(target).decode
        return lambda item: decode(item.payload)
    return lambda item: target(item.payload, item.content_type)


def kind_of(item_type: str) -> Kind:
    """The row of `item_type`; an unknown type is kept and shown, never decoded or counted."""
    return KINDS.get(item_type, _UNKNOWN)


def category_for(item_type: str) -> str | None:
    """The rate-limit data category of an item type; None when it is never counted."""
    return kind_of(item_type).category


def primary_rank(item_type: str) -> int:
    """Where an item of this type stands when choosing which item names its envelope."""
    rank = kind_of(item_type).primary
    return len(KINDS) if rank is None else rank


def is_binary(item: Item) -> bool:
    """Whether the payload is opaque bytes (attachments, replay recordings, non-JSON)."""
    if kind_of(item.type).binary:
        return True
    content_type = item.content_type
    return content_type is not None and "json" not in content_type


def payload_view(item: Item) -> Any:
    """The payload for people and `--json`: decoded JSON, or a description of the bytes."""
    if not is_binary(item) and not too_deep(item.payload):
        try:
            return item.json()
        except (msgspec.DecodeError, RecursionError):
            pass
    view: dict[str, Any] = {"size": len(item.payload)}
    if item.content_type:
        view["content_type"] = item.content_type
    if item.filename:
        view["filename"] = item.filename
    return view


def envelope_json(envelope: Envelope) -> dict[str, Any]:
    """`{"header": …, "items": [{"header": …, "payload": …}]}`, as `decode --json` prints."""
    return {
        "header": envelope.header,
        "items": [
            {"header": item.header, "payload": payload_view(item)} for item in envelope.items
        ],
    }
