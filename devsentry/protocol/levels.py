"""Levels: what an event or log level means, and the words SDKs use for them.

Events have Relay's five levels (`Level` in `relay-event-schema/src/protocol/types.rs`:
`debug`, `info`/`log`, `warning`, `error`, `fatal`/`critical`, and Python's numeric 10…50);
logs add `trace` and say `warn` (`OurLogLevel` in `relay-event-schema/src/protocol/ourlog.rs`).
devsentry stores one vocabulary for both, so `--level warning` finds warning events and warn
logs alike.
"""

from __future__ import annotations

__all__ = ["EVENT_LEVELS", "LEVELS", "event_level", "normalize_level", "severity"]

#: Every level devsentry stores, least severe first.
LEVELS = ("trace", "debug", "info", "warning", "error", "fatal")
#: The levels an event can have (no `trace`).
EVENT_LEVELS = LEVELS[1:]

_ALIASES = {"warn": "warning", "log": "info", "critical": "fatal"}
_NUMERIC = ((50, "fatal"), (40, "error"), (30, "warning"), (20, "info"))


def normalize_level(value: object) -> str | None:
    """A level as one of `LEVELS`, or None when it is missing or means nothing."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return next((name for at, name in _NUMERIC if value >= at), "debug")
    if not isinstance(value, str):
        return None
    name = value.strip().lower()
    name = _ALIASES.get(name, name)
    return name if name in LEVELS else None


def event_level(value: object, default: str = "error") -> str:
    """An event's level as one of `EVENT_LEVELS`; Relay's default (error) when unreadable."""
    level = normalize_level(value)
    if level == "trace":
        return "debug"
    return level or default


def severity(level: str | None) -> int:
    """A level's rank for sorting and "at least" filters: -1 for none."""
    return LEVELS.index(level) if level in LEVELS else -1
