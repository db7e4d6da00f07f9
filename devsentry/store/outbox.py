"""The outbox: envelopes waiting to be delivered upstream, and what happened when they were.

Rows are added by the store in the transaction that accepts an envelope (see `store.Forward`);
the forwarder moves them through `pending` → `delivered`, or `rate_limited` / back to `pending`
with a retry time, or `failed` with the upstream's reason, or `dropped` with its own (a long
rate limit, a full outbox); `devsentry outbox` lists, retries and drops them. The envelope's raw
bytes stay in `envelopes` and are never pruned while pending.

The upstreams' rate limits are kept beside the rows, one `meta` value per target, so that a
restart remembers them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import msgspec

from devsentry.store.store import Store

__all__ = ["STATES", "Delivery", "Outbox"]

STATES = ("pending", "rate_limited", "delivered", "failed", "dropped")
_WAITING = ("pending", "rate_limited")
_IS_WAITING = "state IN ('pending', 'rate_limited')"  # what the `outbox_due` index serves
_LIMITS = "forward_rate_limits "  # meta key prefix; the target follows
_COLUMNS = "envelope_id, target, headers, state, attempts, next_attempt, status, detail, updated"


class Delivery(msgspec.Struct):
    """One outbox row: an envelope's forwarding state."""

    envelope_id: int
    target: str
    headers: dict[str, str] | None
    state: str
    attempts: int
    next_attempt: float
    status: int | None
    detail: str | None
    updated: float

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Delivery:
        headers = msgspec.json.decode(row[2]) if row[2] else None
        return cls(row[0], row[1], headers, *row[3:])


