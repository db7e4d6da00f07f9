"""Defensive readers for a decoded event that may be hostile, and the notes normalization keeps.

An event item is any JSON object: every field can hold any JSON type. Normalization uses a value
only when it has the type the protocol gives it, and Relay's lenient conversions say how a
number or a boolean becomes text (`LenientString` in `relay-event-schema/src/protocol/types.rs`;
its tests in `protocol/tags.rs` show `true` becoming `"True"`).
"""

from __future__ import annotations

import json
from typing import Any

from devsentry.process.verdict import Note
from devsentry.protocol.untrusted import lenient_str

__all__ = [
    "Notes",
    "as_dict",
    "as_list",
    "as_str",
    "brief",
    "lenient_str",
    "title_case_header",
]

#: How many notes one event keeps; the rest are counted in one last note.
MAX_NOTES = 200


def as_dict(value: object) -> dict[str, Any] | None:
    """`value` when it is a JSON object."""
    return value if isinstance(value, dict) else None


def as_list(value: object) -> list[Any] | None:
    """`value` when it is a JSON array."""
    return value if isinstance(value, list) else None


def as_str(value: object) -> str | None:
    """`value` when it is a JSON string."""
    return value if isinstance(value, str) else None


def brief(value: object) -> str:
    """A value short enough to quote in a note: scalars as JSON (cut at 40 characters), other
    values by their JSON type."""
    if isinstance(value, str):
        text = json.dumps(value[:40], ensure_ascii=False)
        return text if len(value) <= 40 else text[:-1] + '..."'
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**20:
        return "a large number"
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    return "an object" if isinstance(value, dict) else "a list"


def title_case_header(name: str) -> str:
    """A header name as Relay stores it: each letter after a dash upper-cased, the rest as sent
    (`HeaderName::new` in `relay-event-schema/src/protocol/request.rs`)."""
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


class Notes(list[Note]):
    """The values normalization removed, as Relay records them in `_meta` and `errors`.

    Bounded: a hostile event with twenty thousand broken breadcrumbs gets `MAX_NOTES` notes and
    one that counts the rest, not twenty thousand.
    """

    def __init__(self) -> None:
        super().__init__()
        self.dropped_notes = 0

    def removed(self, path: str, reason: str) -> None:
        """Relay removed (or replaced) the value at `path` because of `reason`."""
        self._add(Note(path, "removed", reason))

    def dropped(self, reason: str) -> None:
        """Relay rejects the whole event."""
        self._add(Note("", "dropped", reason))

    def _add(self, note: Note) -> None:
        if len(self) < MAX_NOTES or (note.action == "dropped" and not note.path):
            self.append(note)
        else:
            self.dropped_notes += 1

    def finish(self) -> list[Note]:
        """The notes, with a last one counting those left out."""
        out = list(self)
        if self.dropped_notes:
            out.append(Note("", "removed", f"and {self.dropped_notes:,} more values like these"))
        return out
