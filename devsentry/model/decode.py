"""`decode_item`: one envelope item's payload as its typed struct, or a reason it is not one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from devsentry.model.base import Payload
from devsentry.model.kinds import kind_of
from devsentry.protocol.envelope import Item
from devsentry.protocol.limits import MAX_JSON_DEPTH
from devsentry.protocol.untrusted import too_deep

__all__ = ["ModelError", "decode_item"]


class ModelError(ValueError):
    """An item's JSON payload does not decode: invalid JSON or a field of the wrong shape."""

    def __init__(self, item_type: str, reason: str):
        super().__init__(f"cannot decode {item_type!r} item: {reason}")
        self.item_type = item_type
        self.reason = reason


def _nothing(_item: Item) -> None:
    return None


#: Each item type's decoder, looked up once (this runs for every item indexed).
_decoders: dict[str, Callable[[Item], Any]] = {}


def decode_item(item: Item, *, depth_checked: bool = False) -> Payload | None:
    """The typed payload of an item; None for binary or unknown item types.

    Raises `ModelError` naming the item type and msgspec's reason (with the JSON path).
    `depth_checked`: the payload is JSON devsentry wrote from one it read (a normalized
    event), so its nesting was checked already.
    """
    decode = _decoders.get(item.type)
    if decode is None:
        decode = _decoders[item.type] = kind_of(item.type).decoder() or _nothing
    if decode is not _nothing and not depth_checked and too_deep(item.payload):
        raise ModelError(
            item.type, f"JSON nested deeper than {MAX_JSON_DEPTH} levels (as deep as Relay reads)"
        )
    try:
        decoded: Payload | None = decode(item)
        return decoded
    except msgspec.ValidationError as exc:
        raise ModelError(item.type, str(exc)) from None
    except msgspec.DecodeError as exc:
        raise ModelError(item.type, f"invalid JSON: {exc}") from None
    except RecursionError:  # a shape deeper than the structs that still passed the check
        raise ModelError(item.type, "JSON nested too deeply to decode") from None
