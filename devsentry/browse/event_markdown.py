"""One stored item in full as Markdown, for a coding agent: the `show` page without colour.

An error's exception chain (oldest first) with the app's frames, their code lines and locals,
library frames folded; its breadcrumbs, request, user, contexts, app facts and tags; the
issue's tag facets and status; what Sentry would keep. Transactions list their spans, log
containers their records, anything else its payload. The text rules are `markdown.py`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from devsentry.browse.detail import Detail
from devsentry.browse.markdown import (
    code,
    code_block,
    code_line,
    inline,
    log_lines,
    pairs,
    status_words,
    when,
)
from devsentry.model import (
    Breadcrumb,
    Event,
    ExceptionValue,
    Frame,
    Log,
    LogContainer,
    Request,
    SpanContainer,
    Transaction,
    payload_view,
)
from devsentry.process.crash import exception_tree, is_group
from devsentry.store.records import IssueRecord, ItemRecord, TagFacet

__all__ = ["detail_markdown"]

#: Bounds of one answer (a model's context is the budget): frames per stack, the oldest and
#: newest kept; breadcrumbs (Relay keeps 100); locals per frame; values per tag; characters
#: of a payload shown as sent.
FRAMES_OLDEST = 5
FRAMES_NEWEST = 40
CRUMBS = 50
VARS = 12
FACET_VALUES = 5
PAYLOAD_CHARS = 4000


def detail_markdown(detail: Detail) -> str:
    """The `show` page of one item as Markdown: issue, item, body, context, tags, verdict."""
    parts = [_heading(detail)]
    model = detail.model
    if detail.item is None or detail.error is not None:
        parts.append(f"**Could not read the payload:** {inline(detail.error or '', 500)}")
        if detail.item is not None:
            raw = detail.item.payload[:PAYLOAD_CHARS].decode("utf-8", "backslashreplace")
            parts.append("## Payload as sent\n\n" + code_block(raw))
        return "\n\n".join(parts) + "\n"
    if isinstance(model, Transaction):
        parts.append(_spans(model))
    elif isinstance(model, LogContainer):
        parts.append("## Logs\n\n" + "\n".join(log_lines(_records(detail.record, model))))
    elif isinstance(model, SpanContainer):
        parts.append(_span_items(model))
    elif isinstance(model, Event) and type(model) is Event:
        parts += _event_body(model)
    elif model is not None:
        view = msgspec.json.format(msgspec.json.encode(payload_view(detail.item)), indent=1)
        text = view.decode("utf-8", "replace")
        cut = "\n…" if len(text) > PAYLOAD_CHARS else ""
        parts.append("## Payload\n\n" + code_block(text[:PAYLOAD_CHARS] + cut, "json"))
    if isinstance(model, Event):
        parts += _event_context(model)
    if detail.tags:
        tags = ", ".join(f"{inline(k, 60)}={inline(v, 120)}" for k, v in detail.tags)
        parts.append(f"## Tags of this event\n\n{tags}")
    if detail.issue is not None and detail.facets:
        parts.append(_facets(detail.issue, detail.facets))
    parts.append(_verdict(detail))
    if detail.attachments:
        lines = [
            f"- {inline(a.info.filename or f'attachment-{a.index}', 120)} "
            f"({a.info.size:,} bytes, {inline(a.info.content_type or 'no content type', 60)})"
            for a in detail.attachments
        ]
        parts.append("## Attachments\n\n" + "\n".join(lines))
    return "\n\n".join(p for p in parts if p) + "\n"


def _records(item: ItemRecord, container: LogContainer) -> list[tuple[ItemRecord, int, Log]]:
    return [(item, n, log) for n, log in enumerate(container.logs)]


def _heading(detail: Detail) -> str:
    record, issue = detail.record, detail.issue
    lines = []
    if issue is not None:
        lines.append(f"# {issue.short_id}: {inline(issue.title, 200)}")
        facts = [
            f"level {issue.level or 'error'}",
            f"{issue.count:,} event{'s' if issue.count != 1 else ''}",
            f"{issue.users:,} user{'s' if issue.users != 1 else ''}",
            f"first seen {when(issue.first_seen)}",
            f"last seen {when(issue.last_seen)}",
            f"project {inline(issue.project, 40)}",
        ]
        facts.insert(0, f"status {status_words(issue)}")
        lines.append("- " + "; ".join(facts))
        if issue.culprit:
            lines.append(f"- culprit: {code(issue.culprit)}")
        if issue.first_release:
            releases = ", ".join(inline(r, 60) for r in detail.releases[-10:])
            lines.append(f"- first seen in release {code(issue.first_release, 80)}")
            if len(detail.releases) > 1:
                lines.append(f"- seen in releases: {releases}")
        which = "the latest" if detail.latest else "one"
        lines.append(f"\nShowing {which} of its events:")
    else:
        lines.append(f"# #{record.id} {record.type}: {inline(record.title or '', 200)}")
    facts = [f"item #{record.id}", record.type]
    if record.event_id:
        facts.append(f"event id {record.event_id}")
    facts.append(when(record.timestamp or record.received))
    if record.level:
        facts.append(f"level {record.level}")
    for label, value in (
        ("release", record.release),
        ("environment", record.environment),
        ("platform", record.platform),
        ("sdk", record.sdk),
        ("user", record.user),
        ("trace id", record.trace_id),
    ):
        if value:
            facts.append(f"{label} {inline(value, 80)}")
    if detail.forward is not None:
        facts.append(f"forwarded: {detail.forward.state}")
    lines.append("- " + "; ".join(facts))
    if record.trace_id and record.type in ("event", "transaction"):
        lines.append(f"- get_trace {inline(record.trace_id, 40)} draws the request it belongs to")
    return "\n".join(lines)


def _event_body(event: Event) -> list[str]:
    parts = []
    message = event.message_text
    exceptions = event.exceptions
    if message and (not exceptions or message not in (exceptions[-1].value or "")):
        parts.append("## Message\n\n" + code_block(message[:PAYLOAD_CHARS]))
    if exceptions:
        parts.append(_chain(exceptions, event.platform))
    if event.stacktrace is not None and event.stacktrace.frames:
        parts.append("## Stack trace\n\n" + _stack(event.stacktrace.frames, event.platform))
    for thread in event.thread_list:
        if thread.stacktrace and thread.stacktrace.frames and (thread.crashed or thread.current):
            name = inline(thread.name or f"thread {thread.id}", 80)
            label = f"## Thread {name}" + (" (crashed)" if thread.crashed else "")
            parts.append(label + "\n\n" + _stack(thread.stacktrace.frames, event.platform))
    return parts


def _chain(exceptions: Sequence[ExceptionValue], platform: str | None) -> str:
    nodes = exception_tree(exceptions)[-10:]
    tree = any(is_group(e) for e in exceptions)
    title = "Exception" if len(exceptions) == 1 else f"Exceptions ({len(exceptions)}, oldest first)"
    out = [f"## {title}"]
    for n, node in enumerate(nodes):
        exc = node.exception
        if n:
            if tree and is_group(node.parent):
                out.append(f"Member of the exception group above (depth {node.depth}):")
            elif exc.mechanism is not None and exc.mechanism.source == "__context__":
                out.append("During handling of the above exception, another exception occurred:")
            else:
                out.append("The above exception was the direct cause of the following exception:")
        head = f"### {inline(exc.type or 'Error', 120)}"
        if exc.value:
            head += f": {inline(exc.value, 300)}"
        out.append(head)
        notes = _mechanism(exc)
        if notes:
            out.append(notes)
        out.append(_stack(exc.frames, platform))
    return "\n\n".join(out)


def _mechanism(exc: ExceptionValue) -> str:
    mech = exc.mechanism
    notes = []
    if mech is not None:
        if mech.type:
            notes.append(f"mechanism {inline(mech.type, 60)}")
        if mech.handled is False:
            notes.append("unhandled")
        elif mech.handled:
            notes.append("handled")
        if mech.is_exception_group:
            notes.append("exception group")
    if exc.module:
        notes.append(f"module {inline(exc.module, 80)}")
    return "(" + ", ".join(notes) + ")" if notes else ""


def _stack(frames: Sequence[Frame], platform: str | None) -> str:
    """Frames oldest first, as Python prints a traceback: app frames (and the crash site)
    with their code and locals; runs of library frames folded into one line."""
    if not frames:
        return "(no stack trace)"
    any_app = any(f.in_app for f in frames)
    last = len(frames) - 1
    middle = range(FRAMES_OLDEST, len(frames) - FRAMES_NEWEST)
    lines: list[str] = []
    hidden = 0

    def flush() -> None:
        nonlocal hidden
        if hidden:
            lines.append(f"  … {hidden} library frame{'s' if hidden != 1 else ''}")
            hidden = 0

    for n, frame in enumerate(frames):
        if len(middle) > 0 and n == middle.start:
            flush()
            lines.append(f"  … {len(middle):,} frames left out")
        if n in middle:
            continue
        if not (frame.in_app or n == last or not any_app):
            hidden += 1
            continue
        flush()
        lines.append(_location(frame))
        if frame.in_app or n == last:
            lines += _code(frame)
            lines += _locals(frame)
    flush()
    return code_block("\n".join(lines), "text")


def _location(frame: Frame) -> str:
    where = inline(frame.filename or frame.abs_path or frame.module or "<unknown file>", 160)
    text = f'  File "{where}"'
    if frame.lineno is not None:
        text += f", line {frame.lineno}"
        if frame.colno is not None:
            text += f", column {frame.colno}"
    if frame.function:
        text += f", in {inline(frame.function, 120)}"
    if frame.in_app:
        text += "  [app]"
    return text


def _code(frame: Frame) -> list[str]:
    """The frame's lines with their numbers, the frame's own marked `>`, indentation kept
    (less what all share)."""
    if frame.context_line is None:
        return []
    pre = [line or "" for line in frame.pre_context or ()][-5:]
    post = [line or "" for line in frame.post_context or ()][:3]
    lines = [code_line(line) for line in (*pre, frame.context_line, *post)]
    indent = min((len(c) - len(c.lstrip()) for c in lines if c.strip()), default=0)
    first = frame.lineno - len(pre) if frame.lineno is not None else None
    out = []
    for n, line in enumerate(lines):
        number = str(first + n) if first is not None else ""
        mark = ">" if n == len(pre) else " "
        out.append(f"  {mark} {number:>5} | {line[indent:]}".rstrip())
    return out


def _locals(frame: Frame) -> list[str]:
    variables = list((frame.vars or {}).items())
    if not variables:
        return []
    out = [f"      {inline(k, 60)} = {inline(v, 160)}" for k, v in variables[:VARS]]
    if len(variables) > VARS:
        out.append(f"      … {len(variables) - VARS} more locals")
    return ["    locals:", *out]


def _event_context(event: Event) -> list[str]:
    parts = []
    crumbs = event.breadcrumb_list
    if crumbs:
        shown = crumbs[-CRUMBS:]
        lines = [_crumb(c, event.timestamp_seconds) for c in shown]
        if len(crumbs) > len(shown):
            lines.insert(0, f"- … {len(crumbs) - len(shown)} older breadcrumbs")
        parts.append(f"## Breadcrumbs ({len(crumbs)}, oldest first)\n\n" + "\n".join(lines))
    if event.request is not None:
        parts.append(_request(event.request))
    if event.user is not None:
        user = event.user
        facts: list[tuple[str, Any]] = [
            ("id", user.id),
            ("username", user.username),
            ("email", user.email),
            ("ip_address", user.ip_address),
            ("name", user.name),
            ("segment", user.segment),
            *(user.data or {}).items(),
        ]
        if user.geo is not None:
            geo = (user.geo.city, user.geo.region, user.geo.country_code)
            facts.append(("geo", ", ".join(x for x in geo if x)))
        if lines := pairs(facts):
            parts.append("## User\n\n" + "\n".join(lines))
    contexts = {
        name: ctx for name, ctx in (event.contexts or {}).items() if isinstance(ctx, dict) and ctx
    }
    if contexts:
        lines = []
        for name, ctx in sorted(contexts.items()):
            said = [
                f"{inline(k, 40)}={inline(v, 80)}"
                for k, v in ctx.items()
                if k != "type" and v not in (None, "", [], {})
            ]
            lines.append(f"- {inline(name, 40)}: " + ", ".join(said[:12]))
        parts.append("## Contexts\n\n" + "\n".join(lines))
    app = [
        ("release", event.release),
        ("dist", event.dist),
        ("environment", event.environment),
        ("level", None if event.is_transaction else event.level_name),
        ("platform", event.platform),
        ("logger", event.logger),
        ("transaction", event.transaction),
        ("server_name", event.server_name),
        ("fingerprint", event.fingerprint),
    ]
    if event.sdk is not None:
        app.append(("sdk", f"{event.sdk.name or 'unknown'} {event.sdk.version or ''}".strip()))
    if lines := pairs(app):
        parts.append("## App\n\n" + "\n".join(lines))
    if extra := event.extra or {}:
        parts.append("## Extra\n\n" + "\n".join(pairs(list(extra.items())[:30])))
    return parts


def _crumb(crumb: Breadcrumb, at: float | None) -> str:
    data = crumb.data or {}
    message = crumb.message or ""
    if not message and (crumb.type == "http" or crumb.category in ("http", "fetch", "xhr")):
        message = " ".join(
            str(data[k]) for k in ("method", "url", "status_code") if data.get(k) not in (None, "")
        )
        data = {k: v for k, v in data.items() if k not in ("method", "url", "status_code")}
    stamp = crumb.timestamp_seconds
    offset = f"{stamp - at:+.3f}s" if stamp is not None and at is not None else when(stamp)
    category = inline(crumb.category or crumb.type or "default", 60)
    text = f"- {offset} [{category}] {crumb.level or 'info'}: {inline(message, 300)}"
    if data:
        text += " — " + " ".join(f"{inline(k, 40)}={inline(v, 80)}" for k, v in data.items())
    return text


def _request(request: Request) -> str:
    lines = [f"{inline(request.method or '', 10)} {inline(request.url or '', 500)}".strip()]
    for label, found in (
        ("query", request.query_pairs),
        ("headers", list(request.headers_dict.items())),
        ("cookies", [(k, "…") for k in request.cookies_dict]),
    ):
        if found:
            text = ", ".join(f"{inline(k, 60)}={inline(v, 120)}" for k, v in found)
            lines.append(f"- {label}: {text}")
    if request.data not in (None, "", {}):
        lines.append(f"- body: {inline(request.data, 1000)}")
    return "## Request\n\n" + "\n".join(lines)


def _facets(issue: IssueRecord, facets: Sequence[TagFacet]) -> str:
    lines = []
    for facet in facets:
        values = ", ".join(
            f"{inline(v.value, 80)} ({v.count * 100 // max(facet.total, 1)}%)"
            for v in facet.values[:FACET_VALUES]
        )
        more = f", … {facet.distinct - FACET_VALUES} more" if facet.distinct > FACET_VALUES else ""
        lines.append(f"- {inline(facet.key, 60)}: {values}{more}")
    count = f"{issue.count:,} event{'s' if issue.count != 1 else ''}"
    return f"## Tag facets of {issue.short_id} ({count})\n\n" + "\n".join(lines)


def _verdict(detail: Detail) -> str:
    verdict = detail.in_sentry
    if not verdict.notes:
        return f"## In Sentry\n\n{verdict.verdict}: Relay would keep this item as it was sent"
    lines = [
        f"- {note.action} {code(note.path or '(the whole item)', 80)}: {inline(note.reason, 200)}"
        for note in verdict.notes[:10]
    ]
    if len(verdict.notes) > 10:
        lines.append(f"- … {len(verdict.notes) - 10} more")
    return f"## In Sentry\n\n{verdict.verdict}:\n" + "\n".join(lines)


def _spans(tx: Transaction) -> str:
    head = f"## Transaction {inline(tx.transaction or '', 160)}"
    if tx.duration is not None:
        head += f" ({tx.duration * 1000:.1f} ms)"
    spans = sorted(tx.span_list, key=lambda s: s.start_timestamp_seconds or 0.0)
    start = tx.start_timestamp_seconds
    lines = []
    for span in spans[:100]:
        offset = span.start_timestamp_seconds
        at = f"+{(offset - start) * 1000:.1f} ms" if offset is not None and start else ""
        took = f"{span.duration * 1000:.1f} ms" if span.duration is not None else "?"
        lines.append(
            f"- {at} {inline(span.op or 'span', 60)}: {inline(span.description or '', 160)}"
            f" ({took}{', ' + inline(span.status, 30) if span.status else ''})"
        )
    if len(spans) > 100:
        lines.append(f"- … {len(spans) - 100} more spans")
    return head + "\n\n" + ("\n".join(lines) if lines else "(no spans)")


def _span_items(container: SpanContainer) -> str:
    lines = []
    for span in container.spans[:100]:
        took = f"{span.duration * 1000:.1f} ms" if span.duration is not None else "?"
        lines.append(f"- {inline(span.op or 'span', 60)}: {inline(span.name or '', 160)} ({took})")
    return "## Spans\n\n" + ("\n".join(lines) if lines else "(no spans)")
