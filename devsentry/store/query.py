"""`Query`: the filters `issues`, `events`, `tail` and `export` share, as SQL."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Literal

import msgspec

from devsentry.store.workflow import status_clause

__all__ = ["ISSUE_SORTS", "IssueSort", "Query", "order_by", "page", "where"]

IssueSort = Literal["last_seen", "count", "users"]
#: The orders of an issue list, as `ORDER BY` clauses (the id breaks ties, newest first).
ISSUE_SORTS: dict[str, str] = {
    "last_seen": "last_seen DESC, id DESC",
    "count": "count DESC, last_seen DESC, id DESC",
    "users": "users DESC, last_seen DESC, id DESC",
}


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
    before_id: int | None = None  # items older than this id: the next page, newest first
    tags: Sequence[tuple[str, str]] = ()  # every one must match (KEY, VALUE)
    new_in: str | None = None  # issues first seen in this release
    status: str | None = None  # issues: unresolved, resolved, ignored (None: all)
    limit: int | None = 100
    offset: int = 0  # rows skipped before the page (the ui's next page)
    sort: IssueSort = "last_seen"  # issues: newest seen, most events, or most users first


def order_by(q: Query) -> str:
    """The issue list's `ORDER BY … LIMIT … OFFSET …` for `q`."""
    sql = f" ORDER BY {ISSUE_SORTS[q.sort]}"
    return sql + page(q)


def page(q: Query) -> str:
    """`LIMIT n OFFSET m` for `q` (nothing without a limit)."""
    if q.limit is None:
        return ""
    return f" LIMIT {int(q.limit)}" + (f" OFFSET {int(q.offset)}" if q.offset else "")


def where(q: Query, table: Literal["issues", "items"]) -> tuple[str, list[Any]]:
    """The `WHERE` clause (with its arguments) that applies `q` to `table`."""
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
        if q.before_id is not None:
            clauses.append("id < ?")
            args.append(q.before_id)
    elif q.release is not None or q.environment is not None:
        sub = ["issue_id = issues.id"]
        for column, value in (("release", q.release), ("environment", q.environment)):
            if value is not None:
                sub.append(f"{column} = ?")
                args.append(value)
        clauses.append(f"EXISTS (SELECT 1 FROM items WHERE {' AND '.join(sub)})")
    for key, value in q.tags:
        # Items: the event carries the tag. Issues: one of its events did (its facets count
        # every event indexed, pruned ones too, as Sentry's tag counts do).
        if table == "items":
            # A lookup per item, newest first, until the page is full: no index on the values
            # (it would add a B-tree entry per tag of every event, a third of a store's size).
            clauses.append(
                "EXISTS (SELECT 1 FROM item_tags"
                " WHERE item_id = items.id AND key = ? AND value = ?)"
            )
        else:
            clauses.append("id IN (SELECT issue_id FROM issue_tags WHERE key = ? AND value = ?)")
        args += [key, value]
    if q.status is not None and table == "issues":
        sql, status_args = status_clause(q.status, time.time())
        if sql:
            clauses.append(sql)
            args += status_args
    if q.new_in is not None and table == "issues":
        clauses.append("first_release = ?")
        args.append(q.new_in)
    if q.since is not None:
        clauses.append(f"{time_col} >= ?")
        args.append(q.since)
    if q.search:
        columns = "title || ' ' || coalesce(culprit, '')" if table == "issues" else "title"
        clauses.append(f"{columns} LIKE ? ESCAPE '\\'")
        escaped = q.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        args.append(f"%{escaped}%")
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args
