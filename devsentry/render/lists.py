"""Tables for `devsentry issues`, `events`, `rejected` and `stats`.

Every row is one line (an issue's culprit is a dim second line under its title, as in Sentry):
cells are cut with `…`, never wrapped, so a table stays a table at any terminal width. Columns
that would say the same thing on every row (the project, when there is one) are left out, and a
footer says how much more matched than was shown.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import msgspec
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from devsentry.browse.follow import Loaded
from devsentry.browse.rejected import Rejected
from devsentry.render.items import render_item
from devsentry.render.layout import ItemMeta, badge, block, local_time, plural, size
from devsentry.render.levels import level_text
from devsentry.render.text import safe
from devsentry.store.ids import short_id
from devsentry.store.records import IssueRecord, ItemRecord

log = logging.getLogger(__name__)

__all__ = [
    "Col",
    "ListTable",
    "ago",
    "duration_words",
    "event_cells",
    "event_columns",
    "fit",
    "footer",
    "issue_cells",
    "issue_columns",
    "level_text",
    "render_events",
    "render_issues",
    "render_rejected",
    "render_stats",
    "render_stored",
]


def duration_words(delta: float) -> str:
    for limit, unit, name in (
        (60, 1, "s"),
        (3600, 60, "m"),
        (86400, 3600, "h"),
        (7 * 86400, 86400, "d"),
        (35 * 86400, 7 * 86400, "w"),
    ):
        if delta < limit:
            return f"{int(delta // unit)}{name}"
    return ""


def ago(seconds: float | None, now: float | None = None) -> str:
    """`12s ago`, `3m ago`, `5h ago`, `2d ago`, `3w ago`, else the date (`in 3s`: clock skew)."""
    if seconds is None:
        return "-"
    now = time.time() if now is None else now
    delta = now - seconds
    if -1 < delta < 1:
        return "just now"
    span = duration_words(abs(delta))
    if not span:
        return local_time(seconds, "%Y-%m-%d") or "-"
    return f"{span} ago" if delta > 0 else f"in {span}"


def footer(shown: int, total: int, noun: str, projects: set[str] | None = None) -> Text:
    """`showing 50 of 1,234 issues — use --limit` when cut, else the count; the one project."""
    text = Text(
        f"showing {shown:,} of {total:,} {noun}s" if total > shown else plural(total, noun), "dim"
    )
    if projects is not None and len(projects) == 1:
        text.append(" in project ", "dim")
        text.append_text(safe(next(iter(projects)), "dim", single_line=True, limit=40))
    if total > shown:
        text.append(" — use --limit", "dim")
    return text


class Col(msgspec.Struct, kw_only=True):
    """A list column: fixed ones are as wide as their widest cell, the flexible one takes the
    rest; when the terminal is too narrow, columns with the highest `drop` go first."""

    header: str
    justify: Literal["left", "right"] = "left"
    style: str = ""
    flex: bool = False
    drop: int = 0  # 0: always shown
    max_width: int = 40


def fit(
    columns: Sequence[Col], natural: Sequence[int], width: int, gap: int = 2, flex_min: int = 20
) -> list[int]:
    """The columns shown in `width` cells, given each one's natural width: those with the
    highest `drop` go first until the rest fit (the flexible one keeps at least `flex_min`)."""
    keep = list(range(len(columns)))

    def needed() -> int:
        fixed = sum(natural[i] for i in keep if not columns[i].flex)
        return fixed + flex_min + gap * (len(keep) - 1)

    while needed() > width and any(columns[i].drop for i in keep):
        keep.remove(max(keep, key=lambda i: columns[i].drop))
    return keep


class ListTable:
    """Rows of one-line cells (the flexible column may hold a second, dim line)."""

    GAP = 2
    FLEX_MIN = 20

    def __init__(
        self, columns: Sequence[Col], rows: Sequence[Sequence[Text]], *, expand: bool = True
    ) -> None:
        self.columns = columns
        self.rows = rows
        self.expand = expand  # False: the flexible column is only as wide as its cells

    def layout(self, width: int) -> list[tuple[int, int]]:
        """The columns shown in `width` cells with their natural widths (the ui's tables)."""
        natural = [self._natural(i) for i in range(len(self.columns))]
        return [(i, natural[i]) for i in fit(self.columns, natural, width, self.GAP, self.FLEX_MIN)]

    def _natural(self, index: int) -> int:
        col = self.columns[index]
        widest = max(
            (line.cell_len for row in self.rows for line in row[index].split("\n")), default=0
        )
        return min(max(len(col.header), widest), col.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        natural = [self._natural(i) for i in range(len(self.columns))]
        keep = fit(self.columns, natural, options.max_width, self.GAP, self.FLEX_MIN)
        table = Table(
            box=None,
            pad_edge=False,
            padding=(0, self.GAP // 2),
            header_style="bold dim",
            expand=self.expand,
        )
        for i in keep:
            col = self.columns[i]
            table.add_column(
                col.header,
                justify=col.justify,
                style=col.style,
                no_wrap=True,
                overflow="ellipsis",
                ratio=1 if col.flex and self.expand else None,
                width=None if col.flex else natural[i],
            )
        for row in self.rows:
            table.add_row(*(row[i] for i in keep))
        yield table


def _cell(value: object, style: str = "", limit: int = 300) -> Text:
    return safe(value, style, single_line=True, limit=limit)


def issue_columns(projects: int) -> list[Col]:
    """The issue list's columns; the project only when `projects` (how many are shown) > 1."""
    columns = [
        Col(header="ID", style="bold"),
        Col(header="LEVEL", drop=2),
        Col(header="ISSUE", flex=True),
        Col(header="STATUS", drop=2),
        Col(header="EVENTS", justify="right"),
        Col(header="USERS", justify="right", drop=3),
        Col(header="FIRST SEEN", justify="right", drop=4),
        Col(header="LAST SEEN", justify="right", drop=1),
    ]
    if projects > 1:
        columns.append(Col(header="PROJECT", style="dim", drop=5, max_width=16))
    return columns


def issue_cells(issue: IssueRecord, now: float) -> list[Text]:
    """One issue's cells, in `issue_columns` order (the title over its dim culprit)."""
    from devsentry.render.workflow import status_text

    title = _cell(issue.title, "bold")
    if issue.culprit:
        title.append("\n")
        title.append_text(_cell(issue.culprit, "dim"))
    return [
        Text(issue.short_id),
        level_text(issue.level),
        title,
        status_text(issue, now),
        Text(f"{issue.count:,}"),
        Text(f"{issue.users:,}"),
        Text(ago(issue.first_seen, now)),
        Text(ago(issue.last_seen, now)),
        _cell(issue.project, limit=40),
    ]


def render_issues(
    issues: Sequence[IssueRecord],
    total: int,
    now: float | None = None,
    *,
    hidden: Mapping[str, int] | None = None,
) -> RenderableType:
    """The grouped list: id, level, title over culprit, status, events, users, seen, project;
    `hidden` counts the issues of other statuses, said in the footer."""
    from devsentry.render.workflow import hidden_line

    more = hidden_line(hidden or {})
    if not issues:
        empty = Text("no issues" + (" match" if total else ""), "dim")
        return empty if more is None else Group(empty, more)
    now = time.time() if now is None else now
    names = {i.project for i in issues}
    rows = [issue_cells(issue, now) for issue in issues]
    parts: list[RenderableType] = [
        ListTable(issue_columns(len(names)), rows),
        footer(len(issues), total, "issue", names),
    ]
    if more is not None:
        parts.append(more)
    return Group(*parts)


def event_columns(projects: int) -> list[Col]:
    """The item list's columns; the project only when `projects` (how many are shown) > 1."""
    columns = [
        Col(header="ID", style="bold", justify="right"),
        Col(header="RECEIVED", justify="right", drop=2),
        Col(header="TYPE", style="cyan", max_width=16),
        Col(header="LEVEL", drop=3),
        Col(header="TITLE", flex=True),
        Col(header="ISSUE", drop=1),
        Col(header="EVENT ID", style="dim", drop=4),
    ]
    if projects > 1:
        columns.append(Col(header="PROJECT", style="dim", drop=5, max_width=16))
    return columns


def event_cells(item: ItemRecord, now: float) -> list[Text]:
    """One item's cells, in `event_columns` order."""
    title = _cell(item.title or "")
    if item.error:
        title = Text.assemble(("invalid: ", "red"), _cell(item.error, "red"))
    return [
        Text(f"#{item.id}"),
        Text(ago(item.received, now)),
        _cell(item.type, limit=30),
        level_text(item.level),
        title,
        Text(short_id(item.issue_id) if item.issue_id is not None else ""),
        _cell((item.event_id or "")[:8]),
        _cell(item.project, limit=40),
    ]


def render_events(
    items: Sequence[ItemRecord], total: int, now: float | None = None
) -> RenderableType:
    """Every stored item, newest first: row id, when, type, level, title, issue, event id."""
    if not items:
        return Text("no items" + (" match" if total else ""), "dim")
    now = time.time() if now is None else now
    names = {i.project for i in items}
    rows = [event_cells(item, now) for item in items]
    return Group(
        ListTable(event_columns(len(names)), rows), footer(len(items), total, "item", names)
    )


def render_rejected(
    rows: Sequence[Rejected], total: int, now: float | None = None
) -> RenderableType:
    """Refused requests, newest first: id, when, status, reason, path, size, client, address."""
    if not rows:
        return Text("no rejected requests" + (" match" if total else ""), "dim")
    now = time.time() if now is None else now
    columns = [
        Col(header="ID", style="bold", justify="right"),
        Col(header="RECEIVED", justify="right", drop=3),
        Col(header="STATUS", style="red", justify="right"),
        Col(header="REASON", flex=True),
        Col(header="PATH", style="cyan", drop=2, max_width=30),
        Col(header="SIZE", justify="right", drop=4),
        Col(header="CLIENT", style="dim", drop=1),
        Col(header="FROM", style="dim", drop=5, max_width=24),
    ]
    table = [
        [
            Text(str(row.id)),
            Text(ago(row.received, now)),
            Text(str(row.status)),
            _cell(row.reason),
            _cell(row.path or "", limit=60),
            Text(size(row.size)),
            _cell(row.client or "", limit=60),
            _cell(row.remote_addr or "", limit=40),
        ]
        for row in rows
    ]
    return Group(ListTable(columns, table), footer(len(rows), total, "rejected request"))


def _counts(title: str, unit: str, counts: Mapping[str, int]) -> ListTable:
    columns = [Col(header=title, flex=True), Col(header=unit, justify="right")]
    rows = [[_cell(k, limit=60), Text(f"{n:,}")] for k, n in counts.items()]
    return ListTable(columns, rows, expand=False)


def render_stats(stats: Mapping[str, Any], now: float | None = None) -> RenderableType:
    """What the store holds: totals, then counts by item type and by project."""
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    facts.add_row("Store", safe(stats["path"]))
    facts.add_row("Size", size(int(stats["size"])))
    for key in ("envelopes", "items", "issues"):
        facts.add_row(key.capitalize(), f"{int(stats[key]):,}")
    rejected = int(stats["rejected"])
    facts.add_row("Rejected", Text(f"{rejected:,} requests", "red" if rejected else ""))
    if stats.get("oldest"):
        facts.add_row("Received", f"{stats['oldest']} … {stats['newest']}")
    parts: list[RenderableType] = [facts]
    if stats["by_type"]:
        parts += [Text(), _counts("TYPE", "ITEMS", stats["by_type"])]
    if stats["by_project"]:
        parts += [Text(), _counts("PROJECT", "ENVELOPES", stats["by_project"])]
    return Group(*parts)


def render_stored(loaded: Loaded) -> RenderableType:
    """A stored item as serve's live console shows it (for `tail`); a view bug costs one item."""
    meta = ItemMeta.stored(loaded.record, loaded.issue, loaded.issue_count)
    meta.error = loaded.error
    if loaded.item is None:
        return render_invalid_record(loaded, meta)
    view = render_item(loaded.item, loaded.model, meta)
    issue = loaded.issue
    if issue is not None and issue.regressed_at == loaded.record.received:  # it regressed it
        from devsentry.render.workflow import came_back_block
        from devsentry.store.records import CameBack

        since = issue.resolved_at or issue.regressed_at
        back = CameBack("regressed", since, issue.resolved_in_release)
        return Group(came_back_block(meta, back), view)
    return view


def render_invalid_record(loaded: Loaded, meta: ItemMeta) -> RenderableType:
    """An item whose envelope is gone (pruned): only the stored row is left to show."""
    head = Text.assemble(
        safe(loaded.record.title or loaded.record.type, single_line=True, limit=200),
        ("  ", ""),
        safe(meta.error or "", "red", single_line=True),
    )
    return block(meta, badge("GONE", "dim"), head)
