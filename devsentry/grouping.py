"""Group events into issues the way Sentry does by default, and name them (reference §5).

`group_event` turns a decoded `Event` into a `Grouping`: the MD5 hash of the values that decided
the group, what decided it (a custom fingerprint, in-app or all frames, the exception type and
value, the message), and the Sentry-style title, culprit and crash location.

The precedence follows Sentry's `newstyle:2023-01-11` config: a custom fingerprint, then the
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
from itertools import groupby, islice
from typing import Literal, TypeAlias

import msgspec

from devsentry.model import Event, ExceptionValue, Frame, Mechanism

__all__ = [
    "CONTEXT_LINE_PLATFORMS",
    "Basis",
    "Grouping",
    "culprit_for",
    "group_event",
    "hash_values",
    "normalize_message",
    "title_for",
]

#: What decided the group: a custom (or hybrid) fingerprint, in-app frames, all frames, the
#: exception type and value (no frame contributed), the message, or nothing at all.
Basis: TypeAlias = Literal["custom", "app", "system", "exception", "message", "fallback"]


class Grouping(msgspec.Struct, frozen=True):
    """How one event groups, and what its issue is called (reference §5)."""

    hash: str  #: MD5 hex digest of `components` concatenated (§5.5)
    basis: Basis
    title: str  #: §5.6
    culprit: str | None  #: §5.7
    type: str | None = None  #: main exception type (error events; None when synthetic)
    value: str | None = None  #: main exception value, at most 1024 chars
    function: str | None = None  #: crash frame function (error events)
    filename: str | None = None  #: crash frame filename, else abs_path (error events)
    components: tuple[str, ...] = ()  #: the contributing values, in hash order


#: Platforms whose source we trust enough to group on the context line (§5.3).
CONTEXT_LINE_PLATFORMS = frozenset({"javascript", "node", "python", "php", "ruby"})
_JS_FAMILY = frozenset({"javascript", "node"})
_NATIVE_FAMILY = frozenset({"objc", "cocoa", "swift", "native", "c"})
_CULPRIT_FUNCTION_ONLY = frozenset({"objc", "cocoa", "native"})
_JS_ANONYMOUS = frozenset({"?", "<anonymous function>", "<anonymous>", "Anonymous function"})
_JS_LOW_QUALITY_PATHS = frozenset({"[native code]", "native code", "eval code", "<anonymous>"})
_UNUSABLE_FUNCTIONS = frozenset({None, "<redacted>", "<unknown>"})
_UNLABELED_FILES = frozenset({"<anonymous>", "[native code]"})
_URL_PREFIXES = ("http:", "https:", "applewebdata:", "blob:")
_RUBY_ERB_SUFFIX = re.compile(r"__\d{4,}_\d{4,}$")
_VARIABLE = re.compile(r"\{\{\s*(\S+)\s*\}\}")

TITLE_LENGTH = 100
VALUE_LENGTH = 1024
TYPE_LENGTH = 128
CULPRIT_LENGTH = 200

# -- Message normalization (§5.4) ----------------------------------------------------------

_HEX4 = "[0-9a-fA-F]{1,4}"
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_IPV6 = "|".join(
    (
        rf"(?:{_HEX4}:){{7}}{_HEX4}",
        rf"(?:{_HEX4}:){{1,4}}:{_IPV4}",
        rf"::(?:ffff(?::0{{1,4}})?:)?{_IPV4}",
        rf"(?:{_HEX4}:){{1,6}}:{_HEX4}",
        rf"(?:{_HEX4}:){{1,5}}(?::{_HEX4}){{1,2}}",
        rf"(?:{_HEX4}:){{1,4}}(?::{_HEX4}){{1,3}}",
        rf"(?:{_HEX4}:){{1,3}}(?::{_HEX4}){{1,4}}",
        rf"(?:{_HEX4}:){{1,2}}(?::{_HEX4}){{1,5}}",
        rf"{_HEX4}:(?::{_HEX4}){{1,6}}",
        rf"(?:{_HEX4}:){{1,7}}:",
        rf":(?::{_HEX4}){{1,7}}",
    )
)
_DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_HMS = "[0-2][0-9]:[0-5][0-9]:[0-5][0-9]"
_DATE = "|".join(
    (
        # ISO 8601 / RFC 3339 date-time, then a bare date.
        r"[0-9]{4}-[01][0-9]-[0-3][0-9][T ][0-2][0-9]:[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]+)?)?"
        r"(?:Z|[+-][0-2][0-9]:?[0-5][0-9])?",
        r"[0-9]{4}-[01][0-9]-[0-3][0-9]",
        # RFC 2822: "Tue, 24 Nov 2026 19:37:41 +0000".
        rf"(?:{_DAY},\s+)?[0-3]?[0-9]\s+{_MONTH}\s+[0-9]{{2,4}}\s+[0-2]?[0-9]:[0-5][0-9]"
        r"(?::[0-5][0-9])?(?:\s+(?:[+-][0-9]{4}|UT|GMT|[ECMP][SD]T|[A-IK-Z])\b)?",
        # JS Date.toString ("Tue Nov 24 2026 19:37:41 GMT+0100 (CET)") and ctime.
        rf"{_DAY}\s+{_MONTH}\s+[0-3]?[0-9]\s+(?:[0-9]{{4}}\s+{_HMS}|{_HMS}\s+[0-9]{{4}})"
        r"(?:\s+GMT[+-][0-9]{4}(?:\s+\([^)]*\))?)?",
        rf"{_HMS}(?:\.[0-9]+)?",
    )
)
# Every placeholder but email and URL; a match can only start at one of the guard's characters
# (digits, hex letters, ":", "-", initials of day and month names), which makes the scan cheap.
_COMMON = "|".join(
    (
        rf"(?P<ip>(?<![\w:.])(?=[0-9a-fA-F]{{0,4}}:[0-9a-fA-F]{{0,4}}:)(?:{_IPV6})(?![\w:])"
        rf"|\b{_IPV4}\b)",
        r"(?P<uuid>\b[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b)",
        r"(?P<sha1>\b[0-9a-fA-F]{40}\b)",
        r"(?P<md5>\b[0-9a-fA-F]{32}\b)",
        rf"(?P<date>\b(?:{_DATE}))",
        r"(?P<hex>\b0[xX][0-9a-fA-F]+\b"
        r"|\b(?=[a-f]*[0-9])(?=[0-9]*[a-f])(?:[0-9a-f]{16}|[0-9a-f]{8})\b)",
        r"(?P<float>(?:-|\b)[0-9]+\.[0-9]+\b)",
        r"(?P<int>(?:-|\b)[0-9]+\b)",
    )
)
_GUARDED = rf"(?=[-0-9a-fA-F:MTWSJNOD])(?:{_COMMON})"
#: One alternation, so the leftmost match wins and ties go to the earlier placeholder.
_PARAMETERS = re.compile(
    "|".join(
        (
            # The lookbehind starts a match only at the start of a local part: linear time.
            r"(?P<email>(?<![A-Za-z0-9.!#$%&'*+/=?^_`{|}~-])[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
            r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)",
            r"(?P<url>\b(?:wss?|https?|ftp)://[^\s/$.?#]\S+)",
            _GUARDED,
        )
    )
)
#: The same without email and URL, for the many texts with neither "@" nor "://" (faster).
_PARAMETERS_COMMON = re.compile(_GUARDED)
_PLACEHOLDERS = {name: f"<{name}>" for name in _PARAMETERS.groupindex}


def _placeholder(match: re.Match[str]) -> str:
    return _PLACEHOLDERS[match.lastgroup or ""]


def normalize_message(text: str) -> str:
    """A message or exception value with event-specific parts replaced by placeholders.

    Keeps the first two non-empty lines (adding `...` when that changed anything), then
    replaces emails, URLs, IPs, UUIDs, SHA1s, MD5s, dates, hex numbers, floats and ints.
    """
    kept = "\n".join(islice((line for line in text.splitlines() if line.strip()), 2))
    if kept != text:
        kept += "..."
    pattern = _PARAMETERS if "@" in kept or "://" in kept else _PARAMETERS_COMMON
    return pattern.sub(_placeholder, kept)


# -- Frame components (§5.3) ---------------------------------------------------------------


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
        return None if func in _UNUSABLE_FUNCTIONS else func
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


# -- Default components (§5.1, §5.3) -------------------------------------------------------


def _is_synthetic(exc: ExceptionValue) -> bool:
    return bool(exc.mechanism and exc.mechanism.synthetic)


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
        if exc.type and not _is_synthetic(exc):
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


# -- Fingerprints (§5.2) -------------------------------------------------------------------


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
    """Resolves fingerprint variables (§5.2), looking each fact up at most once."""

    def __init__(self, event: Event, exceptions: Sequence[ExceptionValue]):
        self.event = event
        self.exceptions = exceptions

    @cached_property
    def crash_frame(self) -> Frame | None:
        return _crash_frame(_crash_frames(self.event, self.exceptions))

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
    """MD5 over the UTF-8 bytes of the values, with no separators (§5.5)."""
    return hashlib.md5("".join(values).encode("utf-8", "replace")).hexdigest()


# -- Crash location, title, culprit (§5.6, §5.7) -------------------------------------------


def _crash_frames(event: Event, exceptions: Sequence[ExceptionValue]) -> list[Frame]:
    """The last exception's frames, else the top-level stack trace's, else a lone thread's."""
    frames = exceptions[-1].frames if exceptions else []
    if not frames and event.stacktrace is not None:
        frames = event.stacktrace.frames
    if not frames:
        threads = event.thread_list
        if len(threads) == 1 and threads[0].stacktrace is not None:
            frames = threads[0].stacktrace.frames
    return frames


