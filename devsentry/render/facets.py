"""An issue's tag facets, as Sentry's issue page shows them: each key, its most common values
and their shares of the issue's events."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Column, Table
from rich.text import Text

from devsentry.render.layout import plural, section
from devsentry.render.text import safe
from devsentry.store.records import IssueRecord, TagFacet

__all__ = ["facet_rows", "facet_table", "render_tags", "share"]

#: Values per key on a `show` page; `devsentry tags DS-n KEY` lists every one.
SHOWN_VALUES = 3


def share(count: int, total: int) -> str:
    """`80%`, `<1%`, `100%`: a value's share of the events that carry the key."""
    if total <= 0:
        return "0%"
    percent = 100 * count / total
    if 0 < percent < 1:
        return "<1%"
    return f"{round(percent):d}%"


def facet_rows(facets: list[TagFacet], values: int = SHOWN_VALUES) -> Table:
    """`browser.name  Chrome 80% · Firefox 20%`, one row per key, the commonest first."""
    table = Table.grid(
        Column(no_wrap=True, style="dim", max_width=32, overflow="ellipsis"),
        Column(no_wrap=True, overflow="ellipsis", ratio=1),
        padding=(0, 2),
        expand=True,
    )
    for facet in facets:
        line = Text()
        for n, value in enumerate(facet.values[:values]):
            if n:
                line.append(" · ", "dim")
            line.append_text(safe(value.value, single_line=True, limit=60))
            line.append(f" {share(value.count, facet.total)}", "cyan")
        if facet.distinct > values:
            line.append(f" · +{facet.distinct - values} more", "dim")
        table.add_row(safe(facet.key, "dim", single_line=True), line)
    return table


def facet_table(facet: TagFacet) -> RenderableType:
    """Every value of one key with its count and share, for `devsentry tags DS-n KEY`."""
    from devsentry.render.lists import Col, ListTable

    columns = [
        Col(header="VALUE", flex=True),
        Col(header="EVENTS", justify="right"),
        Col(header="SHARE", justify="right", style="cyan"),
    ]
    rows = [
        [safe(v.value, single_line=True), Text(f"{v.count:,}"), Text(share(v.count, facet.total))]
        for v in facet.values
    ]
    return ListTable(columns, rows)


def render_tags(issue: IssueRecord, facets: list[TagFacet]) -> RenderableType:
    """`devsentry tags DS-n [KEY]`: the issue, then each key with every value."""
    from rich.console import Group

    parts: list[RenderableType] = [
        Text.assemble((issue.short_id, "bold"), "  ", safe(issue.title, "bold", single_line=True)),
        Text(f"{plural(issue.count, 'event')}", "dim"),
    ]
    if not facets:
        parts.append(Text("no tags (its events were indexed before devsentry counted them)", "dim"))
    for facet in facets:
        title = f"{facet.key} ({plural(facet.total, 'event')}, {plural(facet.distinct, 'value')})"
        parts += section(title, facet_table(facet))
    return Group(*parts)
