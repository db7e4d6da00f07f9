"""`devsentry perf`: per transaction name and op, how often, how fast and how often failing.

Read from the `transactions` table the index fills (one narrow row per transaction, indexed by
name, op and start), never from the payloads: counts and failure rates are one grouped query;
percentiles, the duration-over-time series and the Web Vitals are computed over the durations
of the groups shown (one indexed range each).
"""

from __future__ import annotations

import math
import time
from typing import Any

import msgspec

from devsentry.process.performance import VITAL_THRESHOLDS, grade_vital
from devsentry.protocol.times import rfc3339
from devsentry.store.store import Store

__all__ = ["BUCKETS", "PerfReport", "PerfRow", "Vital", "perf_json", "perf_report"]

#: Points of the duration-over-time series each row carries (its chart).
BUCKETS = 24
#: Span ops listed per row, most time first, over the latest transactions of the group.
TOP_OPS = 3
OPS_SAMPLE = 1_000
#: Sentry's failure rate counts every status but these as failed
#: (`failure_rate()` in `src/sentry/search/events/datasets/discover.py`).
NOT_FAILED = ("ok", "cancelled", "unknown")
_BROWSER_OPS = ("pageload", "navigation")


class Vital(msgspec.Struct):
    p75: float
    grade: str  # good, meh, poor
    count: int


class PerfRow(msgspec.Struct, kw_only=True):
    transaction: str
    op: str | None
    project: str
    count: int
    failures: int
    first: float
    last: float
    p50: float
    p75: float
    p95: float
    p99: float
    ops: list[tuple[str, float]]  # span op, mean ms per transaction
    vitals: dict[str, Vital]
    series: list[float | None]  # mean duration per bucket of the window, ms

    @property
    def failure_rate(self) -> float:
        return self.failures / self.count if self.count else 0.0


class PerfReport(msgspec.Struct, kw_only=True):
    rows: list[PerfRow]
    since: float | None
    start: float | None  # the window the series spans
    end: float | None
    groups: int  # groups in all (rows may show fewer)

    def throughput(self, row: PerfRow) -> float:
        """Transactions per minute over the window."""
        start = self.since if self.since is not None else self.start
        end = self.end
        if start is None or end is None or end <= start:
            return float(row.count)
        return row.count / max((end - start) / 60, 1 / 60)


def _percentile(values: list[float], q: float) -> float:
    """Linear interpolation between the closest ranks of sorted `values`."""
    if not values:
        return 0.0
    k = (len(values) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def perf_report(
    store: Store,
    *,
    since: float | None = None,
    project: str | None = None,
    limit: int | None = 20,
    now: float | None = None,
) -> PerfReport:
    """The busiest transaction groups (most transactions first) in the window."""
    clauses: list[str] = []
    args: list[Any] = []
    if since is not None:
        clauses.append("start >= ?")
        args.append(since)
    if project is not None:
        clauses.append("project = ?")
        args.append(project)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    placeholders = ",".join("?" * len(NOT_FAILED))
    groups = store.db.execute(
        "SELECT name, op, project, count(*), sum(coalesce(status, 'unknown')"
        f" NOT IN ({placeholders})), min(start), max(start) FROM transactions{where}"
        " GROUP BY name, op, project ORDER BY count(*) DESC, name",
        (*NOT_FAILED, *args),
    ).fetchall()
    shown = groups[:limit] if limit else groups
    if not shown:
        return PerfReport(rows=[], since=since, start=None, end=None, groups=0)
    start = since if since is not None else min(g[5] for g in groups)
    end = max(now if now is not None else time.time(), max(g[6] for g in groups))
    end = min(end, max(g[6] for g in groups) + 60) if since is None else end
    width = max((end - start) / BUCKETS, 1e-9)
    rows = [_row(store, group, since, width, start) for group in shown]
    return PerfReport(rows=rows, since=since, start=start, end=end, groups=len(groups))


def _row(
    store: Store, group: tuple[Any, ...], since: float | None, width: float, origin: float
) -> PerfRow:
    name, op, project, count, failures, first, last = group
    where = "WHERE name = ? AND op IS ? AND project = ?"
    args: list[Any] = [name, op, project]
    if since is not None:
        where += " AND start >= ?"
        args.append(since)
    # Durations and starts come off the covering index; the vitals only for browser ops.
    rows = store.db.execute(f"SELECT start, duration_ms FROM transactions {where}", args).fetchall()
    durations = sorted(r[1] for r in rows)
    sums = [0.0] * BUCKETS
    counts = [0] * BUCKETS
    for start, took in rows:
        b = min(max(int((start - origin) / width), 0), BUCKETS - 1)
        sums[b] += took
        counts[b] += 1
    vitals: dict[str, Vital] = {}
    if op in _BROWSER_OPS:
        measured = store.db.execute(
            f"SELECT lcp, fcp, cls, inp, ttfb FROM transactions {where}", args
        ).fetchall()
        for index, vital in enumerate(VITAL_THRESHOLDS):
            values = sorted(r[index] for r in measured if r[index] is not None)
            if values:
                p75 = _percentile(values, 0.75)
                vitals[vital] = Vital(p75, grade_vital(vital, p75), len(values))
    return PerfRow(
        transaction=name,
        op=op,
        project=project,
        count=count,
        failures=int(failures or 0),
        first=first,
        last=last,
        p50=_percentile(durations, 0.5),
        p75=_percentile(durations, 0.75),
        p95=_percentile(durations, 0.95),
        p99=_percentile(durations, 0.99),
        ops=_top_ops(store, name, op, project, since),
        vitals=vitals,
        series=[s / c if c else None for s, c in zip(sums, counts, strict=True)],
    )


def _top_ops(
    store: Store, name: str, op: str | None, project: str, since: float | None
) -> list[tuple[str, float]]:
    """The span ops that take the most time, as mean ms per transaction over the group's
    latest `OPS_SAMPLE` transactions (a bounded number of lookups, however busy it is)."""
    where = "WHERE name = ? AND op IS ? AND project = ?"
    args: list[Any] = [name, op, project]
    if since is not None:
        where += " AND start >= ?"
        args.append(since)
    latest = f"SELECT item_id FROM transactions {where} ORDER BY start DESC LIMIT {OPS_SAMPLE}"
    (sampled,) = store.db.execute(f"SELECT count(*) FROM ({latest})", args).fetchone()
    if not sampled:
        return []
    rows = store.db.execute(
        f"SELECT o.op, sum(o.duration_ms) AS total FROM ({latest}) t JOIN transaction_ops o"
        f" ON o.item_id = t.item_id GROUP BY o.op ORDER BY total DESC LIMIT {TOP_OPS}",
        args,
    )
    return [(o, total / sampled) for o, total in rows]


def perf_json(report: PerfReport) -> list[dict[str, Any]]:
    """`perf --json`: durations in milliseconds, rates as fractions."""
    return [
        {
            "transaction": r.transaction,
            "op": r.op,
            "project": r.project,
            "count": r.count,
            "throughput": round(report.throughput(r), 3),
            "failure_rate": round(r.failure_rate, 4),
            "p50": round(r.p50, 3),
            "p75": round(r.p75, 3),
            "p95": round(r.p95, 3),
            "p99": round(r.p99, 3),
            "span_ops": [{"op": op, "mean": round(ms, 3)} for op, ms in r.ops],
            "vitals": {
                k: {"p75": round(v.p75, 4), "grade": v.grade, "count": v.count}
                for k, v in r.vitals.items()
            },
            "first_seen": rfc3339(r.first),
            "last_seen": rfc3339(r.last),
        }
        for r in report.rows
    ]
