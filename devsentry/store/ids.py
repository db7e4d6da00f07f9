"""The ids people type: `DS-<n>` for an issue, `#<n>` for an item, hex for an event id.

One owner for the rules, so `show`, `export`, `--issue`, the console and every `--json` agree.
"""

from __future__ import annotations

import re
from typing import Literal

import msgspec

__all__ = ["ID_HELP", "Ref", "parse_issue_id", "parse_ref", "short_id"]

#: The id rules, worded once for `devsentry show --help`, `export --help` and the README.
ID_HELP = (
    "DS-<n> is an issue (its latest event is shown); #<n>, item:<n> or a plain number is an "
    "item's row id (the first column of `devsentry events`); 6 or more hex digits are an event "
    "id or a unique prefix of one (dashes ignored). A plain number of 6+ digits that is no "
    "item's id is tried as an event id prefix."
)

_ISSUE_PREFIX = "DS-"
_ISSUE_ID = re.compile(r"ds-(\d+)", re.IGNORECASE)
_ITEM_ID = re.compile(r"(?:#|item:)(\d+)", re.IGNORECASE)
_EVENT_ID = re.compile(r"[0-9a-f-]+", re.IGNORECASE)


def short_id(issue_id: int) -> str:
    """An issue's id as people read and type it: `DS-12`."""
    return f"{_ISSUE_PREFIX}{issue_id}"


class Ref(msgspec.Struct, frozen=True):
    """What an id argument names: an issue, an item row, or an event id prefix."""

    kind: Literal["issue", "item", "event"]
    text: str  # as typed
    number: int = 0  # issue or item id
    prefix: str = ""  # event id prefix, lowercase, no dashes


def parse_ref(text: str) -> Ref:
    """Apply the id rules of `ID_HELP`; ValueError when `text` fits none of them."""
    value = text.strip()
    if m := _ISSUE_ID.fullmatch(value):
        return Ref("issue", value, number=int(m.group(1)))
    if m := _ITEM_ID.fullmatch(value):
        return Ref("item", value, number=int(m.group(1)))
    if value.isdigit():
        prefix = value if len(value) >= 6 else ""
        return Ref("item", value, number=int(value), prefix=prefix)
    hexdigits = value.replace("-", "").lower()
    if _EVENT_ID.fullmatch(value) and 6 <= len(hexdigits) <= 32:
        return Ref("event", value, prefix=hexdigits)
    raise ValueError(
        f"{text!r} is not an id: use DS-<n> for an issue, #<n> for an item, "
        "or at least 6 hex digits of an event id"
    )


def parse_issue_id(text: str) -> int:
    """`DS-12` or `12` → 12, for `--issue` and the issue commands."""
    value = text.strip()
    if m := _ISSUE_ID.fullmatch(value):
        return int(m.group(1))
    if value.isdigit():
        return int(value)
    raise ValueError(f"{text!r} is not an issue id (expected DS-<n>)")
