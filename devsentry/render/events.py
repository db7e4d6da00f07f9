"""Compact views of error/message events, transactions and spans.

An error is a small block that answers "what broke, where, is it new": the title, the culprit,
the newest in-app frame with its line of code, where it came from, and the issue with the
command that shows everything. A transaction is its name and timing plus its three slowest
spans as bars. Facts are extracted first (`error_facts`, `top_frame`, `SpanFacts`), then laid
out, so the layout never digs through payload shapes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec
from rich.console import RenderableType
from rich.syntax import Syntax
from rich.text import Text

from devsentry.model import Event, Frame, Span, SpanContainer, Transaction
from devsentry.process.crash import crash_frame
from devsentry.protocol.times import epoch_seconds
from devsentry.render.layout import (
    LIMIT,
    ItemMeta,
    badge,
    block,
    join,
    ms,
    one_line,
    origin,
    plural,
    status,
)
from devsentry.render.levels import event_badge
from devsentry.render.text import clean, safe
from devsentry.store.ids import short_id

__all__ = [
    "LEXERS",
    "ErrorFacts",
    "SpanFacts",
    "TraceFacts",
    "code_line",
    "error_facts",
    "issue_line",
    "render_event",
    "render_span",
    "render_span_container",
    "render_transaction",
    "segment_facts",
    "slowest",
    "transaction_facts",
]

_BAR = 12  # cells of a span duration bar
_SLOWEST = 3  # spans listed under a transaction
_TITLE = 200  # the title may wrap (the message is the point) but stays a line or three

#: Event platform → pygments lexer; other platforms are shown dim rather than mis-highlighted.
LEXERS = {
    "python": "python",
    "javascript": "javascript",
    "node": "javascript",
    "java": "java",
    "ruby": "ruby",
    "php": "php",
    "go": "go",
    "csharp": "csharp",
    "elixir": "elixir",
    "native": "c",
    "c": "c",
    "cocoa": "swift",
    "perl": "perl",
    "groovy": "groovy",
}


# -- errors and messages ---------------------------------------------------------------------


class ErrorFacts(msgspec.Struct, kw_only=True):
    """What the live view of an error shows, pulled out of the event once."""

    title: str
    level: str
    value: str | None = None  # the exception's value when the title does not carry it
    culprit: str | None = None
    cause: str | None = None  # "Type: value" of the exception this one was raised from
    frame: Frame | None = None
    unhandled: bool = False
    platform: str | None = None


def _type_value(exc_type: str | None, value: str | None) -> str:
    return ": ".join(x for x in (exc_type, value) if x) or "<unknown exception>"


def error_facts(event: Event, meta: ItemMeta) -> ErrorFacts:
    """The title is grouping's (stored); the rest comes from the event itself."""
    exceptions = event.exceptions
    last = exceptions[-1] if exceptions else None
    if meta.title:
        title = meta.title
    elif last is not None:
        title = _type_value(last.type, last.value)
    else:
        title = event.message_text or "<no message>"
    value = last.value if last is not None and last.value and last.value.strip() else None
    if value and value.strip().splitlines()[0][:40] in title:
        value = None  # the usual `Type: value` title (maybe shortened) already says it
    cause = _type_value(exceptions[-2].type, exceptions[-2].value) if len(exceptions) > 1 else None
    return ErrorFacts(
        title=title,
        level=meta.level or event.level_name,
        value=value,
        culprit=meta.culprit or event.culprit or event.transaction,
        cause=cause,
        frame=crash_frame(event),
        unhandled=any(e.mechanism and e.mechanism.handled is False for e in exceptions),
        platform=event.platform or meta.platform,
    )


def code_line(code: str, platform: str | None) -> Text:
    """One line of source, highlighted as the platform's language; cleaned before lexing."""
    shown = clean(code.strip(), single_line=True, limit=LIMIT)
    lexer = LEXERS.get(platform or "")
    if lexer is None:
        return Text(shown, style="dim")
    text = Syntax(shown, lexer, theme="ansi_dark", background_color="default").highlight(shown)
    text.rstrip()
    return text


