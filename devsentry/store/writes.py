"""Writing the store: envelopes and their outbox rows, the index (items, issues, users),
refused requests, retention and clearing.

Every function runs on the one writer connection (see `writer.py`), most inside a transaction
the caller holds, so a batch of many envelopes is one commit.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from typing import Any

import msgspec

from devsentry.store import workflow
from devsentry.store.packing import pack
from devsentry.store.records import (
    ITEM_COLUMNS,
    CameBack,
    NewEnvelope,
    NewIssue,
    NewTransaction,
    Processed,
    StoredItem,
)
from devsentry.store.store import transaction

__all__ = [
    "clear",
    "insert_envelopes",
    "insert_items",
    "prune",
    "prune_upto",
    "reject",
    "retention_cutoff",
    "trim_rejected",
]

_ITEM_PLACEHOLDERS = ",".join("?" * len(ITEM_COLUMNS.split(", ")))


class _IssueUpdate:
    """One batch's events for one issue, folded into a single upsert."""

    __slots__ = (
        "after_other_release",
        "count",
        "events",
        "first_release",
        "first_seen",
        "last_seen",
        "latest",
    )

    def __init__(self, issue: NewIssue, seen: float, release: str | None):
        self.latest = issue
        self.count = 1
        self.first_seen = seen
        self.last_seen = seen
        self.first_release = release  # the release of its first event, if the issue is new
        self.after_other_release = False  # this batch saw another release before it
        self.events: list[tuple[int, float, str | None]] = []  # (row, received, release)

    def add(self, issue: NewIssue, seen: float) -> None:
        self.latest = issue
        self.count += 1
        self.first_seen = min(self.first_seen, seen)
        self.last_seen = max(self.last_seen, seen)


