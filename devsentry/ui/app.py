"""The dashboard app: its screens (Issues, Events, Logs, Traces and Performance as modes, each
with its own stack), the keys every screen shares, and the live watch that tells the screen at
hand the store changed."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from devsentry.ui.lists import EventsScreen, IssuesScreen, LogsScreen
from devsentry.ui.source import Source, Watch
from devsentry.ui.traces import PerfScreen, TracesScreen
from devsentry.ui.views import KeysScreen

__all__ = ["DevsentryApp", "run_ui"]


class DevsentryApp(App[None]):
    """`devsentry ui`. `now` is the clock of every "ago" (fixed in screenshots); `watch`
    how often the store is polled for new items (seconds; 0: never)."""

    TITLE = "devsentry"
    ENABLE_COMMAND_PALETTE = False  # every action has its key: the footer keeps the room
    CSS = """
    Screen { background: $background; }
    #title { height: 1; padding: 0 1; background: $panel; }
    #search { display: none; }
    #search.open { display: block; }
    #heading { height: auto; max-height: 9; padding: 0 1; }
    Body { padding: 0 1; }
    RecordTable { height: 1fr; }
    TabbedContent { height: 1fr; }
    TabPane { padding: 0; }
    KeysScreen, FramesScreen { align: center middle; }
    #keys { width: 76; height: auto; max-height: 22; border: round $accent; padding: 0 1;
            background: $surface; }
    #frames { width: 90%; max-width: 110; height: auto; max-height: 16;
              border: round $accent; }
    """
    MODES = {
        "issues": IssuesScreen,
        "events": EventsScreen,
        "logs": LogsScreen,
        "traces": TracesScreen,
        "perf": PerfScreen,
    }
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),  # as serve stops
        Binding("question_mark", "keys", "Keys"),
        Binding("1", "switch_mode('issues')", "Issues", show=False),
        Binding("2", "switch_mode('events')", "Events", show=False),
        Binding("3", "switch_mode('logs')", "Logs", show=False),
        Binding("4", "switch_mode('traces')", "Traces", show=False),
        Binding("5", "switch_mode('perf')", "Performance", show=False),
    ]

    def __init__(
        self,
        source: Source,
        *,
        export_dir: Path = Path(),
        watch: float = 0.5,
        started: float | None = None,
        serving: str | None = None,
    ) -> None:
        super().__init__()
        self.serving = serving  # what `serve --ui` listens on, for the title line
        self.source = source
        self.now: Callable[[], float] = source.now
        self.export_dir = export_dir
        self.started = source.now() if started is None else started
        self._loop: asyncio.AbstractEventLoop | None = None
        self._watch = Watch(source.path, self._changed, watch) if watch > 0 else None

    def on_mount(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.switch_mode("issues")
        if self._watch is not None:
            self._watch.start()

    def on_unmount(self) -> None:
        if self._watch is not None:
            self._watch.stop()

    def _changed(self, latest: int) -> None:
        """From the watch thread: new items (or a cleared store)."""
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: the app has ended
                self._loop.call_soon_threadsafe(self._refresh_screen)

    def _refresh_screen(self) -> None:
        live = getattr(self.screen, "live", None)
        if callable(live):
            live()

    def action_keys(self) -> None:
        if not isinstance(self.screen, KeysScreen):
            self.push_screen(KeysScreen())


def run_ui(path: Path, *, export_dir: Path = Path(), serving: str | None = None) -> None:
    """Open the dashboard on the store at `path` until the user quits."""
    source = Source(path, now=time.time)
    try:
        DevsentryApp(source, export_dir=export_dir, serving=serving).run()
    finally:
        source.close()
