"""The live console sink: each captured item printed as it arrives, never slowing ingest.

`publish` only appends to a deque (ingest never waits on the terminal). A background task takes
what is waiting, decides what deserves a full view, and hands finished renderables to one
writer thread, so a terminal that stops reading (Ctrl-S, a paused pager) stalls the printing,
never the event loop. At rest an item is printed as soon as it is dequeued: no timers, no
batching delay.

Bursts: when more than `burst` envelopes are waiting, or more than `rate` items arrive within
one `window`, full views stop and the rest of the window is counted, then summed up in one
line (`… 3,412 more items in the last 1.0s: 3,000 event, 400 log`). Output stays in that mode
while traffic stays busy and resumes item by item once a window is calm. An event that opens a
new issue is still shown during a burst (a few per window): that is the line worth seeing;
so is every event that brings an issue back (a regression), each after a block of its own.
At most `max_pending` captures wait (a terminal that stopped reading holds no more than that
in memory, each a decoded envelope); beyond that, arrivals are only counted for the summary.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.padding import Padding
from rich.text import Text

from devsentry.process.derive import judge
from devsentry.process.indexer import Captured
from devsentry.process.sender import Sender
from devsentry.process.verdict import InSentry
from devsentry.protocol.times import epoch_seconds
from devsentry.render.items import ItemMeta, render_item
from devsentry.render.layout import one_line
from devsentry.render.text import clean
from devsentry.render.verdict import verdict_line
from devsentry.render.workflow import came_back_block
from devsentry.tasks import call_on, supervise

__all__ = ["ConsoleSink", "item_meta"]

log = logging.getLogger(__name__)


def item_meta(captured: Captured, index: int) -> ItemMeta:
    """The stored facts about the `index`-th item of a capture, as the views read them."""
    record = captured.records[index]
    stored = captured.stored.items[index] if index < len(captured.stored.items) else None
    meta = ItemMeta.of(
        record,
        project=captured.project,
        received=captured.received,
        culprit=record.issue.culprit if record.issue is not None else None,
        issue_id=stored.issue_id if stored is not None else None,
        issue_count=stored.issue_count if stored is not None else None,
    )
    meta.new_in = stored.new_in if stored is not None else None
    meta.trace_errors = stored.trace_errors if stored is not None else 0
    if record.issue is not None and record.issue.category == "performance":
        meta.problem = record.issue.title
    return meta


def _verdict(captured: Captured, index: int) -> InSentry | None:
    """What Sentry would do with the item (judged here, for what the console prints)."""
    if index >= len(captured.records):
        return None
    record = captured.records[index]
    envelope = captured.envelope
    sender = Sender(
        received=captured.received, sent_at=epoch_seconds(envelope.header.get("sent_at"))
    )
    return judge(envelope.items[index], sender, record.processed, record.error)


def render_captured(captured: Captured, only: Sequence[int] | None = None) -> list[RenderableType]:
    """The views of a capture's items (or of the items at `only`); a bad payload never raises
    (`render_item` shows an item it cannot draw as invalid)."""
    views: list[RenderableType] = []
    for index, item in enumerate(captured.envelope.items):
        if only is not None and index not in only:
            continue
        meta = item_meta(captured, index)
        stored = captured.stored.items[index] if index < len(captured.stored.items) else None
        if stored is not None and stored.came_back is not None:  # a block of its own, first
            views.append(came_back_block(meta, stored.came_back))
        model = captured.models[index] if index < len(captured.models) else None
        view = render_item(item, model, meta)
        try:
            line = verdict_line(_verdict(captured, index))
        except Exception:  # a verdict bug costs its line, never the item's view
            log.warning("could not judge a %s item", item.type, exc_info=True)
            line = None
        views.append(view if line is None else Group(view, Padding(one_line(line), (0, 0, 0, 2))))
    return views


def burst_summary(counts: Counter[str], seconds: float) -> Text:
    """`… 3,412 more items in the last 1.0s: 3,000 event, 400 log (devsentry events …)`."""
    total = sum(counts.values())
    kinds = ", ".join(
        f"{n:,} {clean(kind, single_line=True, limit=40)}" for kind, n in counts.most_common()
    )
    return Text.assemble(
        ("… ", "yellow"),
        (f"{total:,} more item{'' if total == 1 else 's'}", "bold yellow"),
        (f" in the last {seconds:.1f}s: ", "yellow"),
        kinds,
        (" (devsentry events to list them)", "dim"),
    )


class _Control:
    """Control text for the terminal: the writer writes it as it is, never renders it."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        return iter(())