def insert_envelopes(db: sqlite3.Connection, batch: Sequence[NewEnvelope]) -> list[int]:
    """Commit-ready rows for raw envelopes (the source of truth) and their outbox entries."""
    # Ids are assigned here, under the write lock, so rows can go in with executemany.
    (last,) = db.execute(
        "SELECT max(coalesce(max(id), 0), coalesce((SELECT value FROM meta"
        " WHERE key = 'envelope_hwm'), 0)) FROM envelopes"
    ).fetchone()
    ids = list(range(last + 1, last + 1 + len(batch)))
    db.executemany(
        "INSERT INTO envelopes (id, received, project, event_id, transport, client,"
        " remote_addr, content_encoding, size, raw, user_agent, client_hints)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
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
                env.user_agent,
                env.client_hints,
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
        db.executemany(
            "INSERT INTO outbox (envelope_id, target, headers, state, next_attempt, updated)"
            " VALUES (?, ?, ?, 'pending', ?, ?)",
            outbox,
        )
    return ids


def insert_items(
    db: sqlite3.Connection, batch: Sequence[tuple[int, NewEnvelope]]
) -> list[list[StoredItem]]:
    """Item rows for a batch, with what processing derived (normalized events, verdicts,
    tags); each issue, its users and its tag counts are upserted once however many events
    it got, and the releases seen are noted."""
    (last_item,) = db.execute(
        "SELECT max(coalesce(max(id), 0), coalesce((SELECT value FROM meta"
        " WHERE key = 'item_hwm'), 0)) FROM items"
    ).fetchone()
    item_rows: list[list[Any]] = []
    issue_of: list[tuple[str, str] | None] = []
    issues: dict[tuple[str, str], _IssueUpdate] = {}
    users: set[tuple[tuple[str, str], str]] = set()
    facets = _Facets()
    releases = _Releases()
    derived: list[tuple[int, Processed]] = []
    timings: list[tuple[int, str, NewTransaction]] = []
    for envelope_id, env in batch:
        for item in env.items:
            item_id = last_item + len(item_rows) + 1
            key = None
            if item.issue is not None:
                key = (env.project, item.issue.hash)
                seen = item.timestamp or env.received
                update = issues.get(key)
                if update is None:
                    issues[key] = update = _IssueUpdate(item.issue, seen, item.release)
                    if item.release is not None:
                        update.after_other_release = releases.others(env.project, item.release)
                else:
                    update.add(item.issue, seen)
                update.events.append((len(item_rows), env.received, item.release))
                if item.user:
                    users.add((key, item.user))
                if item.processed is not None:
                    facets.add(key, item.processed.tags, seen)
            if item.release is not None:
                releases.add(env.project, item.release, env.received)
            if item.processed is not None:
                derived.append((item_id, item.processed))
            if item.transaction is not None:
                timings.append((item_id, env.project, item.transaction))
            issue_of.append(key)
            item_rows.append(
                [
                    item_id,
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
    issue_ids = {key: _upsert_issue(db, key, update) for key, update in issues.items()}
    returned = _came_back(db, issues, issue_ids)
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
    facets.write(db, {key: ids[0] for key, ids in issue_ids.items()})
    new_in = {
        key: update.first_release
        for key, update in issues.items()
        if issue_ids[key][1] == update.count  # the issue is new with this batch
        and update.first_release is not None
        and (update.after_other_release or releases.known_besides(db, key[0], update))
    }
    releases.write(db)
    _write_derived(db, derived)
    # The count each event saw: the issue's final count minus the events after it.
    remaining = {key: update.count for key, update in issues.items()}
    stored: list[StoredItem] = []
    for row, key in zip(item_rows, issue_of, strict=True):
        if key is None:
            stored.append(StoredItem(row[0]))
            continue
        issue_id, final, _ = issue_ids[key]
        remaining[key] -= 1
        row[17] = issue_id
        count = final - remaining[key]
        stored.append(
            StoredItem(
                row[0],
                issue_id,
                count,
                new_in.get(key) if count == 1 else None,
                returned.get(row[0] - last_item - 1),
            )
        )
    db.executemany(f"INSERT INTO items ({ITEM_COLUMNS}) VALUES ({_ITEM_PLACEHOLDERS})", item_rows)
    if timings:
        errors = _write_transactions(db, timings)
        for entry in stored:
            entry.trace_errors = errors.get(entry.id, 0)
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


def _came_back(
    db: sqlite3.Connection,
    issues: dict[tuple[str, str], _IssueUpdate],
    issue_ids: dict[tuple[str, str], tuple[int, int, str]],
) -> dict[int, CameBack]:
    """The events (by row) that brought a resolved or ignored issue back (`workflow`)."""
    out: dict[int, CameBack] = {}
    for key, (issue_id, count, status) in issue_ids.items():
        if status != "unresolved":
            update = issues[key]
            found = workflow.came_back(
                db, issue_id, [(received, rel) for _, received, rel in update.events], count
            )
            if found is not None:
                out[update.events[found[0]][0]] = found[1]
    return out


class _Facets:
    """One batch's tag counts per issue, folded into one upsert per (issue, key, value)."""

    def __init__(self) -> None:
        self.counts: dict[tuple[tuple[str, str], str, str], list[float]] = {}

    def add(self, issue: tuple[str, str], tags: list[tuple[str, str]], seen: float) -> None:
        for key, value in tags:
            entry = self.counts.get((issue, key, value))
            if entry is None:
                self.counts[(issue, key, value)] = [1, seen, seen]
            else:
                entry[0] += 1
                entry[1] = min(entry[1], seen)
                entry[2] = max(entry[2], seen)

    def write(self, db: sqlite3.Connection, issue_ids: dict[tuple[str, str], int]) -> None:
        if not self.counts:
            return
        db.executemany(
            "INSERT INTO issue_tags (issue_id, key, value, count, first_seen, last_seen)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (issue_id, key, value) DO UPDATE SET"
            " count = count + excluded.count, first_seen = min(first_seen, excluded.first_seen),"
            " last_seen = max(last_seen, excluded.last_seen)",
            [
                (issue_ids[issue], key, value, int(count), first, last)
                for (issue, key, value), (count, first, last) in self.counts.items()
            ],
        )


class _Releases:
    """The releases one batch saw, per project, in arrival order."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], list[float]] = {}

    def add(self, project: str, release: str, received: float) -> None:
        entry = self.seen.get((project, release))
        if entry is None:
            self.seen[(project, release)] = [received, received]
        else:
            entry[1] = max(entry[1], received)

    def others(self, project: str, release: str) -> bool:
        """Whether this batch saw another release of `project` already."""
        return any(p == project and r != release for p, r in self.seen)

    @staticmethod
    def known_besides(db: sqlite3.Connection, project: str, update: _IssueUpdate) -> bool:
        """Whether the store knew another release of `project` before this batch."""
        row = db.execute(
            "SELECT 1 FROM releases WHERE project = ? AND release != ? LIMIT 1",
            (project, update.first_release),
        ).fetchone()
        return row is not None

    def write(self, db: sqlite3.Connection) -> None:
        if self.seen:
            db.executemany(
                "INSERT INTO releases (project, release, first_seen, last_seen)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (project, release) DO UPDATE SET"
                " last_seen = max(last_seen, excluded.last_seen)",
                [(p, r, first, last) for (p, r), (first, last) in self.seen.items()],
            )


def _write_derived(db: sqlite3.Connection, derived: list[tuple[int, Processed]]) -> None:
    """Normalized events, what normalization removed, and per-event tags (for `--tag`)."""
    rows = [
        (item_id, pack(p.normalized) if p.normalized is not None else None, p.removed)
        for item_id, p in derived
        if p.normalized is not None or p.removed is not None
    ]
    if rows:
        db.executemany(
            "INSERT OR REPLACE INTO processed (item_id, normalized, removed) VALUES (?, ?, ?)",
            rows,
        )
    tags = [(item_id, key, value) for item_id, p in derived for key, value in p.tags]
    if tags:
        db.executemany(
            "INSERT OR REPLACE INTO item_tags (item_id, key, value) VALUES (?, ?, ?)", tags
        )


def _write_transactions(
    db: sqlite3.Connection, timings: list[tuple[int, str, NewTransaction]]
) -> dict[int, int]:
    """Each transaction's timing row and time per span op (for `perf` and `traces`); returns
    how many error events each one's trace holds so far (one indexed lookup per trace).
    A row without a name only adds Web Vitals to its segment's row (streamed vital spans)."""
    updates = [t for _, _, t in timings if not t.name]
    timings = [entry for entry in timings if entry[2].name]
    for t in updates:
        db.execute(
            "UPDATE transactions SET lcp = coalesce(lcp, ?), fcp = coalesce(fcp, ?),"
            " cls = coalesce(cls, ?), inp = coalesce(inp, ?), ttfb = coalesce(ttfb, ?)"
            " WHERE trace_id = ? AND span_id = ?",
            (
                *(t.vitals.get(v) for v in ("lcp", "fcp", "cls", "inp", "ttfb")),
                t.trace_id,
                t.span_id,
            ),
        )
    db.executemany(
        "INSERT OR REPLACE INTO transactions (item_id, project, trace_id, span_id,"
        " parent_span_id, name, op, start, duration_ms, status, lcp, fcp, cls, inp, ttfb, spans)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            (
                item_id,
                project,
                t.trace_id,
                t.span_id,
                t.parent_span_id,
                t.name,
                t.op,
                t.start,
                t.duration_ms,
                t.status,
                *(t.vitals.get(v) for v in ("lcp", "fcp", "cls", "inp", "ttfb")),
                t.spans,
            )
            for item_id, project, t in timings
        ],
    )
    ops = [(item_id, op, took) for item_id, _, t in timings for op, took in t.ops]
    if ops:
        db.executemany(
            "INSERT OR REPLACE INTO transaction_ops (item_id, op, duration_ms) VALUES (?, ?, ?)",
            ops,
        )
    counts: dict[str, int] = {}
    for trace_id in {t.trace_id for _, _, t in timings if t.trace_id}:
        (counts[trace_id],) = db.execute(
            "SELECT count(*) FROM items WHERE trace_id = ? AND type = 'event'"
            " AND issue_id IS NOT NULL",
            (trace_id,),
        ).fetchone()
    return {item_id: counts.get(t.trace_id or "", 0) for item_id, _, t in timings}


def _upsert_issue(
    db: sqlite3.Connection, key: tuple[str, str], update: _IssueUpdate
) -> tuple[int, int, str]:
    issue = update.latest
    row = db.execute(
        "INSERT INTO issues (project, hash, title, culprit, level, type, value, platform,"
        " basis, count, first_seen, last_seen, first_release, category, evidence)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT (project, hash) DO UPDATE SET count = count + excluded.count,"
        " last_seen = max(last_seen, excluded.last_seen),"
        " first_seen = min(first_seen, excluded.first_seen),"
        " title = excluded.title, culprit = excluded.culprit, level = excluded.level,"
        " value = excluded.value, evidence = coalesce(excluded.evidence, evidence)"
        " RETURNING id, count, status",
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
            update.first_release,
            issue.category,
            issue.evidence,
        ),
    ).fetchone()
    return int(row[0]), int(row[1]), str(row[2])


