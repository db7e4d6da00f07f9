"""Ingest throughput: `devsentry serve` against a bare aiohttp server, same machine, same run.

1. Records a real error envelope from the real sentry-sdk (tests/apps/checkout.py) into a
   scratch devsentry store and takes its bytes as the request template.
2. Starts a bare aiohttp server that only reads the body and answers 200 (the baseline), and
   `devsentry serve --quiet` on a fresh store.
3. Drives each with wrk (keep-alive, 32 connections, a fresh event id in every request via a
   Lua script), alternating rounds; prints requests/s, p50/p99 and the ratio, medians over rounds.
4. Checks that every envelope devsentry acknowledged is in its store (all of them with the
   default `--keep` of 100,000,000; with a small `--keep` retention prunes during the run).
5. Reports how fast the index (processing, grouping, tags, console) works through the backlog
   the flood left: envelopes per second from the flood's end until it caught up.
6. Reports what devsentry took: its peak RSS (`VmHWM`, and `VmRSS` sampled every 100 ms), and
   the database and `-wal` file sizes when the flood ends and once it has calmed down.

Usage: python benchmarks/ingest.py [--duration 10] [--rounds 3] [--connections 32] [--console]
       [--keep N]
Needs `wrk` (Debian: apt-get install wrk) and Linux (`/proc/<pid>/status`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BARE_SERVER = """
import asyncio, sys
from aiohttp import web

async def handle(request):
    await request.read()
    return web.json_response({"id": "0" * 32})

app = web.Application(client_max_size=100 * 1024 * 1024)
app.router.add_post("/api/{project}/envelope/", handle)
if sys.argv[2] == "uvloop":
    import uvloop
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""

# wrk script: the body is the template split around the event id; each request gets a new id.
LUA = """
local parts = {}
local counter = 0
init = function(args)
  local f = io.open(args[1], "rb")
  local body = f:read("*all")
  f:close()
  local marker = args[2]
  local start = 1
  while true do
    local i, j = string.find(body, marker, start, true)
    if not i then break end
    table.insert(parts, string.sub(body, start, i - 1))
    start = j + 1
  end
  table.insert(parts, string.sub(body, start))
  math.randomseed(os.time() + tonumber(tostring(parts):sub(8), 16) % 100000)
end
request = function()
  counter = counter + 1
  local r = math.random
  local id = string.format("%08x%08x%08x%08x", r(0, 0x7fffffff), r(0, 0x7fffffff),
                           r(0, 0x7fffffff), counter)
  local body = table.concat(parts, id)
  return wrk.format("POST", "/api/1/envelope/", {
    ["Content-Type"] = "application/x-sentry-envelope",
    ["X-Sentry-Auth"] = "Sentry sentry_key=bench, sentry_version=7, sentry_client=bench/1.0",
  }, body)
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up") from None
            time.sleep(0.05)


def record_template(workdir: Path) -> bytes:
    """A real sentry-sdk error envelope, captured by devsentry itself."""
    store = workdir / "template.db"
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devsentry",
            "serve",
            "--quiet",
            "--port",
            str(port),
            "--store",
            str(store),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/health")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
        env["SENTRY_DSN"] = f"http://bench@127.0.0.1:{port}/1"
        env["COMPRESSION"] = "none"
        subprocess.run(
            [sys.executable, str(ROOT / "tests" / "apps" / "checkout.py"), "error"],
            env=env,
            check=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with sqlite3.connect(store) as db:
                row = db.execute("SELECT raw FROM envelopes ORDER BY id LIMIT 1").fetchone()
            if row:
                return bytes(row[0])
            time.sleep(0.05)
        raise RuntimeError("the SDK's envelope never arrived")
    finally:
        proc.terminate()
        proc.wait()


def run_wrk(
    port: int, lua: Path, body: Path, marker: str, duration: int, connections: int
) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "-s",
            str(lua),
            f"http://127.0.0.1:{port}",
            "--",
            str(body),
            marker,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)

    def latency(pct: str) -> float:
        m = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out)
        assert m, out
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return {
        "rps": rps,
        "total": total,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(int(x) for x in errors.groups()) if errors else 0,
        "p50": latency("50"),
        "p99": latency("99"),
    }


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def proc_status(pid: int, field: str) -> int:
    """A `/proc/<pid>/status` field in bytes (0 once the process is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) * 1024 if found else 0


