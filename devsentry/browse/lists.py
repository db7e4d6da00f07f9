"""Pages of issues and items for the list commands, and what the store holds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from devsentry.browse.errors import open_store
from devsentry.protocol.times import rfc3339
from devsentry.store import writes
from devsentry.store.query import Query
from devsentry.store.records import IssueRecord, ItemRecord
from devsentry.store.store import Store

__all__ = ["IssuePage", "ItemPage", "clear_store", "issue_page", "item_page", "store_stats"]


class IssuePage(msgspec.Struct):
    rows: list[IssueRecord]
    total: int  # all issues matching the filters, not only those shown
    releases: dict[int, list[str]] = msgspec.field(default_factory=dict)  # per issue id
    hidden: dict[str, int] = msgspec.field(default_factory=dict)  # other statuses, not listed


class ItemPage(msgspec.Struct):
    rows: list[ItemRecord]
    total: int  # with `count_cap`, at most the cap
    capped: bool = False  # more matched than `total` says


def issue_page(store: Store, query: Query) -> IssuePage:
    """Issues by last seen, newest first; counting all matches only when the page is full."""
    rows = store.issues(query)
    full = query.limit is not None and len(rows) >= query.limit
    total = store.count_issues(query) if full else query.offset + len(rows)
    hidden: dict[str, int] = {}
    if query.status is not None:  # what the other statuses hold, for "2 resolved hidden"
        hidden = {s: n for s, n in store.count_by_status(query).items() if s != query.status}
    return IssuePage(rows, total, store.issue_releases([r.id for r in rows]), hidden)


def item_page(store: Store, query: Query, *, count_cap: int | None = None) -> ItemPage:
    """Items newest first; counting all matches (up to `count_cap`) only when the page is
    full."""
    rows = store.items(query)
    full = query.limit is not None and len(rows) >= query.limit
    if not full:
        return ItemPage(rows, query.offset + len(rows))
    total = store.count_items(query, cap=count_cap)
    return ItemPage(rows, total, capped=count_cap is not None and total >= count_cap)


def store_stats(store: Store) -> dict[str, Any]:
    """`store.stats()` plus the time span of what is stored."""
    stats = store.stats()
    oldest, newest = store.received_range()
    stats["oldest"] = rfc3339(oldest)
    stats["newest"] = rfc3339(newest)
    return stats


def clear_store(path: Path, confirm: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
    """Delete everything in the store at `path` once `confirm(stats)` agrees; None if not."""
    with open_store(path) as store:
        stats = store.stats()
    if not confirm(stats):
        return None
    with Store(path) as store:
        writes.clear(store.db)
    return {
        "path": stats["path"],
        "deleted": {k: stats[k] for k in ("envelopes", "items", "issues", "rejected")},
    }
