"""The local store: one SQLite file in WAL mode, readable by other processes while it is written.

Every accepted envelope is kept whole (its decompressed bytes, so export and replay are byte
exact), with one row per item carrying the fields people filter on and the issue it belongs to.
Requests that could not be parsed are kept too, in `rejected`, so nothing sent is lost.

Writes arrive in batches (see `writer.py`): one transaction per batch is what keeps ingest fast
while still answering each SDK only after its envelope is committed.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec
import platformdirs

__all__ = [
    "DEFAULT_KEEP",
    "EnvelopeRecord",
    "Forward",
    "IssueRecord",
    "ItemRecord",
    "NewEnvelope",
    "NewItem",
    "Query",
    "Store",
    "StoredEnvelope",
    "default_store_path",
]

#: Retention default: the newest 100 000 envelopes (a few hundred MB of typical SDK traffic).
DEFAULT_KEEP = 100_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS envelopes (
    id INTEGER PRIMARY KEY,
    received REAL NOT NULL,
    project TEXT NOT NULL,
    event_id TEXT,
    transport TEXT NOT NULL,
    client TEXT,
    remote_addr TEXT,
    content_encoding TEXT,
    size INTEGER NOT NULL,
    raw BLOB NOT NULL
);

CREATE TABLE IF NOT EXISTS issues (
    id INTEGER PRIMARY KEY,
    project TEXT NOT NULL,
    hash TEXT NOT NULL,
    title TEXT NOT NULL,
    culprit TEXT,
    level TEXT,
    type TEXT,
    value TEXT,
    platform TEXT,
    basis TEXT,
    count INTEGER NOT NULL DEFAULT 0,
    users INTEGER NOT NULL DEFAULT 0,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    UNIQUE (project, hash)
);
CREATE INDEX IF NOT EXISTS issues_last_seen ON issues (last_seen);

CREATE TABLE IF NOT EXISTS issue_users (
    issue_id INTEGER NOT NULL,
    user TEXT NOT NULL,
    PRIMARY KEY (issue_id, user)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    envelope_id INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    type TEXT NOT NULL,
    project TEXT NOT NULL,
    event_id TEXT,
    timestamp REAL,
    received REAL NOT NULL,
    level TEXT,
    release TEXT,
    environment TEXT,
    platform TEXT,
    sdk TEXT,
    title TEXT,
    user TEXT,
    trace_id TEXT,
    size INTEGER NOT NULL,
    issue_id INTEGER,
    error TEXT
);
CREATE INDEX IF NOT EXISTS items_received ON items (received);
CREATE INDEX IF NOT EXISTS items_type ON items (type);
CREATE INDEX IF NOT EXISTS items_issue ON items (issue_id);
CREATE INDEX IF NOT EXISTS items_event_id ON items (event_id);
CREATE INDEX IF NOT EXISTS items_envelope ON items (envelope_id);

CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value
);

CREATE TABLE IF NOT EXISTS outbox (
    envelope_id INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    headers TEXT,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL,
    status INTEGER,
    detail TEXT,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_attempt);

CREATE TABLE IF NOT EXISTS rejected (
    id INTEGER PRIMARY KEY,
    received REAL NOT NULL,
    path TEXT,
    status INTEGER NOT NULL,
    reason TEXT NOT NULL,
    headers TEXT,
    raw BLOB NOT NULL
);
"""


def default_store_path() -> Path:
    """`$XDG_DATA_HOME/devsentry/devsentry.db` or the platform's equivalent."""
    return Path(platformdirs.user_data_dir("devsentry", appauthor=False)) / "devsentry.db"


# -- what goes in ---------------------------------------------------------------------------