class MemorySampler:
    """Samples the resident set (`VmRSS`) of a process and its children (serve's worker)
    until stopped; `VmHWM` is each process's peak as the kernel kept it."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_sampled = 0
        self.hwm: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def status(self, field: str) -> int:
        """`field` summed over the process and its children; VmHWM as last seen for each
        process that ever ran (a restarted worker counts once, its peak)."""
        if field == "VmHWM":
            self._sample()
            return sum(self.hwm.values())
        return sum(proc_status(p, field) for p in (self.pid, *children(self.pid)))

    def _sample(self) -> None:
        for pid in (self.pid, *children(self.pid)):
            hwm = proc_status(pid, "VmHWM")
            if hwm:
                self.hwm[pid] = max(self.hwm.get(pid, 0), hwm)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_sampled = max(self.peak_sampled, self.status("VmRSS"))
            self._sample()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def file_sizes(store: Path) -> tuple[int, int]:
    """The database file's size and its `-wal` file's, in bytes."""
    wal = Path(f"{store}-wal")
    return store.stat().st_size, wal.stat().st_size if wal.exists() else 0


def mb(size: float) -> str:
    return f"{size / 1e6:,.1f} MB"


def indexed_upto(store: Path) -> int:
    """How far the index got: the newest envelope id it has done."""
    with sqlite3.connect(store) as db:
        row = db.execute("SELECT value FROM meta WHERE key = 'indexed_upto'").fetchone()
    return int(row[0]) if row else 0


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def console_latency(
    template: bytes, event_id: str, count: int, workers: int, loop: str
) -> list[float]:
    """Milliseconds from sending an error (each with its own message) to its line on the
    live console of `devsentry serve`, at rest: one request at a time, 50 ms apart."""
    with tempfile.TemporaryDirectory(prefix="devsentry-latency-") as tmp:
        port = free_port()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devsentry",
                "serve",
                "--port",
                str(port),
                "--store",
                str(Path(tmp) / "latency.db"),
                "--workers",
                str(workers),
            ],
            stdout=subprocess.PIPE,
            env={**os.environ, "DEVSENTRY_LOOP": loop, "COLUMNS": "200"},
        )
        assert proc.stdout is not None
        seen: dict[str, float] = {}
        lock = threading.Condition()

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                found = re.search(rb"probe-(\d{9})", line)
                if found:
                    with lock:
                        seen.setdefault(str(int(found.group(1))), time.perf_counter())
                        lock.notify_all()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            wait_http(f"http://127.0.0.1:{port}/health")
            times: list[float] = []
            for n in range(count + 5):  # the first five warm up
                body = template.replace(event_id.encode(), os.urandom(16).hex().encode())
                # same length: the item headers give each payload's length
                body = body.replace(b"checkout failed", f"probe-{n:09d}".encode())
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/1/envelope/",
                    data=body,
                    headers={
                        "X-Sentry-Auth": "Sentry sentry_key=bench, sentry_version=7",
                        "Content-Type": "application/x-sentry-envelope",
                    },
                )
                sent = time.perf_counter()
                urllib.request.urlopen(request, timeout=10).read()
                key = str(n)
                with lock:
                    lock.wait_for(lambda key=key: key in seen, timeout=10)  # type: ignore[misc]
                if n >= 5 and str(n) in seen:
                    times.append((seen[str(n)] - sent) * 1000)
                time.sleep(0.05)
            return times
        finally:
            proc.terminate()
            proc.wait()


def wait_calm(store: Path, timeout: float = 30.0) -> tuple[float, int, int]:
    """Wait for the WAL to shrink back (the checkpointer truncates it once writes stop);
    returns the seconds waited and the sizes then."""
    start = time.monotonic()
    while True:
        db_size, wal_size = file_sizes(store)
        waited = time.monotonic() - start
        if wal_size <= 1_000_000 or waited > timeout:
            return waited, db_size, wal_size
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--console", action="store_true", help="keep the live console on (to /dev/null)"
    )
    parser.add_argument(
        "--keep",
        type=int,
        default=100_000_000,
        help="serve's --keep (the default never prunes; a small one measures retention)",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="serve's --workers (0: everything in one process)"
    )
    parser.add_argument(
        "--loop",
        choices=("uvloop", "asyncio"),
        default="uvloop",
        help="event loop of both servers (devsentry's DEVSENTRY_LOOP)",
    )
    parser.add_argument(
        "--latency",
        type=int,
        default=40,
        help="envelopes sent one at a time, at rest, to time capture-to-console (0: skip)",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")

    with tempfile.TemporaryDirectory(prefix="devsentry-bench-") as tmp:
        work = Path(tmp)
        template = record_template(work)
        event_id = re.search(rb'"event_id":"([0-9a-f]{32})"', template).group(1).decode()  # type: ignore[union-attr]
        body = work / "body.envelope"
        body.write_bytes(template)
        lua = work / "fresh_ids.lua"
        lua.write_text(LUA)
        print(
            f"template: real sentry-python error envelope, {len(template):,} bytes, "
            f"event id appears {template.count(event_id.encode())}x (replaced per request)"
        )

        bare_port, ds_port = free_port(), free_port()
        store = work / "bench.db"
        if args.latency:
            lat = console_latency(template, event_id, args.latency, args.workers, args.loop)
            print(
                f"capture-to-console at rest ({args.latency} errors, one every 50 ms): "
                f"p50 {statistics.median(lat):.1f} ms, p99 {percentile(lat, 99):.1f} ms, "
                f"max {max(lat):.1f} ms"
            )
        env = {**os.environ, "DEVSENTRY_LOOP": args.loop}
        bare = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(bare_port), args.loop])
        ds_cmd = [
            sys.executable,
            "-m",
            "devsentry",
            "serve",
            "--port",
            str(ds_port),
            "--store",
            str(store),
            "--keep",  # by default retention never prunes, or the count would be short
            str(args.keep),
            "--workers",
            str(args.workers),
        ]
        if not args.console:
            ds_cmd.append("--quiet")
        ds = subprocess.Popen(ds_cmd, stdout=subprocess.DEVNULL, env=env)
        memory = MemorySampler(ds.pid)
        memory.start()
        results: dict[str, list[dict[str, float]]] = {"bare aiohttp": [], "devsentry": []}
        try:
            wait_http(f"http://127.0.0.1:{bare_port}/")
            wait_http(f"http://127.0.0.1:{ds_port}/health")
            for port in (bare_port, ds_port):  # warm-up
                run_wrk(port, lua, body, event_id, 2, args.connections)
            with sqlite3.connect(store) as db:
                (before,) = db.execute("SELECT count(*) FROM envelopes").fetchone()
            index_rates: list[float] = []
            for _ in range(args.rounds):
                for name, port in (("bare aiohttp", bare_port), ("devsentry", ds_port)):
                    if name == "devsentry":
                        start_indexed, start_time = indexed_upto(store), time.monotonic()
                    results[name].append(
                        run_wrk(port, lua, body, event_id, args.duration, args.connections)
                    )
                    if name == "devsentry":
                        elapsed = time.monotonic() - start_time
                        index_rates.append((indexed_upto(store) - start_indexed) / elapsed)
            # The index (items, issues, console) yields to ingest during a flood and catches
            # up after it: time how long until every stored envelope is indexed.
            flood_end = time.monotonic()
            at_end = file_sizes(store)
            with sqlite3.connect(store) as db:
                row = db.execute("SELECT value FROM meta WHERE key = 'indexed_upto'").fetchone()
                (newest,) = db.execute("SELECT max(id) FROM envelopes").fetchone()
                backlog = (newest or 0) - (row[0] if row else 0)
                while True:
                    row = db.execute("SELECT value FROM meta WHERE key = 'indexed_upto'").fetchone()
                    (newest,) = db.execute("SELECT max(id) FROM envelopes").fetchone()
                    if row and row[0] >= newest:
                        break
                    if time.monotonic() - flood_end > 300:
                        print("the index did not catch up within 300 s")
                        break
                    time.sleep(0.2)
            catch_up = time.monotonic() - flood_end
            calm_after, *calm = wait_calm(store)
            peak = max(memory.status("VmHWM"), memory.peak_sampled)
        finally:
            memory.stop()
            bare.terminate()
            ds.terminate()  # SIGTERM: serve commits what is queued before exiting
            bare.wait()
            ds.wait()

        print(
            f"\n{args.rounds} rounds x {args.duration}s, wrk -t2 -c{args.connections}, keep-alive\n"
        )
        print(f"{'server':<14}{'req/s (median)':>16}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
        med: dict[str, float] = {}
        for name, runs in results.items():
            med[name] = statistics.median(r["rps"] for r in runs)
            p50 = statistics.median(r["p50"] for r in runs)
            p99 = statistics.median(r["p99"] for r in runs)
            non2xx = sum(r["non2xx"] for r in runs)
            print(f"{name:<14}{med[name]:>16,.0f}{p50:>10.2f}{p99:>10.2f}{non2xx:>10}")
            print(f"{'':<14}rounds: " + ", ".join(f"{r['rps']:,.0f}" for r in runs))
        ratio = med["devsentry"] / med["bare aiohttp"]
        print(
            f"\nratio devsentry / bare aiohttp: {ratio:.0%}  "
            f"(--workers {args.workers}, {args.loop} loop on both)"
        )
        print(
            f"indexed during the flood: {statistics.median(index_rates):,.0f} envelopes/s "
            f"(rounds: {', '.join(f'{r:,.0f}' for r in index_rates)}) beside "
            f"{med['devsentry']:,.0f} requests/s; {backlog:,} envelopes behind when it ended"
        )

        acked = sum(r["total"] - r["non2xx"] for r in results["devsentry"])
        with sqlite3.connect(store) as db:
            (after,) = db.execute("SELECT count(*) FROM envelopes").fetchone()
            distinct = db.execute("SELECT count(DISTINCT event_id) FROM envelopes").fetchone()[0]
        stored = after - before
        pruning = args.keep < before + acked
        if not pruning:
            print(
                f"acknowledged {acked:,}; stored {stored:,} "
                f"(distinct event ids in store: {distinct:,})"
            )
        print(f"index (items, issues, console) caught up {catch_up:.1f}s after the last request")
        if backlog > 0 and catch_up > 0:
            print(
                f"index after the flood: {backlog:,} envelopes in {catch_up:.1f}s, "
                f"{backlog / catch_up:,.0f} envelopes/s (processing included)"
            )
        print(
            f"devsentry peak RSS {mb(peak)} (VmHWM; sampled VmRSS peak {mb(memory.peak_sampled)})"
        )
        print(f"store when the flood ended: database {mb(at_end[0])}, WAL {mb(at_end[1])}")
        print(
            f"store {calm_after:.1f}s after the index caught up: database {mb(calm[0])}, "
            f"WAL {mb(calm[1])}"
        )
        if pruning:
            print(f"acknowledged {acked:,}; retention --keep {args.keep:,}: {after:,} stored")
        elif stored < acked:
            print("LOST: some acknowledged envelopes are not in the store")
            sys.exit(1)
        else:
            print("every acknowledged envelope is in the store")


if __name__ == "__main__":
    main()
