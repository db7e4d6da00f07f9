"""What devsentry takes on disk, and the faults of a disk it survives and says clearly.

Retention and the WAL keep the store bounded; a full disk and a store locked by another
program are refused with Relay's 503 and accepted again afterwards, losing nothing
acknowledged. The real server on real HTTP and real SQLite files. The full disk is a real small filesystem
(a 8 MB tmpfs, when this test may mount one) or, anywhere, the same SQLITE_FULL from a page
limit set on the writer's connection (`PRAGMA max_page_count`). The lock is another program's
write transaction (`BEGIN IMMEDIATE` on a plain sqlite3 connection).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from devsentry.store import Store
from devsentry.testing import LocalServer, wait_until
from tests.conftest import FIXTURES, clean_env

ERROR_ENVELOPE = (FIXTURES / "python" / "error_plain.envelope").read_bytes()
EVENT_ID = json.loads(ERROR_ENVELOPE.split(b"\n", 1)[0])["event_id"]
AUTH = {"X-Sentry-Auth": "Sentry sentry_key=devsentry, sentry_version=7, sentry_client=test/1.0"}


class Sender:
    """Posts the fixture error with a fresh event id each time; remembers what got a 200."""

    def __init__(self, server: LocalServer | str) -> None:
        self.url = server if isinstance(server, str) else server.url
        self.sent = 0
        self.acked: list[str] = []

    def send(self) -> tuple[int, dict[str, str], dict[str, str]]:
        self.sent += 1
        event_id = f"{self.sent:032x}"
        body = ERROR_ENVELOPE.replace(EVENT_ID.encode(), event_id.encode())
        request = urllib.request.Request(
            f"{self.url}/api/1/envelope/", data=body, headers=AUTH, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, headers, answer = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as err:
            with err:
                status, headers, answer = err.code, dict(err.headers), err.read()
        if status == 200:
            self.acked.append(event_id)
        return status, headers, json.loads(answer)

    def until(self, status: int, limit: int = 2000) -> tuple[dict[str, str], dict[str, str]]:
        """Send until an answer has `status`; its headers and body."""
        for _ in range(limit):
            got, headers, body = self.send()
            if got == status:
                return headers, body
            assert got in (200, 503), (got, body)
        raise AssertionError(f"no {status} in {limit} requests")


def stored_event_ids(path: Path) -> set[str]:
    with Store(path, readonly=True) as store:
        return {row[0] for row in store.db.execute("SELECT event_id FROM envelopes")}


def writer_db(server: LocalServer) -> sqlite3.Connection:
    """The running server's write connection (to set SQLite's page limit on it)."""
    assert server.server is not None
    return server.server.pipeline.writer.store.db


# -- a disk that fills up, and space that comes back ------------------------------------------


class Tmpfs:
    """A real 8 MB filesystem; `fill` leaves a few pages free, `free` deletes the filler."""

    def __init__(self, mount: Path) -> None:
        self.mount = mount
        self.store = mount / "store.db"
        self.filler = mount / "filler"

    def fill(self, server: LocalServer) -> None:
        stat = os.statvfs(self.mount)
        room = 256 * 1024
        with self.filler.open("wb") as file:
            file.write(b"\0" * max(stat.f_bavail * stat.f_frsize - room, 0))

    def free(self, server: LocalServer) -> None:
        self.filler.unlink()


class PageLimit:
    """SQLITE_FULL without a small filesystem: the store may not grow past its pages."""

    def __init__(self, directory: Path) -> None:
        self.store = directory / "store.db"

    def fill(self, server: LocalServer) -> None:
        db = writer_db(server)
        (pages,) = db.execute("PRAGMA page_count").fetchone()
        db.execute(f"PRAGMA max_page_count = {pages}")

    def free(self, server: LocalServer) -> None:
        writer_db(server).execute("PRAGMA max_page_count = 1000000000")


def mount_tmpfs(directory: Path) -> bool:
    directory.mkdir()
    if os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(directory)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


@pytest.fixture(params=["tmpfs", "page limit"])
def disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Tmpfs | PageLimit]:
    if request.param == "page limit":
        yield PageLimit(tmp_path)
        return
    mount = tmp_path / "small"
    if not mount_tmpfs(mount):
        pytest.skip("cannot mount a tmpfs here (needs root); the page-limit case covers it")
    try:
        yield Tmpfs(mount)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_a_503_said_once_and_nothing_acknowledged_is_lost(
    disk: Tmpfs | PageLimit,
) -> None:
    with LocalServer(disk.store) as server:
        sender = Sender(server)
        for _ in range(3):
            assert sender.send()[0] == 200
        disk.fill(server)
        headers, body = sender.until(503)
        assert headers["Retry-After"].isdigit()
        assert headers["Access-Control-Allow-Origin"] == "*"
        assert "store is full" in body["detail"]
        for _ in range(3):  # still full: still refused, and not said again
            assert sender.send()[0] == 503
        server.wait_for_output("store is full")

        disk.free(server)
        wait_until(lambda: sender.send()[0] == 200, "a 200 once there was space again")
        for _ in range(3):
            assert sender.send()[0] == 200
        server.wait_for_output("takes writes again")
        assert server.output.count("store is full") == 1
        assert server.output.count("takes writes again") == 1
        # the index catches up on everything acknowledged, and the console shows it
        server.wait_for("event", count=len(sender.acked))
    assert set(sender.acked) <= stored_event_ids(disk.store)


# -- another program holding the write lock ---------------------------------------------------


def test_a_store_locked_by_another_program_is_a_503_then_a_200_after_release(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.db"
    with LocalServer(path) as server:
        sender = Sender(server)
        assert sender.send()[0] == 200
        server.wait_for("event")
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # e.g. a DB browser with a write open on the file
        try:
            status, headers, body = sender.send()
            assert status == 503, body
            # refused after a short wait for the lock, not the connection's 10 s busy timeout
            assert "locked by another program" in body["detail"]
            assert headers["Retry-After"] == "1"
            assert sender.send()[0] == 503
        finally:
            other.execute("ROLLBACK")
            other.close()
        wait_until(lambda: sender.send()[0] == 200, "a 200 once the lock was released")
        server.wait_for_output("takes writes again")
        assert server.output.count("locked by another program") == 1
        server.wait_for("event", count=len(sender.acked))
    assert set(sender.acked) <= stored_event_ids(path)


def test_serve_quiet_says_it_once_on_stderr(tmp_path: Path) -> None:
    """Without the console (`--quiet`) the same two lines go to the log, once each."""
    path = tmp_path / "store.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "devsentry", "serve", "--quiet", "--port", "0", "--store", path],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(COLUMNS="200"),
    )
    try:
        assert proc.stdout is not None
        banner = ""
        while "DSN" not in banner:
            banner = proc.stdout.readline()
            assert banner, "serve exited before printing its banner"
        dsn = banner.split("DSN", 1)[1].split()[0]  # http://devsentry@127.0.0.1:PORT/1
        url = dsn.replace("devsentry@", "").rsplit("/", 1)[0]
        sender = Sender(url)
        assert sender.send()[0] == 200
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            assert [sender.send()[0] for _ in range(3)] == [503, 503, 503]
        finally:
            other.execute("ROLLBACK")
            other.close()
        wait_until(lambda: sender.send()[0] == 200, "a 200 once the lock was released")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    assert err.count("locked by another program") == 1, err
    assert err.count("takes writes again") == 1, err
    assert set(sender.acked) <= stored_event_ids(path)


# -- what the store takes on disk -------------------------------------------------------------


def wal_size(path: Path) -> int:
    wal = Path(f"{path}-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_retention_keeps_the_newest_as_they_arrive(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with LocalServer(path, keep=20, console=False) as server:
        sender = Sender(server)
        for _ in range(60):
            assert sender.send()[0] == 200
        server.wait_for("event", count=20)

        # pruned in steps (keep/16 + 1 envelopes over `keep`, here 2): never more than that
        def pruned() -> set[str] | None:
            ids = stored_event_ids(path)
            return ids if len(ids) <= 21 else None

        kept = wait_until(pruned, "retention down to 21 envelopes")
        assert set(sender.acked[-20:]) <= kept <= set(sender.acked)
        assert {i.event_id for i in server.items()} <= kept  # no rows for pruned envelopes


def test_the_wal_is_emptied_once_writes_stop(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with LocalServer(path, console=False) as server:
        sender = Sender(server)
        for _ in range(50):
            assert sender.send()[0] == 200
        server.wait_for("event", count=50)
        assert wal_size(path) > 0
        wait_until(lambda: wal_size(path) == 0, "the WAL truncated once writes stopped")
        assert sender.send()[0] == 200  # and the store goes on from an empty WAL
    assert set(sender.acked) <= stored_event_ids(path)
