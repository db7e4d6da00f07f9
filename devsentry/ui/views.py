"""Screens that show one thing in full: an event (the `show` page), the key list, a frame
picker. Their bodies are the render layer's renderables, drawn at the screen's width."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, OptionList, Static
from textual.widgets.option_list import Option

from devsentry.model import Event
from devsentry.render.text import clean
from devsentry.store.ids import Ref
from devsentry.ui.editor import LocalFrame, editor_command, local_frames

if TYPE_CHECKING:
    from devsentry.browse.detail import Detail
    from devsentry.ui.app import DevsentryApp

__all__ = ["EventActions", "EventScreen", "FramesScreen", "KeysScreen"]


class Body(Static):
    """A renderable, as wide as the screen, in a scrolling pane."""


class EventActions(Screen[None]):
    """What every screen about one event offers: `o` open its frame, `e` export it."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("o", "open_frame", "Open frame"),
        Binding("e", "export", "Export"),
        Binding("j", "move(1)", "Down", show=False),
        Binding("k", "move(-1)", "Up", show=False),
    ]
    detail: Detail | None = None

    def action_move(self, step: int) -> None:
        """`j`/`k`: the list's cursor, or the page, whichever has the keys."""
        focused = self.focused
        if isinstance(focused, DataTable):
            focused.move_cursor(row=focused.cursor_row + step)
        elif focused is not None:
            focused.scroll_relative(y=step, animate=False)

    @property
    def dashboard(self) -> DevsentryApp:
        from devsentry.ui.app import DevsentryApp

        assert isinstance(self.app, DevsentryApp)
        return self.app

    def action_open_frame(self) -> None:
        model = self.detail.model if self.detail is not None else None
        frames = local_frames(model) if isinstance(model, Event) else []
        if not frames:
            self.say("no frame of this event is a file here", severity="warning")
            return
        if len(frames) == 1:
            self._edit(frames[0])
            return
        self.app.push_screen(FramesScreen(frames), self._edit)

    def _edit(self, frame: LocalFrame | None) -> None:
        if frame is None:
            return
        command = editor_command(frame)
        try:
            try:
                with self.app.suspend():
                    subprocess.run(command, check=False)
            except SuspendNotSupported:  # headless (tests) or Textual Web: no terminal to lend
                subprocess.run(command, check=False, stdin=subprocess.DEVNULL)
        except OSError as exc:
            self.say(f"cannot run {command[0]}: {exc.strerror or exc}", severity="error")

    def action_export(self) -> None:
        if self.detail is None:
            return
        self._export(self.detail.record.envelope_id, self.dashboard.export_dir)

    @work(thread=True, group="export")
    def _export(self, envelope_id: int, directory: Path) -> None:
        try:
            written = self.dashboard.source.export(envelope_id, directory)
        except OSError as exc:
            self.app.call_from_thread(self.say, f"cannot export to {directory}: {exc}", "error")
            return
        for file in written:
            verb = "already exported" if file.existing else "exported"
            self.app.call_from_thread(self.say, f"{verb} {file.path}")

    def say(self, message: str, severity: SeverityLevel = "information") -> None:
        """A notification; its text (paths, error messages) shown as is, never as markup."""
        self.notify(clean(message, limit=300), severity=severity, markup=False)


class EventScreen(EventActions):
    """One stored item as `devsentry show '#id'` prints it."""

    def __init__(self, item_id: int) -> None:
        super().__init__()
        self.item_id = item_id

    AUTO_FOCUS = "VerticalScroll"

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Body(Text("loading…", "dim"), id="event-body")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="load")
    def load(self) -> None:
        from devsentry.render.show import render_detail

        app = self.dashboard
        ref = Ref("item", f"#{self.item_id}", self.item_id)
        try:
            detail = app.source.detail(ref)
        except Exception as exc:  # a view bug, a pruned item: said on the screen
            self.app.call_from_thread(self._show, None, Text(str(exc), "red"))
            return
        self.app.call_from_thread(self._show, detail, render_detail(detail, now=app.now()))

    def _show(self, detail: Detail | None, body: RenderableType) -> None:
        self.detail = detail
        self.query_one("#event-body", Body).update(body)


#: The key list `?` shows (the footer shows the keys of the screen at hand).
KEYS = [
    ("↑ ↓  j k", "move"),
    ("enter", "open the issue, event or trace"),
    ("esc", "back"),
    ("/", "filter as you type: text, is:resolved, level:error, release:…, key:value"),
    ("s", "sort the issues by last seen, events or users"),
    ("r i u", "resolve, ignore (for good), unresolve the issue"),
    ("1 2 3 4 5", "Issues, Events, Logs, Traces, Performance"),
    ("tab", "next tab of an issue: stack, breadcrumbs, tags, context, events, trace"),
    ("o", "open the selected frame in $EDITOR at its line (files that exist here)"),
    ("e", "export the event as a .envelope fixture"),
    ("?", "this list"),
    ("q", "quit"),
]


class KeysScreen(ModalScreen[None]):
    """`?`: every key, whichever screen is under it."""

    BINDINGS = [Binding("escape,q,question_mark", "app.pop_screen", "Close")]

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for key, what in KEYS:
            table.add_row(key, what)
        keys = Body(table, id="keys")
        keys.border_title = "keys (esc closes)"
        yield keys


class FramesScreen(ModalScreen[LocalFrame | None]):
    """`o` on an event with several local frames: pick one (the crash frame first)."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel")]

    def __init__(self, frames: list[LocalFrame]) -> None:
        super().__init__()
        self.frames = frames

    def compose(self) -> ComposeResult:
        options = []
        for n, frame in enumerate(self.frames):
            label = Text(clean(str(frame.path), single_line=True, limit=120))
            if frame.line:
                label.append(f":{frame.line}", "cyan")
            if frame.function:
                label.append("  in ", "dim")
                label.append(clean(frame.function, single_line=True, limit=60))
            if frame.crashed:
                label.append("  (crash)", "red")
            options.append(Option(label, id=str(n)))
        picker = OptionList(*options, id="frames")
        picker.border_title = "open which frame in the editor? (esc: none)"
        yield picker

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.frames[event.option_index])

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
