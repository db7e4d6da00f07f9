"""The indexer: envelopes committed but not yet indexed (a crash, a flood) are never lost, and
no failure, of a sink or its own, stops it."""

from __future__ import annotations

import asyncio
import io
import urllib.request
from pathlib import Path

import pytest
from rich.console import Console

from devsentry.process.indexer import Indexer
from devsentry.protocol import parse
from devsentry.service import Background, serving
from devsentry.sinks.console import ConsoleSink
from devsentry.store import NewEnvelope
from devsentry.store.writer import StoreWriter
from devsentry.testing import LocalServer, wait_until
from devsentry.transports.server import Server
from tests.conftest import FIXTURES


def test_unindexed_envelopes_are_indexed_and_shown_at_next_start(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    raw = (FIXTURES / "python" / "error_plain.envelope").read_bytes()

    async def commit_without_indexing() -> None:
        writer = StoreWriter(path)
        try:
            for _ in range(3):
                await writer.write(
                    NewEnvelope(
                        raw=raw,
                        project="9",
                        transport="envelope",
                        received=1.0,
                        items=[],
                        event_id=parse(raw).event_id,
                    )
                )
        finally:
            writer.close()

    asyncio.run(commit_without_indexing())  # as if the process died right after the commits
    with LocalServer(path) as server:
        items = server.wait_for("event", count=3)
        assert {i.project for i in items} == {"9"}
        (issue,) = server.issues
        assert issue.count == 3
        server.wait_for_output("seen 3 times")


class BrokenSink:
    """A sink of someone else's that fails on every item (the Sink protocol is public)."""

    def __init__(self) -> None:
        self.calls = 0

    async def start(self) -> None:
        pass

    def publish(self, captured: object) -> None:
        self.calls += 1
        raise RuntimeError("this sink is broken")

    async def stop(self) -> None:
        pass


def serve_in_background(path: Path, sinks: list[object]) -> tuple[Background[Server], str]:
    background: Background[Server] = Background(
        lambda: serving(path, port=0, sinks=sinks),  # type: ignore[arg-type]
        "indexer test server",
    )
    return background, background.start().base_url


def post(url: str, body: bytes) -> int:
    request = urllib.request.Request(f"{url}/api/1/envelope/", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def test_a_failing_sink_never_stops_the_others_or_ingest(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    output = io.StringIO()
    broken = BrokenSink()
    console = ConsoleSink(Console(file=output, width=100, color_system=None))
    background, url = serve_in_background(tmp_path / "s.db", [broken, console])
    try:
        for name in ("error_plain", "message-1", "logs"):
            assert post(url, (FIXTURES / "python" / f"{name}.envelope").read_bytes()) == 200
        wait_until(lambda: "Stock for SKU" in output.getvalue(), "the console printing")
        wait_until(lambda: broken.calls == 3, "three publishes to the broken sink")
    finally:
        background.stop()
    tracebacks = [r for r in caplog.records if r.exc_info and "BrokenSink" in r.getMessage()]
    assert len(tracebacks) == 1, "the failure is logged with its traceback once"


def test_the_indexer_restarts_after_a_failure_of_its_own(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug (here a fault injected into one indexing run) is logged once; the indexer starts
    again, catches up from the store, and indexes what came before and after."""
    calls = {"n": 0}
    index = Indexer._index

    def fails_once(self: Indexer, batch: list[object], *decoded: object) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("a bug in the indexer")
        index(self, batch, *decoded)  # type: ignore[arg-type]

    monkeypatch.setattr(Indexer, "_index", fails_once)
    path = tmp_path / "s.db"
    with LocalServer(path) as server:
        raw = (FIXTURES / "python" / "error_plain.envelope").read_bytes()
        assert post(server.url, raw) == 200
        assert post(server.url, (FIXTURES / "python" / "message-1.envelope").read_bytes()) == 200
        server.wait_for("event", count=2, timeout=15)
        server.wait_for_output("Stock for SKU")
    assert any("indexer failed and restarts" in r.getMessage() for r in caplog.records)
