"""`serve` in two processes: the ingest process answers SDKs, the worker processes, indexes
and prints. Driven as users run it: the real CLI, real HTTP, the real sentry-sdk, signals."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from devsentry.protocol import parse
from devsentry.store import Store
from devsentry.testing import wait_until
from tests.conftest import FIXTURES, run_python_app
from tests.test_server import AUTH, start_serve

ERROR_ENVELOPE = (FIXTURES / "python" / "error_chained.envelope").read_bytes()


def children(pid: int) -> list[int]:
    """The processes `pid` started (Linux: /proc/<pid>/task/<pid>/children)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(child) for child in text.split()]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def worker_of(proc: subprocess.Popen[str]) -> int:
    return wait_until(lambda: next(iter(children(proc.pid)), None), "the worker process")


def port_of(dsn: str) -> int:
    return int(dsn.rsplit(":", 1)[1].split("/")[0])


def read_until(
    proc: subprocess.Popen[str], text: str, seen: list[str], timeout: float = 20
) -> None:
    """Read the console line by line until one holds `text` (a reader thread keeps the pipe
    from filling)."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while not any(text in line for line in seen):
        assert time.monotonic() < deadline, f"never printed {text!r}:\n{''.join(seen)}"
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            raise AssertionError(f"serve exited before printing {text!r}:\n{''.join(seen)}")
        seen.append(line)


class Flood:
    """Threads posting the error envelope with fresh event ids; keeps the acknowledged ids."""

    def __init__(self, port: int, threads: int = 4) -> None:
        self.port = port
        self.acknowledged: list[str] = []
        self.stop = threading.Event()
        self._threads = [threading.Thread(target=self._send) for _ in range(threads)]
        self._template = ERROR_ENVELOPE.decode()
        self._old_id = parse(ERROR_ENVELOPE).event_id or ""

    def __enter__(self) -> Flood:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(10)

    def _send(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            while not self.stop.is_set():
                event_id = uuid.uuid4().hex
                body = self._template.replace(self._old_id, event_id).encode()
                try:
                    connection.request("POST", "/api/1/envelope/", body, AUTH)
                    response = connection.getresponse()
                    response.read()
                except OSError:
                    return  # the server is gone
                if response.status == 200:
                    self.acknowledged.append(event_id)
        finally:
            connection.close()


def indexed_event_ids(store: Path) -> list[str]:
    with Store(store, readonly=True) as db:
        return [row[0] for row in db.db.execute("SELECT event_id FROM items WHERE type = 'event'")]


def test_serve_runs_a_worker_that_prints_and_stops_with_it_on_ctrl_c(tmp_path: Path) -> None:
    """The console is printed by the worker in serve's terminal; Ctrl-C (the terminal sends
    SIGINT to both) stops both cleanly, the worker after the ingest process."""
    store = tmp_path / "two.db"
    proc, dsn, _ = start_serve(store)
    seen: list[str] = []
    try:
        worker = worker_of(proc)
        assert "devsentry.worker" in Path(f"/proc/{worker}/cmdline").read_text()
        run_python_app("checkout", "error", SENTRY_DSN=dsn)
        read_until(proc, "RuntimeError: checkout failed", seen)
        read_until(proc, "new issue DS-1", seen)
    finally:
        proc.send_signal(signal.SIGINT)
        os.kill(worker, signal.SIGINT)  # as the terminal does: the whole group gets it
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert not alive(worker)
    with Store(store, readonly=True) as db:
        (issues,) = db.db.execute("SELECT count(*) FROM issues").fetchone()
    assert issues == 1


def test_workers_0_runs_everything_in_one_process(tmp_path: Path) -> None:
    proc, dsn, _ = start_serve(tmp_path / "one.db", "--workers", "0")
    seen: list[str] = []
    try:
        run_python_app("checkout", "error", SENTRY_DSN=dsn)
        read_until(proc, "RuntimeError: checkout failed", seen)
        assert children(proc.pid) == []
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode == 130


def test_a_worker_killed_mid_flood_is_restarted_and_indexes_each_envelope_once(
    tmp_path: Path,
) -> None:
    """SIGKILL to the worker while envelopes pour in: serve says so, starts another, and
    every acknowledged envelope ends up indexed exactly once."""
    store = tmp_path / "flood.db"
    proc, dsn, _ = start_serve(store, "--quiet")
    try:
        first = worker_of(proc)
        with Flood(port_of(dsn)) as flood:
            wait_until(lambda: len(flood.acknowledged) > 200, "200 acknowledged", timeout=30)
            os.kill(first, signal.SIGKILL)
            wait_until(
                lambda: next((c for c in children(proc.pid) if c != first), None),
                "a new worker",
                timeout=20,
            )
            count = len(flood.acknowledged)
            wait_until(lambda: len(flood.acknowledged) > count + 200, "200 more", timeout=30)
        acknowledged = set(flood.acknowledged)
        wait_until(
            lambda: len(indexed_event_ids(store)) >= len(acknowledged) or None,
            lambda: f"{len(indexed_event_ids(store))} of {len(acknowledged)} indexed",
            timeout=60,
        )
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    indexed = indexed_event_ids(store)
    assert len(indexed) == len(set(indexed)), "an envelope was indexed twice"
    assert acknowledged <= set(indexed)
    assert "worker stopped (killed by signal 9); starting it again" in err + out


def test_a_worker_orphaned_by_a_killed_server_finishes_and_exits(tmp_path: Path) -> None:
    """SIGKILL to the ingest process: the worker sees its pipe end, indexes what was
    committed and exits; nothing is left running and everything answered 200 is indexed."""
    store = tmp_path / "orphan.db"
    proc, dsn, _ = start_serve(store, "--quiet")
    worker = worker_of(proc)
    with Flood(port_of(dsn)) as flood:
        wait_until(lambda: len(flood.acknowledged) > 300, "300 acknowledged", timeout=30)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
    wait_until(lambda: not alive(worker) or None, "the orphaned worker to exit", timeout=60)
    indexed = indexed_event_ids(store)
    assert set(flood.acknowledged) <= set(indexed)
    assert len(indexed) == len(set(indexed))


def test_the_worker_raises_alerts_and_prints_regressions(tmp_path: Path) -> None:
    """Alerts and the REGRESSED block come from the worker: `serve --webhook` in two
    processes posts the new issue, and `devsentry resolve` then the same error regresses it."""
    from devsentry.service import Background
    from tests.test_alerts import Receiver

    receiver = Receiver()
    background = Background(receiver.running, "webhook receiver")
    background.start()
    store = tmp_path / "alerts.db"
    proc, dsn, _ = start_serve(store, "--webhook", receiver.url)
    seen: list[str] = []
    try:
        worker_of(proc)
        run_python_app("checkout", "error", SENTRY_DSN=dsn)
        wait_until(lambda: receiver.bodies, "the webhook got nothing", 20)
        assert receiver.bodies[0]["devsentry"]["alert"] == "new"
        read_until(proc, "new issue DS-1", seen)
        done = subprocess.run(
            [sys.executable, "-m", "devsentry", "resolve", "DS-1", "--store", str(store)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        run_python_app("checkout", "error", SENTRY_DSN=dsn)
        read_until(proc, "REGRESSED", seen)
        wait_until(lambda: len(receiver.bodies) == 2, "no alert for the regression", 20)
        assert receiver.bodies[1]["devsentry"]["alert"] == "regressed"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
        background.stop()


def test_the_worker_resolves_source_maps_from_a_sourcemaps_dir(tmp_path: Path) -> None:
    """`serve --sourcemaps DIR` in two processes: the worker gets the directory and resolves
    a Node bundle's frames by debug ID (its map only in DIR)."""
    import shutil

    from tests.conftest import NODE_DIR, clean_env
    from tests.test_sourcemaps import build_node_ts_app, sentry_cli

    bundle = build_node_ts_app(tmp_path / "app", minify=True)
    sentry_cli(["sourcemaps", "inject", str(bundle.parent)])
    maps = tmp_path / "maps"
    maps.mkdir()
    shutil.move(bundle.with_suffix(".js.map"), maps / "app.js.map")
    proc, dsn, _ = start_serve(tmp_path / "maps.db", "--sourcemaps", str(maps))
    seen: list[str] = []
    try:
        worker_of(proc)
        subprocess.run(
            ["node", str(bundle)],
            env=clean_env(SENTRY_DSN=dsn, NODE_PATH=str(NODE_DIR / "node_modules")),
            capture_output=True,
            timeout=60,
            check=False,
        )
        read_until(proc, "reserveStock(", seen)
        read_until(proc, "throw new RangeError", seen)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


