"""`devsentry perf`: one row per transaction name and op, with a chart of its duration over
the window, the span ops that take its time and (pageloads, navigations) its Web Vitals."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from devsentry.browse.perf import PerfReport, PerfRow
from devsentry.render.lists import Col, ListTable
from devsentry.render.text import clean, safe

__all__ = ["render_perf", "sparkline"]

_BLOCKS = "▁▂▃▄▅▆▇█"
_GRADE_STYLE = {"good": "green", "meh": "yellow", "poor": "bold red"}
_VITAL_NAMES = {"lcp": "LCP", "fcp": "FCP", "cls": "CLS", "inp": "INP", "ttfb": "TTFB"}


def duration(value_ms: float) -> str:
    if value_ms < 1:
        return f"{value_ms:.2f}ms"
    if value_ms < 10_000:
        return f"{value_ms:,.0f}ms"
    return f"{value_ms / 1000:,.1f}s"


def _rate(per_minute: float) -> str:
    return f"{per_minute:,.1f}" if per_minute >= 1 else f"{per_minute:.2f}"


def sparkline(series: list[float | None]) -> Text:
    """Each point a block as tall as its share of the highest point; a gap where the bucket
    had no transactions."""
    values = [v for v in series if v is not None]
    top = max(values, default=0.0)
    out = Text()
    for v in series:
        if v is None:
            out.append("·", "dim")
        else:
            level = round(v / top * (len(_BLOCKS) - 1)) if top > 0 else 0
            out.append(_BLOCKS[level], "magenta")
    return out


def _vital(name: str, p75: float, grade: str) -> Text:
    shown = f"{p75:.2f}" if name == "cls" else duration(p75)
    return Text(f"{shown} {grade}", _GRADE_STYLE.get(grade, ""))


def _detail(row: PerfRow) -> Text:
    """The second line: the chart and the span ops taking the time."""
    line = sparkline(row.series)
    for op, mean in row.ops:
        line.append("  ")
        line.append(clean(op, single_line=True, limit=30), "dim")
        line.append(f" {duration(mean)}", "dim")
    return line


def _vitals_table(report: PerfReport) -> RenderableType | None:
    """Pageloads and navigations with their Web Vitals (p75, graded), one column each."""
    pages = [r for r in report.rows if r.vitals]
    if not pages:
        return None
    columns = [Col(header="WEB VITALS (p75)", flex=True)] + [
        Col(header=label, justify="right") for label in _VITAL_NAMES.values()
    ]
    rows = []
    for r in pages:
        name = safe(r.transaction, "bold", single_line=True, limit=200)
        name.append("  " + clean(r.op or "", single_line=True, limit=40), "cyan")
        cells = [name]
        for key in _VITAL_NAMES:
            vital = r.vitals.get(key)
            cells.append(_vital(key, vital.p75, vital.grade) if vital else Text("-", "dim"))
        rows.append(cells)
    return ListTable(columns, rows)


def render_perf(report: PerfReport) -> RenderableType:
    if not report.rows:
        return Text("no transactions (set traces_sample_rate in the SDK)", "dim")
    columns = [
        Col(header="TRANSACTION", flex=True),
        Col(header="COUNT", justify="right"),
        Col(header="TPM", justify="right", drop=3),
        Col(header="FAILED", justify="right"),
        Col(header="P50", justify="right", drop=2),
        Col(header="P75", justify="right", drop=4),
        Col(header="P95", justify="right"),
        Col(header="P99", justify="right", drop=1),
    ]
    rows = []
    for r in report.rows:
        name = safe(r.transaction, "bold", single_line=True, limit=200)
        name.append("  " + clean(r.op or "", single_line=True, limit=40), "cyan")
        name.append("  " + clean(r.project, single_line=True, limit=40), "dim")
        name.append("\n")
        name.append_text(_detail(r))
        rate = r.failure_rate
        rows.append(
            [
                name,
                Text(f"{r.count:,}"),
                Text(_rate(report.throughput(r))),
                Text(f"{rate:.0%}", "bold red" if rate else "dim"),
                Text(duration(r.p50)),
                Text(duration(r.p75)),
                Text(duration(r.p95), "bold"),
                Text(duration(r.p99)),
            ]
        )
    shown = len(report.rows)
    footer = f"{shown:,} of {report.groups:,} transaction groups" if report.groups > shown else ""
    hint = Text.assemble(
        (footer + ("; " if footer else ""), "dim"),
        ("the chart is the mean duration over the window, oldest first", "dim"),
    )
    vitals = _vitals_table(report)
    parts: list[RenderableType] = [ListTable(columns, rows), hint]
    if vitals is not None:
        parts += [Text(), vitals]
    return Group(*parts)
