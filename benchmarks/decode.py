"""Decode throughput over the fixture corpus: devsentry vs a plain stdlib-`json` baseline.

devsentry: `envelope.parse` (lossless framing) + `model.decode_item` (typed msgspec structs)
for every item. Baseline: the same framing done naively with `bytes.split` and `json.loads`
into dicts — what a quick hand-written decoder does. Both run in the same process, alternating,
and the medians over repeats are compared.

Usage: python benchmarks/decode.py [--repeat 15] [--min-time 0.3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from devsentry.model import decode_item
from devsentry.protocol import parse

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def devsentry_decode(data: bytes) -> int:
    envelope = parse(data)
    decoded = 0
    for item in envelope.items:
        if decode_item(item) is not None:
            decoded += 1
    return decoded


def stdlib_decode(data: bytes) -> int:
    """Header line, then items; JSON payloads through json.loads (binary ones skipped)."""
    first, _, rest = data.partition(b"\n")
    json.loads(first)
    decoded = 0
    pos = 0
    while pos < len(rest):
        end = rest.find(b"\n", pos)
        end = len(rest) if end == -1 else end
        header = json.loads(rest[pos:end])
        pos = end + 1
        length = header.get("length")
        if length is None:
            end = rest.find(b"\n", pos)
            end = len(rest) if end == -1 else end
        else:
            end = pos + length
        payload = rest[pos:end]
        pos = end + 1
        if header.get("type") not in ("attachment", "replay_recording", "replay_video"):
            json.loads(payload)
            decoded += 1
    return decoded


def measure(func: Callable[[bytes], int], corpus: list[bytes], min_time: float) -> float:
    """Seconds per pass over the corpus (looping until `min_time` has passed)."""
    loops = 0
    start = time.perf_counter()
    while True:
        for data in corpus:
            func(data)
        loops += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return elapsed / loops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--min-time", type=float, default=0.3)
    args = parser.parse_args()
    corpus = [p.read_bytes() for p in sorted(FIXTURES.glob("*/*.envelope"))]
    size = sum(len(d) for d in corpus)
    items = sum(len(parse(d).items) for d in corpus)
    print(f"corpus: {len(corpus)} fixture envelopes, {items} items, {size / 1024:.0f} KiB")
    runs: dict[str, list[float]] = {
        "devsentry (parse + typed model)": [],
        "stdlib json (dicts)": [],
    }
    funcs = dict(zip(runs, (devsentry_decode, stdlib_decode), strict=True))
    for _ in range(args.repeat):
        for name, func in funcs.items():
            runs[name].append(measure(func, corpus, args.min_time))
    print(f"{'decoder':<34}{'MB/s (median)':>14}{'envelopes/s':>14}")
    rates = {}
    for name, secs in runs.items():
        per_pass = statistics.median(secs)
        rates[name] = size / per_pass / 1e6
        print(f"{name:<34}{rates[name]:>14.1f}{len(corpus) / per_pass:>14,.0f}")
    a, b = rates.values()
    print(f"ratio devsentry / stdlib json: {a / b:.2f}x")


if __name__ == "__main__":
    main()