def test_the_worker_tells_the_ingest_process_when_its_index_moved(tmp_path: Path) -> None:
    """`on_indexed` (how serve's MCP endpoint hears of new items) is called after the worker
    indexed what the pipeline committed: the store has its rows by then."""
    import threading as _threading

    from devsentry.ingest.request import Request
    from devsentry.service import Background, ingesting
    from devsentry.worker import Work

    store = tmp_path / "told.db"
    told = _threading.Event()
    indexed_when_told: list[int] = []

    def on_indexed() -> None:
        indexed_when_told.append(len(indexed_event_ids(store)))
        told.set()

    background = Background(
        lambda: ingesting(store, work=Work(console=False), on_indexed=on_indexed), "ingest"
    )
    pipeline = background.start()
    try:
        event_id = background.call(
            pipeline.ingest(Request(body=ERROR_ENVELOPE, transport="http", project="1"))
        )
        assert told.wait(20), "the worker never said it indexed"
        assert indexed_when_told[0] == 1 and indexed_event_ids(store) == [event_id]
    finally:
        background.stop()


def test_mcp_wait_for_events_on_serve_with_a_worker(tmp_path: Path) -> None:
    """An agent waiting on serve's /mcp gets the event the worker indexed meanwhile."""
    import anyio
    import pytest

    pytest.importorskip("mcp")
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    proc, dsn, _ = start_serve(tmp_path / "mcp.db", "--quiet")
    url = f"http://127.0.0.1:{port_of(dsn)}/mcp"
    try:

        async def main() -> dict[str, object]:
            async with Client(streamable_http_client(url)) as client:
                start = (
                    await client.call_tool("wait_for_events", {"timeout": 0})
                ).structured_content
                answers: list[dict[str, object]] = []

                async def wait() -> None:
                    result = await client.call_tool(
                        "wait_for_events",
                        {"type": "event", "cursor": start["cursor"], "timeout": 60},
                    )
                    answers.append(result.structured_content)

                async with anyio.create_task_group() as tg:
                    tg.start_soon(wait)
                    await anyio.to_thread.run_sync(
                        lambda: run_python_app("checkout", "error", SENTRY_DSN=dsn)
                    )
                return answers[0]

        arrived = anyio.run(main)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert not arrived["timed_out"]
    (event,) = arrived["items"]  # type: ignore[misc]
    assert event["title"] == "RuntimeError: checkout failed" and event["issue"] == "DS-1"
