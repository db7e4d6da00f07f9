"""The Traces list, one trace as a waterfall (`devsentry trace`), and Performance (`perf`)."""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer

from devsentry.ui.lists import ListScreen, Page, TableScreen, query_for
from devsentry.ui.tables import RecordTable
from devsentry.ui.views import Body

__all__ = ["PerfScreen", "TraceScreen", "TracesScreen"]


class TracesScreen(TableScreen):
    """Recent traces, newest first; `enter` draws one."""

    noun = "trace"

    def body(self) -> ComposeResult:
        from devsentry.browse.traces import TraceSummary
        from devsentry.render.trace import trace_cells, trace_columns

        self.table = RecordTable[TraceSummary](
            lambda rows: trace_columns(),
            trace_cells,
            lambda t: t.trace_id,
            id="traces",
        )
        yield self.table

    def fetch(self, search: str, offset: int, limit: int) -> Page:
        """`recent_traces` has no offset: the next page reads the first ones again (a page is
        a hundred short rows of an index)."""
        query = query_for(search)
        rows = self.dashboard.source.traces(query.project, offset + limit)
        full = len(rows) >= offset + limit
        return Page(rows[offset:], len(rows) + (1 if full else 0), capped=full)

    def describe(self, page: Page) -> None:
        shown = len(self.table.records)
        self.title_line(f"{shown:,}+ traces" if page.capped else f"{shown:,} traces")

    @on(RecordTable.RowSelected, "#traces")
    def _open(self, event: RecordTable.RowSelected) -> None:
        trace = self.table.selected
        if trace is not None:
            self.app.push_screen(TraceScreen(trace.trace_id))


class TraceScreen(Screen[None]):
    """One trace across services: spans, errors and logs as one waterfall."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("j", "scroll(1)", "Down", show=False),
        Binding("k", "scroll(-1)", "Up", show=False),
    ]
    AUTO_FOCUS = "VerticalScroll"

    def action_scroll(self, step: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=step, animate=False)

    def __init__(self, trace_id: str) -> None:
        super().__init__()
        self.trace_id = trace_id

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Body(Text("loading…", "dim"), id="trace-body")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    def live(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="load")
    def load(self) -> None:
        from devsentry.render.trace import render_trace
        from devsentry.ui.app import DevsentryApp

        app = self.app
        assert isinstance(app, DevsentryApp)
        body: RenderableType
        try:
            body = render_trace(app.source.trace(self.trace_id))
        except Exception as exc:  # pruned meanwhile, no such trace: said on the screen
            body = Text(str(exc), "red")
        app.call_from_thread(self.query_one("#trace-body", Body).update, body)


#: Transaction groups the Performance screen shows (the busiest).
PERF_ROWS = 50


class PerfScreen(ListScreen):
    """How fast each transaction is, as `devsentry perf` prints it; `/project:2` filters."""

    AUTO_FOCUS = "#perf-pane"
    noun = "transaction group"

    def body(self) -> ComposeResult:
        with VerticalScroll(id="perf-pane"):
            yield Body(Text("loading…", "dim"), id="perf")

    def focus_list(self) -> None:
        self.query_one("#perf-pane", VerticalScroll).focus()

    def scroll_list(self, step: int) -> None:
        self.query_one("#perf-pane", VerticalScroll).scroll_relative(y=step, animate=False)

    def load(self) -> None:
        self.generation += 1
        self._load(self.generation, self.search)

    @work(thread=True, exclusive=True, group="load")
    def _load(self, generation: int, search: str) -> None:
        from devsentry.render.perf import render_perf

        try:
            report = self.dashboard.source.perf(query_for(search).project, PERF_ROWS)
            body: RenderableType = render_perf(report)
        except Exception as exc:
            self.app.call_from_thread(self.title_line, Text(str(exc), "red"))
            return
        self.app.call_from_thread(self._show, generation, body, report)

    def _show(self, generation: int, body: RenderableType, report: Any) -> None:
        if generation != self.generation:
            return
        self.query_one("#perf", Body).update(body)
        self.title_line("performance", f"the busiest {PERF_ROWS} transaction groups")
