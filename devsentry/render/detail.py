"""Full views for `devsentry show`: an event as Sentry's issue page shows it, in the terminal.

`render_detail` picks the body by the decoded model: an error's exception chain with code and
locals, a trace's waterfall, every log record of a container, or the compact view (plus the
payload) of anything else; events get their breadcrumbs, request, user, tags and contexts
below. Every payload string enters through `safe()`/`clean()` into a `Text`, never markup.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.rule import Rule
from rich.syntax import Syntax
from rich.table import Column, Table
from rich.text import Text

from devsentry.inspect import Detail, SavedFile, iso
from devsentry.model import (
    Breadcrumb,
    Event,
    ExceptionValue,
    Feedback,
    Frame,
    LogContainer,
    Request,
    SpanContainer,
    Transaction,
    User,
)
from devsentry.outbox import Delivery
from devsentry.render.events import _LEXERS
from devsentry.render.items import render_invalid, render_item
from devsentry.render.layout import join, plural, size
from devsentry.render.lists import Col, ListTable, ago, level_text
from devsentry.render.text import clean, safe, safe_json
from devsentry.render.waterfall import WaterfallView, container_waterfall, transaction_waterfall

__all__ = ["relative", "render_detail", "render_event_body", "render_saved"]

VALUE = 120  # a value in a key/value table, before `…` (--full shows it whole)
VARS = 20  # local variables per frame before "+N more"
PATH = 60  # a frame's file path keeps its last this many characters
_CONTEXT_ORDER = ("trace", "runtime", "os", "browser", "device", "app", "culture", "cloud_resource")


def render_detail(detail: Detail, *, full: bool = False, now: float | None = None) -> Group:
    """The whole `show` page for one stored item."""
    now = time.time() if now is None else now
    parts: list[RenderableType] = [_heading(detail, now)]
    model, item, meta = detail.model, detail.item, detail.meta
    if item is None or detail.error is not None:
        meta.error = detail.error or meta.error
        parts.append(Text.assemble(("could not show the payload: ", "red"), safe(meta.error or "")))
        if item is not None:
            parts.append(render_invalid(item, meta))
    elif isinstance(model, Transaction):
        parts += _section("Spans", WaterfallView(transaction_waterfall(model)))
    elif isinstance(model, SpanContainer):
        parts += _section("Spans", WaterfallView(container_waterfall(model)))
    elif isinstance(model, LogContainer):
        parts += _section("Logs", _logs(model, full))
    elif isinstance(model, Feedback) or not isinstance(model, Event):
        parts += _section("Item", render_item(item, model, meta))
        if model is not None and not isinstance(model, Event) and not item.is_binary:
            parts += _section("Payload", *_payload(item.payload_view(), full))
    else:
        parts += render_event_body(model, full)
    if isinstance(model, Event):
        parts += _event_context(model, full)
    if detail.attachments:
        parts += _section("Attachments", *_attachments(detail))
    return Group(*parts)


def render_saved(saved: Sequence[SavedFile]) -> Text:
    """What `--save-attachments` wrote."""
    out = Text()
    for n, f in enumerate(saved):
        out.append("\n" if n else "")
        out.append("saved ", "green")
        out.append_text(safe(str(f.path)))
        out.append(f" ({size(f.size)})", "dim")
    return out


# -- heading ------------------------------------------------------------------------------


PAYLOAD_LINES = 60  # lines of a payload's JSON shown before "--full shows all"


def _payload(data: Any, full: bool) -> list[RenderableType]:
    """The decoded payload as JSON, cut at `PAYLOAD_LINES` lines unless `full` (profiles are
    thousands of lines of samples)."""
    text = safe_json(data)
    lines = text.split("\n")
    if full or len(lines) <= PAYLOAD_LINES:
        return [text]
    more = Text(f"… {len(lines) - PAYLOAD_LINES:,} more lines (--full or --json shows all)", "dim")
    return [Text("\n").join(lines[:PAYLOAD_LINES]), more]


def _section(title: str, *body: RenderableType) -> list[RenderableType]:
    return [Text(), Rule(Text(title, "bold"), align="left", style="dim"), *body]


def _heading(detail: Detail, now: float) -> RenderableType:
    """The issue (if any) with its counts, then what this item is and where it came from."""
    record, issue = detail.record, detail.issue
    lines: list[RenderableType] = []
    if issue is not None:
        lines.append(
            Text.assemble(
                (issue.short_id, "bold"),
                "  ",
                level_text(issue.level),
                "  ",
                safe(issue.title, "bold", single_line=True),
            )
        )
        if issue.culprit:
            lines.append(safe(issue.culprit, "italic", single_line=True))
        lines.append(
            join(
                [
                    plural(issue.count, "event"),
                    plural(issue.users, "user"),
                    f"first seen {ago(issue.first_seen, now)}",
                    f"last seen {ago(issue.last_seen, now)}",
                    f"project {clean(issue.project, single_line=True)}",
                ],
                style="",
            )
        )
        if issue.count > 1:
            which = "the latest" if detail.latest else "one"
            lines.append(
                Text(
                    f"showing {which} of its events — devsentry events --issue {issue.short_id}"
                    " lists them",
                    "dim",
                )
            )
        lines.append(Text())
    elif record.title:
        lines.append(safe(record.title, "bold", single_line=True))
    when = record.timestamp or record.received
    lines.append(
        join(
            [
                Text(f"#{record.id}", "bold"),
                Text.assemble(
                    (clean(record.type, single_line=True), "cyan"),
                    " ",
                    clean(record.event_id or "", single_line=True),
                ),
            ]
        )
    )
    lines.append(
        join(
            [
                f"{iso(when)} ({ago(when, now)})",
                None if issue is not None else f"project {record.project}",
                size(record.size),
            ],
            style="dim",
        )
    )
    if detail.forward is not None:
        lines.append(forward_text(detail.forward))
    return Group(*lines)


def forward_text(delivery: Delivery) -> Text:
    """Where forwarding of this item's envelope stands: state, tries, the upstream's answer."""
    style = {"delivered": "green", "failed": "red", "dropped": "dim"}.get(delivery.state, "yellow")
    line = Text.assemble(("forwarded: ", "dim"), (delivery.state.replace("_", "-"), style))
    answer = f"{delivery.status} " if delivery.status else ""
    if answer or delivery.detail:
        line.append("  ")
        line.append_text(safe(f"{answer}{delivery.detail or ''}", "dim", single_line=True))
    line.append(f"  ({plural(delivery.attempts, 'attempt')})", "dim")
    return line


# -- errors -------------------------------------------------------------------------------


def render_event_body(event: Event, full: bool) -> list[RenderableType]:
    """An error or message: its message, exception chain (or group), stacks and threads."""
    platform = event.platform
    parts: list[RenderableType] = []
    message = event.message_text
    exceptions = event.exceptions
    if message and (not exceptions or message not in (exceptions[-1].value or "")):
        parts += _section("Message", safe(message))
    if exceptions:
        if len(exceptions) == 1:
            title = "Exception"
        elif any(_is_group(e) for e in exceptions):
            title = f"Exception group ({len(exceptions)} exceptions)"
        else:
            title = f"Exceptions ({len(exceptions)}, oldest first)"
        parts += _section(title, *_chain(exceptions, platform, full))
    stacks = [(t.name or f"thread {t.id}", t) for t in event.thread_list if t.stacktrace]
    if event.stacktrace is not None and event.stacktrace.frames:
        parts += _section("Stack trace", *_frames(event.stacktrace.frames, platform, full))
    for name, thread in stacks:
        if thread.crashed or thread.current or full:
            label = f"Thread {clean(name, single_line=True)}" + (
                " (crashed)" if thread.crashed else ""
            )
            assert thread.stacktrace is not None
            parts += _section(label, *_frames(thread.stacktrace.frames, platform, full))
    return parts


def _group_depth(exc: ExceptionValue, by_id: Mapping[int, ExceptionValue]) -> int:
    """How many exception groups enclose `exc` (linked causes do not indent)."""
    depth, seen = 0, set()
    mech = exc.mechanism
    while mech is not None and mech.parent_id is not None and mech.parent_id not in seen:
        seen.add(mech.parent_id)
        parent = by_id.get(mech.parent_id)
        if parent is None:
            break
        if parent.mechanism is not None and parent.mechanism.is_exception_group:
            depth += 1
        mech = parent.mechanism
    return depth


def _link(exc: ExceptionValue, by_id: Mapping[int, ExceptionValue]) -> Text | None:
    """What ties `exc` to the one after it, worded as Python's tracebacks word it."""
    mech = exc.mechanism
    parent = by_id.get(mech.parent_id) if mech and mech.parent_id is not None else None
    if parent is not None and parent.mechanism and parent.mechanism.is_exception_group:
        return None  # a member of a group: the indentation says it
    if mech is not None and mech.source == "__context__":
        text = "During handling of the above exception, another exception occurred:"
    else:
        text = "The above exception was the direct cause of the following exception:"
    return Text(text, "dim italic")


