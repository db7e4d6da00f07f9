"""A burst of distinct failures: N new issues at once, what alert coalescing is about.

Usage: burst.py N ; SENTRY_DSN from the environment. Each message gets its own fingerprint,
so each opens an issue of its own.
"""

from __future__ import annotations

import sys

import sentry_sdk


def main(n: int) -> None:
    sentry_sdk.init(default_integrations=False, transport_queue_size=n + 10)
    for i in range(n):
        with sentry_sdk.new_scope() as scope:
            scope.fingerprint = [f"burst-{i}"]
            sentry_sdk.capture_message(f"burst failure {i}", level="error")
    sentry_sdk.flush(timeout=60)


if __name__ == "__main__":
    main(int(sys.argv[1]))
