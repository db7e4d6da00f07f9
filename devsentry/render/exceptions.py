"""Exceptions and stack traces for `devsentry show`: the chain (or group tree), each frame's
location, code and locals; library frames fold away unless asked for."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import RenderableType
from rich.syntax import Syntax
from rich.text import Text

from devsentry.model import Event, ExceptionValue, Frame
from devsentry.process.crash import ExceptionNode, exception_tree, is_group
from devsentry.render.events import LEXERS
from devsentry.render.layout import Pad, join, pairs_table, plural, section
from devsentry.render.text import clean, safe

__all__ = ["render_event_body"]

VARS = 20  # local variables per frame before "+N more"
#: Of a stack deeper than both together, the oldest and newest frames drawn (recursion can make
#: tens of thousands; the crash site is at the newest end).
FRAMES_OLDEST = 10
FRAMES_NEWEST = 90
#: Exceptions of a chain drawn, the last ones (the one raised last is what happened).
CHAIN = 30
PATH = 60  # a frame's file path keeps its last this many characters


def render_event_body(event: Event, full: bool) -> list[RenderableType]:
    """An error or message: its message, exception chain (or group), stacks and threads."""
    platform = event.platform
    parts: list[RenderableType] = []
    message = event.message_text
    exceptions = event.exceptions
    if message and (not exceptions or message not in (exceptions[-1].value or "")):
        parts += section("Message", safe(message))
    if exceptions:
        if len(exceptions) == 1:
            title = "Exception"
        elif any(is_group(e) for e in exceptions):
            title = f"Exception group ({len(exceptions)} exceptions)"
        else:
            title = f"Exceptions ({len(exceptions)}, oldest first)"
        parts += section(title, *_chain(exceptions, platform, full))
    stacks = [(t.name or f"thread {t.id}", t) for t in event.thread_list if t.stacktrace]
    if event.stacktrace is not None and event.stacktrace.frames:
        parts += section("Stack trace", *_frames(event.stacktrace.frames, platform, full))
    for name, thread in stacks:
        if thread.crashed or thread.current or full:
            label = f"Thread {clean(name, single_line=True)}" + (
                " (crashed)" if thread.crashed else ""
            )
            assert thread.stacktrace is not None
            parts += section(label, *_frames(thread.stacktrace.frames, platform, full))
    return parts


def _link(node: ExceptionNode) -> Text | None:
    """What ties an exception to the one after it, worded as Python's tracebacks word it."""
    if is_group(node.parent):
        return None  # a member of a group: the indentation says it
    mech = node.exception.mechanism
    if mech is not None and mech.source == "__context__":
        text = "During handling of the above exception, another exception occurred:"
    else:
        text = "The above exception was the direct cause of the following exception:"
    return Text(text, "dim italic")


def _chain(
    exceptions: Sequence[ExceptionValue], platform: str | None, full: bool
) -> list[RenderableType]:
    every = exception_tree(exceptions)
    nodes = every if full else every[-CHAIN:]
    tree = any(is_group(e) for e in exceptions)
    out: list[RenderableType] = []
    if len(every) > len(nodes):
        out.append(Text(f"… {len(every) - len(nodes):,} earlier exceptions (--full shows them)"))
    for n, node in enumerate(nodes):
        exc = node.exception
        pad = "    " * node.depth
        if tree and n and not is_group(node.parent):
            context = exc.mechanism is not None and exc.mechanism.source == "__context__"
            words = "raised while handling:" if context else "which was caused by:"
            out += [Text(), Text(pad + words, "dim italic"), Text()]
        elif tree and n:
            out.append(Text())
        head = Text(pad)
        head.append_text(safe(exc.type or "Error", "bold red", single_line=True))
        if exc.value:
            head.append(": ", "bold red")
            head.append_text(safe(exc.value, "bold"))
        out.append(head)
        if notes := _notes(exc):
            out.append(Text(pad).append_text(notes))
        out += [_indent(f, pad) for f in _frames(exc.frames, platform, full)]
        if not tree and n < len(nodes) - 1 and (link := _link(node)) is not None:
            out += [Text(), link, Text()]  # Python's wording between the links of a chain
    return out


def _notes(exc: ExceptionValue) -> Text:
    """`exception group · mechanism generic · handled · module x`, dimmed."""
    mech = exc.mechanism
    notes: list[Text] = []
    if mech is not None:
        if mech.is_exception_group:
            notes.append(Text("exception group", "magenta"))
        if mech.type:
            notes.append(safe(f"mechanism {mech.type}", single_line=True, limit=60))
        if mech.handled is False:
            notes.append(Text("unhandled", "bold red"))
        elif mech.handled:
            notes.append(Text("handled", "green"))
    if exc.module:
        notes.append(safe(f"module {exc.module}", single_line=True, limit=80))
    return join(notes, style="dim")


def _indent(renderable: RenderableType, pad: str) -> RenderableType:
    if not pad:
        return renderable
    if isinstance(renderable, Text):
        return Text(pad).append_text(renderable)
    return Pad(renderable, len(pad))


