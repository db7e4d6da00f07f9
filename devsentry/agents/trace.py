"""`get_trace`: one trace across services as a text waterfall, for a model.

The trace is `browse.traces.load_trace` (every item of the trace, joined on parent spans) and
its tree is the one `devsentry trace` draws (`render.trace.trace_waterfall`): only the drawing
differs — plain text in a fence, indentation for depth and a bar of `#` placed by start and
sized by duration, with the errors and logs marked on their span. The structured content is
`trace --json`. No `mcp` import here: `tools.py` registers it.
"""

from __future__ import annotations

from devsentry.browse.answers import Answer, plain
from devsentry.browse.markdown import code_block, inline
from devsentry.browse.traces import Trace, load_trace, trace_json
from devsentry.protocol.times import rfc3339
from devsentry.render.layout import ms
from devsentry.render.trace import trace_waterfall
from devsentry.render.waterfall import SpanRow
from devsentry.store.ids import short_id
from devsentry.store.store import Store

__all__ = ["trace_answer"]

#: Rows of the waterfall in one answer (all of them are in the structured content).
ROWS = 150
BAR = 24


def trace_answer(store: Store, trace_id: str) -> Answer:
    """`get_trace`: the trace `trace_id` (or a unique start of one) names."""
    trace = load_trace(store, trace_id)
    return Answer(_markdown(trace), plain(trace_json(trace)))


def _markdown(trace: Trace) -> str:
    start, end = trace.start, trace.end
    took = end - start if start is not None and end is not None else None
    facts = [
        rfc3339(start) or "unknown start",
        ms(took),
        f"{len(trace.projects)} project{'s' if len(trace.projects) != 1 else ''}: "
        + ", ".join(inline(p, 40) for p in trace.projects),
        f"{len(trace.spans)} span{'s' if len(trace.spans) != 1 else ''}",
        f"{len(trace.errors)} error{'s' if len(trace.errors) != 1 else ''}",
    ]
    if trace.logs:
        facts.append(f"{len(trace.logs)} log record{'s' if len(trace.logs) != 1 else ''}")
    parts = [f"# Trace {trace.trace_id}", "- " + "; ".join(facts)]
    waterfall = trace_waterfall(trace)
    rows = waterfall.rows[:ROWS]
    lines, service = [], None
    for row in rows:
        # a service is named where it changes (project and SDK: child spans lack the server)
        key = _service_key(row.service) if row.kind == "span" else service
        lines.append(_row(row, waterfall.total, row.service if key != service else None))
        service = key
    if len(waterfall.rows) > len(rows):
        more = len(waterfall.rows) - len(rows)
        lines.append(f"… {more:,} more rows (the structured content has them all)")
    if lines:
        head = "start     duration  timeline                  span"
        parts.append(
            "## Waterfall (start from the trace's start; ! an error, · a log)\n\n"
            + code_block("\n".join([head, *lines]), "text")
        )
    if trace.errors:
        errors = []
        for error in trace.errors:
            issue = f"{short_id(error.issue_id)} " if error.issue_id is not None else ""
            errors.append(
                f"- {issue}#{error.item_id}: {inline(error.title or 'error', 200)} "
                f"(project {inline(error.project, 40)}; {rfc3339(error.timestamp) or 'no time'})"
            )
        parts.append(
            "## Errors\n\n" + "\n".join(errors) + "\n\nget_issue DS-<n> shows one in full."
        )
    if trace.truncated:
        parts.append("The trace has more items than were read; the newest are left out.")
    return "\n\n".join(parts) + "\n"


def _service_key(label: str | None) -> str | None:
    parts = (label or "").split(" · ")
    return f"{parts[0]} · {parts[-1]}" if label else None


def _row(row: SpanRow, total: float | None, service: str | None) -> str:
    """One row: start, duration, the bar, and the span (its service where it changes)."""
    offset = f"+{ms(row.offset)}" if row.offset is not None else "?"
    mark = {"error": "!", "log": "·"}.get(row.kind, "#")
    took = ms(row.duration) if row.kind == "span" else ""
    bar = [" "] * BAR
    if total and row.offset is not None:
        first = min(int(row.offset / total * BAR), BAR - 1)
        width = max(1, round((row.duration or 0.0) / total * BAR)) if row.kind == "span" else 1
        for n in range(first, min(first + width, BAR)):
            bar[n] = mark
    name = inline(row.name, 160)
    if row.kind == "span":
        op = f"{inline(row.op, 40)}: " if row.op and row.op != row.name else ""
        name = f"{op}{name}"
        if row.status and row.status not in ("ok", "unknown"):
            name += f" [{inline(row.status, 30)}]"
        if service:
            name += f"  ({inline(service, 80)})"
    else:
        name = f"{mark} {inline(row.name.removeprefix('✖ '), 160)}"
    return f"{offset:>9} {took:>9} |{''.join(bar)}| {'  ' * row.depth}{name}"
