"""How long `devsentry ui` takes to open on a big store: a fresh process, until the Issues
screen has drawn its first page of rows (Textual headless, 80x24), against `devsentry --version`
as the baseline (Python starting). Medians over `--repeat` runs.

Usage: python benchmarks/ui.py --store PATH [--repeat 5]
(fill a store of a million envelopes first with `python benchmarks/store.py --store PATH`)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

#: The child: opens the dashboard headless and says "ready" once the first rows are drawn.
CHILD = """
import asyncio, sys
from pathlib import Path
from devsentry.ui.app import DevsentryApp
from devsentry.ui.lists import IssuesScreen
from devsentry.ui.source import Source

async def main() -> None:
    # (devsentry.testing's wait_until_async would import the server and aiohttp: not timed)
    app = DevsentryApp(Source(Path(sys.argv[1])), watch=0)
    async with app.run_test(size=(80, 24)):
        while not (isinstance(app.screen, IssuesScreen) and app.screen.table.records):
            await asyncio.sleep(0.005)
        print("ready", len(app.screen.table.records), app.screen.table.total, flush=True)

asyncio.run(main())
"""


def timed(args: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.wait()
    return elapsed, line.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    version = [sys.executable, "-m", "devsentry", "--version"]
    ui = [sys.executable, "-c", CHILD, str(args.store)]
    base, opened, said = [], [], ""
    for _ in range(args.repeat):
        base.append(timed(version)[0])
        seconds, said = timed(ui)
        opened.append(seconds)
    print(f"store {args.store}: {said}")
    print(f"{'devsentry --version':<36}{statistics.median(base):>8.3f} s")
    print(f"{'ui: first page of issues drawn':<36}{statistics.median(opened):>8.3f} s")


if __name__ == "__main__":
    main()
