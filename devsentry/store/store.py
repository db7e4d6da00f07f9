"""The local store: one SQLite file in WAL mode, readable by other processes while it is written.

Every accepted envelope is kept whole (its decompressed bytes, so export and replay are byte
exact), with one row per item carrying the fields people filter on and the issue it belongs to.
Requests that could not be parsed are kept too, in `rejected`, so nothing sent is lost. This
module opens the file and reads it; `writes.py` holds what changes it, and `writer.py` the one
writer that batches those changes into group commits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import msgspec
import platformdirs

from devsentry.store.packing import unpack
from devsentry.store.query import Query, order_by, page, where
from devsentry.store.records import (
    ENVELOPE_COLUMNS,
    ISSUE_COLUMNS,
    ITEM_COLUMNS,
    EnvelopeRecord,
    IssueRecord,
    ItemRecord,
    ProcessedRecord,
    TagFacet,
    TagValue,
)
from devsentry.store.schema import VERSION, StoreError, probe, upgrade

__all__ = ["DEFAULT_KEEP", "Store", "default_store_path", "transaction"]

#: Retention default: the newest 100 000 envelopes (a few hundred MB of typical SDK traffic).
DEFAULT_KEEP = 100_000


def default_store_path() -> Path:
    """`$XDG_DATA_HOME/devsentry/devsentry.db` or the platform's equivalent."""
    return Path(platformdirs.user_data_dir("devsentry", appauthor=False)) / "devsentry.db"


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (`BEGIN IMMEDIATE`), rolled back on any error.

    A failed COMMIT leaves the transaction open, and a full disk or an I/O error may already
    have rolled it back (https://www.sqlite.org/lang_transaction.html, "Response To Errors
    Within A Transaction"): roll back only what is still open, so the next write starts clean
    and the error raised is the one that happened.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


class Store:
    """A devsentry store file. One `Store` per thread: SQLite connections are not shared."""

    def __init__(self, path: Path | str, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        if readonly and not self.path.is_file():
            raise FileNotFoundError(f"no devsentry store at {self.path}")
        version = probe(self.path)  # refuses other files and newer stores, changing nothing
        if readonly and version < VERSION:
            with Store(self.path):  # an older store: upgraded once, then read
                pass
        self.db = self._connect(readonly)
        if not readonly:
            if version == 0:
                # 16 KiB pages (only takes effect on a new file): a typical 5-10 KB envelope
                # fits one page instead of spilling into overflow pages, half the write cost.
                self.db.execute("PRAGMA page_size = 16384")
            self.db.execute("PRAGMA journal_mode = WAL")
            # WAL + NORMAL: a commit survives the process dying; only an OS crash can lose the
            # last commits. That is the right trade for a development tool that must be fast.
            self.db.execute("PRAGMA synchronous = NORMAL")
            upgrade(self.db, version)
            # A store written before the index was tracked is fully indexed already.
            self.db.execute(
                "INSERT OR IGNORE INTO meta (key, value) SELECT 'indexed_upto',"
                " coalesce(max(envelope_id), 0) FROM items"
            )

    def _connect(self, readonly: bool) -> sqlite3.Connection:
        if readonly:
            # mode=ro: a reader can never change the file, whatever it runs.
            target, uri = f"{self.path.resolve().as_uri()}?mode=ro", True
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            target, uri = str(self.path), False
        try:
            db = sqlite3.connect(
                target, uri=uri, timeout=10, isolation_level=None, check_same_thread=False
            )
            db.execute("PRAGMA busy_timeout = 10000")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the store {self.path}: {exc}") from None
        return db

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self.db)

    def unindexed(self, limit: int = 256) -> list[EnvelopeRecord]:
        """Committed envelopes whose items are not indexed yet (after a crash or overload)."""
        rows = self.db.execute(
            f"SELECT {ENVELOPE_COLUMNS} FROM envelopes WHERE id > coalesce((SELECT value"
            " FROM meta WHERE key = 'indexed_upto'), 0) ORDER BY id LIMIT ?",
            (limit,),
        )
        return [EnvelopeRecord(*row) for row in rows]

    def issues(self, q: Query | None = None) -> list[IssueRecord]:
        q = q or Query()
        clause, args = where(q, "issues")
        sql = f"SELECT {ISSUE_COLUMNS} FROM issues{clause}{order_by(q)}"
        return [IssueRecord(*row) for row in self.db.execute(sql, args)]

    def items(self, q: Query | None = None, *, oldest_first: bool = False) -> list[ItemRecord]:
        q = q or Query()
        clause, args = where(q, "items")
        order = "ASC" if oldest_first else "DESC"
        sql = f"SELECT {ITEM_COLUMNS} FROM items{clause} ORDER BY id {order}{page(q)}"
        return [ItemRecord(*row) for row in self.db.execute(sql, args)]

    def issue(self, issue_id: int) -> IssueRecord | None:
        row = self.db.execute(
            f"SELECT {ISSUE_COLUMNS} FROM issues WHERE id = ?", (issue_id,)
        ).fetchone()
        return IssueRecord(*row) if row else None

    def item(self, item_id: int) -> ItemRecord | None:
        row = self.db.execute(
            f"SELECT {ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,)
        ).fetchone()
        return ItemRecord(*row) if row else None

    def items_by_event_id(self, prefix: str) -> list[ItemRecord]:
        """Items whose event id starts with `prefix` (hex, dashes ignored)."""
        prefix = prefix.replace("-", "").lower()
        rows = self.db.execute(
            f"SELECT {ITEM_COLUMNS} FROM items WHERE event_id >= ? AND event_id < ?"
            " ORDER BY id DESC LIMIT 20",
            (prefix, prefix + "g"),
        )
        return [ItemRecord(*row) for row in rows]

    def envelope(self, envelope_id: int) -> EnvelopeRecord | None:
        row = self.db.execute(
            f"SELECT {ENVELOPE_COLUMNS} FROM envelopes WHERE id = ?",
            (envelope_id,),
        ).fetchone()
        return EnvelopeRecord(*row) if row else None

    def processed(self, item_id: int) -> ProcessedRecord | None:
        """What processing derived for an item (None: nothing kept, or indexed before
        devsentry processed items)."""
        row = self.db.execute(
            "SELECT normalized, removed FROM processed WHERE item_id = ?", (item_id,)
        ).fetchone()
        if row is None:
            return None
        return ProcessedRecord(unpack(row[0]) if row[0] is not None else None, row[1])

    def issue_tags(
        self, issue_id: int, key: str | None = None, top: int | None = None
    ) -> list[TagFacet]:
        """The issue's tag facets: each key (the most common first), its total and its values
        with counts (the `top` most common; all when None). Counted at index time: one read of
        the issue's rows, however many events it has."""
        sql = "SELECT key, value, count FROM issue_tags WHERE issue_id = ?"
        args: list[Any] = [issue_id]
        if key is not None:
            sql += " AND key = ?"
            args.append(key)
        facets: dict[str, TagFacet] = {}
        for name, value, count in self.db.execute(sql, args):
            facet = facets.get(name)
            if facet is None:
                facet = facets[name] = TagFacet(name, 0, [])
            facet.total += count
            facet.values.append(TagValue(value, count))
        for facet in facets.values():
            facet.distinct = len(facet.values)
            facet.values.sort(key=lambda v: (-v.count, v.value))
            if top is not None:
                del facet.values[top:]
        return sorted(facets.values(), key=lambda f: (-f.total, f.key))

    def issue_releases(self, issue_ids: list[int]) -> dict[int, list[str]]:
        """The releases each issue occurred in, oldest first (from its `release` tag)."""
        if not issue_ids:
            return {}
        rows = self.db.execute(
            "SELECT issue_id, value FROM issue_tags WHERE key = 'release' AND issue_id IN"
            f" ({','.join('?' * len(issue_ids))}) ORDER BY issue_id, first_seen",
            issue_ids,
        )
        out: dict[int, list[str]] = {}
        for issue_id, value in rows:
            out.setdefault(issue_id, []).append(value)
        return out

    def last_item_id(self) -> int:
        (value,) = self.db.execute("SELECT coalesce(max(id), 0) FROM items").fetchone()
        return int(value)

    def count_envelopes(self) -> int:
        (value,) = self.db.execute("SELECT count(*) FROM envelopes").fetchone()
        return int(value)

    def stats(self) -> dict[str, Any]:
        """Counts by type and project, and the file's size.

        Every count walks an index (`items_type`, `envelopes_project`), never the envelopes
        table itself, which holds the raw bytes: a full scan of it reads the whole file.
        """
        by_type = dict(
            self.db.execute("SELECT type, count(*) FROM items GROUP BY type ORDER BY 2 DESC")
        )
        by_project = dict(
            self.db.execute(
                "SELECT project, count(*) FROM envelopes GROUP BY project ORDER BY 2 DESC"
            )
        )
        envelopes = sum(by_project.values())
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

    def count_issues(self, q: Query | None = None) -> int:
        """How many issues match `q` (its limit ignored), for "showing 50 of 1,234"."""
        clause, args = where(q or Query(), "issues")
        (value,) = self.db.execute(f"SELECT count(*) FROM issues{clause}", args).fetchone()
        return int(value)

    def count_by_status(self, q: Query | None = None) -> dict[str, int]:
        """How many issues match `q` (its status and limit ignored) in each status as it stands
        now: an ignore that ran out counts as unresolved (`workflow.status_clause`)."""
        import time

        clause, args = where(msgspec.structs.replace(q or Query(), status=None), "issues")
        rows = self.db.execute(
            "SELECT CASE WHEN status = 'ignored' AND ignore_until <= ? THEN 'unresolved'"
            f" ELSE status END AS now_status, count(*) FROM issues{clause} GROUP BY now_status",
            [time.time(), *args],
        )
        return {str(status): int(n) for status, n in rows}

    def count_items(self, q: Query | None = None, *, cap: int | None = None) -> int:
        """How many items match `q` (its limit ignored); at most `cap` (counting stops there:
        a million rows take a fifth of a second to count)."""
        clause, args = where(q or Query(), "items")
        sql = f"SELECT count(*) FROM items{clause}"
        if cap is not None:
            sql = f"SELECT count(*) FROM (SELECT 1 FROM items{clause} LIMIT {int(cap)})"
        (value,) = self.db.execute(sql, args).fetchone()
        return int(value)

    def issue_count_at(self, issue_id: int, item_id: int) -> int:
        """The issue's event count when item `item_id` arrived (1: it opened the issue)."""
        (value,) = self.db.execute(
            "SELECT count(*) FROM items WHERE issue_id = ? AND id <= ?", (issue_id, item_id)
        ).fetchone()
        return int(value)

    def received_range(self) -> tuple[float | None, float | None]:
        """When the oldest and newest stored envelopes arrived.

        Ids are given in arrival order, so these are the first and last rows by id: two
        lookups, where `min(received)` would scan every row (there is no index on it).
        """
        oldest, newest = self.db.execute(
            "SELECT (SELECT received FROM envelopes ORDER BY id LIMIT 1),"
            " (SELECT received FROM envelopes ORDER BY id DESC LIMIT 1)"
        ).fetchone()
        return oldest, newest

    def envelope_ids(self, q: Query | None = None) -> list[int]:
        """Envelopes with at least one item matching `q`, newest first; `q.limit` counts
        envelopes, not items (an event and its attachments are one envelope)."""
        q = q or Query()
        clause, args = where(q, "items")
        sql = (
            f"SELECT envelope_id FROM items{clause} GROUP BY envelope_id ORDER BY envelope_id DESC"
        )
        if q.limit is not None:
            sql += f" LIMIT {int(q.limit)}"
        return [int(row[0]) for row in self.db.execute(sql, args)]

    def envelope_items(self, envelope_id: int) -> list[ItemRecord]:
        """The indexed items of one envelope, in envelope order."""
        rows = self.db.execute(
            f"SELECT {ITEM_COLUMNS} FROM items WHERE envelope_id = ? ORDER BY idx",
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
