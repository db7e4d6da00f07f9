"""Normalization as Relay does it: an event as Sentry sees it, derived from the one sent.

The steps run in Relay's order — reading the payload (legacy aliases, the `values` wrappers,
timestamps), `finalize` (clock drift from `sent_at`, `relay-server/src/processing/utils/event.rs`),
`validate_event` (timestamps out of range, transactions it rejects,
`relay-event-normalization/src/validation.rs`), then `normalize_event`
(`relay-event-normalization/src/event.rs`: security reports, IP addresses, release and
environment, log entry, tags, platform and level, exceptions, User-Agent contexts, request,
contexts) and the removal of unknown attributes (`remove_other.rs`). Each module cites the code
it follows:

- `event.py`: aliases, identifiers, platform, level, release, dist, environment, tags, type;
- `interfaces.py`: exception, breadcrumbs, threads, user and IP addresses; `request.py`;
- `logentry.py`: the message; `timestamps.py` and `validation.py`: time and rejections;
- `contexts.py` and `user_agent.py`: contexts, and those the User-Agent describes.
"""

from __future__ import annotations

from typing import Any

from devsentry.process.normalize import event as attributes
from devsentry.process.normalize import interfaces
from devsentry.process.normalize.contexts import normalize_contexts
from devsentry.process.normalize.fields import Notes
from devsentry.process.normalize.logentry import normalize_logentry
from devsentry.process.normalize.request import normalize_request
from devsentry.process.normalize.timestamps import (
    correct_timestamps,
    read_timestamps,
    remove_stale,
)
from devsentry.process.normalize.user_agent import normalize_user_agent
from devsentry.process.normalize.validation import validate_transaction
from devsentry.process.sender import Sender
from devsentry.process.verdict import Note

__all__ = ["normalize_event"]


def normalize_event(event: dict[str, Any], sender: Sender) -> list[Note]:
    """Normalize `event` (a freshly decoded JSON object of an event or transaction item, changed
    in place) as Relay would; returns the values it removed as invalid, and a `dropped` note
    (path `""`) when Relay would reject the event altogether."""
    if not isinstance(event, dict):
        return []
    notes = Notes()
    # Reading the payload: what Relay's event schema does while it deserializes.
    attributes.resolve_aliases(event)
    interfaces.normalize_breadcrumbs(event, notes)
    interfaces.normalize_threads(event, notes)
    interfaces.normalize_exceptions(event, notes)
    normalize_request(event, notes)
    interfaces.normalize_user(event, notes)
    read_timestamps(event, notes)
    # Clock drift, timestamps out of range, rejected transactions.
    correct_timestamps(event, sender, notes)
    remove_stale(event, notes)
    validate_transaction(event, sender.received, notes)
    # `normalize_event`.
    interfaces.normalize_security_report(event, sender)
    interfaces.normalize_nel_report(event, sender)
    interfaces.normalize_ip_addresses(event, sender)
    attributes.normalize_attributes(event, notes)
    normalize_logentry(event, notes)
    attributes.normalize_tags(event, notes)
    attributes.infer_type(event, notes)
    attributes.normalize_platform_and_level(event, notes)
    normalize_contexts(event, notes)
    normalize_user_agent(event)
    attributes.remove_unknown(event, notes)
    return notes.finish()