class NewItem(msgspec.Struct):
    """The searchable facts about one item, extracted by the pipeline before storing."""

    index: int
    type: str
    size: int
    event_id: str | None = None
    timestamp: float | None = None
    level: str | None = None
    release: str | None = None
    environment: str | None = None
    platform: str | None = None
    sdk: str | None = None
    title: str | None = None
    user: str | None = None
    trace_id: str | None = None
    error: str | None = None  # why the payload could not be decoded, if it could not
    issue: NewIssue | None = None


class NewIssue(msgspec.Struct):
    """The grouping result for an error-like item."""

    hash: str
    title: str
    culprit: str | None = None
    level: str | None = None
    type: str | None = None
    value: str | None = None
    platform: str | None = None
    basis: str | None = None


class NewEnvelope(msgspec.Struct):
    """An accepted envelope, ready to be committed."""

    raw: bytes
    project: str
    transport: str
    received: float
    items: list[NewItem]
    event_id: str | None = None
    client: str | None = None
    remote_addr: str | None = None
    content_encoding: str | None = None
    forward: Forward | None = None  # where to deliver a copy, when forwarding is on


class Forward(msgspec.Struct):
    """Where a copy of an envelope goes: a DSN, or (intercept) the URL it was bound for."""

    target: str
    headers: dict[str, str] | None = None  # the original request's, for URL targets


# -- what comes out -------------------------------------------------------------------------


class IssueRecord(msgspec.Struct):
    id: int
    project: str
    title: str
    culprit: str | None
    level: str | None
    type: str | None
    value: str | None
    platform: str | None
    basis: str | None
    count: int
    users: int
    first_seen: float
    last_seen: float
    hash: str

    @property
    def short_id(self) -> str:
        return f"DS-{self.id}"


class ItemRecord(msgspec.Struct):
    id: int
    envelope_id: int
    index: int
    type: str
    project: str
    event_id: str | None
    timestamp: float | None
    received: float
    level: str | None
    release: str | None
    environment: str | None
    platform: str | None
    sdk: str | None
    title: str | None
    user: str | None
    trace_id: str | None
    size: int
    issue_id: int | None
    error: str | None


class EnvelopeRecord(msgspec.Struct):
    id: int
    received: float
    project: str
    event_id: str | None
    transport: str
    client: str | None
    remote_addr: str | None
    content_encoding: str | None
    size: int
    raw: bytes


class StoredItem(msgspec.Struct):
    """What sinks learn about a stored item: its row id and, for errors, its issue's state."""

    id: int
    issue_id: int | None = None
    issue_count: int | None = None  # 1 means the issue is new


class StoredEnvelope(msgspec.Struct):
    id: int
    items: list[StoredItem]


class Query(msgspec.Struct, kw_only=True):
    """Filters shared by `issues`, `events` and `tail`."""

    project: str | None = None
    release: str | None = None
    environment: str | None = None
    level: str | None = None
    since: float | None = None  # epoch seconds
    search: str | None = None
    types: Sequence[str] = ()
    issue_id: int | None = None
    after_id: int | None = None
    limit: int | None = 100


_ITEM_COLUMNS = (
    "id, envelope_id, idx, type, project, event_id, timestamp, received, level, release, "
    "environment, platform, sdk, title, user, trace_id, size, issue_id, error"
)
_ITEM_PLACEHOLDERS = ",".join("?" * len(_ITEM_COLUMNS.split(", ")))
_ISSUE_COLUMNS = (
    "id, project, title, culprit, level, type, value, platform, basis, count, users, "
    "first_seen, last_seen, hash"
)
_LEVEL_RANK = "CASE level WHEN 'fatal' THEN 5 WHEN 'error' THEN 4 WHEN 'warning' THEN 3 WHEN 'info' THEN 2 WHEN 'debug' THEN 1 ELSE 0 END"  # noqa: E501


class _IssueUpdate:
    """One batch's events for one issue, folded into a single upsert."""

    __slots__ = ("count", "first_seen", "last_seen", "latest")

    def __init__(self, issue: NewIssue, count: int, first_seen: float, last_seen: float):
        self.latest = issue
        self.count = count
        self.first_seen = first_seen
        self.last_seen = last_seen

    def add(self, issue: NewIssue, seen: float) -> None:
        self.latest = issue
        self.count += 1
        self.first_seen = min(self.first_seen, seen)
        self.last_seen = max(self.last_seen, seen)