def _is_group(exc: ExceptionValue | None) -> bool:
    return bool(exc is not None and exc.mechanism and exc.mechanism.is_exception_group)


def _parent(exc: ExceptionValue, by_id: Mapping[int, ExceptionValue]) -> ExceptionValue | None:
    mech = exc.mechanism
    if mech is None or mech.parent_id is None:
        return None
    parent = by_id.get(mech.parent_id)
    return parent if parent is not exc else None


def _tree_order(
    exceptions: Sequence[ExceptionValue], by_id: Mapping[int, ExceptionValue]
) -> list[ExceptionValue]:
    """With an exception group: each exception before the ones it holds or was caused by, as
    Sentry draws the group's tree. A plain chain keeps the SDK's order (the cause first)."""
    if not any(_is_group(e) for e in exceptions):
        return list(exceptions)
    children: dict[int, list[ExceptionValue]] = {}
    roots: list[ExceptionValue] = []
    for exc in exceptions:
        parent = _parent(exc, by_id)
        if parent is not None and parent.mechanism and parent.mechanism.exception_id is not None:
            children.setdefault(parent.mechanism.exception_id, []).append(exc)
        else:
            roots.append(exc)
    ordered: list[ExceptionValue] = []
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
    return ordered + [e for e in exceptions if id(e) not in seen]  # ids in a loop: keep them


