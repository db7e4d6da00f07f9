"""The list screens: Issues, Events and Logs, each filtered as you type and kept live.

A list loads one page (`PAGE` rows, more when the cursor reaches the end) on a worker thread,
and reloads the rows it shows when the store changes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec
from rich.console import Group, RenderableType
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static

from devsentry.browse.query import parse_search
from devsentry.render.layout import plural
from devsentry.render.lists import event_cells, event_columns, issue_cells, issue_columns
from devsentry.render.text import safe
from devsentry.store.query import Query
from devsentry.store.records import IssueRecord, ItemRecord
from devsentry.ui.tables import RecordTable
from devsentry.ui.views import Body, EventScreen

if TYPE_CHECKING:
    from devsentry.ui.app import DevsentryApp

__all__ = ["EventsScreen", "IssuesScreen", "LogsScreen", "query_for"]

#: Rows loaded at a time: a tall terminal's screenful, and the next page when scrolled to.
PAGE = 100
SORTS = {"last_seen": "last seen", "count": "events", "users": "users"}
#: Seconds of no typing before the filter is applied.
TYPING = 0.15


def query_for(text: str, *, issues: bool = False, **fields: Any) -> Query:
    """The `Query` a search line asks for (`browse.query.parse_search`), with `fields`. For
    issues, `is:resolved` (`unresolved`, `ignored`, `all`) picks the status; unresolved when
    none is given, as Sentry's issue stream starts."""
    from devsentry.store.workflow import STATUS_FILTERS

    parsed = parse_search(text)
    statuses = parsed.pop("is", [])
    if issues:
        status = statuses[-1] if statuses else "unresolved"
        if status not in STATUS_FILTERS:
            raise ValueError(f"is:{status}: use is:" + ", is:".join(STATUS_FILTERS))
        parsed["status"] = status
    return Query(**parsed, **fields)


def change_status(screen: Screen[Any], verb: str, issue_id: int, then: Callable[[], None]) -> None:
    """`r`, `i`, `u`: resolve, ignore (for good) or unresolve one issue through
    `browse.workflow` (a short write beside a running serve), say so, then call `then`."""
    from devsentry.browse import workflow
    from devsentry.ui.app import DevsentryApp

    app = screen.app
    assert isinstance(app, DevsentryApp)
    done = {"resolve": "resolved", "ignore": "ignored", "unresolve": "unresolved"}[verb]

    def run() -> None:
        try:
            if verb == "resolve":
                workflow.resolve(app.source.path, [issue_id])
            elif verb == "ignore":
                workflow.ignore(app.source.path, [issue_id])
            else:
                workflow.unresolve(app.source.path, [issue_id])
        except Exception as exc:  # a store another program locks, an issue pruned
            app.call_from_thread(app.notify, str(exc), severity="error", markup=False)
            return
        app.call_from_thread(app.notify, f"{done} DS-{issue_id}", markup=False)
        app.call_from_thread(then)

    app.run_worker(run, thread=True, group="status")


class Page(msgspec.Struct):
    """What a list's load found: its rows, how many match, whether counting stopped short."""

    rows: Sequence[Any]
    total: int
    capped: bool = False
    hidden: dict[str, int] = msgspec.field(default_factory=dict)  # issues of other statuses


