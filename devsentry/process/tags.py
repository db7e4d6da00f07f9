"""Tags as Sentry derives them from a normalized event: the SDK's own first, then the ones
Sentry adds (`browser`, `os`, `user`, `release`, …)."""

from __future__ import annotations

from typing import Any

__all__ = ["event_tags"]


def event_tags(event: dict[str, Any]) -> list[tuple[str, str]]:
    """The event's tags, in Sentry's order, as `(key, value)` pairs (keys unique)."""
    raw = event.get("tags")
    pairs = raw.items() if isinstance(raw, dict) else raw if isinstance(raw, list) else ()
    out: dict[str, str] = {}
    for pair in pairs:
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
            continue
        key, value = pair
        if isinstance(key, str) and key and value is not None and key not in out:
            out[key] = value if isinstance(value, str) else str(value)
    return list(out.items())