def _chain(
    exceptions: Sequence[ExceptionValue], platform: str | None, full: bool
) -> list[RenderableType]:
    by_id = {
        e.mechanism.exception_id: e
        for e in exceptions
        if e.mechanism is not None and e.mechanism.exception_id is not None
    }
    ordered = _tree_order(exceptions, by_id)
    tree = any(_is_group(e) for e in exceptions)
    out: list[RenderableType] = []
    for n, exc in enumerate(ordered):
        depth = _group_depth(exc, by_id)
        pad = "    " * depth
        parent = _parent(exc, by_id)
        if tree and n and not _is_group(parent):
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
        if not tree and n < len(ordered) - 1 and (link := _link(exc, by_id)) is not None:
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
    return _Pad(renderable, len(pad))


def _frames(frames: Sequence[Frame], platform: str | None, full: bool) -> list[RenderableType]:
    """Oldest first, the crash site last. App frames show code and locals; runs of library
    frames fold into one line unless `full` (or when no frame is in-app, as Sentry does)."""
    if not frames:
        return [Text("  (no stack trace)", "dim")]
    any_app = any(f.in_app for f in frames)
    out: list[RenderableType] = []
    hidden = 0
    last = len(frames) - 1
    for n, frame in enumerate(frames):
        shown = full or frame.in_app or n == last or not any_app
        if not shown:
            hidden += 1
            continue
        if hidden:
            out.append(_hidden(hidden))
            hidden = 0
        detailed = full or bool(frame.in_app) or n == last
        out.append(_location(frame))
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
    lexer = _LEXERS.get(platform or "")
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
    return [_Pad(_pairs(shown, full), 8)]


class _Pad:
    """Indent a renderable by `left` cells (a Table has no indent of its own)."""

    def __init__(self, renderable: RenderableType, left: int) -> None:
        self.renderable = renderable
        self.left = left

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.padding import Padding

        yield Padding(self.renderable, (0, 0, 0, self.left))


def _scalar(value: Any) -> str:
    """A value as one short string: strings as they are, the rest as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=repr, separators=(", ", ": "))


# -- breadcrumbs, request, user, tags, contexts, sdk ----------------------------------------


def relative(seconds: float | None, to: float | None) -> str:
    """A breadcrumb's time relative to the event: `-2.3s`, `-150ms`, `-3m12s`."""
    if seconds is None or to is None:
        return ""
    delta = seconds - to
    sign = "-" if delta < 0 else "+"
    delta = abs(delta)
    if delta < 1:
        return f"{sign}{delta * 1000:.0f}ms"
    if delta < 60:
        return f"{sign}{delta:.1f}s"
    minutes, secs = divmod(int(delta), 60)
    if minutes < 60:
        return f"{sign}{minutes}m{secs:02d}s"
    return f"{sign}{minutes // 60}h{minutes % 60:02d}m"


