"""A trace waterfall: spans as a tree, each with a bar placed by its start and sized by its length.

Extract first (`transaction_waterfall`, `container_waterfall` build a `Waterfall` of `SpanRow`s,
whatever span format the SDK sent), render second (`WaterfallView` lays rows out for the width it
is given: name column, op, duration, and a timeline taking the rest of the line).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from devsentry.model import SpanContainer, Transaction
from devsentry.render.layout import ms
from devsentry.render.text import clean

__all__ = [
    "SpanNode",
    "SpanRow",
    "Waterfall",
    "WaterfallView",
    "container_waterfall",
    "span_extent",
    "span_tree",
    "transaction_waterfall",
]


class SpanRow(msgspec.Struct, kw_only=True):
    """One line of the waterfall."""

    name: str
    op: str | None
    offset: float | None  # seconds from the start of the whole trace
    duration: float | None
    depth: int
    prefix: str  # tree connectors, e.g. "│  ├─ "
    status: str | None = None
    service: str | None = None  # which service sent it, in a trace across services
    kind: str = "span"  # or "error", "log": a moment on the span, drawn as a mark


class Waterfall(msgspec.Struct, kw_only=True):
    name: str | None
    op: str | None
    total: float | None  # seconds from the first start to the last end
    status: str | None
    rows: list[SpanRow]


class SpanNode(msgspec.Struct):
    span_id: str | None
    parent: str | None
    name: str
    op: str | None
    start: float | None
    end: float | None
    status: str | None
    service: str | None = None
    kind: str = "span"


def span_tree(nodes: Sequence[SpanNode], roots: Sequence[SpanNode]) -> list[SpanRow]:
    """Rows depth first, children by start time; spans whose parent is unknown hang off the
    first root (or are roots themselves when there is none)."""
    ids = {n.span_id for n in nodes if n.span_id}
    root_ids = {id(r) for r in roots}
    children: dict[str | None, list[SpanNode]] = {}
    top: list[SpanNode] = list(roots)
    for node in nodes:
        if id(node) in root_ids:
            continue
        if node.parent in ids and node.parent != node.span_id:
            children.setdefault(node.parent, []).append(node)
        elif roots:
            children.setdefault(roots[0].span_id, []).append(node)
        else:
            top.append(node)
    starts = [n.start for n in nodes if n.start is not None]
    origin = min(starts) if starts else None
    rows: list[SpanRow] = []
    seen: set[int] = set()

    def key(n: SpanNode) -> float:
        return n.start if n.start is not None else float("inf")

    def walk(node: SpanNode, depth: int, lead: str, connector: str) -> None:
        if id(node) in seen:  # a parent_span_id loop in a hand-made payload
            return
        seen.add(id(node))
        took = node.end - node.start if node.start is not None and node.end is not None else None
        offset = node.start - origin if node.start is not None and origin is not None else None
        rows.append(
            SpanRow(
                name=node.name,
                op=node.op,
                offset=offset,
                duration=took,
                depth=depth,
                prefix=lead + connector,
                status=node.status,
                service=node.service,
                kind=node.kind,
            )
        )
        kids = sorted(children.get(node.span_id, []) if node.span_id else [], key=key)
        below = lead + ("   " if connector == "└─ " else "│  " if connector else "")
        for i, kid in enumerate(kids):
            walk(kid, depth + 1, below, "└─ " if i == len(kids) - 1 else "├─ ")

    for node in sorted(top, key=key):
        walk(node, 0, "", "")
    return rows


def span_extent(nodes: Sequence[SpanNode]) -> float | None:
    starts = [n.start for n in nodes if n.start is not None]
    ends = [n.end for n in nodes if n.end is not None]
    return max(ends) - min(starts) if starts and ends else None


def transaction_waterfall(tx: Transaction) -> Waterfall:
    """The transaction is the root span (its `contexts.trace`); `spans` hang below it."""
    trace = tx.trace_context
    root = SpanNode(
        trace.span_id if trace else None,
        None,
        tx.transaction or "<unnamed transaction>",
        trace.op if trace else None,
        tx.start_timestamp_seconds,
        tx.timestamp_seconds,
        trace.status if trace else None,
    )
    nodes = [root] + [
        SpanNode(
            s.span_id,
            s.parent_span_id,
            s.description or s.op or "span",
            s.op,
            s.start_timestamp_seconds,
            s.timestamp_seconds,
            s.status,
        )
        for s in tx.span_list
    ]
    return Waterfall(
        name=root.name,
        op=root.op,
        total=span_extent(nodes),
        status=root.status,
        rows=span_tree(nodes, [root]),
    )


def container_waterfall(container: SpanContainer) -> Waterfall:
    """Streamed (v2) spans: the segment span is the root when the SDK marked one."""
    nodes = [
        SpanNode(
            s.span_id,
            s.parent_span_id,
            s.name or s.op or "span",
            s.op,
            s.start_timestamp_seconds,
            s.end_timestamp_seconds,
            s.status,
        )
        for s in container.spans
    ]
    segments = [n for n, s in zip(nodes, container.spans, strict=True) if s.is_segment]
    root = segments[0] if segments else None
    return Waterfall(
        name=root.name if root else None,
        op=root.op if root else None,
        total=span_extent(nodes),
        status=root.status if root else None,
        rows=span_tree(nodes, segments),
    )


#: Rows drawn before "… N more spans (--full shows them)".
ROWS = 300


class WaterfallView:
    """The rows laid out for the width given: name (tree), op, duration, then the timeline."""

    def __init__(self, waterfall: Waterfall, full: bool = False) -> None:
        self.waterfall = waterfall
        self.full = full

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        every = self.waterfall.rows
        rows = every if self.full else every[:ROWS]
        if not rows:
            yield Text("no spans", "dim")
            return
        width = options.max_width
        names = [clean(r.prefix + r.name, single_line=True) for r in rows]
        ops = [clean(r.op or "", single_line=True) for r in rows]
        took = [ms(r.duration) if r.kind == "span" else "" for r in rows]
        services = [clean(r.service or "", single_line=True) for r in rows]
        svc_w = min(max(len("SERVICE"), *map(len, services)), 24) if any(services) else 0
        svc_w = svc_w if width >= 90 else 0
        op_w = min(max(len("OP"), *map(len, ops)), 16) if width >= 70 else 0
        took_w = max(len("DURATION"), *map(len, took))
        share = width // 3 if svc_w else width * 2 // 5  # a trace's service column takes some
        name_w = min(max(len("SPAN"), *map(len, names)), max(16, share))
        gaps = (3 if op_w else 2) + (1 if svc_w else 0)
        bar_w = width - name_w - op_w - took_w - svc_w - gaps
        if bar_w < 10:  # narrow: give the timeline its minimum, take it from the names
            name_w = max(8, name_w - (10 - bar_w))
            bar_w = max(0, width - name_w - op_w - took_w - svc_w - gaps)
        total = self.waterfall.total or max((r.duration or 0.0 for r in rows), default=0.0)

        def line(name: Text, op: Text, dur: Text, bar: Text, svc: Text | None = None) -> Text:
            out = Text(no_wrap=True, overflow="ellipsis")
            out.append_text(_fit(name, name_w))
            out.append(" ")
            if svc_w:
                out.append_text(_fit(svc or Text(""), svc_w))
                out.append(" ")
            if op_w:
                out.append_text(_fit(op, op_w))
                out.append(" ")
            out.append_text(_fit(dur, took_w, right=True))
            out.append(" ")
            out.append_text(bar)
            return out

        axis = Text(f"0{ms(total).rjust(max(bar_w - 1, 0))}" if bar_w > 12 else "", "dim")
        yield line(
            Text("SPAN", "bold dim"),
            Text("OP", "bold dim"),
            Text("DURATION", "bold dim"),
            axis,
            Text("SERVICE", "bold dim"),
        )
        previous_service = None
        for row, name, op, dur, svc in zip(rows, names, ops, took, services, strict=True):
            failed = row.status not in (None, "ok", "unset") or row.kind == "error"
            name_text = Text(row.prefix, "dim")
            style = _KIND_STYLE.get(row.kind, "bold" if row.depth == 0 else "")
            name_text.append(name[len(clean(row.prefix)) :], style)
            shown_svc = Text(svc, "cyan") if svc and svc != previous_service else Text("")
            previous_service = svc or previous_service
            yield line(
                name_text,
                Text(op, "dim"),
                Text(dur, "red" if failed else ""),
                _bar(row, total, bar_w, "red" if failed else "green"),
                shown_svc,
            )
        if len(every) > len(rows):
            yield Text(f"… {len(every) - len(rows):,} more spans (--full shows them)", "dim")


def _fit(text: Text, width: int, *, right: bool = False) -> Text:
    """`text` cut with `…` or padded to exactly `width` cells."""
    text = text.copy()
    if text.cell_len > width:
        text.truncate(width, overflow="ellipsis")
    elif right:
        text.pad_left(width - text.cell_len)
    else:
        text.pad_right(width - text.cell_len)
    return text


_KIND_STYLE = {"error": "bold red", "log": "yellow"}
_MARKS = {"error": "✖", "log": "•"}


def _bar(row: SpanRow, total: float, width: int, style: str) -> Text:
    """Spaces up to the span's start, then a block as long as the span (at least one cell);
    an error or a log is a mark at its moment."""
    if width <= 0 or row.offset is None or total <= 0:
        return Text("")
    start = min(round(row.offset / total * width), width - 1)
    if row.kind in _MARKS:
        return Text.assemble(" " * start, (_MARKS[row.kind], _KIND_STYLE[row.kind]))
    if row.duration is None:
        return Text("")
    end = min(round((row.offset + row.duration) / total * width), width)
    return Text.assemble(" " * start, ("█" * max(1, end - start), style))
