"""The embedded SQLite store: schema, writes, reads, the group-commit writer and the outbox.

The names below are imported on first use, so that a small module of this package (`ids`)
loads nothing else.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devsentry.store import writes
    from devsentry.store.query import Query
    from devsentry.store.records import (
        EnvelopeRecord,
        Forward,
        IssueRecord,
        ItemRecord,
        NewEnvelope,
        NewIssue,
        NewItem,
        StoredEnvelope,
        StoredItem,
    )
    from devsentry.store.store import DEFAULT_KEEP, Store, default_store_path

_HOMES = {
    "DEFAULT_KEEP": "store",
    "Store": "store",
    "default_store_path": "store",
    "Query": "query",
    "EnvelopeRecord": "records",
    "Forward": "records",
    "IssueRecord": "records",
    "ItemRecord": "records",
    "NewEnvelope": "records",
    "NewIssue": "records",
    "NewItem": "records",
    "StoredEnvelope": "records",
    "StoredItem": "records",
}

__all__ = [
    "DEFAULT_KEEP",
    "EnvelopeRecord",
    "Forward",
    "IssueRecord",
    "ItemRecord",
    "NewEnvelope",
    "NewIssue",
    "NewItem",
    "Query",
    "Store",
    "StoredEnvelope",
    "StoredItem",
    "default_store_path",
    "writes",
]


def __getattr__(name: str) -> Any:
    if name == "writes":
        return importlib.import_module(f"{__name__}.writes")
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
