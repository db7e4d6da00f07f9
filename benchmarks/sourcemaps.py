"""Source-map libraries on a real bundle: parse and lookup medians, to choose one.

Compares Sentry's `symbolic` (`sourcemapcache.SourceMapCache`, what devsentry uses: Rust,
scope-based original function names and context lines in one lookup; and the older
`sourcemap.SourceMapView`) with the pure-Python `sourcemap` package when it is installed.
The bundle is the React app of tests/test_sourcemaps.py (react, react-dom, @sentry/react,
minified by esbuild), built into a temporary directory unless JS and MAP are given.

Usage: python benchmarks/sourcemaps.py [--repeat 5] [--lookups 1000] [JS MAP]
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def median_time(run: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def positions(source: bytes, count: int) -> list[tuple[int, int]]:
    """Random (1-based line, 1-based column) positions inside the generated file."""
    rng = random.Random(7)
    lines = source.decode("utf-8", "replace").split("\n")
    found = []
    while len(found) < count:
        n = rng.randrange(len(lines))
        if lines[n]:
            found.append((n + 1, rng.randrange(len(lines[n])) + 1))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument("files", nargs="*", type=Path, metavar="JS MAP")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.files:
            js_path, map_path = args.files
        else:
            from tests.sdk_apps import build_react_app

            js_path = build_react_app(Path(tmp)) / "assets" / "main.js"
            map_path = js_path.with_suffix(".js.map")
        source, sourcemap = js_path.read_bytes(), map_path.read_bytes()
    where = positions(source, args.lookups)
    print(
        f"bundle {len(source) / 1024:.0f} KiB, map {len(sourcemap) / 1024:.0f} KiB, "
        f"{args.lookups} lookups, median of {args.repeat}"
    )

    from symbolic.sourcemap import SourceMapView
    from symbolic.sourcemapcache import SourceMapCache

    cache = SourceMapCache.from_bytes(source, sourcemap)
    view = SourceMapView.from_json_bytes(sourcemap)
    rows = [
        (
            "symbolic SourceMapCache (devsentry)",
            median_time(lambda: SourceMapCache.from_bytes(source, sourcemap), args.repeat),
            median_time(lambda: [cache.lookup(ln, col, 5) for ln, col in where], args.repeat),
        ),
        (
            "symbolic SourceMapView",
            median_time(lambda: SourceMapView.from_json_bytes(sourcemap), args.repeat),
            median_time(lambda: [view.lookup(ln - 1, col - 1) for ln, col in where], args.repeat),
        ),
    ]
    try:
        import sourcemap as pure  # type: ignore[import-not-found]
    except ImportError:
        print("(the pure-Python `sourcemap` package is not installed: not compared)")
    else:
        text = sourcemap.decode()
        index = pure.loads(text)

        def pure_lookups() -> None:
            for ln, col in where:
                with contextlib.suppress(IndexError):
                    index.lookup(ln - 1, col - 1)

        rows.append(
            (
                "sourcemap (pure Python)",
                median_time(lambda: pure.loads(text), args.repeat),
                median_time(pure_lookups, args.repeat),
            )
        )
    print(f"{'library':38} {'parse':>10} {'per lookup':>12}")
    for name, parse, lookups in rows:
        print(f"{name:38} {parse * 1000:8.1f} ms {lookups / args.lookups * 1e6:9.2f} µs")


if __name__ == "__main__":
    main()
