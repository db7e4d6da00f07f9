"""The embedded SQLite store: schema, writes, reads, the group-commit writer and the outbox."""

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
