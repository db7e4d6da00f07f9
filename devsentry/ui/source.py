"""What the dashboard reads: pages of the store through the browse library, a screen at a time.

One read-only connection serves the screens (their loads run on worker threads, one at a time
under a lock); the live watch polls the newest item id on a connection of its own, so a
`serve` writing the same store never waits for the dashboard (WAL readers do not block it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from devsentry.browse.errors import open_store
from devsentry.browse.lists import IssuePage, ItemPage, issue_page, item_page
from devsentry.model import Log, LogContainer
from devsentry.store.query import Query
from devsentry.store.store import Store

if TYPE_CHECKING:  # what only an opened issue, event or trace needs: loaded when one is
    from devsentry.browse.detail import Detail
    from devsentry.browse.perf import PerfReport
    from devsentry.browse.traces import Trace, TraceSummary
    from devsentry.fixtures.export import Exported
    from devsentry.store.ids import Ref

__all__ = ["COUNT_CAP", "LogPage", "Source", "Watch"]

#: Items counted for a list's title before it says "10,000+".
COUNT_CAP = 10_000


class LogPage(msgspec.Struct):
    """The newest log records, in one container (newest first), and how many items held them."""

    logs: LogContainer
    items: int


class Source:
    """The store as the screens read it. `now` is the clock the views count "ago" from (a
    fixed one makes a screenshot repeatable)."""

    def __init__(self, path: Path, *, now: Callable[[], float] = time.time) -> None:
        self.path = path
        self.now = now
        self._store = open_store(path)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._store.close()

    def issues(self, query: Query) -> IssuePage:
        with self._lock:
            return issue_page(self._store, query)

    def items(self, query: Query) -> ItemPage:
        """A page of items; the count stops at `COUNT_CAP` ("10,000+ items")."""
        with self._lock:
            return item_page(self._store, query, count_cap=COUNT_CAP)

    def interrupt(self) -> None:
        """Stop the query running now (a load the user has typed past): it raises
        `sqlite3.OperationalError` in its thread. Safe from any thread."""
        self._store.db.interrupt()

    def detail(self, ref: Ref) -> Detail:
        from devsentry.browse.detail import load_detail

        with self._lock:
            return load_detail(self._store, ref)

    def logs(self, query: Query) -> LogPage:
        """The log records of the newest `query.limit` log items, newest first."""
        from devsentry.browse.follow import Loader

        query = msgspec.structs.replace(query, types=("log",))
        with self._lock:
            page = item_page(self._store, query)
            loader = Loader(self._store)
            records: list[Log] = []
            for row in page.rows:
                model = loader.load(row).model
                if isinstance(model, LogContainer):
                    records.extend(model.logs)
        records.sort(key=lambda log: log.timestamp_seconds or 0.0, reverse=True)
        return LogPage(LogContainer(items=records), len(page.rows))

    def traces(self, project: str | None, limit: int) -> list[TraceSummary]:
        """The newest `limit` traces (`devsentry traces`)."""
        from devsentry.browse.traces import recent_traces

        with self._lock:
            return recent_traces(self._store, since=None, project=project, limit=limit)

    def trace(self, trace_id: str) -> Trace:
        """One trace across services (`devsentry trace`)."""
        from devsentry.browse.traces import load_trace

        with self._lock:
            return load_trace(self._store, trace_id)

    def perf(self, project: str | None, limit: int) -> PerfReport:
        """The busiest transaction groups and their timings (`devsentry perf`)."""
        from devsentry.browse.perf import perf_report

        with self._lock:
            return perf_report(self._store, project=project, limit=limit, now=self.now())

    def export(self, envelope_id: int, directory: Path) -> list[Exported]:
        """The envelope as a `.envelope` fixture file in `directory` (`devsentry export`)."""
        from devsentry.fixtures.export import export

        with self._lock:
            return export(self._store, [envelope_id], directory)


class Watch:
    """Polls the store's newest item id every `interval` seconds on its own connection and
    calls `changed(latest)` when it moves (new items, or a cleared store). One indexed
    `max(id)` lookup a poll: nothing a writer notices."""

    def __init__(self, path: Path, changed: Callable[[int], None], interval: float = 0.5) -> None:
        self.path = path
        self.changed = changed
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="devsentry-ui-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        with Store(self.path, readonly=True) as store:
            seen = store.last_item_id()
            while not self._stop.wait(self.interval):
                latest = store.last_item_id()
                if latest != seen:
                    seen = latest
                    self.changed(latest)
