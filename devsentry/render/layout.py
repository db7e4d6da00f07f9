"""The shared shape of views: facts in `ItemMeta`, one `Row`, formatters, and the pieces of a
`show` page (sections, key/value tables).

Every view (`render/items.py`, `render/events.py`) lays itself out on the same columns — time,
badge, body, and the project on the right — so a live stream of mixed items lines up and can
be scanned down the left edge. Words that come from a payload only ever enter a `Text` through
`safe()`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import msgspec
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.rule import Rule
from rich.segment import Segment
from rich.table import Column, Table
from rich.text import Text

from devsentry.render.text import safe
from devsentry.store.records import IssueRecord, ItemRecord, NewItem

__all__ = [
    "LIMIT",
    "VALUE",
    "Guarded",
    "ItemMeta",
    "Pad",
    "Row",
    "badge",
    "block",
    "bounded",
    "clock",
    "join",
    "local_time",
    "ms",
    "one_line",
    "origin",
    "pairs_table",
    "plural",
    "scalar",
    "section",
    "size",
    "status",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Longest payload string shown in a compact view; the full text is one `devsentry show` away.
LIMIT = 300


class ItemMeta(msgspec.Struct, kw_only=True):
    """The stored facts a view shows beside the payload.

    The live console builds it from what it captured (`ItemMeta.of` a `NewItem`); `show` and
    `tail` from the stored row and its issue (`ItemMeta.stored`), so all print the same views.
    """

    type: str
    project: str
    received: float
    size: int = 0
    timestamp: float | None = None
    level: str | None = None
    release: str | None = None
    environment: str | None = None
    sdk: str | None = None
    platform: str | None = None
    title: str | None = None
    error: str | None = None  # why the payload did not decode
    culprit: str | None = None
    issue_id: int | None = None
    issue_count: int | None = None  # 1: this event opened the issue
    new_in: str | None = None  # a new issue's release, when the project had others before
    trace_id: str | None = None
    trace_errors: int = 0  # a transaction's: error events its trace held when it arrived
    problem: str | None = None  # a transaction's performance issue title (N+1 Query, …)

    @property
    def when(self) -> float:
        return self.timestamp or self.received

    @classmethod
    def of(
        cls,
        summary: NewItem | ItemRecord,
        *,
        project: str,
        received: float,
        culprit: str | None,
        issue_id: int | None,
        issue_count: int | None,
    ) -> ItemMeta:
        """From an item's summary: the live one (`NewItem`) or the stored row (`ItemRecord`)."""
        return cls(
            type=summary.type,
            project=project,
            received=received,
            size=summary.size,
            timestamp=summary.timestamp,
            level=summary.level,
            release=summary.release,
            environment=summary.environment,
            sdk=summary.sdk,
            platform=summary.platform,
            title=summary.title,
            error=summary.error,
            culprit=culprit,
            issue_id=issue_id,
            issue_count=issue_count,
            trace_id=summary.trace_id,
        )

    @classmethod
    def stored(
        cls, record: ItemRecord, issue: IssueRecord | None, count: int | None = None
    ) -> ItemMeta:
        """From the store's rows; `count` is the issue's event count when the item arrived."""
        meta = cls.of(
            record,
            project=record.project,
            received=record.received,
            culprit=issue.culprit if issue is not None else None,
            issue_id=record.issue_id,
            issue_count=count if count is not None else (issue.count if issue else None),
        )
        if issue is not None and issue.category == "performance":
            meta.problem = issue.title
        return meta


def local_time(seconds: float | None, fmt: str) -> str | None:
    """`seconds` in local time as `fmt`; None for a moment the platform cannot show."""
    if seconds is None:
        return None
    try:
        return time.strftime(fmt, time.localtime(seconds))
    except (OverflowError, OSError, ValueError):
        return None


def clock(seconds: float | None, *, millis: bool = False) -> str:
    """Local wall-clock time, to compare with the app's own log lines."""
    shown = local_time(seconds, "%H:%M:%S")
    if shown is None or seconds is None:
        return "--:--:--"
    return f"{shown}.{int(seconds % 1 * 1000):03d}" if millis else shown


def ms(seconds: float | None) -> str:
    """A duration as request timings are read: milliseconds, seconds beyond 10 s."""
    if seconds is None:
        return "? ms"
    if seconds < 0.001:
        return f"{seconds * 1000:.2f} ms"
    if seconds < 10:
        return f"{seconds * 1000:,.0f} ms"
    return f"{seconds:,.1f} s"


def size(n: int) -> str:
    if n < 1024:
        return f"{n:,} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:,.1f} KiB"
    return f"{n / 1024 / 1024:,.1f} MiB"


def plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def join(parts: Iterable[Text | str | None], sep: str = " · ", style: str = "") -> Text:
    """Non-empty parts with a dim separator; `str` parts are cleaned like any payload text."""
    out = Text()
    for part in parts:
        if not part:
            continue
        if out:
            out.append(sep, style="dim")
        out.append(part if isinstance(part, Text) else safe(part, style, single_line=True))
    return out


def badge(label: str, style: str) -> Text:
    """A label such as ` ERROR `; styled as a span so a background stops at the label."""
    return Text.assemble((f" {label} ", style))


_OK = frozenset({"ok", "exited", "in_progress"})


def status(value: str | None) -> Text:
    """A span, check-in or session status: green when fine, red otherwise."""
    if not value:
        return Text()
    style = "green" if value in _OK else "red"
    return safe(value.replace("_", " "), style, single_line=True, limit=40)


