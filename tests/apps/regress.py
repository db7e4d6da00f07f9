"""The same failure, sent again: what resolving and regressions are about.

Usage: regress.py [RELEASE] [--times N] ; SENTRY_DSN from the environment. Each run raises and
captures the same KeyError (one issue) N times, from RELEASE when given.
"""

from __future__ import annotations

import sys

import sentry_sdk


def lookup(cart: dict[str, int]) -> int:
    return cart["sku"]


def main(release: str | None, times: int) -> None:
    sentry_sdk.init(release=release, default_integrations=False)
    for _ in range(times):
        try:
            lookup({})
        except KeyError:
            sentry_sdk.capture_exception()
    sentry_sdk.flush(timeout=10)


if __name__ == "__main__":
    args = sys.argv[1:]
    times = 1
    if "--times" in args:
        at = args.index("--times")
        times = int(args[at + 1])
        del args[at : at + 2]
    main(args[0] if args else None, times)
