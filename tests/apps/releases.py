"""An app at one release, failing for several users: what tag facets and releases are about.

Usage: releases.py RELEASE USER[:TIER]... [--new] ; SENTRY_DSN from the environment. Each user
hits the same checkout failure (one issue); `--new` adds a failure only this release has.
"""

from __future__ import annotations

import sys

import sentry_sdk
from shop import checkout


def main(release: str, users: list[str], new: bool) -> None:
    sentry_sdk.init(release=release, environment="staging", default_integrations=False)
    for user in users:
        user_id, _, tier = user.partition(":")
        sentry_sdk.set_user({"id": user_id})
        sentry_sdk.set_tag("tier", tier or "free")
        try:
            checkout(1001)
        except RuntimeError:
            sentry_sdk.capture_exception()
    if new:
        try:
            {}["coupon"]
        except KeyError:
            sentry_sdk.capture_exception()
    sentry_sdk.flush(timeout=10)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0], [a for a in args[1:] if a != "--new"], "--new" in args)
