"""The requests devsentry refused, for `devsentry rejected`: listed, shaped for `--json`, saved.

A refused request — a malformed envelope, an unknown encoding, bad auth, a web page from an
origin that may not send — keeps its raw body (exactly as it arrived, maybe compressed) in the
store's `rejected` table, with its headers and who sent it. Listing reads everything but the
body (`length(raw)` gives the size without loading it); `save_bodies` reads one body at a time,
so a bug report or a replay after the fix has the exact bytes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec

from devsentry.browse.saving import SavedFile, save_new, saving_dir
from devsentry.protocol.times import rfc3339
from devsentry.store.store import Store

__all__ = ["Rejected", "RejectedPage", "body_name", "rejected_json", "rejected_page", "save_bodies"]

_COLUMNS = "id, received, status, reason, path, length(raw), client, remote_addr, headers"


class Rejected(msgspec.Struct, kw_only=True):
    """One refused request, without its body."""

    id: int
    received: float
    status: int
    reason: str
    path: str | None
    size: int  # bytes of the raw body, as it arrived
    client: str | None  # the auth's sentry_client, else the User-Agent
    remote_addr: str | None
    headers: dict[str, str]  # names lowercased

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class RejectedPage(msgspec.Struct):
    rows: list[Rejected]
    total: int  # all matching, not only those shown


def _headers(text: str | None) -> dict[str, str]:
    """Stored headers with their names lowercased (HTTP names are case-insensitive)."""
    try:
        data = msgspec.json.decode(text or "{}")
    except msgspec.DecodeError:
        return {}
    if not isinstance(data, Mapping):
        return {}
    return {str(k).lower(): str(v) for k, v in data.items()}


def _row(values: Sequence[Any]) -> Rejected:
    id_, received, status, reason, path, size, client, remote_addr, headers = values
    return Rejected(
        id=id_,
        received=received,
        status=status,
        reason=reason,
        path=path,
        size=size or 0,
        client=client,
        remote_addr=remote_addr,
        headers=_headers(headers),
    )


def rejected_page(
    store: Store, *, since: float | None = None, limit: int | None = 50
) -> RejectedPage:
    """Refused requests newest first (`limit` None: all), received at or after `since`;
    counting all matches only when the page is full."""
    where, args = (" WHERE received >= ?", [since]) if since is not None else ("", [])
    sql = f"SELECT {_COLUMNS} FROM rejected{where} ORDER BY id DESC LIMIT ?"
    rows = [_row(r) for r in store.db.execute(sql, [*args, -1 if limit is None else limit])]
    if limit is None or len(rows) < limit:
        return RejectedPage(rows, len(rows))
    (total,) = store.db.execute(f"SELECT count(*) FROM rejected{where}", args).fetchone()
    return RejectedPage(rows, total)


def rejected_json(row: Rejected, saved: SavedFile | None = None) -> dict[str, Any]:
    """`rejected --json`: the row with an RFC 3339 `received`, the headers a replay needs
    (origin, content type and encoding: the body is stored as it arrived), and, after
    `--save`, where its body went. The other headers stay out: they may hold credentials."""
    data: dict[str, Any] = {
        "id": row.id,
        "received": rfc3339(row.received),
        "status": row.status,
        "reason": row.reason,
        "path": row.path,
        "size": row.size,
        "client": row.client,
        "remote_addr": row.remote_addr,
        "origin": row.header("Origin"),
        "content_type": row.header("Content-Type"),
        "content_encoding": row.header("Content-Encoding"),
    }
    if saved is not None:
        data["saved"] = str(saved.path)
    return data


def body_name(row: Rejected) -> str:
    """`rejected-<id>-<status>.body`: made of numbers only, so it stays in its directory."""
    return f"rejected-{row.id}-{row.status}.body"


def save_bodies(store: Store, rows: Sequence[Rejected], directory: Path) -> dict[int, SavedFile]:
    """Write each row's raw body to its own new file in `directory` (created if needed; an
    existing file is never overwritten, a symlink never followed). Returns the files by row
    id; a row pruned since it was listed is skipped."""
    root = saving_dir(directory)
    saved: dict[int, SavedFile] = {}
    for row in rows:
        body = _body(store.db, row.id)
        if body is not None:
            saved[row.id] = save_new(root, body_name(row), body)
    return saved


def _body(db: sqlite3.Connection, row_id: int) -> bytes | None:
    found = db.execute("SELECT raw FROM rejected WHERE id = ?", (row_id,)).fetchone()
    return None if found is None else bytes(found[0])
