"""The store's tables, and how a store written by any earlier release is brought up to date.

Every store records what it is and which schema it has (`PRAGMA application_id` and
`user_version`). `BASE` is the first release's schema; each entry of `MIGRATIONS` moves a store
one version on, and all of them run, in order, in one transaction, when a store is opened. A
new store goes through the same steps, so there is one way a schema comes to be.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from devsentry import __version__

__all__ = [
    "APPLICATION_ID",
    "VERSION",
    "NewerStore",
    "NotAStore",
    "StoreError",
    "probe",
    "upgrade",
]

#: "devs" in ASCII: marks an SQLite file as a devsentry store.
APPLICATION_ID = 0x64657673
#: The tables of a store from 0.1.0.dev0, which recorded no version (its schema is version 1).
_FIRST_TABLES = frozenset({"envelopes", "items", "issues", "meta", "outbox", "rejected"})
_SQLITE_HEADER = b"SQLite format 3\x00"

#: Schema version 1: what 0.1.0.dev0 created.
BASE = """
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

#: Schema versions 2, 3, …: one entry each, statements separated by ";\n".
MIGRATIONS: tuple[str, ...] = (
    # 2: refused requests say who sent them; `stats` counts envelopes by project off an index.
    """
ALTER TABLE rejected ADD COLUMN remote_addr TEXT;
ALTER TABLE rejected ADD COLUMN client TEXT;
CREATE INDEX IF NOT EXISTS rejected_received ON rejected (received);
CREATE INDEX IF NOT EXISTS envelopes_project ON envelopes (project);
""",
    # 3: the processing stage. Envelopes keep what their request said about the sender; each
    # processed event its normalized copy and what normalization removed (Sentry's verdict is
    # judged from those when read); tags are kept per event (for filters) and counted per
    # issue (facets); releases are known with when they first came.
    """
ALTER TABLE envelopes ADD COLUMN user_agent TEXT;
ALTER TABLE envelopes ADD COLUMN client_hints TEXT;
ALTER TABLE issues ADD COLUMN first_release TEXT;
CREATE INDEX IF NOT EXISTS issues_first_release ON issues (first_release);
CREATE TABLE IF NOT EXISTS processed (
    item_id INTEGER PRIMARY KEY,
    normalized BLOB,
    removed TEXT
);
CREATE TABLE IF NOT EXISTS item_tags (
    item_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (item_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS issue_tags (
    issue_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    count INTEGER NOT NULL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    PRIMARY KEY (issue_id, key, value)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS issue_tags_value ON issue_tags (key, value);
CREATE TABLE IF NOT EXISTS releases (
    project TEXT NOT NULL,
    release TEXT NOT NULL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    PRIMARY KEY (project, release)
) WITHOUT ROWID;
""",
    # 4: the issue workflow. Each issue's status (unresolved, resolved, ignored) as Sentry keeps it,
    # when it was resolved (and in which release), how long an ignore holds, and when it
    # regressed (store/workflow.py owns the rules).
    """
ALTER TABLE issues ADD COLUMN status TEXT NOT NULL DEFAULT 'unresolved';
ALTER TABLE issues ADD COLUMN substatus TEXT;
ALTER TABLE issues ADD COLUMN resolved_at REAL;
ALTER TABLE issues ADD COLUMN resolved_in_release TEXT;
ALTER TABLE issues ADD COLUMN ignored_at REAL;
ALTER TABLE issues ADD COLUMN ignore_until REAL;
ALTER TABLE issues ADD COLUMN ignore_count INTEGER;
ALTER TABLE issues ADD COLUMN ignore_count_base INTEGER;
ALTER TABLE issues ADD COLUMN regressed_at REAL;
CREATE INDEX IF NOT EXISTS issues_status ON issues (status, last_seen);
""",
    # 5: traces and performance. Items are found by trace; each transaction's timing, status and
    # Web Vitals (and its time per span op) are kept at index time so `perf` and `traces`
    # read one narrow table; issues say whether they are errors or performance problems.
    """
CREATE INDEX IF NOT EXISTS items_trace ON items (trace_id);
CREATE TABLE IF NOT EXISTS transactions (
    item_id INTEGER PRIMARY KEY,
    project TEXT NOT NULL,
    trace_id TEXT,
    span_id TEXT,
    parent_span_id TEXT,
    name TEXT NOT NULL,
    op TEXT,
    start REAL NOT NULL,
    duration_ms REAL NOT NULL,
    status TEXT,
    lcp REAL,
    fcp REAL,
    cls REAL,
    inp REAL,
    ttfb REAL,
    spans INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS transactions_perf
    ON transactions (name, op, project, start, duration_ms, status);
CREATE INDEX IF NOT EXISTS transactions_start ON transactions (start);
CREATE INDEX IF NOT EXISTS transactions_trace ON transactions (trace_id);
CREATE TABLE IF NOT EXISTS transaction_ops (
    item_id INTEGER NOT NULL,
    op TEXT NOT NULL,
    duration_ms REAL NOT NULL,
    PRIMARY KEY (item_id, op)
) WITHOUT ROWID;
ALTER TABLE issues ADD COLUMN category TEXT NOT NULL DEFAULT 'error';
ALTER TABLE issues ADD COLUMN evidence TEXT;
""",
)

