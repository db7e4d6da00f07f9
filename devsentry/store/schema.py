"""The store's tables: envelopes (the truth), items and issues (the index), the outbox, and
requests that were refused."""

from __future__ import annotations

__all__ = ["SCHEMA"]

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
