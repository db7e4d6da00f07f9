"""How a level looks: one table of colours and labels for every view."""

from __future__ import annotations

from rich.text import Text

from devsentry.protocol.levels import normalize_level
from devsentry.render.text import clean, safe

__all__ = ["event_badge", "level_text", "log_label"]

#: level → (colour of the word, event badge label, badge style, log label)
_STYLES: dict[str, tuple[str, str, str, str]] = {
    "fatal": ("bold magenta", "FATAL", "bold white on magenta", "FATAL"),
    "error": ("bold red", "ERROR", "bold white on red", "ERROR"),
    "warning": ("yellow", "WARNING", "bold black on yellow", "WARN"),
    "info": ("blue", "INFO", "bold white on blue", "INFO"),
    "debug": ("dim", "DEBUG", "bold black on white", "DEBUG"),
    "trace": ("dim", "TRACE", "bold black on white", "TRACE"),
}


def level_text(level: str | None) -> Text:
    """A level as a word in a list or a page, coloured by severity."""
    if not level:
        return Text("-", "dim")
    known = _STYLES.get(normalize_level(level) or "")
    return safe(level, known[0] if known else "", single_line=True, limit=8)


def event_badge(level: str) -> tuple[str, str]:
    """The label and style of an event's badge (` ERROR `)."""
    known = _STYLES.get(normalize_level(level) or "")
    return (known[1], known[2]) if known else (clean(level.upper()[:8]), "reverse")


def log_label(level: str) -> tuple[str, str]:
    """The label and colour of a log line's level (`WARN`)."""
    known = _STYLES.get(normalize_level(level) or "")
    if known is None:
        return clean(level.upper()[:5]), ""
    return known[3], known[0]
