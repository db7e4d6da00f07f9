"""How Relay trims a string or a free-form value ("databag"), measured without copying it.

`relay-event-normalization/src/trimming.rs` (`TrimmingProcessor`) cuts a string longer than its
field's `max_chars` (plus `max_chars_allowance`) down to `max_chars`, and gives a field marked
`max_bytes`/`max_depth` a budget: every value inside costs its flat JSON size plus one
(`relay_protocol::estimate_size_flat`: a string its UTF-8 bytes and two quotes, a number its
digits, an array or object its two brackets, keys nothing); values after the budget runs out
are dropped, and an array or object as deep as the last allowed level becomes a JSON string.

The walks here stop as soon as a budget is spent or the first too-deep value is found, so a
hostile value costs at most its limit, never its size.
"""

from __future__ import annotations

from typing import Any

import msgspec

from devsentry.process.verdict.notes import Notes

__all__ = ["check_bag", "check_chars", "cost_within", "too_deep"]


def check_chars(notes: Notes, path: str, value: object, max_chars: int, allowance: int = 0) -> None:
    """Note a string over `max_chars` (Relay leaves it alone up to `max_chars + allowance`)."""
    if type(value) is str and len(value) > max_chars + allowance:
        notes.add(path, "trimmed", f"{len(value):,} chars; Sentry keeps {max_chars:,}")


def check_bag(
    notes: Notes, path: str, value: object, max_bytes: int, max_depth: int, size: int
) -> None:
    """Note a free-form value over its byte budget or nested past `max_depth` levels.

    `size` is the whole item's payload size: a bag can only be over budget in an item at least
    about as large (Relay's estimate of a value is close to, and rarely above, its JSON size),
    so small items skip the byte count.
    """
    if type(value) is str:  # a body sent as text: trimmed to the budget like any string
        if len(value) > max_bytes:
            notes.add(path, "trimmed", f"{len(value):,} chars; Sentry keeps {max_bytes:,}")
        return
    if not isinstance(value, dict | list) or not value:
        return
    budget = max_bytes + 3  # the bag's own brackets count only against bags around it
    if 2 * len(value) > budget:  # every entry costs at least two bytes
        _over(notes, path, max_bytes)
        return
    bound = _flat_bound(value)
    if bound is not None:  # the common bag of scalars: too shallow, and maybe too small
        if bound > budget and cost_within(value, budget) < 0:
            _over(notes, path, max_bytes)
        return
    if 3 * size > 2 * max_bytes and cost_within(value, budget) < 0:
        _over(notes, path, max_bytes)
        return
    # Within its budget (or in a small item), its JSON text is short: nesting needs brackets.
    text = _json(value)
    if text is not None and text.count(b"[") + text.count(b"{") < max_depth:
        return
    deep = too_deep(value, max_depth - 1)
    if deep is not None:
        where = ".".join([path, *reversed(deep)]) if deep else path
        notes.add(
            where,
            "trimmed",
            f"nested more than {max_depth} levels deep in {path}; Sentry stores it as a JSON "
            "string",
        )


def _over(notes: Notes, path: str, max_bytes: int) -> None:
    notes.add(
        path,
        "trimmed",
        f"more than {max_bytes:,} bytes as Relay counts them; Sentry keeps {max_bytes:,} and "
        "drops what follows",
    )


def _flat_bound(value: dict[Any, Any] | list[Any]) -> int | None:
    """For an array or object of at most 256 scalars, an upper bound of its estimated size
    (strings by their characters times four, which UTF-8 never exceeds); None otherwise."""
    if len(value) > 256:
        return None
    bound = 3
    for child in value.values() if type(value) is dict else value:
        kind = type(child)
        if kind is str:
            bound += (len(child) if child.isascii() else 4 * len(child)) + 3
        elif kind is dict or kind is list:
            return None
        else:
            bound += 22
    return bound


def cost_within(value: Any, budget: int) -> int:
    """`budget` less Relay's estimated size of `value`; negative (and early) when over it.

    Iterative, so that nesting of any depth costs no recursion."""
    stack = [iter((value,))]
    while stack:
        for child in stack[-1]:
            kind = type(child)
            if kind is str:
                budget -= (len(child) if child.isascii() else _utf8_len(child)) + 3
            elif kind is dict or kind is list:
                budget -= 3
                if budget >= 0:
                    stack.append(iter(child.values() if kind is dict else child))
                    break
            elif kind is bool:
                budget -= 5 if child else 6
            elif kind is int:
                budget -= len(str(child)) + 1 if -(10**18) < child < 10**18 else 21
            elif kind is float:
                budget -= len(repr(child)) + 1
            else:  # null
                budget -= 5
            if budget < 0:
                return budget
        else:
            stack.pop()
    return budget


def too_deep(value: Any, levels: int) -> list[str] | None:
    """The path (innermost key first) to the first non-empty array or object `levels` below
    `value`, which Relay turns into a string; None when there is none."""
    if levels <= 0:
        return [] if value else None
    children = value.items() if type(value) is dict else enumerate(value)
    for key, child in children:
        if (type(child) is dict or type(child) is list) and child:
            found = too_deep(child, levels - 1)
            if found is not None:
                found.append(str(key))
                return found
    return None


def _json(value: object) -> bytes | None:
    """`value` as JSON text; None for what JSON cannot hold (a payload not built by a decoder)."""
    try:
        return msgspec.json.encode(value)
    except Exception:
        return None


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))
