"""Where an event crashed: its crash stack and frame, and how its exceptions hang together.

One owner for these rules, so the issue's culprit, its title and every view point at the same
frame. The rules are Sentry's (`src/sentry/event_manager.py` `get_culprit`,
`src/sentry/stacktraces/processing.py`, `src/sentry/eventtypes/error.py`): the stack trace of
the last exception that has frames (else the event's own stack trace, else the crashed or only
thread's), and in it the newest in-app frame (else the newest frame).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import msgspec

from devsentry.model import Event, ExceptionValue, Frame

__all__ = [
    "FUNCTION_ONLY_PLATFORMS",
    "ExceptionNode",
    "crash_frame",
    "crash_stack",
    "exception_tree",
    "is_group",
    "is_synthetic",
    "located",
    "named_frame",
]

#: Function names that say nothing (native symbolication placeholders, none at all).
UNUSABLE_FUNCTIONS = frozenset({None, "<redacted>", "<unknown>"})


def is_synthetic(exc: ExceptionValue) -> bool:
    """An exception the SDK made up to carry a stack (its type means nothing)."""
    return bool(exc.mechanism and exc.mechanism.synthetic)


def raised(event: Event) -> list[ExceptionValue]:
    """The exceptions an event reports as raised: all but synthetic ones, so a JavaScript
    `captureMessage` (a message with a synthetic stack) is a message, not an error."""
    return [exc for exc in event.exceptions if not is_synthetic(exc)]


def is_group(exc: ExceptionValue | None) -> bool:
    """An exception group (Python's `ExceptionGroup`, JS `AggregateError`)."""
    return bool(exc is not None and exc.mechanism and exc.mechanism.is_exception_group)


#: Platforms whose frames are named by their function alone (no module or file).
FUNCTION_ONLY_PLATFORMS = frozenset({"objc", "cocoa", "native"})


def has_function(frame: Frame) -> bool:
    return frame.function not in UNUSABLE_FUNCTIONS


def located(frame: Frame, platform: str | None) -> bool:
    """Whether a frame says where it is (a module or file; a function on native platforms)."""
    if (frame.platform or platform) in FUNCTION_ONLY_PLATFORMS:
        return True
    return bool(frame.module or frame.filename)


def crash_stack(event: Event) -> list[Frame]:
    """The frames the event crashed in, oldest first."""
    for exc in reversed(event.exceptions):
        if exc.frames:
            return exc.frames
    if event.stacktrace is not None and event.stacktrace.frames:
        return event.stacktrace.frames
    threads = [t for t in event.thread_list if t.stacktrace is not None and t.stacktrace.frames]
    for chosen in ([t for t in threads if t.crashed], [t for t in threads if t.current], threads):
        if len(chosen) == 1 and chosen[0].stacktrace is not None:
            return chosen[0].stacktrace.frames
    return []


def _newest(frames: Sequence[Frame], usable: Callable[[Frame], bool]) -> Frame | None:
    """The newest in-app frame that is `usable`, else the newest usable frame."""
    newest: Frame | None = None
    for frame in reversed(frames):
        if not usable(frame):
            continue
        if frame.in_app:
            return frame
        if newest is None:
            newest = frame
    return newest


def crash_frame(event: Event) -> Frame | None:
    """The frame the event is about: the one its culprit names and every view points at."""
    frames = crash_stack(event)
    return _newest(frames, lambda f: located(f, event.platform)) or (frames[-1] if frames else None)


def named_frame(event: Event) -> Frame | None:
    """The newest (in-app) crash frame with a function name: what titles an error whose
    exception is synthetic, as Sentry's `metadata.function` does."""
    return _newest(crash_stack(event), has_function)


class ExceptionNode(msgspec.Struct):
    """One exception as a chain or group view draws it."""

    exception: ExceptionValue
    depth: int  # how many exception groups enclose it
    parent: ExceptionValue | None  # the group holding it, or the exception it caused


def _parent(exc: ExceptionValue, by_id: Mapping[int, ExceptionValue]) -> ExceptionValue | None:
    mech = exc.mechanism
    if mech is None or mech.parent_id is None:
        return None
    parent = by_id.get(mech.parent_id)
    return parent if parent is not exc else None


def _depth(exc: ExceptionValue, by_id: Mapping[int, ExceptionValue]) -> int:
    depth, seen = 0, set()
    mech = exc.mechanism
    while mech is not None and mech.parent_id is not None and mech.parent_id not in seen:
        seen.add(mech.parent_id)
        parent = by_id.get(mech.parent_id)
        if parent is None:
            break
        if is_group(parent):
            depth += 1
        mech = parent.mechanism
    return depth


def exception_tree(exceptions: Sequence[ExceptionValue]) -> list[ExceptionNode]:
    """The exceptions in drawing order. A plain chain keeps the SDK's order (the cause first);
    with an exception group, each exception comes before those it holds or was caused by, as
    Sentry draws the group's tree (`mechanism.exception_id` / `parent_id`)."""
    by_id = {
        e.mechanism.exception_id: e
        for e in exceptions
        if e.mechanism is not None and e.mechanism.exception_id is not None
    }
    ordered = list(exceptions)
    if any(is_group(e) for e in exceptions):
        children: dict[int, list[ExceptionValue]] = {}
        roots: list[ExceptionValue] = []
        for exc in exceptions:
            parent = _parent(exc, by_id)
            if (
                parent is not None
                and parent.mechanism
                and parent.mechanism.exception_id is not None
            ):
                children.setdefault(parent.mechanism.exception_id, []).append(exc)
            else:
                roots.append(exc)
        ordered = []
        seen: set[int] = set()

        def walk(exc: ExceptionValue) -> None:
            if id(exc) in seen:
                return
            seen.add(id(exc))
            ordered.append(exc)
            key = exc.mechanism.exception_id if exc.mechanism else None
            for child in children.get(key, []) if key is not None else []:
                walk(child)

        for root in roots:
            walk(root)
        ordered += [e for e in exceptions if id(e) not in seen]  # ids in a loop: keep them
    return [ExceptionNode(e, _depth(e, by_id), _parent(e, by_id)) for e in ordered]
