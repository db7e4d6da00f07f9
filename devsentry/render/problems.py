"""A performance issue's evidence, as Sentry's issue page shows it: what ran, under which
span, how many times and how long."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from devsentry.browse.json import evidence_of
from devsentry.render.layout import ms
from devsentry.render.text import safe
from devsentry.store.records import IssueRecord

__all__ = ["problem_rows"]

_WHAT = {
    "performance_n_plus_one_db_queries": "the same query, once per row of the query before it",
    "performance_slow_db_query": "one query slower than devsentry's local threshold",
    "performance_consecutive_http": "HTTP calls one after the other that could run in parallel",
}


def problem_rows(issue: IssueRecord) -> list[RenderableType]:
    evidence = evidence_of(issue) or {}
    count = evidence.get("count")
    took = evidence.get("duration_ms")
    rows: list[RenderableType] = []
    if issue.type in _WHAT:
        rows.append(Text(_WHAT[issue.type], "dim"))
    statement = evidence.get("statement") or issue.value or ""
    rows.append(Text.assemble(("statement  ", "dim"), safe(str(statement), "bold", limit=2000)))
    parent = " ".join(str(p) for p in (evidence.get("parent_op"), evidence.get("parent")) if p)
    if parent:
        rows.append(Text.assemble(("parent     ", "dim"), safe(parent, single_line=True)))
    if isinstance(count, int):
        spent = f", {ms(took / 1000)} in all" if isinstance(took, int | float) else ""
        rows.append(
            Text.assemble(
                ("ran        ", "dim"),
                (f"{count:,} time{'s' if count != 1 else ''}", "bold yellow"),
                spent,
                ("  (in the latest transaction)", "dim"),
            )
        )
    return rows