class ListScreen(Screen[None]):
    """A title line, the search line (`/`), the list and the footer."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("slash", "search", "Filter"),
        Binding("j", "down", "Down", show=False),
        Binding("k", "up", "Up", show=False),
    ]
    noun = "row"

    def __init__(self) -> None:
        super().__init__()
        self.search = ""
        self.generation = 0  # of loads: a thread's answer to an older load is dropped
        self.querying = False  # a load's query is running
        self._typing: Timer | None = None

    @property
    def dashboard(self) -> DevsentryApp:
        from devsentry.ui.app import DevsentryApp

        assert isinstance(self.app, DevsentryApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield Static(id="title")
        yield Input(placeholder="filter: text level:error release:… key:value", id="search")
        yield from self.body()
        yield Footer()

    def body(self) -> ComposeResult:
        raise NotImplementedError

    def on_mount(self) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self.load()

    def live(self) -> None:
        """The store changed: reload what is shown."""
        self.load()

    def load(self) -> None:
        raise NotImplementedError

    def title_line(self, *parts: str | Text | None) -> None:
        line = Text.assemble(("devsentry", "bold"), " ")
        if self.dashboard.serving:
            line.append(" · ", "dim")
            line.append(self.dashboard.serving, "cyan")
        for part in parts:
            if part:
                line.append(" · ", "dim")
                line.append_text(part if isinstance(part, Text) else Text(part))
        if self.search:
            line.append(" · filter ", "dim")
            line.append_text(safe(self.search, "yellow", single_line=True, limit=60))
        self.query_one("#title", Static).update(line)

    def action_search(self) -> None:
        box = self.query_one("#search", Input)
        box.set_class(True, "open")
        box.focus()

    @on(Input.Changed, "#search")
    def _typed(self, event: Input.Changed) -> None:
        """Filter as you type: the list follows a pause in typing (`TYPING` seconds), and a
        query still running for an older filter is stopped."""
        self.search = event.value
        if self._typing is not None:
            self._typing.stop()
        self._typing = self.set_timer(TYPING, self.reload)

    def reload(self) -> None:
        """A new filter: the list from its top."""
        self.load()

    @on(Input.Submitted, "#search")
    def _done(self, event: Input.Submitted) -> None:
        self._leave_search()

    def key_escape(self) -> None:
        box = self.query_one("#search", Input)
        if box.has_focus:
            self._leave_search()

    def _leave_search(self) -> None:
        box = self.query_one("#search", Input)
        box.set_class(bool(box.value), "open")
        self.focus_list()

    def focus_list(self) -> None:
        pass

    def action_down(self) -> None:
        self.scroll_list(1)

    def action_up(self) -> None:
        self.scroll_list(-1)

    def scroll_list(self, step: int) -> None:
        pass


class TableScreen(ListScreen):
    """A list screen whose body is a `RecordTable`."""

    AUTO_FOCUS = "RecordTable"
    table: RecordTable[Any]

    def focus_list(self) -> None:
        self.table.focus()

    def scroll_list(self, step: int) -> None:
        if step > 0:
            self.table.action_cursor_down()
        else:
            self.table.action_cursor_up()

    def load(self, *, more: bool = False, top: bool = False) -> None:
        """Reload the rows shown (live), the next page (`more`), or a new list from its
        first row (`top`: the sort or filter changed)."""
        self.generation += 1
        if self.querying:
            self.dashboard.source.interrupt()
        offset = len(self.table.records) if more else 0
        shown = PAGE if top else len(self.table.records)
        self._load(self.generation, self.search, offset, shown, top)

    @work(thread=True, exclusive=True, group="load")
    def _load(self, generation: int, search: str, offset: int, shown: int, top: bool) -> None:
        self.querying = True
        try:
            page = self.fetch(search, offset, max(PAGE, shown) if not offset else PAGE)
        except sqlite3.OperationalError as exc:
            if generation == self.generation:  # not a query stopped for a newer one
                self.app.call_from_thread(self.title_line, Text(str(exc), "red"))
            return
        except Exception as exc:  # a bad filter value, a store gone: said in the title
            self.app.call_from_thread(self.title_line, Text(str(exc), "red"))
            return
        finally:
            self.querying = False
        self.app.call_from_thread(self._show, generation, page, offset, top)

    def _show(self, generation: int, page: Page, offset: int, top: bool) -> None:
        if generation != self.generation:  # a newer load is under way (typing goes on)
            return
        if offset:
            self.table.extend(page.rows, page.total)
        else:
            self.table.show(page.rows, page.total, self.dashboard.now(), top=top)
        self.describe(page)

    def fetch(self, search: str, offset: int, limit: int) -> Page:
        raise NotImplementedError

    def describe(self, page: Page) -> None:
        count = plural(page.total, self.noun)
        self.title_line(count.replace(" ", "+ ", 1) if page.capped else count)

    def reload(self) -> None:
        self.load(top=True)

    @on(RecordTable.More)
    def _more(self) -> None:
        self.load(more=True)


class IssuesScreen(TableScreen):
    """Issues, most recently seen first (or most events, most users: `s`); live."""

    BINDINGS = [
        Binding("s", "sort", "Sort"),
        Binding("r", "resolve", "Resolve"),
        Binding("i", "ignore", "Ignore"),
        Binding("u", "unresolve", "Unresolve"),
    ]
    noun = "issue"

    def __init__(self) -> None:
        super().__init__()
        self.sort = "last_seen"

    def body(self) -> ComposeResult:
        self.table = RecordTable[IssueRecord](
            lambda rows: issue_columns(len({r.project for r in rows})),
            self._cells,
            lambda issue: str(issue.id),
            row_height=2,
            id="issues",
        )
        yield self.table

    def _cells(self, issue: IssueRecord, now: float) -> list[Text]:
        cells = issue_cells(issue, now)
        if issue.first_seen >= self.dashboard.started:  # new since the dashboard opened
            cells[0] = Text.assemble(("● ", "green"), cells[0])
        return cells

    def fetch(self, search: str, offset: int, limit: int) -> Page:
        query = query_for(search, issues=True, sort=self.sort, limit=limit, offset=offset)
        page = self.dashboard.source.issues(query)
        return Page(page.rows, page.total, hidden=page.hidden)

    def describe(self, page: Page) -> None:
        from devsentry.render.workflow import hidden_line

        hidden = hidden_line(page.hidden, hint="is:all lists them")
        self.title_line(plural(page.total, "issue"), f"by {SORTS[self.sort]}", hidden)

    def action_resolve(self) -> None:
        self._change("resolve")

    def action_ignore(self) -> None:
        self._change("ignore")

    def action_unresolve(self) -> None:
        self._change("unresolve")

    def _change(self, verb: str) -> None:
        issue = self.table.selected
        if issue is not None:
            change_status(self, verb, issue.id, self.live)

    def action_sort(self) -> None:
        names = list(SORTS)
        self.sort = names[(names.index(self.sort) + 1) % len(names)]
        self.reload()

    @on(RecordTable.RowSelected, "#issues")
    def _open(self, event: RecordTable.RowSelected) -> None:
        from devsentry.ui.issue import IssueScreen

        issue = self.table.selected
        if issue is not None:
            self.app.push_screen(IssueScreen(issue.id))


class EventsScreen(TableScreen):
    """Every stored item, newest first; `enter` shows one in full."""

    noun = "item"

    def body(self) -> ComposeResult:
        self.table = RecordTable[ItemRecord](
            lambda rows: event_columns(len({r.project for r in rows})),
            event_cells,
            lambda item: str(item.id),
            id="events",
        )
        yield self.table

    def fetch(self, search: str, offset: int, limit: int) -> Page:
        page = self.dashboard.source.items(query_for(search, limit=limit, offset=offset))
        return Page(page.rows, page.total, page.capped)

    @on(RecordTable.RowSelected, "#events")
    def _open(self, event: RecordTable.RowSelected) -> None:
        item = self.table.selected
        if item is not None:
            self.app.push_screen(EventScreen(item.id))


#: Log items (each a container of records) read for the Logs screen.
LOG_ITEMS = 50


class LogsScreen(ListScreen):
    """The newest log records, newest first, as `show` lists a container's."""

    AUTO_FOCUS = "#logs-pane"
    noun = "log record"

    def body(self) -> ComposeResult:
        with VerticalScroll(id="logs-pane"):
            yield Body(Text("loading…", "dim"), id="logs")

    def focus_list(self) -> None:
        self.query_one("#logs-pane", VerticalScroll).focus()

    def scroll_list(self, step: int) -> None:
        self.query_one("#logs-pane", VerticalScroll).scroll_relative(y=step, animate=False)

    def load(self) -> None:
        self.generation += 1
        self._load(self.generation, self.search)

    @work(thread=True, exclusive=True, group="load")
    def _load(self, generation: int, search: str) -> None:
        from devsentry.render.show import log_rows

        query = query_for(search, limit=LOG_ITEMS)
        try:
            page = self.dashboard.source.logs(query)
        except Exception as exc:
            self.app.call_from_thread(self.title_line, Text(str(exc), "red"))
            return
        records = len(page.logs.logs)
        body: RenderableType = (
            Group(*log_rows(page.logs, False))
            if records
            else Text("no logs" + (" match" if search else ""), "dim")
        )
        self.app.call_from_thread(self._show, generation, body, records, page.items)

    def _show(self, generation: int, body: RenderableType, records: int, items: int) -> None:
        if generation != self.generation:
            return
        self.query_one("#logs", Body).update(body)
        self.title_line(plural(records, "log record"), f"the newest {plural(items, 'log item')}")