def _crumb_message(crumb: Breadcrumb, data: Mapping[str, Any]) -> str:
    if crumb.message:
        return crumb.message
    if crumb.type == "http" or crumb.category in ("http", "fetch", "xhr"):
        parts = [data.get("method"), data.get("url"), data.get("status_code")]
        return " ".join(str(p) for p in parts if p not in (None, ""))
    return ""


def _breadcrumbs(crumbs: Sequence[Breadcrumb], at: float | None, full: bool) -> ListTable:
    columns = [
        Col(header="TIME", justify="right"),
        Col(header="CATEGORY", style="cyan", max_width=24, drop=2),
        Col(header="LEVEL", drop=3),
        Col(header="MESSAGE", flex=True),
        Col(header="DATA", style="dim", max_width=40, drop=1),
    ]
    rows = []
    for crumb in crumbs:
        data = crumb.data or {}
        when = crumb.timestamp_seconds
        message = _crumb_message(crumb, data)
        if not crumb.message:  # an http crumb's message is made of its data: not twice
            data = {k: v for k, v in data.items() if k not in ("method", "url", "status_code")}
        rows.append(
            [
                Text(relative(when, at) if at is not None else iso(when) or ""),
                safe(crumb.category or crumb.type or "", single_line=True, limit=60),
                level_text(crumb.level) if crumb.level else Text(""),
                safe(message, single_line=True, limit=None if full else 300),
                safe(
                    " ".join(f"{k}={_scalar(v)}" for k, v in data.items()),
                    single_line=True,
                    limit=300,
                ),
            ]
        )
    return ListTable(columns, rows)


def _pairs(pairs: Iterable[tuple[str, Any]], full: bool) -> Table:
    """A two-column key/value grid; values clipped to one line unless `full`."""
    rows = [
        (safe(key, "dim", single_line=True), _scalar(value))
        for key, value in pairs
        if value not in (None, "", {}, [])
    ]
    key_width = min(max((k.cell_len for k, _ in rows), default=0), 32)
    table = Table.grid(
        Column(no_wrap=True, width=key_width, overflow="ellipsis"),
        Column(no_wrap=not full, overflow="fold" if full else "ellipsis", ratio=1),
        padding=(0, 2),
        expand=True,
    )
    for key, value in rows:
        table.add_row(key, safe(value, single_line=not full, limit=None if full else VALUE))
    return table


def _request(request: Request, full: bool) -> list[RenderableType]:
    head = join(
        [
            safe(request.method or "", "bold", single_line=True),
            safe(request.url or "", "bold", single_line=True),
        ],
        sep=" ",
    )
    parts: list[RenderableType] = [head]
    for label, pairs in (
        ("Query", request.query_pairs),
        ("Headers", list(request.headers_dict.items())),
        ("Cookies", list(request.cookies_dict.items())),
        ("Environment", list(request.env_dict.items()) if full else []),
    ):
        if pairs:
            parts += [Text(label, "bold dim"), _Pad(_pairs(pairs, full), 2)]
    if request.data not in (None, "", {}):
        parts += [
            Text("Body", "bold dim"),
            _Pad(safe(_scalar(request.data), limit=None if full else 2000), 2),
        ]
    return parts


def _user(user: User) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = [
        ("id", user.id),
        ("username", user.username),
        ("email", user.email),
        ("ip_address", user.ip_address),
        ("name", user.name),
        ("segment", user.segment),
    ]
    if user.geo is not None:
        geo = ", ".join(x for x in (user.geo.city, user.geo.region, user.geo.country_code) if x)
        pairs.append(("geo", geo))
    pairs += list((user.data or {}).items())
    return pairs


