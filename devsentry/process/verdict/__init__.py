"""What Sentry would do with an item: keep it, trim it, or drop it — and why.

Locally devsentry keeps everything. In production Relay drops an item over its size limit, one
it cannot read and one it finds invalid (a transaction without a trace context, a session days
old), trims strings, databags, stack traces and bodies beyond its limits, and removes values it
finds invalid. `in_sentry` says which, with a note per place, so a developer learns here why an
event would be missing or cut in Sentry.

The rules live beside this module: `events` (events and transactions), `items` (containers,
check-ins, sessions, client reports), `bags` (how Relay measures strings and databags),
`notes` (their order and bound); the numbers of whole items are `devsentry.protocol.limits`.
"""

from __future__ import annotations

from typing import Any

from devsentry.process.verdict.events import check_event
from devsentry.process.verdict.items import (
    check_check_in,
    check_client_report,
    check_container,
    check_session,
    drift,
)
from devsentry.process.verdict.notes import Action, InSentry, Note, Notes, Verdict
from devsentry.protocol.limits import ITEM_LIMITS

__all__ = ["Action", "InSentry", "Note", "Verdict", "in_sentry"]

#: Items read as events: their fields are trimmed the same way (a feedback is an event).
EVENT_TYPES = frozenset({"event", "transaction", "feedback"})
CONTAINER_TYPES = frozenset({"log", "span", "trace_metric"})


def in_sentry(
    item_type: str,
    size: int,
    payload: dict[str, Any] | None,
    *,
    invalid: str | None = None,
    removed: list[Note] | None = None,
    received: float | None = None,
    item_count: int | None = None,
    sent_at: float | None = None,
) -> InSentry:
    """The verdict on one item: its `item_type`, payload `size` in bytes, decoded (and, for
    events, normalized) `payload`, why it is `invalid` if it is, the values normalization
    `removed` as invalid, when it was `received` (epoch seconds; without it, nothing is judged
    by age), for containers the item header's `item_count` (None when the header has none:
    Relay then counts the container as one item), and the envelope's `sent_at`, with which
    Relay corrects the clocks of sessions and client reports (events come normalized, their
    clocks corrected already).

    Never raises, whatever the payload holds; the work is linear in it and bounded by the
    limits for databags.
    """
    notes = Notes()
    for note in removed or ():
        notes.add(note.path, note.action, note.reason)
    limit = ITEM_LIMITS.get(item_type)
    if invalid is not None:
        notes.add("", "dropped", f"Relay cannot read it: {invalid}")
    elif limit is not None and size > limit:
        notes.add(
            "",
            "dropped",
            f"{size:,} bytes is over Relay's {limit:,} for {item_type} items; Relay refuses "
            "the envelope",
        )
    elif payload is not None:
        shift = drift(received, sent_at)
        _check(notes, item_type, size, payload, received, item_count, shift)
    return notes.result()


def _check(
    notes: Notes,
    item_type: str,
    size: int,
    payload: object,
    received: float | None,
    item_count: int | None,
    shift: float,
) -> None:
    """The rules of the item's type; types without any are judged by size alone."""
    if item_type in EVENT_TYPES:
        check_event(notes, size, payload, received, item_type == "transaction")
    elif item_type in CONTAINER_TYPES:
        check_container(notes, item_type, size, payload, item_count)
    elif item_type == "check_in":
        check_check_in(notes, payload)
    elif item_type in ("session", "sessions"):
        check_session(notes, item_type == "sessions", payload, received, shift)
    elif item_type == "client_report":
        check_client_report(notes, payload, received, shift)