def _frame_line(frame: Frame) -> Text:
    where = frame.filename or frame.abs_path or frame.module or "<unknown file>"
    # Parts are appended to an unstyled Text: a base style would bleed into every part.
    line = Text.assemble(("at ", "dim"), safe(where, "cyan", single_line=True, limit=160))
    if frame.lineno is not None:
        line.append(f":{frame.lineno}", "cyan")
    if frame.function:
        line.append(" in ", "dim")
        line.append_text(safe(frame.function, "bold", single_line=True, limit=80))
    return line


def _code(frame: Frame, platform: str | None) -> Text | None:
    if not frame.context_line or not frame.context_line.strip():
        return None
    number = f"{frame.lineno} │ " if frame.lineno is not None else "│ "
    return Text.assemble((number.rjust(8), "dim"), code_line(frame.context_line, platform))


def issue_line(meta: ItemMeta) -> Text | None:
    """`new issue DS-7` (`· new in shop@2.1.0` when an earlier release never had it) or
    `DS-7 seen 12 times`, then the command that shows it in full."""
    if meta.issue_id is None:
        return None
    short = short_id(meta.issue_id)
    count = meta.issue_count
    if count == 1:
        line = Text.assemble((f"new issue {short}", "bold yellow"))
        if meta.new_in:
            line.append(" · new in ", "yellow")
            line.append_text(safe(meta.new_in, "bold yellow", single_line=True, limit=80))
    else:
        line = Text.assemble((short, "bold"), f" seen {count:,} times" if count else "")
    line.append(f"   devsentry show {short}", "dim")
    return line


def render_event(event: Event, meta: ItemMeta) -> RenderableType:
    """An error or message: title, culprit, the code that raised it, origin, issue."""
    facts = error_facts(event, meta)
    label, style = event_badge(facts.level)
    head = Text.assemble(safe(facts.title, "bold", single_line=True, limit=_TITLE))
    if facts.unhandled:
        head.append("  unhandled", "bold red")
    lines: list[Text] = []
    if facts.value:  # e.g. a JS message captured as a synthetic exception, titled by function
        lines.append(safe(facts.value, single_line=True, limit=LIMIT))
    if facts.culprit:
        lines.append(safe(facts.culprit, "italic", single_line=True, limit=160))
    if facts.cause:
        cause = safe(facts.cause, single_line=True, limit=LIMIT)
        lines.append(Text.assemble(("caused by ", "dim"), cause))
    if facts.frame is not None:
        lines.append(_frame_line(facts.frame))
        if (code := _code(facts.frame, facts.platform)) is not None:
            lines.append(code)
    if came_from := origin(meta):
        lines.append(came_from)
    if (issue := issue_line(meta)) is not None:
        lines.append(issue)
    # One line each, cut with `…`: the block's height never depends on the payload.
    return block(meta, badge(label, style), head, [one_line(line) for line in lines])


# -- transactions and spans ----------------------------------------------------------------


class SpanFacts(msgspec.Struct):
    """A span as its row shows it, whichever span format it came from."""

    op: str | None
    description: str | None
    duration: float | None
    status: str | None = None


def slowest(spans: Iterable[SpanFacts], n: int = _SLOWEST) -> list[SpanFacts]:
    timed = [s for s in spans if s.duration is not None]
    return sorted(timed, key=lambda s: s.duration or 0.0, reverse=True)[:n]


def _bar(part: float, whole: float) -> str:
    """A share of `whole` in eighths of a cell, so short spans still show a sliver."""
    eighths = round(_BAR * 8 * part / whole) if whole > 0 else 0
    full, rest = divmod(max(1, min(_BAR * 8, eighths)), 8)
    return ("█" * full + (" ▏▎▍▌▋▊▉"[rest] if rest else "")).ljust(_BAR)


def _span_rows(spans: Sequence[SpanFacts], total: float | None) -> list[Text]:
    """Aligned `duration bar op description` lines, one per span, cut at the right edge."""
    whole = total or max((s.duration or 0.0 for s in spans), default=0.0)
    durations = [ms(s.duration) for s in spans]
    ops = [clean(s.op or "", single_line=True, limit=16) for s in spans]
    took_width = max(map(len, durations))
    op_width = max(map(len, ops))
    rows = []
    for span, took, op in zip(spans, durations, ops, strict=True):
        failed = span.status not in (None, "ok")
        row = Text.assemble(
            took.rjust(took_width),
            " ",
            (_bar(span.duration or 0.0, whole), "red" if failed else "green"),
            " ",
            (op.ljust(op_width), "dim"),
            " ",
            safe(span.description or "", single_line=True, limit=LIMIT),
        )
        rows.append(one_line(row))
    return rows


