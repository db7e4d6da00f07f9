"""The notes behind a verdict: what Sentry would do where, in path order and bounded.

A hostile payload can earn a note for each of 100,000 breadcrumbs; a reader needs the first
few and a count, so `Notes` keeps `MAX_NOTES - 1` as they come, counts the rest, and ends the
list with one note that says how many more there were.
"""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = ["MAX_NOTES", "Action", "InSentry", "Note", "Notes", "Verdict", "duration"]

Verdict = Literal["kept", "trimmed", "dropped"]
Action = Literal["dropped", "trimmed", "removed"]

#: The most notes one verdict lists, the one that counts the others included.
MAX_NOTES = 50


class Note(msgspec.Struct, frozen=True):
    """One thing Sentry would do at `path` (`""`: the whole item), and why."""

    path: str
    action: Action
    reason: str


class InSentry(msgspec.Struct):
    """The verdict on one item and the notes behind it."""

    verdict: Verdict = "kept"
    notes: list[Note] = msgspec.field(default_factory=list)


class Notes:
    """The notes of one item as they are found: whole-item notes always kept, the others up to
    the bound, the rest counted with the path prefix and action they share."""

    __slots__ = ("_kept", "_more", "_more_action", "_more_prefix", "_seen", "dropped")

    def __init__(self) -> None:
        self._kept: list[Note] = []
        self._seen: set[tuple[str, Action]] = set()  # normalization and the rules here may
        # both find one thing (a transaction Relay rejects): it is said once
        self._more = 0
        self._more_action: Action | None = None
        self._more_prefix: list[str] = []
        self.dropped = False  # a whole-item "dropped" note was added

    def add(self, path: str, action: Action, reason: str) -> None:
        """Note that Sentry would do `action` at `path`, because of `reason`."""
        if (path, action) in self._seen:
            return
        self._seen.add((path, action))
        if not path:
            self.dropped = self.dropped or action == "dropped"
            self._kept.append(Note(path, action, reason))
        elif len(self._kept) < MAX_NOTES - 1:
            self._kept.append(Note(path, action, reason))
        else:
            self._count(path, action)

    def _count(self, path: str, action: Action) -> None:
        parts = path.split(".")
        if not self._more:
            self._more_prefix, self._more_action = parts, action
        else:
            prefix = self._more_prefix
            same = 0
            while same < len(prefix) and same < len(parts) and prefix[same] == parts[same]:
                same += 1
            del prefix[same:]
            if self._more_action != action:
                self._more_action = "trimmed"
        self._more += 1

    def result(self) -> InSentry:
        """The verdict: "dropped" if the whole item goes, else "trimmed" if anything is noted."""
        notes = sorted(self._kept, key=_order)
        if self._more:
            path = ".".join(self._more_prefix)
            action = self._more_action or "trimmed"
            if not path and action == "dropped":  # would read as the whole item
                action = "trimmed"
            notes.append(Note(path, action, f"and {self._more:,} more like these, not listed"))
        if self.dropped:
            return InSentry("dropped", notes)
        return InSentry("trimmed" if notes else "kept", notes)


def _order(note: Note) -> tuple[bool, list[tuple[int, int, str]]]:
    """Whole-item notes first, then by path, indexes compared as numbers."""
    parts = [(0, int(p), "") if _index(p) else (1, 0, p) for p in note.path.split(".")]
    return (bool(note.path), parts)


def _index(part: str) -> bool:
    """Whether a path part is a list index (a key of ASCII digits is read as one too)."""
    return part.isascii() and part.isdigit() and len(part) < 19


def duration(seconds: float) -> str:
    """A time difference as a reason says it: seconds, minutes, hours or days."""
    seconds = abs(seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds / 86400:,.0f} days"