def origin(meta: ItemMeta, *, sdk: bool = True) -> Text:
    """`release · environment · sdk`: where the item came from, dimmed."""
    values = (meta.release, meta.environment, meta.sdk if sdk else None)
    return join(safe(v, "dim", single_line=True, limit=60) if v else None for v in values)


class Row:
    """`time  BADGE  head … right`, then lines indented under the head.

    The one layout every view uses, so a stream of mixed items lines up. Hand-rolled rather
    than a rich `Table`: same columns at a fraction of the cost, and this is drawn for every
    captured item. Lines are not padded, so plain output has no trailing blanks.
    """

    GUTTER = 20  # 8 for the time, a space, 10 for the badge, a space

    def __init__(
        self,
        when: str,
        tag: Text,
        head: Text,
        lines: Sequence[RenderableType] = (),
        right: Text | None = None,
    ) -> None:
        self.when = when
        self.tag = tag
        self.head = head
        self.lines = lines
        self.right = right

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        if width < self.GUTTER + 20:  # a very narrow terminal: no columns, just the text
            yield Text.assemble(self.tag, " ", self.head)
            yield from self.lines
            return
        body = width - self.GUTTER
        right = self.right if self.right else None
        if right is not None and body - right.cell_len - 1 < 20:
            right = None  # too narrow: the head matters more
        gutter = Text.assemble((self.when.ljust(8), "dim"), " ", self.tag)
        gutter.pad_right(self.GUTTER - gutter.cell_len)
        gutter.truncate(self.GUTTER)
        blank = Segment(" " * self.GUTTER)
        yield from console.render_lines(gutter, options.update_width(self.GUTTER))[0]
        head_width = body - (right.cell_len + 1 if right is not None else 0)
        head = console.render_lines(
            self.head, options.update_width(head_width), pad=right is not None
        )
        for index, line in enumerate(head):
            if index:
                yield blank
            yield from line
            if index == 0 and right is not None:
                yield Segment(" ")
                yield from console.render_lines(right, options.update_width(right.cell_len))[0]
            yield Segment.line()
        for renderable in self.lines:
            for line in console.render_lines(renderable, options.update_width(body), pad=False):
                yield blank
                yield from line
                yield Segment.line()


class Guarded:
    """Draws `renderable`, or `fallback(exc)` if drawing it fails: a view that cannot draw one
    payload costs that part of the output, never the page or the console."""

    def __init__(
        self, renderable: RenderableType, fallback: Callable[[Exception], RenderableType]
    ) -> None:
        self.renderable = renderable
        self.fallback = fallback

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        try:
            lines = console.render_lines(self.renderable, options, pad=False)
        except Exception as exc:
            log.warning("a view could not draw: %r", exc, exc_info=True)
            yield self.fallback(exc)
            return
        for line in lines:
            yield from line
            yield Segment.line()


def bounded(items: Sequence[T], limit: int, *, full: bool, keep: str = "newest") -> list[T]:
    """At most `limit` of `items` unless `full`: the newest (the end) or the oldest."""
    if full or len(items) <= limit:
        return list(items)
    return list(items[-limit:] if keep == "newest" else items[:limit])


def block(
    meta: ItemMeta, tag: Text, head: Text, lines: Sequence[RenderableType] = ()
) -> RenderableType:
    """One item: time, badge, head and the project on the first line, then indented lines."""
    project = safe(meta.project, "dim", single_line=True, limit=20)
    return Row(clock(meta.when), tag, head, lines, right=project)


def one_line(text: Text) -> Text:
    """`text` cut with `…` at the right edge instead of wrapped."""
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


# -- pieces of the `show` page ------------------------------------------------------------

#: A value in a key/value table, before `…` (--full shows it whole).
VALUE = 120


def section(title: str, *body: RenderableType) -> list[RenderableType]:
    return [Text(), Rule(Text(title, "bold"), align="left", style="dim"), *body]


class Pad:
    """Indent a renderable by `left` cells (a Table has no indent of its own)."""

    def __init__(self, renderable: RenderableType, left: int) -> None:
        self.renderable = renderable
        self.left = left

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.padding import Padding

        yield Padding(self.renderable, (0, 0, 0, self.left))


def scalar(value: Any) -> str:
    """A value as one short string: strings as they are, the rest as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=repr, separators=(", ", ": "))


#: Rows of a key/value table before "… N more".
PAIRS = 200


def pairs_table(pairs: Iterable[tuple[str, Any]], full: bool) -> Table:
    """A two-column key/value grid; values clipped to one line, rows to `PAIRS`, unless
    `full`."""
    rows = [
        (safe(key, "dim", single_line=True, limit=None if full else 200), scalar(value))
        for key, value in pairs
        if value not in (None, "", {}, [])
    ]
    hidden = 0
    if not full and len(rows) > PAIRS:
        hidden, rows = len(rows) - PAIRS, rows[:PAIRS]
    key_width = min(max((k.cell_len for k, _ in rows), default=0), 32)
    table = Table.grid(
        Column(no_wrap=True, width=key_width, overflow="ellipsis"),
        Column(no_wrap=not full, overflow="fold" if full else "ellipsis", ratio=1),
        padding=(0, 2),
        expand=True,
    )
    for key, value in rows:
        table.add_row(key, safe(value, single_line=not full, limit=None if full else VALUE))
    if hidden:
        table.add_row(Text(f"… {hidden:,} more", "dim"), Text("--full shows them", "dim"))
    return table
