"""The event's message as Relay normalizes it (`relay-event-normalization/src/logentry.rs`).

A plain `message` string becomes `logentry.formatted` (Relay reads `message` as a legacy alias
of `logentry`). With `params` and no `formatted`, the template is formatted: `%`-style when it
holds a `%`, else `{}`/`{0}`/`{name}`-style when it holds a `{`. `message` then moves to
`formatted` when it is alone or equal to it. A log entry with neither is removed.

The formatting itself is `devsentry.protocol.messages`, bounded against hostile templates.
"""

from __future__ import annotations

from typing import Any

from devsentry.process.normalize.fields import Notes
from devsentry.protocol.messages import format_message
from devsentry.protocol.untrusted import lenient_str

__all__ = ["normalize_logentry"]


def normalize_logentry(event: dict[str, Any], notes: Notes) -> None:
    """`logentry` from `message`, formatted, and with `message` folded into `formatted`."""
    entry = event.get("logentry")
    if isinstance(entry, str):
        entry = event["logentry"] = {"formatted": entry}
    if entry is None:
        return
    if not isinstance(entry, dict):
        del event["logentry"]
        notes.removed("logentry", "neither a string nor an object")
        return
    for field in ("message", "formatted"):
        value = entry.get(field)
        if value is not None and not isinstance(value, str):
            text = lenient_str(value)
            if text is None:
                del entry[field]
                notes.removed(f"logentry.{field}", "not a string")
            else:
                entry[field] = text
    if not any(v is not None for v in entry.values()):
        del event["logentry"]
        return
    message, formatted = entry.get("message"), entry.get("formatted")
    if message is None and formatted is None:
        del event["logentry"]
        notes.removed("logentry", "no message present")
        return
    params = entry.get("params")
    if params is not None and formatted is None and message is not None:
        formatted = format_message(message, params)
        if formatted is not None:
            entry["formatted"] = formatted
    if formatted is None or message == formatted:
        entry["formatted"] = entry.pop("message", None)
        if entry["formatted"] is None:
            del entry["formatted"]
