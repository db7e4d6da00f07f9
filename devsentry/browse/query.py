"""Reading the filter values people type: `--since 10m`, `--since 2026-01-31T14:00`,
`--tag browser.name:Chrome` (the CLI and the MCP tools read them the same way)."""

from __future__ import annotations

import datetime as dt
import re
import time

__all__ = ["parse_duration", "parse_since", "parse_tag"]

_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> float:
    """`90s`, `10m`, `1h30m`, `2d`, `1w` as seconds (`ignore --for`)."""
    value = text.strip().lower()
    if value and "".join(m.group() for m in _DURATION.finditer(value)) == value:
        seconds = sum(float(n) * _UNITS[unit] for n, unit in _DURATION.findall(value))
        if seconds > 0:
            return seconds
    raise ValueError(f"{text!r} is not a duration (30s, 10m, 2h, 1d, 1w, 1h30m)")


def parse_since(text: str, now: float | None = None) -> float:
    """`--since`: a duration back from now (`90s`, `10m`, `1h30m`, `2d`, `1w`) or an ISO date.

    A date or time without a zone is local time, as the user's clock shows it.
    """
    value = text.strip().lower()
    now = time.time() if now is None else now
    if value and "".join(m.group() for m in _DURATION.finditer(value)) == value:
        return now - sum(float(n) * _UNITS[unit] for n, unit in _DURATION.findall(value))
    try:
        parsed = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a duration (30s, 10m, 2h, 1d, 1w) nor an ISO date "
            "(2026-01-31 or 2026-01-31T14:00)"
        ) from None
    return parsed.timestamp()  # naive datetimes are local time


def parse_tag(text: str) -> tuple[str, str]:
    """`browser.name:Chrome` → `("browser.name", "Chrome")`; the value may hold `:`
    (`user:id:42`). ValueError when there is no `KEY:`."""
    key, sep, value = text.partition(":")
    if not sep or not key.strip():
        raise ValueError(f"{text!r} is not KEY:VALUE (e.g. browser.name:Chrome)")
    return key.strip(), value
