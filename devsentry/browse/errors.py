"""Failures of the inspection library, worded for the user; the CLI maps them to exit codes."""

from __future__ import annotations

from pathlib import Path

from devsentry.store.records import ItemRecord
from devsentry.store.store import Store

__all__ = ["Ambiguous", "BrowseError", "NotFound", "StoreMissing", "open_store"]


class BrowseError(Exception):
    """A failure worth one line to the user (exit 1)."""


class StoreMissing(BrowseError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"no devsentry store at {path} (run devsentry serve first or pass --store)"
        )


class NotFound(BrowseError):
    """The id names nothing stored (exit 3)."""


class Ambiguous(BrowseError):
    """An event id prefix matches several events; `candidates` are the items it matches."""

    def __init__(self, prefix: str, candidates: list[ItemRecord]) -> None:
        events = len({c.event_id for c in candidates})
        super().__init__(f"event id prefix {prefix!r} is ambiguous; it matches {events} events:")
        self.candidates = candidates


def open_store(path: Path, *, writable: bool = False) -> Store:
    """The store at `path`, read-only unless `writable`; never creates the file (a typo must
    not look like an empty store)."""
    if not path.is_file():
        raise StoreMissing(path)
    try:
        return Store(path, readonly=not writable)
    except FileNotFoundError:
        raise StoreMissing(path) from None
