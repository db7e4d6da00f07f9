"""Group events into issues the way Sentry does by default.

`group_event` turns a decoded `Event` into a `Grouping`: the MD5 hash of the values that decided
the group, what decided it (a custom fingerprint, in-app or all frames, the exception type and
value, the message), and the issue's title and culprit (`naming.py`).

The precedence follows Sentry's `newstyle:2023-01-11` config (`src/sentry/grouping/strategies/
newstyle.py`, `configurations.py`, `fingerprinting/utils.py`): a custom fingerprint, then the
exception chain (frames, then type, then the normalized value when no frame contributes), a lone
thread's stack trace, the top-level stack trace, the normalized message, and last an empty
fallback. Frames are grouped in two variants, in-app frames only and all frames; the app variant
wins when any in-app frame contributes, so the system variant is only computed when none does.
Linked errors and exception groups that carry `mechanism.exception_id`s are first reduced the way
Sentry does it (one of each distinct leaf; a group of alike leaves titles as that leaf).

This runs for every event on the ingest path: every pattern is compiled at import time, the
exception chain is unwrapped once per call, and message normalization skips the email and URL
patterns when the text cannot hold either.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from itertools import groupby
from typing import Literal, TypeAlias

import msgspec

from devsentry.model import Event, ExceptionValue, Frame, Mechanism
from devsentry.process.crash import UNUSABLE_FUNCTIONS, crash_frame, is_synthetic, named_frame
from devsentry.process.message import normalize_message
from devsentry.process.naming import VALUE_LENGTH, culprit_for, error_type, title, truncate

__all__ = [
    "CONTEXT_LINE_PLATFORMS",
    "Basis",
    "Grouping",
    "group_event",
    "hash_values",
    "title_for",
]

#: What decided the group: a custom (or hybrid) fingerprint, in-app frames, all frames, the
#: exception type and value (no frame contributed), the message, or nothing at all.
Basis: TypeAlias = Literal["custom", "app", "system", "exception", "message", "fallback"]


class Grouping(msgspec.Struct, frozen=True):
    """How one event groups, and what its issue is called."""

    hash: str  #: MD5 hex digest of `components` concatenated, no separators
    basis: Basis
    title: str
    culprit: str | None
    type: str | None = None  #: main exception type (error events; None when synthetic)
    value: str | None = None  #: main exception value, at most 1024 chars
    function: str | None = None  #: crash frame function (error events)
    filename: str | None = None  #: crash frame filename, else abs_path (error events)
    components: tuple[str, ...] = ()  #: the contributing values, in hash order


#: Platforms whose source we trust enough to group on the context line.
CONTEXT_LINE_PLATFORMS = frozenset({"javascript", "node", "python", "php", "ruby"})
_JS_FAMILY = frozenset({"javascript", "node"})
_NATIVE_FAMILY = frozenset({"objc", "cocoa", "swift", "native", "c"})
_JS_ANONYMOUS = frozenset({"?", "<anonymous function>", "<anonymous>", "Anonymous function"})
_JS_LOW_QUALITY_PATHS = frozenset({"[native code]", "native code", "eval code", "<anonymous>"})
_UNLABELED_FILES = frozenset({"<anonymous>", "[native code]"})
_URL_PREFIXES = ("http:", "https:", "applewebdata:", "blob:")
_RUBY_ERB_SUFFIX = re.compile(r"__\d{4,}_\d{4,}$")
_VARIABLE = re.compile(r"\{\{\s*(\S+)\s*\}\}")

# -- Frame components ---------------------------------------------------------------


def _has_url_origin(path: str | None, files_count_as_urls: bool) -> bool:
    if not path:
        return False
    if path.startswith(_URL_PREFIXES):
        return True
    return files_count_as_urls and path.startswith("file:")


def _family(platform: str | None) -> str:
    if platform in _JS_FAMILY:
        return "javascript"
    if platform in _NATIVE_FAMILY:
        return "native"
    return "other"


def _module_value(frame: Frame, platform: str | None) -> str | None:
    module, abs_path = frame.module, frame.abs_path
    if not module:
        return None
    if platform == "javascript" and "/" in module and abs_path and abs_path.endswith(module):
        return None  # a "module" that is just the tail of the path
    if platform == "java" and "$$Lambda$" in module:
        return None
    return module


def _filename_value(frame: Frame) -> str | None:
    if not frame.filename:
        return None
    name = frame.filename.replace("\\", "/").rsplit("/", 1)[-1].lower()
    if name in _UNLABELED_FILES or _has_url_origin(frame.abs_path, files_count_as_urls=False):
        return None
    return name or None


def _context_line_value(frame: Frame, platform: str | None, family: str) -> str | None:
    raw = frame.context_line
    if not raw or platform not in CONTEXT_LINE_PLATFORMS or len(raw) > 120:
        return None
    if (
        family == "javascript"
        and not frame.function
        and _has_url_origin(frame.abs_path, files_count_as_urls=True)
    ):
        return None
    return " ".join(raw.split()) or None


def _function_value(
    frame: Frame, platform: str | None, family: str, has_context_line: bool
) -> str | None:
    if platform == "csharp":
        func = frame.raw_function or frame.function
    else:
        func = frame.function or frame.raw_function
    if not func:
        return None
    if platform == "ruby":
        return "block" if func.startswith("block ") else _RUBY_ERB_SUFFIX.sub("", func)
    if platform == "php":
        if func.startswith(("[Anonymous", "class@anonymous\x00")):
            return None
        return func.rsplit("::", 1)[-1] if func.startswith("class@anonymous") else func
    if platform == "java":
        return None if func.startswith("lambda$") else func
    if family == "native":
        return None if func in UNUSABLE_FUNCTIONS else func
    if family == "javascript":
        if has_context_line and frame.data and frame.data.get("sourcemap") is not None:
            return None  # names from source maps are unreliable; the line says more
        name = (frame.raw_function or func).rsplit(".", 1)[-1]
        if name in _JS_ANONYMOUS or name.endswith("/<"):
            return None
        return func.rsplit(".", 1)[-1]
    return func


def _frame_values(frame: Frame, platform: str | None) -> list[str]:
    """What one frame contributes: module (else file basename), function, context line."""
    family = _family(platform)
    if family == "javascript":
        name = (frame.raw_function or frame.function or "").rsplit(".", 1)[-1]
        if name == "eval" or frame.abs_path in _JS_LOW_QUALITY_PATHS:
            return []
    values: list[str] = []
    if location := _module_value(frame, platform) or _filename_value(frame):
        values.append(location)
    context_line = _context_line_value(frame, platform, family)
    if function := _function_value(frame, platform, family, context_line is not None):
        values.append(function)
    if context_line:
        values.append(context_line)
    return values


def _is_recursion(frame: Frame, previous: Frame | None) -> bool:
    return (
        previous is not None
        and frame.function == previous.function
        and frame.lineno == previous.lineno
        and frame.abs_path == previous.abs_path
        and frame.filename == previous.filename
        and frame.module == previous.module
        and frame.package == previous.package
        and frame.colno == previous.colno
    )


def _stack_values(frames: Sequence[Frame], platform: str | None, app_only: bool) -> list[str]:
    """The contributing values of a stack trace, oldest frame first.

    `app_only` gives the app variant (in-app frames only). A frame identical to the one
    before it (recursion) is skipped.
    """
    values: list[str] = []
    previous: Frame | None = None
    for frame in frames:
        if (frame.in_app or not app_only) and not _is_recursion(frame, previous):
            values += _frame_values(frame, frame.platform or platform)
        previous = frame
    return values


# -- Default components -------------------------------------------------------


def _exception_components(
    exceptions: Sequence[ExceptionValue], platform: str | None
) -> tuple[Basis, list[str]] | None:
    # The system variant (all frames) only matters when no in-app frame contributes.
    basis: Basis = "app"
    stacks = [_stack_values(exc.frames, platform, app_only=True) for exc in exceptions]
    if not any(stacks):
        stacks = [_stack_values(exc.frames, platform, app_only=False) for exc in exceptions]
        basis = "system" if any(stacks) else "exception"
    values: list[str] = []
    for exc, frames in zip(exceptions, stacks, strict=True):
        values += frames
        if exc.type and not is_synthetic(exc):
            values.append(exc.type)
        if not frames and exc.value is not None:
            normalized = normalize_message(exc.value)
            if normalized:
                values.append(normalized)
    return (basis, values) if values else None


_Node: TypeAlias = tuple[ExceptionValue, int, Mechanism]  # exception, its id, its mechanism


def _exception_groups(
    exceptions: list[ExceptionValue], platform: str | None
) -> tuple[list[ExceptionValue], ExceptionValue | None]:
    """Sentry's exception-group rules: the exceptions to group by, and the main one if chosen.

    They apply when every exception has a `mechanism.exception_id` and the ids make a tree
    rooted at 0 (JS linked errors, Python exception groups). Group wrappers are looked
    through: when their leaves all group alike, the event groups (and is titled) as that leaf
    followed by its first-child chain; otherwise as one of each distinct leaf plus the root.
    """
    if len(exceptions) < 2:
        return exceptions, None
    nodes: dict[int, _Node] = {}
    children: dict[int, list[_Node]] = {}
    for exc in reversed(exceptions):
        mech = exc.mechanism
        exc_id = mech.exception_id if mech else None
        if mech is None or exc_id is None or exc_id == mech.parent_id or exc_id in nodes:
            return exceptions, None  # not a tree: keep the chain as sent
        nodes[exc_id] = node = (exc, exc_id, mech)
        if mech.parent_id is not None:
            children.setdefault(mech.parent_id, []).append(node)
    if 0 not in nodes:
        return exceptions, None

    seen: set[int] = set()

    def leaves(node: _Node) -> Iterator[_Node]:
        _, exc_id, mech = node
        if exc_id not in seen:  # ids can form a cycle in malformed payloads
            seen.add(exc_id)
            if mech.is_exception_group:
                for child in children.get(exc_id, ()):
                    yield from leaves(child)
            else:
                yield node

    top_level = sorted(leaves(nodes[0]), key=lambda node: str(node[0].type), reverse=True)
    if not top_level:
        return exceptions, None
    distinct = top_level
    if len(top_level) > 1:  # JS linked errors have one leaf: no need to compare
        distinct = [
            next(alike)
            for _, alike in groupby(top_level, key=lambda node: _exception_key(node[0], platform))
        ]
    if len(distinct) > 1:
        return [node[0] for node in distinct] + [nodes[0][0]], None
    path: list[ExceptionValue] = []
    on_path: set[int] = set()
    current: _Node | None = distinct[0]
    while current is not None and current[1] not in on_path:
        path.append(current[0])
        on_path.add(current[1])
        below = children.get(current[1])
        current = below[0] if below else None
    return path, distinct[0][0]


def _exception_key(exc: ExceptionValue, platform: str | None) -> tuple[str, ...]:
    found = _exception_components([exc], platform)
    return (found[0], *found[1]) if found else ()


def _stacktrace_components(
    frames: Sequence[Frame], platform: str | None
) -> tuple[Basis, list[str]] | None:
    if app := _stack_values(frames, platform, app_only=True):
        return "app", app
    system = _stack_values(frames, platform, app_only=False)
    return ("system", system) if system else None


def _grouping_thread_frames(event: Event) -> list[Frame]:
    """The frames of the thread Sentry groups by.

    That is the only crashed thread, else the only current one, else the only thread at all.
    """
    threads = event.thread_list
    for chosen in (
        [t for t in threads if t.crashed],
        [t for t in threads if t.current],
        threads,
    ):
        if len(chosen) == 1:
            return chosen[0].stacktrace.frames if chosen[0].stacktrace else []
    return []


def _default_components(
    event: Event, exceptions: Sequence[ExceptionValue]
) -> tuple[Basis, list[str]]:
    platform = event.platform
    found = _exception_components(exceptions, platform) if exceptions else None
    if not found and event.threads is not None:
        found = _stacktrace_components(_grouping_thread_frames(event), platform)
    if not found and event.stacktrace is not None:
        found = _stacktrace_components(event.stacktrace.frames, platform)
    if found:
        return found
    message = event.message_template
    if message and (normalized := normalize_message(message)):
        return "message", [normalized]
    return "fallback", []


# -- Fingerprints -------------------------------------------------------------------


def _variable(entry: str) -> str | None:
    match = _VARIABLE.fullmatch(entry) if entry.startswith("{{") else None
    return match.group(1) if match else None


def _derived_tags(event: Event) -> dict[str, str]:
    """Tags as Sentry sees them when grouping: sent tags plus those it derives from fields."""
    tags = event.tags_dict
    derived = {
        "level": event.level_name,
        "logger": event.logger,
        "environment": event.environment,
        "transaction": event.transaction,
        "server_name": event.server_name,
        "sentry:release": event.release,
        "sentry:dist": event.dist,
    }
    for name, value in derived.items():
        if value and name not in tags:
            tags[name] = value
    return tags


def _package_name(frame: Frame) -> str | None:
    package = frame.package
    return package.replace("\\", "/").rsplit("/", 1)[-1] if package else None


#: Variables read from the crash frame: getter and placeholder for a missing value.
_FRAME_VARIABLES: dict[str, tuple[Callable[[Frame], str | None], str]] = {
    "function": (lambda f: f.function, "<no-function>"),
    "stack.function": (lambda f: f.function, "<no-function>"),
    "path": (lambda f: f.abs_path or f.filename, "<no-abs-path>"),
    "stack.abs_path": (lambda f: f.abs_path or f.filename, "<no-abs-path>"),
    "stack.filename": (lambda f: f.filename or f.abs_path, "<no-filename>"),
    "module": (lambda f: f.module, "<no-module>"),
    "stack.module": (lambda f: f.module, "<no-module>"),
    "package": (_package_name, "<no-package>"),
    "stack.package": (_package_name, "<no-package>"),
}


class _Resolver:
    """Resolves fingerprint variables, looking each fact up at most once."""

    def __init__(self, event: Event, exceptions: Sequence[ExceptionValue]):
        self.event = event
        self.exceptions = exceptions

    @cached_property
    def crash_frame(self) -> Frame | None:
        return crash_frame(self.event)

    @cached_property
    def tags(self) -> dict[str, str]:
        return _derived_tags(self.event)

    def resolve(self, key: str) -> str | None:
        """The value of `{{ key }}`; None for an unknown variable (kept as written)."""
        event = self.event
        last = self.exceptions[-1] if self.exceptions else None
        if key.startswith("tags."):
            name = key[5:]
            return self.tags.get(name) or f"<no-value-for-tag-{name}>"
        if key in _FRAME_VARIABLES:
            getter, placeholder = _FRAME_VARIABLES[key]
            frame = self.crash_frame
            return (getter(frame) if frame else None) or placeholder
        match key:
            case "transaction":
                return event.transaction or "<no-transaction>"
            case "message":
                return event.message_text or (last and last.value) or "<no-message>"
            case "type" | "error.type":
                return (last and last.type) or "<no-type>"
            case "value" | "error.value":
                return (last and last.value) or "<no-value>"
            case "level":
                return event.level_name
            case "logger":
                return event.logger or "<no-logger>"
        return None


def _fingerprint_components(
    fingerprint: Sequence[str], resolver: _Resolver, default: Callable[[], list[str]]
) -> list[str]:
    values: list[str] = []
    for entry in fingerprint:
        key = _variable(entry)
        if key == "default":
            values += default()
        elif key is None:
            values.append(entry)
        else:
            resolved = resolver.resolve(key)
            values.append(entry if resolved is None else resolved)
    return values


def hash_values(values: Sequence[str]) -> str:
    """MD5 over the UTF-8 bytes of the values, with no separators."""
    return hashlib.md5("".join(values).encode("utf-8", "replace")).hexdigest()


# -- Putting it together -------------------------------------------------------------------


def title_for(event: Event) -> str:
    """An event's issue title, without grouping it (the main exception is grouping's)."""
    _, main = _exception_groups(event.exceptions, event.platform)
    return title(event, main)


def group_event(event: Event) -> Grouping:
    """The issue an event belongs to (its hash and what decided it), with title and culprit."""
    exceptions = event.exceptions
    grouped, main = _exception_groups(exceptions, event.platform)
    fingerprint = event.fingerprint
    basis: Basis
    if fingerprint and not (len(fingerprint) == 1 and _variable(fingerprint[0]) == "default"):
        basis = "custom"
        components = _fingerprint_components(
            fingerprint,
            _Resolver(event, exceptions),
            lambda: _default_components(event, grouped)[1],
        )
    else:
        basis, components = _default_components(event, grouped)

    main = main or (exceptions[-1] if exceptions else None)
    frame = named_frame(event) if exceptions else None
    return Grouping(
        hash=hash_values(components),
        basis=basis,
        title=title(event, main),
        culprit=culprit_for(event),
        type=error_type(main) if main else None,
        value=truncate(main.value, VALUE_LENGTH) if main and main.value else None,
        function=frame.function if frame else None,
        filename=(frame.filename or frame.abs_path) if frame else None,
        components=tuple(components),
    )
