"""The Issue screen: the `show` page of an issue's latest event, in tabs (stack trace,
breadcrumbs, tags with facets, context, its events, its trace)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static, TabbedContent, TabPane

from devsentry.browse.detail import Detail
from devsentry.model import Event
from devsentry.render.context import breadcrumbs_section, event_context
from devsentry.render.exceptions import render_event_body
from devsentry.render.facets import facet_rows
from devsentry.render.lists import event_cells, event_columns
from devsentry.render.show import heading, render_detail
from devsentry.store.ids import Ref
from devsentry.store.query import Query
from devsentry.store.records import ItemRecord
from devsentry.ui.tables import RecordTable
from devsentry.ui.views import Body, EventActions, EventScreen

__all__ = ["IssueScreen"]

#: The issue's events listed in its Events tab (the newest).
EVENTS = 100


def _or(parts: list[RenderableType], empty: str) -> RenderableType:
    return Group(*parts) if parts else Text(empty, "dim")


class IssueScreen(EventActions):
    """One issue; `o` and `e` act on the event shown (its latest), `r`, `i`, `u` on the
    issue."""

    BINDINGS = [
        Binding("r", "status('resolve')", "Resolve"),
        Binding("i", "status('ignore')", "Ignore"),
        Binding("u", "status('unresolve')", "Unresolve"),
    ]

    def __init__(self, issue_id: int) -> None:
        super().__init__()
        self.issue_id = issue_id

    def compose(self) -> ComposeResult:
        yield Static(Text("loading…", "dim"), id="heading")
        with TabbedContent(id="tabs"):
            for pane, title in (
                ("stack", "Stack trace"),
                ("crumbs", "Breadcrumbs"),
                ("tags", "Tags"),
                ("context", "Context"),
            ):
                with TabPane(title, id=pane), VerticalScroll():
                    yield Body(id=f"{pane}-body")
            with TabPane("Events", id="events-tab"):
                yield RecordTable[ItemRecord](
                    lambda rows: event_columns(len({r.project for r in rows})),
                    event_cells,
                    lambda item: str(item.id),
                    id="issue-events",
                )
            with TabPane("Trace", id="trace"), VerticalScroll():
                yield Body(id="trace-body")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    def live(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="load")
    def load(self) -> None:
        app = self.dashboard
        ref = Ref("issue", f"DS-{self.issue_id}", self.issue_id)
        try:
            detail = app.source.detail(ref)
            events = app.source.items(Query(issue_id=self.issue_id, limit=EVENTS))
        except Exception as exc:  # pruned meanwhile, or a view bug: said on the screen
            self.app.call_from_thread(self._failed, str(exc))
            return
        trace = self._trace(detail)
        self.app.call_from_thread(self._show, detail, events.rows, events.total, trace)

    def _trace(self, detail: Detail) -> RenderableType:
        """The latest event's trace as `devsentry trace` draws it (read on the worker)."""
        from devsentry.render.trace import render_trace

        if not detail.record.trace_id:
            return Text("the event names no trace", "dim")
        try:
            return render_trace(self.dashboard.source.trace(detail.record.trace_id))
        except Exception as exc:  # its transactions were never sent, or pruned
            return Text(str(exc), "dim")

    def _failed(self, message: str) -> None:
        self.query_one("#heading", Static).update(Text(message, "red"))

    def _show(
        self, detail: Detail, events: list[ItemRecord], total: int, trace: RenderableType
    ) -> None:
        now = self.dashboard.now()
        first = self.detail is None or detail.record.id != self.detail.record.id
        self.detail = detail
        self.query_one("#heading", Static).update(heading(detail, now, compact=True))
        self.query_one("#issue-events", RecordTable).show(events, total, now)
        if not first:  # the same latest event: its tabs stay as they are (and scrolled)
            return
        model = detail.model
        if isinstance(model, Event) and detail.error is None:
            stack = _or(render_event_body(model, False), "no stack trace")
            crumbs = _or(breadcrumbs_section(model, False), "no breadcrumbs")
            context = _or(event_context(model, False, breadcrumbs=False), "no context")
        else:  # not readable as an event: the whole show page, which says why
            stack = render_detail(detail, now=now)
            crumbs = context = Text("the event could not be read", "dim")
        tags: RenderableType = (
            facet_rows(detail.facets, values=5)
            if detail.facets
            else Text("no tags counted for this issue", "dim")
        )
        for pane, body in (
            ("stack", stack),
            ("crumbs", crumbs),
            ("tags", tags),
            ("context", context),
            ("trace", trace),
        ):
            self.query_one(f"#{pane}-body", Body).update(body)

    def action_status(self, verb: str) -> None:
        from devsentry.ui.lists import change_status

        change_status(self, verb, self.issue_id, self.live)

    def key_tab(self) -> None:
        tabs = self.query_one("#tabs", TabbedContent)
        ids = [p.id for p in tabs.query(TabPane) if p.id]
        current = tabs.active
        tabs.active = ids[(ids.index(current) + 1) % len(ids)] if current in ids else ids[0]

    @on(TabbedContent.TabActivated, "#tabs")
    def _tab(self, event: TabbedContent.TabActivated) -> None:
        """The Events tab takes the keys (↑ ↓ enter); the others scroll."""
        pane = event.pane
        if pane.id == "events-tab":
            self.query_one("#issue-events", RecordTable).focus()
        else:
            for scroll in pane.query(VerticalScroll):
                scroll.focus()
                break

    @on(RecordTable.RowSelected, "#issue-events")
    def _open(self, event: RecordTable.RowSelected) -> None:
        table = self.query_one("#issue-events", RecordTable)
        item = table.selected
        if item is not None:
            self.app.push_screen(EventScreen(item.id))