def _flat(value: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested context objects as dotted keys, so each fact gets its own row."""
    out: list[tuple[str, Any]] = []
    for key, item in value.items():
        if not prefix and key == "type":
            continue
        name = f"{prefix}{key}"
        if isinstance(item, dict) and item:
            out += _flat(item, name + ".")
        else:
            out.append((name, item))
    return out


def _contexts(contexts: Mapping[str, Any], full: bool) -> list[RenderableType]:
    names = sorted(
        (n for n, c in contexts.items() if isinstance(c, dict) and c),
        key=lambda n: (_CONTEXT_ORDER.index(n) if n in _CONTEXT_ORDER else len(_CONTEXT_ORDER), n),
    )
    out: list[RenderableType] = []
    for name in names:
        out += [safe(name, "bold", single_line=True), _Pad(_pairs(_flat(contexts[name]), full), 2)]
    return out


def _event_context(event: Event, full: bool) -> list[RenderableType]:
    parts: list[RenderableType] = []
    crumbs = event.breadcrumb_list
    if crumbs:
        title = f"Breadcrumbs ({len(crumbs)})"
        parts += _section(title, _breadcrumbs(crumbs, event.timestamp_seconds, full))
    if event.request is not None:
        parts += _section("Request", *_request(event.request, full))
    if event.user is not None and (
        pairs := [p for p in _user(event.user) if p[1] not in (None, "")]
    ):
        parts += _section("User", _pairs(pairs, full))
    if tags := event.tags_dict:
        parts += _section("Tags", _pairs(tags.items(), full))
    if (contexts := event.contexts or {}) and any(
        isinstance(c, dict) and c for c in contexts.values()
    ):
        parts += _section("Contexts", *_contexts(contexts, full))
    parts += _section("App", _pairs(_app(event), full))
    if event.sdk is not None:
        parts += _section("SDK", *_sdk(event))
    if extra := event.extra or {}:
        parts += _section("Extra", _pairs(extra.items(), full))
    if modules := event.modules or {}:
        if full:
            parts += _section(f"Modules ({len(modules)})", _pairs(sorted(modules.items()), full))
        else:
            parts += _section(
                f"Modules ({len(modules)})",
                Text(f"{plural(len(modules), 'package')} — --full lists them", "dim"),
            )
    return parts


def _app(event: Event) -> list[tuple[str, Any]]:
    return [
        ("release", event.release),
        ("dist", event.dist),
        ("environment", event.environment),
        ("level", event.level_name),
        ("platform", event.platform),
        ("logger", event.logger),
        ("transaction", event.transaction),
        ("server_name", event.server_name),
        ("fingerprint", event.fingerprint),
    ]


def _sdk(event: Event) -> list[RenderableType]:
    sdk = event.sdk
    assert sdk is not None
    out: list[RenderableType] = [
        join([safe(sdk.name or "unknown SDK", "bold", single_line=True), sdk.version])
    ]
    if sdk.integrations:
        names = Text(", ".join(clean(i, single_line=True) for i in sdk.integrations))
        out.append(
            Text.assemble((f"{plural(len(sdk.integrations), 'integration')}: ", "dim"), names)
        )
    if sdk.packages:
        packages = ", ".join(
            clean(f"{p.name or '?'} {p.version or ''}".strip(), single_line=True)
            for p in sdk.packages
        )
        out.append(Text.assemble(("packages: ", "dim"), packages))
    return out


# -- logs and attachments -----------------------------------------------------------------


def _logs(container: LogContainer, full: bool) -> ListTable:
    """Every record: time, level, body, and its own attributes (all of them with --full)."""
    columns = [
        Col(header="TIME", style="dim"),
        Col(header="LEVEL"),
        Col(header="BODY", flex=True),
        Col(header="ATTRIBUTES", style="dim", max_width=60 if full else 40, drop=1),
    ]
    rows = []
    for log in container.logs:
        when = log.timestamp_seconds
        clock = (
            time.strftime("%H:%M:%S", time.localtime(when)) + f".{int(when % 1 * 1000):03d}"
            if when is not None
            else ""
        )
        attrs = log.attrs
        if not full:
            attrs = {k: v for k, v in attrs.items() if not k.startswith(_COMMON)}
        rows.append(
            [
                Text(clock),
                level_text((log.level or "info").lower()),
                safe(log.body or "", single_line=True, limit=None if full else 500),
                safe(" ".join(f"{k}={_scalar(v)}" for k, v in attrs.items()), single_line=True),
            ]
        )
    return ListTable(columns, rows)


_COMMON = ("sentry.", "process.", "telemetry.", "server.", "os.", "device.")


def _attachments(detail: Detail) -> list[RenderableType]:
    columns = [
        Col(header="FILE", style="bold", flex=True),
        Col(header="CONTENT TYPE", style="dim", drop=2),
        Col(header="SIZE", justify="right"),
        Col(header="KIND", style="dim", drop=1),
    ]
    rows = []
    for a in detail.attachments:
        kind = a.info.attachment_type if a.info.attachment_type != "event.attachment" else ""
        rows.append(
            [
                safe(a.info.filename or f"attachment-{a.index}", single_line=True),
                safe(a.info.content_type or "", single_line=True),
                Text(size(a.info.size)),
                safe(kind or "", single_line=True),
            ]
        )
    return [ListTable(columns, rows), Text("--save-attachments DIR writes them to DIR", "dim")]
