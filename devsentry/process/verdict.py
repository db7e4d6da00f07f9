"""What Sentry would do with an item: keep it, trim it, or drop it — and why.

Locally devsentry keeps everything. In production Relay drops an item over its size limit or
one it cannot read, trims strings, lists and bodies beyond its limits, and removes values it
finds invalid. `in_sentry` says which, with a note per place, so a developer learns here why an
event would be missing or cut in Sentry.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from devsentry.protocol.limits import ITEM_LIMITS

__all__ = ["Action", "InSentry", "Note", "Verdict", "in_sentry"]

Verdict = Literal["kept", "trimmed", "dropped"]
Action = Literal["dropped", "trimmed", "removed"]


class Note(msgspec.Struct, frozen=True):
    """One thing Sentry would do at `path` (`""`: the whole item), and why."""

    path: str
    action: Action
    reason: str


class InSentry(msgspec.Struct):
    """The verdict on one item and the notes behind it."""

    verdict: Verdict = "kept"
    notes: list[Note] = msgspec.field(default_factory=list)


def in_sentry(
    item_type: str,
    size: int,
    payload: dict[str, Any] | None,
    *,
    invalid: str | None = None,
    removed: list[Note] | None = None,
    received: float | None = None,
) -> InSentry:
    """The verdict on one item: its `item_type`, payload `size` in bytes, decoded (and, for
    events, normalized) `payload`, why it is `invalid` if it is, and the values normalization
    `removed` as invalid."""
    notes: list[Note] = list(removed or ())
    limit = ITEM_LIMITS.get(item_type)
    if invalid is not None:
        notes.insert(0, Note("", "dropped", f"Relay cannot read it: {invalid}"))
    elif limit is not None and size > limit:
        notes.insert(0, Note("", "dropped", f"{size:,} bytes is over Relay's {limit:,}"))
    if any(note.action == "dropped" and not note.path for note in notes):
        return InSentry("dropped", notes)
    return InSentry("trimmed" if notes else "kept", notes)
