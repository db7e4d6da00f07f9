"""Stores across releases: a store written by an earlier release opens (migrated in one
transaction), a newer one is refused untouched, and files that are no store are left alone."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from devsentry import __version__
from devsentry.cli import cli
from devsentry.store import Query, Store, schema
from devsentry.store.lock import StoreBusy
from devsentry.store.schema import APPLICATION_ID, VERSION, NewerStore, NotAStore
from devsentry.store.writer import StoreWriter
from tests.conftest import FIXTURES, clean_env

V1 = FIXTURES / "stores" / "0.1.0.dev0.db"  # written by 0.1.0.dev0: scripts/record_store.py


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pragma(path: Path, name: str) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute(f"PRAGMA {name}").fetchone()[0])
    finally:
        db.close()


@pytest.fixture
def v1(tmp_path: Path) -> Path:
    assert V1.is_file(), f"{V1} is missing: re-record with scripts/record_store.py"
    copy = tmp_path / "old.db"
    shutil.copy(V1, copy)
    return copy


def test_a_store_from_0_1_0_dev0_opens_with_everything_in_it(v1: Path) -> None:
    with sqlite3.connect(v1) as db:
        before = {
            t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("envelopes", "items", "issues")
        }
    assert pragma(v1, "user_version") == 0 and before["envelopes"] == 45
    with Store(v1, readonly=True) as store:  # even a reader gets the upgraded store
        issues = store.issues(Query(limit=None))
        assert len(issues) == before["issues"]
        assert store.count_envelopes() == before["envelopes"]
        assert len(store.items(Query(limit=None))) == before["items"]
    assert (pragma(v1, "user_version"), pragma(v1, "application_id")) == (VERSION, APPLICATION_ID)
    result = CliRunner().invoke(cli, ["issues", "--store", str(v1), "--json"])
    assert result.exit_code == 0, result.output
    assert "PaymentError" in result.output
    # Its events were indexed before devsentry processed them: `show` derives the normalized
    # event and its tags when asked; the issue has no facets (nothing counted them).
    shown = CliRunner().invoke(cli, ["show", issues[0].short_id, "--store", str(v1), "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data["normalized"]["event_id"] == data["payload"]["event_id"]
    assert ["release", data["payload"]["release"]] in data["tags"]
    assert data["issue"]["tags"] == [] and data["issue"]["first_release"] is None


def test_migrations_run_in_one_transaction(v1: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = (*schema.MIGRATIONS, "CREATE TABLE half_done (x);\nTHIS IS NOT SQL;\n")
    monkeypatch.setattr(schema, "MIGRATIONS", broken)
    monkeypatch.setattr(schema, "VERSION", 1 + len(broken))
    with pytest.raises(sqlite3.OperationalError):
        Store(v1)
    db = sqlite3.connect(v1)
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    columns = {row[1] for row in db.execute("PRAGMA table_info(rejected)")}
    db.close()
    assert "half_done" not in tables and "client" not in columns  # nothing of it stayed
    assert pragma(v1, "user_version") == 0


def test_a_store_from_a_newer_release_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {VERSION + 3}")
    db.close()
    before = digest(path)
    with pytest.raises(NewerStore, match=f"schema {VERSION + 3}.*{__version__}.*up to {VERSION}"):
        Store(path)
    result = CliRunner().invoke(cli, ["issues", "--store", str(path)])
    assert result.exit_code == 1 and "newer devsentry" in result.output
    assert digest(path) == before


def other_database(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE users (id INTEGER, name TEXT)")
    db.execute("INSERT INTO users VALUES (1, 'ada')")
    db.commit()
    db.close()
    return path


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (other_database, "is an SQLite database, but not a devsentry store (its tables: users)"),
        (lambda p: (p.write_text("hello, I am notes.txt\n"), p)[1], "not an SQLite database"),
        (
            lambda p: (p.write_bytes(b"SQLite format 3\x00" + b"\x07" * 4000), p)[1],
            "cannot be read as a devsentry store",
        ),
    ],
    ids=["another SQLite database", "a text file", "a damaged file"],
)
def test_a_file_that_is_no_store_is_an_error_and_left_untouched(
    tmp_path: Path, make: object, says: str
) -> None:
    path = make(tmp_path / "thing.db")  # type: ignore[operator]
    before = digest(path)
    with pytest.raises(NotAStore, match=r"not|cannot"):
        Store(path)
    for command in (["issues"], ["stats", "--json"], ["clear", "--yes"], ["outbox", "--retry"]):
        result = CliRunner().invoke(cli, [*command, "--store", str(path)])
        assert result.exit_code == 1, result.output
        assert says in result.output and "Traceback" not in result.output
    serve = subprocess.run(
        [sys.executable, "-m", "devsentry", "serve", "--port", "0", "--store", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        env=clean_env(),
        check=False,
    )
    assert serve.returncode == 1, serve.stderr
    assert says in serve.stderr and "Traceback" not in serve.stderr
    assert digest(path) == before
    assert not Path(f"{path}-wal").exists()


def test_an_empty_sqlite_file_becomes_a_store(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    with Store(path) as store:
        assert store.count_envelopes() == 0
    assert pragma(path, "application_id") == APPLICATION_ID


def test_a_second_writer_on_one_store_is_told_who_has_it(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    first = StoreWriter(path)
    try:
        with pytest.raises(StoreBusy, match=r"being written by another devsentry \(pid \d+"):
            StoreWriter(path)
        serve = subprocess.run(
            [sys.executable, "-m", "devsentry", "serve", "--port", "0", "--store", str(path)],
            capture_output=True,
            text=True,
            timeout=30,
            env=clean_env(),
            check=False,
        )
        assert serve.returncode == 1
        assert "is being written by another devsentry" in serve.stderr
        assert "Traceback" not in serve.stderr
    finally:
        first.close()
    StoreWriter(path).close()  # free again once the first writer is gone


def test_opening_a_store_beside_its_writer_never_costs_the_writer_its_wal(tmp_path: Path) -> None:
    """A reader opened in the writer's process (the MCP tools inside serve, the test fixture)
    must not drop the writer's locks: another process's writable connection, closing, would
    then think itself the last one and checkpoint and delete the WAL under the writer."""
    path = tmp_path / "devsentry.db"
    writer = Store(path)  # the writer's connection: WAL open from now on
    writer.db.execute("CREATE TABLE IF NOT EXISTS probe_rows (n INTEGER)")
    writer.db.execute("INSERT INTO probe_rows VALUES (1)")
    wal = Path(f"{path}-wal")
    assert wal.exists()
    Store(path, readonly=True).close()  # a reader, opened and closed in the writer's process
    # a status change from another process (`devsentry resolve`), its connection closed
    subprocess.run(
        [sys.executable, "-c", f"from devsentry.store import Store; Store({str(path)!r}).close()"],
        check=True,
        timeout=30,
    )
    assert wal.exists(), "the WAL was checkpointed and deleted while its writer still used it"
    writer.db.execute("INSERT INTO probe_rows VALUES (2)")
    writer.close()
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM probe_rows").fetchone() == (2,)
    finally:
        db.close()