class TraceFacts(msgspec.Struct, kw_only=True):
    """A transaction or a segment of streamed spans, as its block shows it."""

    name: str | None
    op: str | None
    duration: float | None
    status: str | None
    count: int  # spans in the item
    spans: list[SpanFacts]  # the children, for the slowest-spans rows


def transaction_facts(tx: Transaction) -> TraceFacts:
    trace = tx.trace_context
    spans = [SpanFacts(s.op, s.description, s.duration, s.status) for s in tx.span_list]
    return TraceFacts(
        name=tx.transaction,
        op=trace.op if trace is not None else None,
        duration=tx.duration,
        status=trace.status if trace is not None else None,
        count=len(spans),
        spans=spans,
    )


def segment_facts(container: SpanContainer) -> TraceFacts:
    """The segment span names the work; without one, the spans' extent is its duration."""
    spans = container.spans
    segment = next((s for s in spans if s.is_segment), None)
    took = segment.duration if segment is not None else None
    if took is None:
        starts = [t for s in spans if (t := epoch_seconds(s.start_timestamp)) is not None]
        ends = [t for s in spans if (t := epoch_seconds(s.end_timestamp)) is not None]
        took = max(ends) - min(starts) if starts and ends else None
    name: object = segment.name if segment is not None else None
    if name is None and spans:
        name = spans[0].attrs.get("sentry.segment.name")
    return TraceFacts(
        name=name if isinstance(name, str) else None,
        op=segment.op if segment is not None else None,
        duration=took,
        status=segment.status if segment is not None else None,
        count=len(spans),
        spans=[SpanFacts(s.op, s.name, s.duration, s.status) for s in spans if s is not segment],
    )


def _trace(meta: ItemMeta, tag: Text, facts: TraceFacts) -> RenderableType:
    head = Text.assemble(safe(facts.name or "<unnamed>", "bold", single_line=True, limit=160), "  ")
    op = safe(facts.op, "dim", single_line=True, limit=40) if facts.op else None
    head.append_text(
        join(
            [
                op,
                Text(ms(facts.duration), "bold"),
                plural(facts.count, "span"),
                status(facts.status),
            ]
        )
    )
    lines: list[RenderableType] = []
    if top := slowest(facts.spans):
        lines.extend(_span_rows(top, facts.duration))
    if came_from := origin(meta):
        lines.append(came_from)
    if meta.trace_errors and meta.trace_id:
        lines.append(
            Text.assemble(
                (f"✖ its trace holds {plural(meta.trace_errors, 'error')}", "bold red"),
                (f"   devsentry trace {clean(meta.trace_id, single_line=True)[:12]}", "dim"),
            )
        )
    if meta.issue_id is not None and (line := issue_line(meta)) is not None:
        if meta.problem:
            line = Text.assemble(("⚠ ", "yellow"), (meta.problem, "bold yellow"), " · ", line)
        lines.append(line)
    return block(meta, tag, head, lines)


def render_transaction(tx: Transaction, meta: ItemMeta) -> RenderableType:
    """Name, op, duration, span count and status, then the slowest spans as bars."""
    return _trace(meta, badge("TXN", "bold green"), transaction_facts(tx))


def render_span_container(container: SpanContainer, meta: ItemMeta) -> RenderableType:
    """Streamed (v2) spans: the segment's name and duration, span count, slowest children."""
    return _trace(meta, badge("SPANS", "bold green"), segment_facts(container))


def render_span(span: Span, meta: ItemMeta) -> RenderableType:
    """A legacy standalone (v1) span, as browsers send web vitals: one line."""
    head = join(
        [
            safe(span.op, "dim", single_line=True, limit=40) if span.op else None,
            safe(span.description or "span", "bold", single_line=True, limit=LIMIT),
            ms(span.duration),
            status(span.status),
        ]
    )
    return block(meta, badge("SPAN", "green"), head)
