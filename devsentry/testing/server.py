"""A real devsentry server in a background thread, for tests (ours and our users').

`LocalServer` starts the same assembly as `devsentry serve` — HTTP server, pipeline, SQLite
store, live console — on an ephemeral port, with its own event loop in a thread, so ordinary
synchronous test code (and SDKs sending from their own threads) can talk to it. The pytest
plugin's `devsentry` fixture is a thin wrapper around it.
"""

from __future__ import annotations

import contextvars
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from devsentry.ingest.forward import ForwardPolicy
from devsentry.model import Payload, decode_item
from devsentry.process.sourcemaps import SourceMapPolicy
from devsentry.protocol.envelope import Envelope, parse
from devsentry.service import Background, make_sinks, serving
from devsentry.sinks.alerts import AlertPolicy
from devsentry.store.query import Query
from devsentry.store.records import IssueRecord, ItemRecord
from devsentry.store.store import DEFAULT_KEEP, Store
from devsentry.testing.wait import WaitTimeout, wait_until
from devsentry.transports.server import Server

__all__ = ["LocalServer", "WaitTimeout"]


class LocalServer:
    """An in-process devsentry server on 127.0.0.1 and an ephemeral port."""

    def __init__(
        self,
        store: Path,
        *,
        console: bool = True,
        width: int = 100,
        port: int = 0,
        forward: ForwardPolicy | None = None,
        keep: int = DEFAULT_KEEP,
        context: contextvars.Context | None = None,
        alerts: AlertPolicy | None = None,
        sourcemaps: SourceMapPolicy | None = None,
    ) -> None:
        self.store_path = store
        self.port = port
        self.forward = forward
        self.keep = keep
        self._output = io.StringIO()
        self._console = (
            Console(file=self._output, width=width, color_system=None, highlight=False)
            if console
            else None
        )
        self._background: Background[Server] = Background(
            lambda: serving(
                self.store_path,
                host="127.0.0.1",
                port=self.port,
                sinks=make_sinks(self._console),
                forward=self.forward,
                keep=self.keep,
                alerts=alerts,
                sourcemaps=sourcemaps,
            ),
            "devsentry test server",
            context=context,
        )
        self.server: Server | None = None

    def start(self) -> LocalServer:
        self.server = self._background.start(timeout=10)
        return self

    def stop(self) -> None:
        self._background.stop(timeout=10)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- where SDKs send ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self.server is not None, "server not started"
        return self.server.base_url

    @property
    def dsn(self) -> str:
        assert self.server is not None, "server not started"
        return self.server.dsn()

    def dsn_for(self, project: int, key: str = "devsentry") -> str:
        assert self.server is not None, "server not started"
        return self.server.dsn(project, key)

    @property
    def spotlight_url(self) -> str:
        assert self.server is not None, "server not started"
        return self.server.spotlight_url

    # -- what arrived ------------------------------------------------------------------------

    def _read(self) -> Store:
        return Store(self.store_path, readonly=True)

    def items(self, **filters: Any) -> list[ItemRecord]:
        """Stored items, oldest first (filters as `Query`: types=…, project=…)."""
        with self._read() as store:
            return store.items(Query(limit=None, **filters), oldest_first=True)

    @property
    def issues(self) -> list[IssueRecord]:
        with self._read() as store:
            return store.issues(Query(limit=None))

    @property
    def envelopes(self) -> list[Envelope]:
        """Every stored envelope, parsed, oldest first."""
        with self._read() as store:
            rows = store.db.execute("SELECT raw FROM envelopes ORDER BY id").fetchall()
        return [parse(raw) for (raw,) in rows]

    def model(self, item: ItemRecord) -> Payload | None:
        """The decoded payload of a stored item."""
        with self._read() as store:
            envelope = store.envelope(item.envelope_id)
        assert envelope is not None
        return decode_item(parse(envelope.raw).items[item.index])

    @property
    def output(self) -> str:
        """Everything the live console printed so far."""
        return self._output.getvalue()

    def describe(self) -> str:
        """What arrived, one line an item: the message a failed wait shows."""
        items = self.items()
        lines = [f"  {i.type:<14} {i.title or ''}" for i in items]
        return f"{len(items)} item(s) arrived" + (":\n" + "\n".join(lines) if lines else "")

    def wait_for(
        self,
        type: str | None = None,
        *,
        count: int = 1,
        predicate: Callable[[ItemRecord], bool] | None = None,
        timeout: float = 10.0,
    ) -> list[ItemRecord]:
        """Poll until `count` items (of `type`, matching `predicate`) arrived; return them all.

        On timeout, fails with a message listing every item that did arrive.
        """

        def find() -> list[ItemRecord]:
            items = self.items(types=[type] if type else ())
            matching = [i for i in items if predicate is None or predicate(i)]
            return matching if len(matching) >= count else []

        what = f"{count} {type or 'item'}{'' if count == 1 else 's'}"
        if predicate:
            what += " matching the predicate"
        return wait_until(find, lambda: f"{what}. {self.describe()}", timeout)

    def wait_for_output(self, text: str, timeout: float = 10.0) -> str:
        """Poll the live console output until it contains `text`."""
        return wait_until(
            lambda: self.output if text in self.output else None,
            lambda: f"the console never printed {text!r}. It printed:\n{self.output}",
            timeout,
        )