def _frames(frames: Sequence[Frame], platform: str | None, full: bool) -> list[RenderableType]:
    """Oldest first, the crash site last. App frames show code and locals; runs of library
    frames fold into one line unless `full` (or when no frame is in-app, as Sentry does)."""
    if not frames:
        return [Text("  (no stack trace)", "dim")]
    any_app = any(f.in_app for f in frames)
    out: list[RenderableType] = []
    hidden = 0
    said: str | None = None  # the last source-map note drawn: the next same one is shorter
    last = len(frames) - 1
    middle = range(FRAMES_OLDEST, len(frames) - FRAMES_NEWEST) if not full else range(0)
    for n, frame in enumerate(frames):
        if len(middle) > 0 and n == middle.start:
            if hidden:
                out.append(_hidden(hidden))
                hidden = 0
            out.append(Text(f"  … {len(middle):,} frames not shown (--full shows them)", "dim"))
        if n in middle:
            continue
        shown = full or frame.in_app or n == last or not any_app
        if not shown:
            hidden += 1
            continue
        if hidden:
            out.append(_hidden(hidden))
            hidden = 0
        detailed = full or bool(frame.in_app) or n == last
        out.append(_location(frame))
        note = (frame.data or {}).get("sourcemap_note")
        if isinstance(note, str) and note:
            out.append(_sourcemap_note(note if note != said else "as above"))
            said = note
        if detailed:
            out += _context(frame, platform)
            if frame.in_app or full:
                out += _locals(frame, full)
    if hidden:
        out.append(_hidden(hidden))
    return out


def _hidden(n: int) -> Text:
    return Text(f"  … {plural(n, 'library frame')} hidden (--full to show)", "dim")


def _location(frame: Frame) -> Text:
    where = _left_cut(frame.filename or frame.abs_path or frame.module or "<unknown file>", PATH)
    line = Text("  ")
    line.append_text(safe(where, "cyan" if frame.in_app else "dim cyan", single_line=True))
    if frame.lineno is not None:
        line.append(f":{frame.lineno}", "cyan")
        if frame.colno is not None:
            line.append(f":{frame.colno}", "dim cyan")
    if frame.function:
        line.append(" in ", "dim")
        line.append_text(safe(frame.function, "bold" if frame.in_app else "", single_line=True))
    if frame.in_app:
        line.append("  app", "green")
    data = frame.data or {}
    if data.get("symbolicated") is True and isinstance(data.get("sourcemap"), str):
        line.append("  via ", "dim")
        line.append_text(safe(_map_name(data["sourcemap"]), "dim", single_line=True, limit=60))
    line.no_wrap, line.overflow = True, "ellipsis"
    return line


def _map_name(name: str) -> str:
    """A map's URL or path as its file name (the whole of it is in `--json`)."""
    if name.startswith("data:"):
        return "inline map"
    return name.rstrip("/").rsplit("/", 1)[-1] or name


def _sourcemap_note(note: str) -> Text:
    """Why a JavaScript frame still shows generated code (`data.sourcemap_note`)."""
    line = Text("      ⚠ not resolved: ", "yellow")
    line.append_text(safe(note, "dim", single_line=True, limit=200))
    line.no_wrap, line.overflow = True, "ellipsis"
    return line


def _left_cut(path: str, limit: int) -> str:
    """A long path keeps its end (the file name), cut at a `/` where one is near."""
    if len(path) <= limit:
        return path
    tail = path[-(limit - 1) :]
    slash = tail.find("/")
    return "…" + (tail[slash:] if 0 <= slash < limit // 2 else tail)


def _context(frame: Frame, platform: str | None) -> list[RenderableType]:
    """pre/context/post lines with their numbers; the frame's own line marked with ❱."""
    if frame.context_line is None:
        return []
    pre = [line or "" for line in frame.pre_context or ()]
    post = [line or "" for line in frame.post_context or ()]
    code = [
        clean(line.expandtabs(4), single_line=True) for line in (*pre, frame.context_line, *post)
    ]
    indent = min((len(c) - len(c.lstrip()) for c in code if c.strip()), default=0)
    code = [c[indent:] for c in code]
    lexer = LEXERS.get(platform or "")
    if lexer is not None:
        highlighted = Syntax("", lexer, theme="ansi_dark", background_color="default").highlight(
            "\n".join(code)
        )
        lines = highlighted.split("\n", allow_blank=True)[: len(code)]
    else:
        lines = [Text(c) for c in code]
    first = frame.lineno - len(pre) if frame.lineno is not None else None
    width = len(str((first or 0) + len(code)))
    out: list[RenderableType] = []
    for n, text in enumerate(lines):
        mine = n == len(pre)
        number = str(first + n) if first is not None else ""
        row = Text.assemble(
            ("    ❱ " if mine else "      ", "bold red"),
            (number.rjust(width), "bold" if mine else "dim"),
            (" │ ", "dim"),
        )
        if not mine and lexer is None:
            text.stylize("dim")
        row.append_text(text)
        if mine:
            row.stylize("bold")
        row.no_wrap, row.overflow = True, "ellipsis"
        out.append(row)
    return out


def _locals(frame: Frame, full: bool) -> list[RenderableType]:
    variables = frame.vars or {}
    if not variables:
        return []
    items = list(variables.items())
    shown: list[tuple[str, Any]] = items if full else items[:VARS]
    if not full and len(items) > VARS:
        shown.append((f"+{len(items) - VARS} more", "--full shows them"))
    return [Pad(pairs_table(shown, full), 8)]