class Store:
    """A devsentry store file. One `Store` per thread: SQLite connections are not shared."""

    def __init__(self, path: Path | str, *, readonly: bool = False) -> None:
        self.path = Path(path)
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.exists():
            raise FileNotFoundError(f"no devsentry store at {self.path}")
        self.db = sqlite3.connect(
            self.path, timeout=10, isolation_level=None, check_same_thread=False
        )
        self.db.execute("PRAGMA busy_timeout = 10000")
        if not readonly:
            # 16 KiB pages (only takes effect on a new file): a typical 5-10 KB envelope fits
            # one page instead of spilling into overflow pages, which halves its write cost.
            self.db.execute("PRAGMA page_size = 16384")
            self.db.execute("PRAGMA journal_mode = WAL")
            # WAL + NORMAL: a commit survives the process dying; only an OS crash can lose the
            # last commits. That is the right trade for a development tool that must be fast.
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.executescript(SCHEMA)
            # A store written before the index was tracked is fully indexed already.
            self.db.execute(
                "INSERT OR IGNORE INTO meta (key, value) SELECT 'indexed_upto',"
                " coalesce(max(envelope_id), 0) FROM items"
            )
        self._writes = 0

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- writing ----------------------------------------------------------------------------

    def write(self, batch: Sequence[NewEnvelope]) -> list[StoredEnvelope]:
        """Commit envelopes and index their items in one transaction."""
        with self.transaction():
            ids = self._insert_envelopes(batch)
            items = self._insert_items(list(zip(ids, batch, strict=True)))
        return [StoredEnvelope(i, stored) for i, stored in zip(ids, items, strict=True)]

    def add_envelopes(self, batch: Sequence[NewEnvelope]) -> list[int]:
        """Commit the raw envelopes (the source of truth); `add_items` indexes them later."""
        with self.transaction():
            return self._insert_envelopes(batch)

    def add_items(self, batch: Sequence[tuple[int, NewEnvelope]]) -> list[list[StoredItem]]:
        """Index the items of committed envelopes: item rows, issues, users."""
        with self.transaction():
            return self._insert_items(batch)

    def _insert_envelopes(self, batch: Sequence[NewEnvelope]) -> list[int]:
        # Ids are assigned here, under the write lock, so rows can go in with executemany.
        (last,) = self.db.execute(
            "SELECT max(coalesce(max(id), 0), coalesce((SELECT value FROM meta"
            " WHERE key = 'envelope_hwm'), 0)) FROM envelopes"
        ).fetchone()
        ids = list(range(last + 1, last + 1 + len(batch)))
        self.db.executemany(
            "INSERT INTO envelopes (id, received, project, event_id, transport, client,"
            " remote_addr, content_encoding, size, raw) VALUES (?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    envelope_id,
                    env.received,
                    env.project,
                    env.event_id,
                    env.transport,
                    env.client,
                    env.remote_addr,
                    env.content_encoding,
                    len(env.raw),
                    env.raw,
                )
                for envelope_id, env in zip(ids, batch, strict=True)
            ],
        )
        outbox = [
            (
                envelope_id,
                env.forward.target,
                msgspec.json.encode(env.forward.headers).decode() if env.forward.headers else None,
                env.received,
                env.received,
            )
            for envelope_id, env in zip(ids, batch, strict=True)
            if env.forward is not None
        ]
        if outbox:  # in the same transaction: what is acknowledged is also queued upstream
            self.db.executemany(
                "INSERT INTO outbox (envelope_id, target, headers, state, next_attempt, updated)"
                " VALUES (?, ?, ?, 'pending', ?, ?)",
                outbox,
            )
        return ids

    def _insert_items(self, batch: Sequence[tuple[int, NewEnvelope]]) -> list[list[StoredItem]]:
        """Item rows for a batch; each issue is upserted once however many events it got."""
        db = self.db
        (last_item,) = db.execute(
            "SELECT max(coalesce(max(id), 0), coalesce((SELECT value FROM meta"
            " WHERE key = 'item_hwm'), 0)) FROM items"
        ).fetchone()
        item_rows: list[list[Any]] = []
        issue_of: list[tuple[str, str] | None] = []
        issues: dict[tuple[str, str], _IssueUpdate] = {}
        users: set[tuple[tuple[str, str], str]] = set()
        for envelope_id, env in batch:
            for item in env.items:
                key = None
                if item.issue is not None:
                    key = (env.project, item.issue.hash)
                    seen = item.timestamp or env.received
                    update = issues.get(key)
                    if update is None:
                        issues[key] = _IssueUpdate(item.issue, 1, seen, seen)
                    else:
                        update.add(item.issue, seen)
                    if item.user:
                        users.add((key, item.user))
                issue_of.append(key)
                item_rows.append(
                    [
                        last_item + len(item_rows) + 1,
                        envelope_id,
                        item.index,
                        item.type,
                        env.project,
                        item.event_id,
                        item.timestamp,
                        env.received,
                        item.level,
                        item.release,
                        item.environment,
                        item.platform,
                        item.sdk,
                        item.title,
                        item.user,
                        item.trace_id,
                        item.size,
                        None,  # issue_id, filled in below
                        item.error,
                    ]
                )
        issue_ids = {key: self._upsert_issue(db, key, update) for key, update in issues.items()}
        if users:
            db.executemany(
                "INSERT OR IGNORE INTO issue_users (issue_id, user) VALUES (?, ?)",
                [(issue_ids[key][0], user) for key, user in users],
            )
            db.executemany(
                "UPDATE issues SET users = (SELECT count(*) FROM issue_users"
                " WHERE issue_id = issues.id) WHERE id = ?",
                [(issue_id,) for issue_id in {issue_ids[key][0] for key, _ in users}],
            )
        # The count each event saw: the issue's final count minus the events after it.
        remaining = {key: update.count for key, update in issues.items()}
        stored: list[StoredItem] = []
        for row, key in zip(item_rows, issue_of, strict=True):
            if key is None:
                stored.append(StoredItem(row[0]))
                continue
            issue_id, final = issue_ids[key]
            remaining[key] -= 1
            row[17] = issue_id
            stored.append(StoredItem(row[0], issue_id, final - remaining[key]))
        db.executemany(
            f"INSERT INTO items ({_ITEM_COLUMNS}) VALUES ({_ITEM_PLACEHOLDERS})", item_rows
        )
        if batch:
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('indexed_upto', ?) ON CONFLICT (key)"
                " DO UPDATE SET value = max(value, excluded.value)",
                (max(envelope_id for envelope_id, _ in batch),),
            )
        out: list[list[StoredItem]] = []
        position = 0
        for _, env in batch:
            out.append(stored[position : position + len(env.items)])
            position += len(env.items)
        return out

    def unindexed(self, limit: int = 256) -> list[EnvelopeRecord]:
        """Committed envelopes whose items are not indexed yet (after a crash or overload)."""
        rows = self.db.execute(
            "SELECT id, received, project, event_id, transport, client, remote_addr,"
            " content_encoding, size, raw FROM envelopes WHERE id > coalesce((SELECT value"
            " FROM meta WHERE key = 'indexed_upto'), 0) ORDER BY id LIMIT ?",
            (limit,),
        )
        return [EnvelopeRecord(*row) for row in rows]

    @staticmethod
    def _upsert_issue(
        db: sqlite3.Connection, key: tuple[str, str], update: _IssueUpdate
    ) -> tuple[int, int]:
        issue = update.latest
        row = db.execute(
            "INSERT INTO issues (project, hash, title, culprit, level, type, value, platform,"
            " basis, count, first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (project, hash) DO UPDATE SET count = count + excluded.count,"
            " last_seen = max(last_seen, excluded.last_seen),"
            " first_seen = min(first_seen, excluded.first_seen),"
            " title = excluded.title, culprit = excluded.culprit, level = excluded.level,"
            " value = excluded.value"
            " RETURNING id, count",
            (
                key[0],
                key[1],
                issue.title,
                issue.culprit,
                issue.level,
                issue.type,
                issue.value,
                issue.platform,
                issue.basis,
                update.count,
                update.first_seen,
                update.last_seen,
            ),
        ).fetchone()
        return int(row[0]), int(row[1])

    def reject(
        self, raw: bytes, *, status: int, reason: str, path: str | None, headers: dict[str, str]
    ) -> int:
        """Keep a request that was refused, for `devsentry rejected` and bug reports."""
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO rejected (received, path, status, reason, headers, raw)"
                " VALUES (?,?,?,?,?,?)",
                (time.time(), path, status, reason, msgspec.json.encode(headers).decode(), raw),
            )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def prune(self, keep: int = DEFAULT_KEEP, max_bytes: int | None = None) -> int:
        """Delete the oldest envelopes beyond `keep` (and beyond `max_bytes` of raw data).

        Issues keep their counts, as in Sentry: the events age out, the issue stays.
        """
        with self.transaction() as db:
            # Ids are dense and only the oldest go, so the newest id tells where `keep` ends
            # without counting the table (a full scan). Rows kept for the outbox make the gaps.
            (newest,) = db.execute("SELECT coalesce(max(id), 0) FROM envelopes").fetchone()
            cutoff = max(newest - keep, 0)
            if max_bytes is not None:
                row = db.execute(
                    "SELECT id FROM (SELECT id, sum(size) OVER (ORDER BY id DESC) AS newer"
                    " FROM envelopes) WHERE newer > ? ORDER BY id DESC LIMIT 1",
                    (max_bytes,),
                ).fetchone()
                if row is not None:
                    cutoff = max(cutoff, row[0])
            if not cutoff:
                return 0
            # Envelopes still waiting to be delivered upstream are kept whatever their age.
            deleted = db.execute(
                "DELETE FROM envelopes WHERE id <= ? AND id NOT IN (SELECT envelope_id"
                " FROM outbox WHERE state IN ('pending', 'rate_limited'))",
                (cutoff,),
            ).rowcount
            db.execute("DELETE FROM items WHERE envelope_id <= ?", (cutoff,))
            # pending deliveries outlive retention: only settled outbox rows go with their envelope
            db.execute(
                "DELETE FROM outbox WHERE envelope_id <= ? AND state IN ('delivered', 'dropped')",
                (cutoff,),
            )
            db.execute(
                "DELETE FROM rejected WHERE id NOT IN"
                " (SELECT id FROM rejected ORDER BY id DESC LIMIT 1000)"
            )
        return int(deleted)

    def clear(self) -> None:
        """Delete everything (the file stays, with its schema)."""
        with self.transaction() as db:
            # Ids never go back, even across a clear: a running server's indexer and a `tail`
            # follow them upward. `meta` keeps the high-water marks (and the index position).
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) SELECT 'envelope_hwm',"
                " max(coalesce(max(id), 0), (SELECT coalesce(max(value), 0) FROM meta"
                " WHERE key = 'envelope_hwm')) FROM envelopes"
            )
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) SELECT 'item_hwm',"
                " max(coalesce(max(id), 0), (SELECT coalesce(max(value), 0) FROM meta"
                " WHERE key = 'item_hwm')) FROM items"
            )
            for table in ("items", "issue_users", "issues", "envelopes", "rejected", "outbox"):
                db.execute(f"DELETE FROM {table}")
        self.db.execute("VACUUM")

    # -- reading ----------------------------------------------------------------------------

    def _where(self, q: Query, table: str) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []
        time_col = "last_seen" if table == "issues" else "received"
        for column, value in (
            ("project", q.project),
            ("level", q.level),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        if table == "items":
            for column, value in (("release", q.release), ("environment", q.environment)):
                if value is not None:
                    clauses.append(f"{column} = ?")
                    args.append(value)
            if q.types:
                clauses.append(f"type IN ({','.join('?' * len(q.types))})")
                args.extend(q.types)
            if q.issue_id is not None:
                clauses.append("issue_id = ?")
                args.append(q.issue_id)
            if q.after_id is not None:
                clauses.append("id > ?")
                args.append(q.after_id)
        elif q.release is not None or q.environment is not None:
            sub = ["issue_id = issues.id"]
            for column, value in (("release", q.release), ("environment", q.environment)):
                if value is not None:
                    sub.append(f"{column} = ?")
                    args.append(value)
            clauses.append(f"EXISTS (SELECT 1 FROM items WHERE {' AND '.join(sub)})")
        if q.since is not None:
            clauses.append(f"{time_col} >= ?")
            args.append(q.since)
        if q.search:
            columns = "title || ' ' || coalesce(culprit, '')" if table == "issues" else "title"
            clauses.append(f"{columns} LIKE ? ESCAPE '\\'")
            escaped = q.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            args.append(f"%{escaped}%")
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), args

    def issues(self, q: Query | None = None) -> list[IssueRecord]:
        q = q or Query()
        where, args = self._where(q, "issues")
        sql = f"SELECT {_ISSUE_COLUMNS} FROM issues{where} ORDER BY last_seen DESC, id DESC"
        if q.limit is not None:
            sql += f" LIMIT {int(q.limit)}"
        return [IssueRecord(*row) for row in self.db.execute(sql, args)]

    def items(self, q: Query | None = None, *, oldest_first: bool = False) -> list[ItemRecord]:
        q = q or Query()
        where, args = self._where(q, "items")
        order = "ASC" if oldest_first else "DESC"
        sql = f"SELECT {_ITEM_COLUMNS} FROM items{where} ORDER BY id {order}"
        if q.limit is not None:
            sql += f" LIMIT {int(q.limit)}"
        return [ItemRecord(*row) for row in self.db.execute(sql, args)]

    def issue(self, issue_id: int) -> IssueRecord | None:
        row = self.db.execute(
            f"SELECT {_ISSUE_COLUMNS} FROM issues WHERE id = ?", (issue_id,)
        ).fetchone()
        return IssueRecord(*row) if row else None

    def item(self, item_id: int) -> ItemRecord | None:
        row = self.db.execute(
            f"SELECT {_ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,)
        ).fetchone()
        return ItemRecord(*row) if row else None

    def items_by_event_id(self, prefix: str) -> list[ItemRecord]:
        """Items whose event id starts with `prefix` (hex, dashes ignored)."""
        prefix = prefix.replace("-", "").lower()
        rows = self.db.execute(
            f"SELECT {_ITEM_COLUMNS} FROM items WHERE event_id >= ? AND event_id < ?"
            " ORDER BY id DESC LIMIT 20",
            (prefix, prefix + "g"),
        )
        return [ItemRecord(*row) for row in rows]

    def envelope(self, envelope_id: int) -> EnvelopeRecord | None:
        row = self.db.execute(
            "SELECT id, received, project, event_id, transport, client, remote_addr,"
            " content_encoding, size, raw FROM envelopes WHERE id = ?",
            (envelope_id,),
        ).fetchone()
        return EnvelopeRecord(*row) if row else None

    def last_item_id(self) -> int:
        (value,) = self.db.execute("SELECT coalesce(max(id), 0) FROM items").fetchone()
        return int(value)

    def count_envelopes(self) -> int:
        (value,) = self.db.execute("SELECT count(*) FROM envelopes").fetchone()
        return int(value)

    def stats(self) -> dict[str, Any]:
        """Counts by type and project, and the file's size."""
        by_type = dict(
            self.db.execute("SELECT type, count(*) FROM items GROUP BY type ORDER BY 2 DESC")
        )
        by_project = dict(
            self.db.execute(
                "SELECT project, count(*) FROM envelopes GROUP BY project ORDER BY 2 DESC"
            )
        )
        (envelopes,) = self.db.execute("SELECT count(*) FROM envelopes").fetchone()
        (issues,) = self.db.execute("SELECT count(*) FROM issues").fetchone()
        (rejected,) = self.db.execute("SELECT count(*) FROM rejected").fetchone()
        size = sum(
            p.stat().st_size
            for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
            if p.exists()
        )
        return {
            "path": str(self.path),
            "size": size,
            "envelopes": envelopes,
            "items": sum(by_type.values()),
            "issues": issues,
            "rejected": rejected,
            "by_type": by_type,
            "by_project": by_project,
        }

    # -- reading for `devsentry issues|events|tail|stats` (read-only) ------------------------

    def count_issues(self, q: Query | None = None) -> int:
        """How many issues match `q` (its limit ignored), for "showing 50 of 1,234"."""
        where, args = self._where(q or Query(), "issues")
        (value,) = self.db.execute(f"SELECT count(*) FROM issues{where}", args).fetchone()
        return int(value)

    def count_items(self, q: Query | None = None) -> int:
        """How many items match `q` (its limit ignored)."""
        where, args = self._where(q or Query(), "items")
        (value,) = self.db.execute(f"SELECT count(*) FROM items{where}", args).fetchone()
        return int(value)

    def issue_count_at(self, issue_id: int, item_id: int) -> int:
        """The issue's event count when item `item_id` arrived (1: it opened the issue)."""
        (value,) = self.db.execute(
            "SELECT count(*) FROM items WHERE issue_id = ? AND id <= ?", (issue_id, item_id)
        ).fetchone()
        return int(value)

    def received_range(self) -> tuple[float | None, float | None]:
        """When the oldest and newest stored envelopes arrived."""
        oldest, newest = self.db.execute(
            "SELECT min(received), max(received) FROM envelopes"
        ).fetchone()
        return oldest, newest

    # -- reading for `devsentry export` and the pytest plugin (read-only) --------------------

    def envelope_ids(self, q: Query | None = None) -> list[int]:
        """Envelopes with at least one item matching `q`, newest first; `q.limit` counts
        envelopes, not items (an event and its attachments are one envelope)."""
        q = q or Query()
        where, args = self._where(q, "items")
        sql = f"SELECT envelope_id FROM items{where} GROUP BY envelope_id ORDER BY envelope_id DESC"
        if q.limit is not None:
            sql += f" LIMIT {int(q.limit)}"
        return [int(row[0]) for row in self.db.execute(sql, args)]

    def envelope_items(self, envelope_id: int) -> list[ItemRecord]:
        """The indexed items of one envelope, in envelope order."""
        rows = self.db.execute(
            f"SELECT {_ITEM_COLUMNS} FROM items WHERE envelope_id = ? ORDER BY idx",
            (envelope_id,),
        )
        return [ItemRecord(*row) for row in rows]

    def fully_indexed(self) -> bool:
        """Whether every committed envelope is indexed yet (items and issues written)."""
        (value,) = self.db.execute(
            "SELECT count(*) FROM envelopes WHERE id > coalesce((SELECT value FROM meta"
            " WHERE key = 'indexed_upto'), 0)"
        ).fetchone()
        return not value


def iter_rows(rows: Iterable[msgspec.Struct]) -> list[dict[str, Any]]:
    """Records as plain dicts for `--json`."""
    return [msgspec.structs.asdict(r) for r in rows]