class Outbox:
    """Outbox queries and updates on a store connection."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def due(self, now: float, limit: int = 64) -> list[Delivery]:
        rows = self.store.db.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE {_IS_WAITING}"
            " AND next_attempt <= ? ORDER BY next_attempt, envelope_id LIMIT ?",
            (now, limit),
        )
        return [Delivery.from_row(r) for r in rows]

    def next_due(self) -> float | None:
        (value,) = self.store.db.execute(
            f"SELECT min(next_attempt) FROM outbox WHERE {_IS_WAITING}"
        ).fetchone()
        return float(value) if value is not None else None

    def raw(self, envelope_id: int) -> bytes | None:
        row = self.store.db.execute(
            "SELECT raw FROM envelopes WHERE id = ?", (envelope_id,)
        ).fetchone()
        return bytes(row[0]) if row else None

    def update(
        self,
        delivery: Delivery,
        state: str,
        status: int | None,
        detail: str | None,
        retry_at: float | None = None,
    ) -> Delivery:
        """Record an attempt's outcome; `retry_at` is when a waiting row is due again."""
        now = time.time()
        # held back or dropped before sending (no answer): not an attempt
        unsent = state in ("rate_limited", "dropped") and status is None
        attempts = delivery.attempts + (0 if unsent else 1)
        next_attempt = retry_at if retry_at is not None else now
        with self.store.transaction() as db:
            db.execute(
                "UPDATE outbox SET state = ?, attempts = ?, next_attempt = ?, status = ?,"
                " detail = ?, updated = ? WHERE envelope_id = ?",
                (state, attempts, next_attempt, status, detail, now, delivery.envelope_id),
            )
        return msgspec.structs.replace(
            delivery,
            state=state,
            attempts=attempts,
            next_attempt=next_attempt,
            status=status,
            detail=detail,
            updated=now,
        )

    def trim(self, most: int) -> list[Delivery]:
        """Drop the oldest waiting rows beyond `most`, so an upstream that takes nothing
        cannot grow the store without end; returns the dropped rows.

        The count reads the `outbox_due` index only, and the forwarder calls this when rows
        were added, never the ingest path.
        """
        (waiting,) = self.store.db.execute(
            f"SELECT count(*) FROM outbox WHERE {_IS_WAITING}"
        ).fetchone()
        if waiting <= most:
            return []
        with self.store.transaction() as db:
            rows = db.execute(
                "UPDATE outbox SET state = 'dropped', status = NULL, detail = ?, updated = ?"
                " WHERE envelope_id IN (SELECT envelope_id FROM outbox"
                f" WHERE {_IS_WAITING} ORDER BY envelope_id LIMIT ?) RETURNING {_COLUMNS}",
                (f"outbox full ({most:,} waiting)", time.time(), waiting - most),
            ).fetchall()
        return [Delivery.from_row(r) for r in rows]

    def release_held(self, now: float) -> int:
        """Make rate-limited rows due now, to be judged again against the limits known now
        (a forwarder that starts may know them better than the one that held the rows)."""
        with self.store.transaction() as db:
            cur = db.execute(
                "UPDATE outbox SET next_attempt = ? WHERE state = 'rate_limited'"
                " AND next_attempt > ?",
                (now, now),
            )
        return int(cur.rowcount)

    # -- the upstreams' rate limits, kept across restarts -------------------------------------

    def saved_limits(self) -> dict[str, bytes]:
        """Each target's saved rate limits (as `RateLimits.encode` wrote them)."""
        rows = self.store.db.execute(
            "SELECT key, value FROM meta WHERE key > ? AND key < ?",
            (_LIMITS, _LIMITS[:-1] + "!"),
        )
        return {key[len(_LIMITS) :]: _bytes(value) for key, value in rows}

    def save_limits(self, target: str, value: bytes | None) -> None:
        """Keep `target`'s limits; None forgets them (none is active)."""
        with self.store.transaction() as db:
            if value is None:
                db.execute("DELETE FROM meta WHERE key = ?", (_LIMITS + target,))
            else:
                db.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (_LIMITS + target, value.decode()),
                )

    # -- for `devsentry outbox` and the inspection commands ------------------------------------

    def list(self, states: Sequence[str] = (), limit: int | None = 100) -> list[Delivery]:
        where = f" WHERE state IN ({','.join('?' * len(states))})" if states else ""
        sql = f"SELECT {_COLUMNS} FROM outbox{where} ORDER BY envelope_id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [Delivery.from_row(r) for r in self.store.db.execute(sql, list(states))]

    def get(self, envelope_id: int) -> Delivery | None:
        row = self.store.db.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE envelope_id = ?", (envelope_id,)
        ).fetchone()
        return Delivery.from_row(row) if row else None

    def states(self, envelope_ids: Sequence[int]) -> dict[int, Delivery]:
        """The rows of these envelopes (those that were forwarded), by envelope id."""
        ids = sorted(set(envelope_ids))
        if not ids:
            return {}
        rows = self.store.db.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE envelope_id IN ({','.join('?' * len(ids))})",
            ids,
        )
        return {d.envelope_id: d for d in map(Delivery.from_row, rows)}

    def counts(self) -> dict[str, int]:
        return dict(self.store.db.execute("SELECT state, count(*) FROM outbox GROUP BY state"))

    def retry(self, ids: Sequence[int] = ()) -> int:
        """Make failed and waiting (or the given) rows due now; a running forwarder picks
        them up within a second."""
        return self._set("pending", ids, ("failed", "rate_limited", "pending"))

    def drop(self, ids: Sequence[int] = ()) -> int:
        """Give up on waiting and failed (or the given) rows: they will not be sent."""
        return self._set("dropped", ids, ("pending", "rate_limited", "failed"))

    def _set(self, state: str, ids: Sequence[int], default_states: Sequence[str]) -> int:
        now = time.time()
        if ids:  # any given row that is not delivered yet
            where = f"envelope_id IN ({','.join('?' * len(ids))}) AND state != 'delivered'"
            args: list[Any] = list(ids)
        else:
            where = f"state IN ({','.join('?' * len(default_states))})"
            args = list(default_states)
        with self.store.transaction() as db:
            cur = db.execute(
                f"UPDATE outbox SET state = ?, next_attempt = ?, updated = ? WHERE {where}",
                (state, now, now, *args),
            )
        return int(cur.rowcount)


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)
