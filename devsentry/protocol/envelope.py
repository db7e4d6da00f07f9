"""The Sentry envelope wire format: bytes in, `Envelope` out, and back, losing nothing.

An envelope is a JSON header line followed by items; each item is a JSON header line and a
payload that is either `length` bytes long or runs to the next newline. The parser follows
Relay's rules (`relay-server/src/envelope/mod.rs`, `item.rs`; develop.sentry.dev/sdk/
data-model/envelopes/) but keeps every byte it was given: header lines are kept as they were
written, so serializing an SDK's envelope gives back the SDK's exact bytes, and unknown item
types or header keys travel untouched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

__all__ = [
    "Envelope",
    "EnvelopeError",
    "EnvelopeTooLarge",
    "Item",
    "event_id_of",
    "header_bytes",
    "parse",
    "serialize",
]

_UUID = re.compile(r"[0-9a-f]{32}")
_BYTE_AT = re.compile(r" \(byte (\d+)\)$")
_json_decode = msgspec.json.Decoder(dict[str, Any]).decode
_json_encode = msgspec.json.Encoder().encode


class EnvelopeError(ValueError):
    """The bytes are not a valid envelope; the message says what is wrong and where.

    `offset` is the byte offset in the (decompressed) envelope, `item` the 0-based index of
    the item being read, when they apply.
    """

    def __init__(self, message: str, *, offset: int | None = None, item: int | None = None):
        where = []
        if item is not None:
            where.append(f"item {item}")
        if offset is not None:
            where.append(f"byte {offset}")
        super().__init__(f"{message} ({', '.join(where)})" if where else message)
        self.reason = message
        self.offset = offset
        self.item = item


class EnvelopeTooLarge(EnvelopeError):
    """The envelope (after decompression) exceeds the size bound: answered with 413."""


class Item(msgspec.Struct, frozen=True):
    """One envelope item: its header (decoded and as written) and its raw payload bytes.

    Build new items with `Item.make`; change one with `with_header`. `raw_header` is the header
    line exactly as received, which is what makes serialization byte-exact.
    """

    header: dict[str, Any]
    payload: bytes
    raw_header: bytes

    @classmethod
    def make(cls, type: str, payload: bytes, /, **headers: Any) -> Item:
        """A new item with an explicit `length`, as sentry-python writes them."""
        header = {"type": type, **headers, "length": len(payload)}
        return cls(header=header, payload=payload, raw_header=_json_encode(header))

    def with_header(self, /, **changes: Any) -> Item:
        """A copy with header keys changed (a value of None removes the key)."""
        header = {**self.header, **changes}
        header = {k: v for k, v in header.items() if v is not None}
        return Item(header=header, payload=self.payload, raw_header=_json_encode(header))

    @property
    def type(self) -> str:
        value = self.header.get("type")
        return value if isinstance(value, str) else ""

    @property
    def content_type(self) -> str | None:
        value = self.header.get("content_type")
        return value.lower() if isinstance(value, str) else None

    @property
    def filename(self) -> str | None:
        value = self.header.get("filename")
        return value if isinstance(value, str) else None

    def json(self) -> Any:
        """The payload decoded as JSON (raises `msgspec.DecodeError` when it is not JSON, or
        nests too deeply)."""
        from devsentry.protocol.untrusted import decode_json

        return decode_json(self.payload)


class Envelope(msgspec.Struct, frozen=True):
    """A parsed envelope. `trailing_newline` records whether the input ended with `\\n`."""

    header: dict[str, Any]
    items: tuple[Item, ...]
    raw_header: bytes
    trailing_newline: bool = True

    @classmethod
    def make(cls, items: Iterable[Item] = (), /, **headers: Any) -> Envelope:
        return cls(header=headers, items=tuple(items), raw_header=_json_encode(headers))

    def with_header(self, /, **changes: Any) -> Envelope:
        """A copy with envelope header keys changed (a value of None removes the key)."""
        header = {k: v for k, v in {**self.header, **changes}.items() if v is not None}
        return Envelope(
            header=header,
            items=self.items,
            raw_header=_json_encode(header),
            trailing_newline=self.trailing_newline,
        )

    @property
    def event_id(self) -> str | None:
        """The envelope's event id, normalised to 32 lowercase hex characters; None when it
        has none, or one that is no UUID (Relay refuses such an envelope)."""
        return event_id_of(self.header.get("event_id"))

    @property
    def dsn(self) -> str | None:
        value = self.header.get("dsn")
        return value if isinstance(value, str) and value else None

    def __bytes__(self) -> bytes:
        return serialize(self)


def event_id_of(value: object) -> str | None:
    """An event id as 32 lowercase hex digits (dashes dropped), or None when `value` is no
    UUID: Relay's `EventId` takes either form (`relay-event-schema/src/protocol/event.rs`)."""
    if not isinstance(value, str) or len(value) > 36:
        return None
    normalized = value.replace("-", "").lower()
    return normalized if _UUID.fullmatch(normalized) else None


