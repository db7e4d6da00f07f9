"""The SQLite store: batched writes, issues and users, filters, retention, concurrent readers."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from devsentry.store import NewEnvelope, NewIssue, NewItem, Query, Store, default_store_path, writes
from devsentry.store.records import StoredEnvelope
from devsentry.store.writer import StoreWriter


def write(store: Store, batch: list[NewEnvelope]) -> list[StoredEnvelope]:
    """Commit envelopes and index them, as the writer and the indexer do (here in one go)."""
    with store.transaction() as db:
        ids = writes.insert_envelopes(db, batch)
        items = writes.insert_items(db, list(zip(ids, batch, strict=True)))
    return [StoredEnvelope(i, stored) for i, stored in zip(ids, items, strict=True)]


def envelope(
    n: int,
    *,
    hash: str = "h1",
    user: str | None = "id:1",
    project: str = "1",
    received: float | None = None,
    type: str = "event",
    level: str = "error",
) -> NewEnvelope:
    issue = (
        NewIssue(hash=hash, title=f"Error {hash}", culprit="app in main", level=level)
        if type == "event"
        else None
    )
    return NewEnvelope(
        raw=b'{"event_id":"%032x"}\n' % n,
        project=project,
        transport="envelope",
        received=received or time.time(),
        event_id=f"{n:032x}",
        items=[
            NewItem(
                index=0,
                type=type,
                size=10,
                event_id=f"{n:032x}",
                title=f"Error {hash}",
                level=level,
                user=user,
                release="r@1",
                environment="dev",
                issue=issue,
            )
        ],
    )


def test_default_path_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_store_path() == tmp_path / "devsentry" / "devsentry.db"


def test_write_groups_items_into_issues_and_counts_users(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        first = write(store, [envelope(1), envelope(2, user="id:2")])
        again = write(store, [envelope(3), envelope(4, hash="h2")])
        assert [s.items[0].issue_count for s in first + again] == [1, 2, 3, 1]
        issues = {i.hash: i for i in store.issues()}
        assert issues["h1"].count == 3
        assert issues["h1"].users == 2
        assert issues["h2"].count == 1
        assert store.issues(Query(search="h2"))[0].hash == "h2"
        assert [i.event_id for i in store.items(Query(issue_id=issues["h1"].id))] == [
            f"{n:032x}" for n in (3, 2, 1)
        ]
        assert store.items_by_event_id("0000000000000000000000000000000")[0].event_id.endswith("4")
        assert store.envelope(first[0].id).raw.startswith(b'{"event_id"')  # type: ignore[union-attr]


def test_filters(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        now = time.time()
        write(
            store,
            [
                envelope(1, project="1", received=now - 3600),
                envelope(2, project="2", received=now),
                envelope(3, type="log", level="info"),
            ],
        )
        assert [i.project for i in store.items(Query(project="2"))] == ["2"]
        assert len(store.items(Query(since=now - 60))) == 2
        assert [i.type for i in store.items(Query(types=["log"]))] == ["log"]
        assert len(store.items(Query(level="error"))) == 2
        assert len(store.issues(Query(environment="dev"))) == 2  # one per project
        assert store.issues(Query(release="other")) == []
        stats = store.stats()
        assert stats["envelopes"] == 3 and stats["by_type"] == {"event": 2, "log": 1}


def test_prune_keeps_the_newest(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        write(store, [envelope(n) for n in range(10)])
        assert writes.prune(store.db, keep=4) == 6
        assert store.count_envelopes() == 4
        assert [i.event_id for i in store.items()] == [f"{n:032x}" for n in (9, 8, 7, 6)]
        (issue,) = store.issues()
        assert issue.count == 10  # like Sentry: counts outlive pruned events
        writes.prune(store.db, keep=100, max_bytes=45)  # each raw envelope is 47 bytes → keep 0
        assert store.count_envelopes() == 0


def test_prune_in_steps_goes_oldest_first_and_keeps_what_waits(tmp_path: Path) -> None:
    """A bounded step deletes the oldest; envelopes still to be forwarded stay."""
    with Store(tmp_path / "s.db") as store:
        write(store, [envelope(n) for n in range(10)])
        store.db.execute(
            "INSERT INTO outbox (envelope_id, target, state, next_attempt, updated)"
            " VALUES (1, 'http://k@up/1', 'pending', 0, 0)"
        )
        assert writes.prune(store.db, keep=2, limit=3) == 3
        assert [i.envelope_id for i in store.items(oldest_first=True)][:1] == [5]
        assert store.envelope(1) is not None  # still to be forwarded
        assert writes.prune(store.db, keep=2) == 4
        assert store.count_envelopes() == 1 + 2
        assert writes.prune_upto(store.db, 0) == 0


def test_the_index_skips_envelopes_retention_pruned_first(tmp_path: Path) -> None:
    """A flood longer than `keep` prunes envelopes before the index reaches them: no orphan
    item rows for them."""
    path = tmp_path / "s.db"

    async def scenario() -> None:
        writer = StoreWriter(path, keep=5)
        try:
            batch = [envelope(n) for n in range(20)]
            ids = await asyncio.gather(*(writer.write(e) for e in batch))  # one commit
            stored = writer.index(list(zip(ids, batch, strict=True)))
            assert [len(items) for items in stored] == [0] * 15 + [1] * 5
            with Store(path, readonly=True) as reader:
                assert reader.count_envelopes() == 5
                assert {i.envelope_id for i in reader.items()} == set(ids[-5:])
        finally:
            writer.close()

    asyncio.run(scenario())


def test_readers_see_commits_while_the_writer_holds_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.db"

    async def scenario() -> None:
        writer = StoreWriter(path)
        try:
            batch = [envelope(n) for n in range(200)]
            ids = await asyncio.gather(*(writer.write(e) for e in batch))
            assert sorted(ids) == list(range(1, 201))
            # another process-like reader on its own connection sees everything committed
            with Store(path, readonly=True) as reader:
                assert reader.count_envelopes() == 200
                assert len(reader.unindexed(1000)) == 200
            writer.index(list(zip(ids, batch, strict=True)))
            with Store(path, readonly=True) as reader:
                assert reader.issues()[0].count == 200
                assert reader.unindexed() == []
        finally:
            writer.close()

    asyncio.run(scenario())
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_readonly_store_must_exist(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no devsentry store"):
        Store(tmp_path / "missing.db", readonly=True)


def test_a_readonly_store_cannot_be_written(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store(path) as store:
        write(store, [envelope(1)])
    with Store(path, readonly=True) as reader, pytest.raises(sqlite3.OperationalError):
        writes.clear(reader.db)
    with Store(path, readonly=True) as reader:
        assert reader.count_envelopes() == 1


def test_ids_never_go_back_after_clear(tmp_path: Path) -> None:
    """A running server's indexer and `tail` follow ids upward: a clear must not reset them."""
    with Store(tmp_path / "s.db") as store:
        first = write(store, [envelope(1), envelope(2)])
        writes.clear(store.db)
        again = write(store, [envelope(3)])
        assert again[0].id > first[-1].id
        assert again[0].items[0].id > first[-1].items[0].id
        assert store.unindexed() == []
        assert [i.event_id for i in store.items()] == [f"{3:032x}"]