class ConsoleSink:
    """Prints what the pipeline captured, live, on `console`.

    Use `async with ConsoleSink(console):` or `await start()` … `await stop()`; `stop` prints
    what is still queued (and any pending burst summary) before returning.
    """

    def __init__(
        self,
        console: Console,
        *,
        burst: int = 20,
        rate: int = 50,
        window: float = 1.0,
        max_pending: int = 1_000,
        new_issues_per_window: int = 5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.console = console
        self.burst = burst
        self.rate = rate
        self.window = window
        self.max_pending = max_pending
        self.new_issues_per_window = new_issues_per_window
        self._clock = clock
        self._pending: deque[Captured] = deque()
        self._notices: deque[RenderableType] = deque()  # one-liners from other parts (forwarder)
        self._overflow: Counter[str] = Counter()  # counted in publish when pending is full
        self._overflow_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        self._drained: asyncio.Event | None = None  # set while nothing is waiting or printing
        self._task: asyncio.Task[None] | None = None
        self._writer: ThreadPoolExecutor | None = None
        self._stopping = False
        # burst state, only touched by the task
        self._window_start = 0.0
        self._arrived = 0
        self._issues_shown = 0
        self._bursting = False
        self._skipped: Counter[str] = Counter()
        self._skipped_since: float | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        self._drained = asyncio.Event()
        self._stopping = False
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="devsentry-console")
        self._task = supervise(self._run, name="devsentry console")
        if self._pending:
            self._wakeup.set()

    async def drain(self) -> None:
        """Wait until everything published so far is printed (or counted in a burst)."""
        if self._task is not None and self._drained is not None:
            await self._drained.wait()

    async def stop(self, grace: float = 5.0) -> None:
        """Print what is queued, then stop. A terminal that accepts nothing is given up on."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        assert self._wakeup is not None
        self._wakeup.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            log.warning("the console did not take the last items within %.0fs", grace)
            task.cancel()
        if self._writer is not None:
            self._writer.shutdown(wait=False, cancel_futures=True)
            self._writer = None

    async def __aenter__(self) -> ConsoleSink:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- the ingest side: must return at once --------------------------------------------

    def publish(self, captured: Captured) -> None:
        """Queue `captured` for printing. Safe from any thread; never blocks, never renders."""
        if len(self._pending) >= self.max_pending:
            with self._overflow_lock:
                self._overflow.update(item.type or "unknown" for item in captured.envelope.items)
        else:
            self._pending.append(captured)
        self._wake()

    def notice(self, view: RenderableType) -> None:
        """Queue a one-line notice (e.g. forwarding results). Same rules as `publish`."""
        self._notices.append(view)
        self._wake()

    def control(self, text: str) -> None:
        """Queue control text (a terminal notification escape), written as it is between two
        views, and only when the console is a terminal."""
        if self.console.is_terminal:
            self._notices.append(_Control(text))
            self._wake()

    def _wake(self) -> None:
        """Wake the printing task, from its own loop or from any other thread."""
        if self._wakeup is not None and self._wakeup.is_set():
            return
        call_on(self._loop, self._poke)

    def _poke(self) -> None:
        if self._wakeup is not None and self._drained is not None:
            self._drained.clear()
            self._wakeup.set()

    # -- the printing side -----------------------------------------------------------------

    async def _run(self) -> None:
        assert self._wakeup is not None and self._drained is not None and self._loop is not None
        while True:
            self._wakeup.clear()
            final = self._stopping and not self._pending and not self._notices
            views = self._take(final=final)
            if views:
                await self._loop.run_in_executor(self._writer, self._print, views)
                continue
            if final:
                self._drained.set()
                return
            if self._stopping:
                continue  # the final pass sums up an open burst at once: no waiting it out
            if not self._pending:
                self._drained.set()
            await self._idle()

    async def _idle(self) -> None:
        """Wait for the next item, or until an open burst window is due to be summed up."""
        assert self._wakeup is not None
        if not (self._skipped or self._bursting):
            await self._wakeup.wait()
            return
        due = self._window_start + self.window - self._clock()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), max(due, 0.0))

    def _take(self, *, final: bool = False) -> list[RenderableType]:
        """Everything waiting, decided: full views, counted items, summaries due."""
        now = self._clock()
        out: list[RenderableType] = []
        while self._notices:
            out.append(self._notices.popleft())
        if final or now - self._window_start >= self.window:
            out.extend(self._close_window(now))
        with self._overflow_lock:
            overflow, self._overflow = self._overflow, Counter()
        if overflow:
            self._bursting = True
            self._count(overflow, now)
        if len(self._pending) > self.burst:
            self._bursting = True
        while self._pending:
            captured = self._pending.popleft()
            self._arrived += len(captured.envelope.items)
            if self._arrived > self.rate:
                self._bursting = True
            out.extend(
                self._burst_views(captured, now) if self._bursting else render_captured(captured)
            )
        return out

    def _burst_views(self, captured: Captured, now: float) -> list[RenderableType]:
        """During a burst: show items that open a new issue (a few) and every one that brings
        an issue back (a regression is rare and the line most worth seeing); count the rest."""
        fresh = [
            i
            for i, stored in enumerate(captured.stored.items)
            if stored.issue_count == 1 and i < len(captured.envelope.items)
        ]
        if fresh and self._issues_shown < self.new_issues_per_window:
            self._issues_shown += len(fresh)
        else:
            fresh = []
        fresh += [
            i
            for i, stored in enumerate(captured.stored.items)
            if stored.came_back is not None and i < len(captured.envelope.items)
        ]
        rest = [
            item.type or "unknown"
            for i, item in enumerate(captured.envelope.items)
            if i not in fresh
        ]
        self._count(Counter(rest), now)
        return render_captured(captured, fresh) if fresh else []

    def _count(self, counts: Counter[str], now: float) -> None:
        if counts and self._skipped_since is None:
            self._skipped_since = now
        self._skipped.update(counts)

    def _close_window(self, now: float) -> list[RenderableType]:
        """End the current window: sum up what was skipped; stay in burst mode while busy."""
        out: list[RenderableType] = []
        if self._skipped:
            since = self._skipped_since if self._skipped_since is not None else now
            out.append(burst_summary(self._skipped, max(now - since, 0.0)))
        # Still busy (and no quiet window in between): keep summing up instead of printing.
        quiet = now - self._window_start >= 2 * self.window
        self._bursting = bool(self._skipped) and self._arrived > self.burst and not quiet
        self._skipped = Counter()
        self._skipped_since = None
        self._window_start = now
        self._arrived = 0
        self._issues_shown = 0
        return out

    def _print(self, views: list[RenderableType]) -> None:
        """Runs on the writer thread: the only code that touches the terminal."""
        for view in views:
            try:
                if isinstance(view, _Control):
                    self.console.file.write(view.text)
                    self.console.file.flush()
                else:
                    self.console.print(view)
            except Exception:
                log.exception("could not print to the console")
