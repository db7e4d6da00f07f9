"""What an issue is called and where it happened: Sentry's title and culprit.

Title (`src/sentry/eventtypes/error.py`, `base.py`): `Type: first line of the value` of the main
exception, the crash frame's function when the exception is synthetic (but the message, when the
event has one: devsentry's departure, below), the message of a message event, the name of a
transaction. Culprit (`src/sentry/event_manager.py` `get_culprit`,
`src/sentry/culprit.py`): the event's own, else its transaction, else the crash frame as
`module in function` (`function(file)` for JavaScript, the function alone for native code),
else the request URL.
"""

from __future__ import annotations

from devsentry.model import Event, ExceptionValue, Frame
from devsentry.process.crash import (
    FUNCTION_ONLY_PLATFORMS,
    crash_frame,
    is_synthetic,
    named_frame,
)

__all__ = [
    "CULPRIT_LENGTH",
    "TITLE_LENGTH",
    "TYPE_LENGTH",
    "VALUE_LENGTH",
    "culprit_for",
    "error_type",
    "title",
    "truncate",
]

TITLE_LENGTH = 100
VALUE_LENGTH = 1024
TYPE_LENGTH = 128
CULPRIT_LENGTH = 200

_JS_FAMILY = frozenset({"javascript", "node"})


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _first_line(text: str) -> str:
    return text.splitlines()[0] if text else text


def error_type(main: ExceptionValue) -> str | None:
    """The metadata type: None for a synthetic exception (its type means nothing)."""
    return None if is_synthetic(main) else truncate(main.type or "Error", TYPE_LENGTH)


def _error_title(main: ExceptionValue, function: str | None) -> str:
    title = error_type(main)
    if title is None:
        return function or "<unknown>"
    if main.value:
        title += ": " + truncate(_first_line(main.value), TITLE_LENGTH)
    return title


def _message_title(event: Event) -> str:
    message = (event.message_text or "").strip()
    return truncate(_first_line(message), TITLE_LENGTH) if message else "<unlabeled event>"


def title(event: Event, main: ExceptionValue | None = None) -> str:
    """The issue title; `main` is the exception grouping chose (`grouping.title_for` finds
    it), the last one by default."""
    if event.is_transaction:
        return (event.transaction or "").strip() or "<unlabeled transaction>"
    exceptions = event.exceptions
    main = main or (exceptions[-1] if exceptions else None)
    if main is not None:
        if error_type(main) is None and (event.message_text or "").strip():
            # A synthetic exception beside a message: the stack JavaScript SDKs attach to
            # `captureMessage`. Sentry titles it by the crash frame's function (`Object.?`);
            # devsentry by the message the app sent.
            return _message_title(event)
        frame = named_frame(event)
        return _error_title(main, frame.function if frame else None)
    return _message_title(event)


def _frame_culprit(frame: Frame, platform: str | None) -> str:
    platform = frame.platform or platform
    if platform in FUNCTION_ONLY_PLATFORMS:
        return frame.function or "?"
    location = frame.module or frame.filename
    if not location:
        return ""
    if platform in _JS_FAMILY:
        return f"{frame.function or '?'}({location})"
    return f"{location} in {frame.function or '?'}"


def culprit_for(event: Event) -> str | None:
    """Where the event happened: its own culprit, its transaction, or the crash frame."""
    culprit = event.culprit or event.transaction
    if not culprit:
        exceptions = event.exceptions
        if not (exceptions and is_synthetic(exceptions[-1])):
            frame = crash_frame(event)
            culprit = _frame_culprit(frame, event.platform) if frame is not None else ""
        if not culprit and event.request is not None:
            culprit = event.request.url or ""
    return truncate(culprit, CULPRIT_LENGTH) if culprit else None
