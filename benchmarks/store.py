"""Reading a big store: `devsentry stats`, `issues`, `events`, `show`, `tags`, `perf`, `traces`
and `trace` on N envelopes.

1. Fills a scratch store with N small envelopes (default 1,000,000), written directly through
   `store/writes.py` in large transactions, as the writer and the indexer would write them:
   mostly error events spread over a few hundred issues and projects, some transactions and
   logs; events carry the dozen tags processing derives (facets counted as the indexer counts
   them). Every ten envelopes share a trace id; each transaction is a real payload with six
   spans, indexed with its timing and span ops as the indexer indexes it (50 endpoints).
2. Times each command as a user runs it (a fresh `python -m devsentry …` process, --json so no
   terminal rendering is timed), and `devsentry --version` as the baseline: Python starting and
   importing, which every command pays. Prints medians over `--repeat` runs.

Usage: python benchmarks/store.py [--envelopes 1000000] [--repeat 5] [--padding 200]
       [--store PATH]
A `--store` that already holds envelopes is timed as it is (no refill).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import msgspec

from devsentry.store import NewEnvelope, NewIssue, NewItem, Store, writes
from devsentry.store.records import NewTransaction, Processed

BATCH = 20_000  # envelopes per transaction while filling
ISSUES = 300
PROJECTS = 5


def envelope(n: int, now: float, padding: int) -> NewEnvelope:
    """The n-th envelope: 8 in 10 errors (a few hundred issues), then transactions and logs."""
    kind = ("event",) * 8 + ("transaction", "log")
    item_type = kind[n % len(kind)]
    event_id = f"{n:032x}"
    issue = None
    title = f"GET /api/items/{n % 50}" if item_type == "transaction" else f"log line {n % 7}"
    if item_type == "event":
        hash_ = f"{(n * 7919) % ISSUES:032x}"
        title = f"ValueError: bad input #{(n * 7919) % ISSUES}"
        issue = NewIssue(hash=hash_, title=title, culprit="app.views in handle", level="error")
    payload = b'{"message":"%s","padding":"%s"}' % (title.encode(), b"x" * padding)
    trace_id = hashlib.md5(str(n // 10).encode()).hexdigest()
    start = now - 86_400 + n * 0.01
    timing = None
    if item_type == "transaction":
        payload, timing = _transaction(title, trace_id, start, n)
    raw = b'{"event_id":"%s"}\n{"type":"%s","length":%d}\n%s\n' % (
        event_id.encode(),
        item_type.encode(),
        len(payload),
        payload,
    )
    return NewEnvelope(
        raw=raw,
        project=str(1 + n % PROJECTS),
        transport="envelope",
        received=now - 86_400 + n * 0.01,
        event_id=event_id,
        client="sentry.python/2.40.0",
        items=[
            NewItem(
                index=0,
                type=item_type,
                size=len(payload),
                event_id=event_id,
                timestamp=now - 86_400 + n * 0.01,
                level="error" if issue else "info",
                release=f"shop@1.{n % 3}",
                environment="development",
                platform="python",
                sdk="sentry.python/2.40.0",
                title=title,
                user=f"id:{n % 1000}",
                issue=issue,
                processed=Processed(tags=_tags(n)) if item_type != "log" else None,
                trace_id=trace_id,
                transaction=timing,
            )
        ],
    )


def _transaction(name: str, trace_id: str, start: float, n: int) -> tuple[bytes, NewTransaction]:
    """A transaction with six spans (a db query per item, an HTTP call) and its index row;
    durations vary by endpoint and over the day, and 1 in 20 fails."""
    took = 0.02 + (n % 50) * 0.002 + (n % 997) / 997 * 0.03
    status = "internal_error" if n % 20 == 0 else "ok"
    spans = [
        {
            "span_id": f"{n % 2**32:08x}{i:08x}",
            "parent_span_id": f"{n % 2**32:08x}00000000",
            "trace_id": trace_id,
            "op": "db" if i < 5 else "http.client",
            "description": "SELECT * FROM items WHERE id = %s" if i < 5 else "GET /prices",
            "start_timestamp": start + i * took / 7,
            "timestamp": start + (i + 1) * took / 7,
        }
        for i in range(1, 7)
    ]
    payload = msgspec.json.encode(
        {
            "type": "transaction",
            "transaction": name,
            "start_timestamp": start,
            "timestamp": start + took,
            "contexts": {
                "trace": {
                    "trace_id": trace_id,
                    "span_id": f"{n % 2**32:08x}00000000",
                    "op": "http.server",
                    "status": status,
                }
            },
            "spans": spans,
        }
    )
    timing = NewTransaction(
        name=name,
        start=start,
        duration_ms=took * 1000,
        trace_id=trace_id,
        span_id=f"{n % 2**32:08x}00000000",
        op="http.server",
        status=status,
        ops=[("db", took * 1000 * 4 / 7), ("http.client", took * 1000 / 7)],
        spans=6,
    )
    return payload, timing


def _tags(n: int) -> list[tuple[str, str]]:
    """What processing derives for an SDK event: a dozen tags, a few hundred distinct values."""
    browser = "Firefox" if n % 5 == 0 else "Chrome"
    return [
        ("feature", f"f{n % 20}"),
        ("browser", f"{browser} {120 + n % 10}.0"),
        ("browser.name", browser),
        ("client_os.name", "Windows" if n % 3 else "Mac OS X"),
        ("runtime", "CPython 3.12.1"),
        ("runtime.name", "CPython"),
        ("url", f"https://shop.test/api/items/{n % 50}"),
        ("user", f"id:{n % 1000}"),
        ("level", "error"),
        ("release", f"shop@1.{n % 3}"),
        ("environment", "development"),
        ("handled", "yes" if n % 4 else "no"),
        ("mechanism", "generic"),
        ("server_name", f"web-{n % 4}"),
    ]


def fill(path: Path, count: int, padding: int) -> None:
    """Write `count` envelopes and their index, as quickly as SQLite allows."""
    now = time.time()
    start = time.monotonic()
    with Store(path) as store:
        store.db.execute("PRAGMA synchronous = OFF")  # a scratch file: no fsync while filling
        for first in range(0, count, BATCH):
            batch = [envelope(n, now, padding) for n in range(first, min(first + BATCH, count))]
            with store.transaction() as db:
                ids = writes.insert_envelopes(db, batch)
                writes.insert_items(db, list(zip(ids, batch, strict=True)))
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print(f"  in {time.monotonic() - start:.0f} s, {path.stat().st_size / 1e6:,.0f} MB")


def time_command(args: list[str], store: Path | None) -> float:
    """Seconds one `devsentry …` process takes, start to exit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEVSENTRY_", "SENTRY_"))}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "devsentry", *args, *(["--store", str(store)] if store else [])],
        check=True,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    return time.perf_counter() - start