def _crash_frame(
    frames: Sequence[Frame], usable: Callable[[Frame], bool] | None = None
) -> Frame | None:
    """The newest in-app frame that is `usable`, else the newest usable frame."""
    newest: Frame | None = None
    for frame in reversed(frames):
        if usable is not None and not usable(frame):
            continue
        if frame.in_app:
            return frame
        if newest is None:
            newest = frame
    return newest


def _has_function(frame: Frame) -> bool:
    return frame.function not in _UNUSABLE_FUNCTIONS


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _first_line(text: str) -> str:
    return text.splitlines()[0] if text else text


def _error_type(main: ExceptionValue) -> str | None:
    """The metadata type: None for a synthetic exception (its type means nothing)."""
    return None if _is_synthetic(main) else _truncate(main.type or "Error", TYPE_LENGTH)


def _error_title(main: ExceptionValue, function: str | None) -> str:
    title = _error_type(main)
    if title is None:
        return function or "<unknown>"
    if main.value:
        title += ": " + _truncate(_first_line(main.value), TITLE_LENGTH)
    return title


def _message_title(event: Event) -> str:
    message = (event.message_text or "").strip()
    return _truncate(_first_line(message), TITLE_LENGTH) if message else "<unlabeled event>"


def _title(event: Event, main: ExceptionValue | None, function: str | None) -> str:
    if event.is_transaction:
        return (event.transaction or "").strip() or "<unlabeled transaction>"
    if main is not None:
        return _error_title(main, function)
    return _message_title(event)