def reject(
    db: sqlite3.Connection,
    raw: bytes,
    *,
    status: int,
    reason: str,
    path: str | None,
    headers: dict[str, str],
    remote_addr: str | None = None,
    client: str | None = None,
) -> int:
    """Keep a request that was refused, for `devsentry rejected` and bug reports."""
    with transaction(db):
        cur = db.execute(
            "INSERT INTO rejected (received, path, status, reason, headers, raw, remote_addr,"
            " client) VALUES (?,?,?,?,?,?,?,?)",
            (
                time.time(),
                path,
                status,
                reason,
                msgspec.json.encode(headers).decode(),
                raw,
                remote_addr,
                client,
            ),
        )
    assert cur.lastrowid is not None
    return cur.lastrowid


def prune(
    db: sqlite3.Connection, keep: int, max_bytes: int | None = None, *, limit: int | None = None
) -> int:
    """Delete the oldest envelopes beyond `keep` (and beyond `max_bytes` of raw data), at most
    `limit` of them, and trim the refused requests kept.

    Issues keep their counts, as in Sentry: the events age out, the issue stays.
    """
    deleted = prune_upto(db, retention_cutoff(db, keep, max_bytes), limit)
    trim_rejected(db)
    return deleted


def retention_cutoff(db: sqlite3.Connection, keep: int, max_bytes: int | None = None) -> int:
    """The newest envelope id retention lets go (0: none yet)."""
    # Ids are dense and only the oldest go, so the newest id tells where `keep` ends
    # without counting the table (a full scan). Rows kept for the outbox make the gaps.
    (newest,) = db.execute("SELECT coalesce(max(id), 0) FROM envelopes").fetchone()
    cutoff = max(newest - keep, 0)
    if max_bytes is not None:  # a scan of every row's size: not for each commit
        row = db.execute(
            "SELECT id FROM (SELECT id, sum(size) OVER (ORDER BY id DESC) AS newer"
            " FROM envelopes) WHERE newer > ? ORDER BY id DESC LIMIT 1",
            (max_bytes,),
        ).fetchone()
        if row is not None:
            cutoff = max(cutoff, row[0])
    return int(cutoff)