_TRACE = hashlib.md5(b"1234").hexdigest()[:12]  # a unique prefix of one trace's id
COMMANDS = {
    "devsentry --version (baseline)": ["--version"],
    "devsentry stats --json": ["stats", "--json"],
    "devsentry issues --json": ["issues", "--json"],
    "devsentry events --json": ["events", "--json"],
    "devsentry events --type log --json": ["events", "--type", "log", "--json"],
    "devsentry show DS-1 --json (facets)": ["show", "DS-1", "--json"],
    "devsentry tags DS-1 --json": ["tags", "DS-1", "--json"],
    "devsentry issues --tag (1 in 5) --json": ["issues", "--tag", "browser.name:Firefox", "--json"],
    "devsentry events --tag (1 in 5) --json": ["events", "--tag", "browser.name:Firefox", "--json"],
    "devsentry events --tag (1 in 1000) --json": ["events", "--tag", "user:id:7", "--json"],
    "devsentry perf --json": ["perf", "--json"],
    "devsentry perf --project 1 --json": ["perf", "--project", "1", "--json"],
    "devsentry perf (rendered, 120 columns)": ["perf"],
    "devsentry traces --json": ["traces", "--json"],
    "devsentry trace <prefix> --json": ["trace", _TRACE, "--json"],
    "devsentry trace <prefix> (rendered)": ["trace", _TRACE],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envelopes", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--padding", type=int, default=200, help="payload bytes per envelope (SDK errors: ~5000)"
    )
    parser.add_argument("--store", type=Path, help="keep the filled store here (reused if full)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="devsentry-bench-") as tmp:
        path = args.store or Path(tmp) / "big.db"
        with Store(path) as store:
            held = store.count_envelopes()
        if held:
            print(f"store {path}: {held:,} envelopes (not refilled)")
        else:
            print(f"filling {path} with {args.envelopes:,} envelopes")
            fill(path, args.envelopes, args.padding)
        print(f"\nmedian of {args.repeat} runs, each a fresh process\n")
        print(f"{'command':<40}{'median s':>10}{'min s':>10}")
        for name, command in COMMANDS.items():
            store = None if command == ["--version"] else path
            runs = [time_command(command, store) for _ in range(args.repeat)]
            print(f"{name:<40}{statistics.median(runs):>10.3f}{min(runs):>10.3f}")


if __name__ == "__main__":
    main()