def _header_at(
    data: bytes, start: int, what: str, item: int | None
) -> tuple[dict[str, Any], bytes, int]:
    """Read one JSON header line at `start`; return it, its raw bytes and the offset after it."""
    end = data.find(b"\n", start)
    if end == -1:
        end = len(data)
    raw = data[start:end]
    line = raw[:-1] if raw.endswith(b"\r") else raw  # tolerate CRLF header lines
    try:
        header = _json_decode(line)
    except msgspec.ValidationError:
        raise EnvelopeError(f"{what} is not a JSON object", offset=start, item=item) from None
    except RecursionError:
        raise EnvelopeError(f"{what} nests too deeply", offset=start, item=item) from None
    except msgspec.DecodeError as exc:
        reason, at = str(exc), start
        if match := _BYTE_AT.search(reason):  # msgspec says "(byte N)" relative to the line
            reason, at = reason[: match.start()], start + int(match.group(1))
        raise EnvelopeError(f"{what} is not valid JSON: {reason}", offset=at, item=item) from None
    return header, raw, min(end + 1, len(data))


def parse(data: bytes) -> Envelope:
    """Parse an uncompressed envelope. Raises `EnvelopeError` on malformed input."""
    if not data.strip():
        raise EnvelopeError("empty envelope", offset=0)
    header, raw_header, pos = _header_at(data, 0, "envelope header", None)
    items: list[Item] = []
    size = len(data)
    trailing_newline = data[pos - 1 : pos] == b"\n"
    while pos < size:
        index = len(items)
        if data[pos:] in (b"\n", b"\r\n"):
            # A blank line at the very end: Relay refuses it, SDKs never write it; keep it lenient.
            break
        item_header, item_raw, pos = _header_at(data, pos, "item header", index)
        if not isinstance(item_header.get("type"), str):
            raise EnvelopeError("item header has no string 'type'", offset=pos, item=index)
        length = item_header.get("length")
        if length is not None and (not isinstance(length, int) or isinstance(length, bool)):
            raise EnvelopeError(
                f"item length is not an integer: {length!r}", offset=pos, item=index
            )
        if length is not None:
            if length < 0:
                raise EnvelopeError(f"item length is negative: {length}", offset=pos, item=index)
            end = pos + length
            if end > size:
                raise EnvelopeError(
                    f"payload truncated: header says {length} bytes, {size - pos} remain",
                    offset=pos,
                    item=index,
                )
            payload = data[pos:end]
            if end < size and data[end : end + 1] != b"\n":
                raise EnvelopeError(
                    "garbage after payload: expected a newline after "
                    f"{length} bytes, found {data[end : end + 8]!r}",
                    offset=end,
                    item=index,
                )
            trailing_newline = end < size
            pos = end + 1
        else:
            end = data.find(b"\n", pos)
            trailing_newline = end != -1
            if end == -1:
                end = size
            payload = data[pos:end]
            pos = end + 1
        items.append(Item(header=item_header, payload=payload, raw_header=item_raw))
    return Envelope(
        header=header,
        items=tuple(items),
        raw_header=raw_header,
        trailing_newline=trailing_newline,
    )


def serialize(envelope: Envelope) -> bytes:
    """Envelope → wire bytes. Parsed envelopes come back byte for byte."""
    parts = [envelope.raw_header]
    for item in envelope.items:
        raw_header = item.raw_header
        if "length" not in item.header and b"\n" in item.payload:
            # Newline framing cannot carry this payload; give it an explicit length.
            raw_header = _json_encode({**item.header, "length": len(item.payload)})
        parts.append(raw_header)
        parts.append(item.payload)
    out = b"\n".join(parts)
    return out + b"\n" if envelope.trailing_newline else out


def header_bytes(header: Mapping[str, Any]) -> bytes:
    """Encode a header object the compact way SDKs write it."""
    return _json_encode(dict(header))