def prune_upto(db: sqlite3.Connection, cutoff: int, limit: int | None = None) -> int:
    """Delete envelopes with ids up to `cutoff` (the oldest `limit` of them), their items and
    settled outbox rows, in one transaction; returns how many envelopes went.

    A bounded `limit` keeps each transaction small, so a writer that prunes between commits
    never holds the write lock (or the event loop) for long.
    """
    if cutoff <= 0:
        return 0
    with transaction(db):
        upto = cutoff if limit is None else _oldest_deletable(db, cutoff, limit)
        if not upto:
            return 0
        # Envelopes still waiting to be delivered upstream are kept whatever their age.
        deleted = db.execute(
            f"DELETE FROM envelopes WHERE id <= ? AND id NOT IN ({_WAITING_UPSTREAM})", (upto,)
        ).rowcount
        (last_item,) = db.execute(
            "SELECT max(id) FROM items WHERE envelope_id <= ?", (upto,)
        ).fetchone()
        if last_item is not None:  # item ids grow with envelope ids: a range of each table
            db.execute("DELETE FROM processed WHERE item_id <= ?", (last_item,))
            db.execute("DELETE FROM item_tags WHERE item_id <= ?", (last_item,))
            db.execute("DELETE FROM transactions WHERE item_id <= ?", (last_item,))
            db.execute("DELETE FROM transaction_ops WHERE item_id <= ?", (last_item,))
        db.execute("DELETE FROM items WHERE envelope_id <= ?", (upto,))
        # pending deliveries outlive retention: only settled outbox rows go with their envelope
        db.execute(
            "DELETE FROM outbox WHERE envelope_id <= ? AND state IN ('delivered', 'dropped')",
            (upto,),
        )
    return int(deleted)


_WAITING_UPSTREAM = "SELECT envelope_id FROM outbox WHERE state IN ('pending', 'rate_limited')"


def _oldest_deletable(db: sqlite3.Connection, cutoff: int, limit: int) -> int:
    """The id up to which the oldest `limit` deletable envelopes reach (0: none)."""
    (upto,) = db.execute(
        f"SELECT max(id) FROM (SELECT id FROM envelopes WHERE id <= ? AND id NOT IN"
        f" ({_WAITING_UPSTREAM}) ORDER BY id LIMIT ?)",
        (cutoff, limit),
    ).fetchone()
    return int(upto or 0)


def trim_rejected(db: sqlite3.Connection, keep: int = 1000) -> None:
    """Keep the newest `keep` refused requests."""
    with transaction(db):
        db.execute(
            "DELETE FROM rejected WHERE id NOT IN"
            " (SELECT id FROM rejected ORDER BY id DESC LIMIT ?)",
            (keep,),
        )


def clear(db: sqlite3.Connection) -> None:
    """Delete everything (the file stays, with its schema)."""
    with transaction(db):
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
        for table in (
            *("items", "processed", "item_tags", "issue_users", "issue_tags", "issues"),
            *("releases", "envelopes", "rejected", "outbox", "transactions", "transaction_ops"),
        ):
            db.execute(f"DELETE FROM {table}")
    db.execute("VACUUM")