def _location(event: Event, exceptions: Sequence[ExceptionValue]) -> Frame | None:
    """The crash frame of an error event: newest in-app frame with a usable function name."""
    return _crash_frame(_crash_frames(event, exceptions), _has_function) if exceptions else None


def title_for(event: Event) -> str:
    """The issue title: `Type: value` for errors, the message, or the transaction name."""
    exceptions = event.exceptions
    _, main = _exception_groups(exceptions, event.platform)
    frame = _location(event, exceptions)
    main = main or (exceptions[-1] if exceptions else None)
    return _title(event, main, frame.function if frame else None)


def _frame_culprit(frame: Frame, platform: str | None) -> str:
    platform = frame.platform or platform
    if platform in _CULPRIT_FUNCTION_ONLY:
        return frame.function or "?"
    location = frame.module or frame.filename
    if not location:
        return ""
    if platform in _JS_FAMILY:
        return f"{frame.function or '?'}({location})"
    return f"{location} in {frame.function or '?'}"


def _stack_culprit(frames: Sequence[Frame], platform: str | None) -> str:
    """The newest in-app frame with a culprit, else the newest frame's."""
    fallback: str | None = None
    for frame in reversed(frames):
        if frame.in_app:
            if culprit := _frame_culprit(frame, platform):
                return culprit
        elif fallback is None:
            fallback = _frame_culprit(frame, platform)
    return fallback or ""


def _generated_culprit(event: Event, exceptions: Sequence[ExceptionValue]) -> str:
    if exceptions:
        if _is_synthetic(exceptions[-1]):
            return ""
        frames = next((exc.frames for exc in reversed(exceptions) if exc.frames), None)
    else:
        frames = event.stacktrace.frames if event.stacktrace is not None else None
    culprit = _stack_culprit(frames, event.platform) if frames else ""
    if not culprit and event.request is not None:
        culprit = event.request.url or ""
    return culprit


def _culprit(event: Event, exceptions: Sequence[ExceptionValue]) -> str | None:
    culprit = event.culprit or event.transaction or _generated_culprit(event, exceptions)
    return _truncate(culprit, CULPRIT_LENGTH) if culprit else None


def culprit_for(event: Event) -> str | None:
    """Where the event happened: its own culprit, its transaction, or the crash frame."""
    return _culprit(event, event.exceptions)


# -- Putting it together -------------------------------------------------------------------


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
    frame = _location(event, exceptions)
    function = frame.function if frame else None
    return Grouping(
        hash=hash_values(components),
        basis=basis,
        title=_title(event, main, function),
        culprit=_culprit(event, exceptions),
        type=_error_type(main) if main else None,
        value=_truncate(main.value, VALUE_LENGTH) if main and main.value else None,
        function=function,
        filename=(frame.filename or frame.abs_path) if frame else None,
        components=tuple(components),
    )