#: The schema this devsentry writes.
VERSION = 1 + len(MIGRATIONS)


class StoreError(Exception):
    """A store that cannot be used as it is; the message says why and what to do."""


class NotAStore(StoreError):
    """The file is something else (another SQLite database, a text file, a damaged file)."""


class NewerStore(StoreError):
    """The store was written by a newer devsentry: never altered by this one."""


def probe(path: Path) -> int:
    """The schema version of the store at `path` without changing the file: 0 for a new or
    empty file. Raises `NotAStore` or `NewerStore`."""
    # The file is read through SQLite only: closing a plain file descriptor on it would drop
    # every POSIX lock this process holds on it, the store writer's too, and a connection that
    # then believes it is the last one checkpoints and deletes the WAL under the writer
    # (https://www.sqlite.org/howtocorrupt.html, 2.2). SQLite keeps its own descriptors open
    # while another connection of the process holds locks.
    try:
        if path.stat().st_size == 0:
            return 0
    except FileNotFoundError:
        return 0
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            (app,) = db.execute("PRAGMA application_id").fetchone()
            (version,) = db.execute("PRAGMA user_version").fetchone()
            tables = {
                name
                for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        # Not a database: no SQLite connection holds it, so its header may be read directly.
        with path.open("rb") as file:
            header = file.read(len(_SQLITE_HEADER))
        if header != _SQLITE_HEADER:
            raise NotAStore(
                f"{path} is not a devsentry store: it is not an SQLite database"
            ) from None
        raise NotAStore(f"{path} cannot be read as a devsentry store: {exc}") from None
    if app == APPLICATION_ID:
        if version > VERSION:
            raise NewerStore(
                f"{path} was written by a newer devsentry (store schema {version}); this "
                f"devsentry {__version__} reads schemas up to {VERSION}. Upgrade devsentry, or "
                "pass another --store; the file is left as it is."
            )
        return int(version)
    if app == 0 and not tables:
        return 0
    if app == 0 and tables >= _FIRST_TABLES:
        return 1
    shown = ", ".join(sorted(tables)[:8]) or "none"
    raise NotAStore(
        f"{path} is an SQLite database, but not a devsentry store (its tables: {shown}); "
        "pass another --store. The file is left as it is."
    )


def upgrade(db: sqlite3.Connection, version: int) -> None:
    """Bring a store at `version` (0: new) to `VERSION`, in one transaction."""
    if version >= VERSION:
        return
    steps = ([BASE] if version == 0 else []) + list(MIGRATIONS[max(version, 1) - 1 :])
    db.execute("BEGIN IMMEDIATE")
    try:
        for script in steps:
            for statement in script.split(";\n"):
                if statement.strip():
                    db.execute(statement)
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {VERSION}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
