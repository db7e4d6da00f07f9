"""`devsentry trace` (one trace across services as one waterfall) and `devsentry traces`."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.text import Text

from devsentry.browse.traces import Trace, TraceSummary
from devsentry.protocol.times import rfc3339
from devsentry.render.layout import join, ms, plural
from devsentry.render.lists import Col, ListTable, ago
from devsentry.render.text import clean, safe
from devsentry.render.waterfall import SpanNode, Waterfall, WaterfallView, span_extent, span_tree
from devsentry.store.ids import short_id

__all__ = ["render_trace", "render_traces", "trace_cells", "trace_columns", "trace_command"]

#: Log records drawn on the waterfall (all of them are in `--json`).
LOG_ROWS = 200


def trace_command(trace_id: str) -> str:
    """What `show` prints for an item of a trace: the command that follows it."""
    return f"devsentry trace {trace_id[:12]}"


def trace_waterfall(trace: Trace) -> Waterfall:
    """Spans of every service as one tree (joined on `parent_span_id`), errors and logs as
    marks under the span they happened in."""
    nodes: list[SpanNode] = []
    roots: list[SpanNode] = []
    for span in trace.spans:
        node = SpanNode(
            span.span_id,
            span.parent_span_id,
            span.description or span.op or "span",
            span.op,
            span.start,
            span.end,
            span.status,
            service=span.service,
        )
        nodes.append(node)
        if span.is_root and not span.parent_span_id:
            roots.append(node)
    for error in trace.errors:
        title = "✖ " + (error.title or "error")
        if error.issue_id is not None:
            title += f"  ({short_id(error.issue_id)})"
        nodes.append(
            SpanNode(
                None,
                error.span_id,
                title,
                "error",
                error.timestamp,
                error.timestamp,
                "error",
                kind="error",
            )
        )
    for log in trace.logs[:LOG_ROWS]:
        label = f"{log.level or 'log'}: {log.body or ''}"
        nodes.append(
            SpanNode(
                None, log.span_id, label, "log", log.timestamp, log.timestamp, None, kind="log"
            )
        )
    root = roots[0] if roots else None
    return Waterfall(
        name=root.name if root else None,
        op=root.op if root else None,
        total=span_extent(nodes),
        status=root.status if root else None,
        rows=span_tree(nodes, roots[:1]),
    )


def render_trace(trace: Trace, *, full: bool = False) -> Group:
    start, end = trace.start, trace.end
    took = end - start if start is not None and end is not None else None
    heading = Text.assemble(("trace ", "bold"), (trace.trace_id, "bold cyan"))
    facts = join(
        [
            rfc3339(start) if start is not None else None,
            ms(took),
            plural(len(trace.projects), "project") + ": " + ", ".join(trace.projects),
            plural(len(trace.spans), "span"),
            Text(plural(len(trace.errors), "error"), "bold red") if trace.errors else "no errors",
            plural(len(trace.logs), "log") if trace.logs else None,
            plural(len(trace.profiles), "profile") if trace.profiles else None,
        ],
        style="dim",
    )
    parts: list[RenderableType] = [heading, facts, Text()]
    parts.append(WaterfallView(trace_waterfall(trace), full))
    if trace.errors or trace.problems:
        parts.append(Text())
        for error in trace.errors:
            hint = (
                f"devsentry show {short_id(error.issue_id)}"
                if error.issue_id
                else f"#{error.item_id}"
            )
            parts.append(
                Text.assemble(
                    ("✖ ", "bold red"),
                    safe(error.title or "error", "bold", single_line=True),
                    ("  project " + clean(error.project, single_line=True), "cyan"),
                    ("  " + hint, "dim"),
                )
            )
    for problem in trace.problems:
        parts.append(
            Text.assemble(
                ("⚠ ", "yellow"),
                safe(problem.title, "bold yellow", single_line=True),
                " in ",
                safe(problem.culprit or "?", single_line=True, limit=120),
                (f"  devsentry show {problem.short_id}", "dim"),
            )
        )
    if trace.truncated:
        parts.append(Text("… the trace has more items than are drawn", "dim"))
    return Group(*parts)


def trace_columns(rows: Sequence[TraceSummary] = ()) -> list[Col]:
    """The trace list's columns (`traces`, and the ui's Traces screen)."""
    return [
        Col(header="TRACE", style="cyan"),
        Col(header="ROOT TRANSACTION", flex=True),
        Col(header="SERVICES", drop=2, max_width=30),
        Col(header="DURATION", justify="right"),
        Col(header="SPANS", justify="right", drop=3),
        Col(header="ERRORS", justify="right"),
        Col(header="STARTED", justify="right", drop=1),
    ]


def trace_cells(t: TraceSummary, now: float | None = None) -> list[Text]:
    """One trace's cells, in `trace_columns` order."""
    root = Text.assemble(
        safe(t.root or "?", "bold", single_line=True, limit=200),
        ("  " + clean(t.root_op or "", single_line=True), "dim"),
    )
    return [
        Text(t.trace_id[:12]),
        root,
        safe(", ".join(t.projects), single_line=True, limit=200),
        Text(ms(t.duration_ms / 1000)),
        Text(f"{t.spans:,}"),
        Text(f"{t.errors:,}", "bold red") if t.errors else Text("0", "dim"),
        Text(ago(t.start, now)),
    ]


def render_traces(rows: Sequence[TraceSummary], now: float | None = None) -> RenderableType:
    """Recent traces, newest first: id, root transaction, services, duration, spans, errors."""
    if not rows:
        return Text("no traces (transactions carry them: set traces_sample_rate)", "dim")
    table = [trace_cells(t, now) for t in rows]
    hint = Text("devsentry trace <TRACE> draws one", "dim")
    return Group(ListTable(trace_columns(rows), table), hint)
