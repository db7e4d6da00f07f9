"""An app whose SDK sends no source context (`include_source_context=False`): devsentry reads
the lines from this file (tests/test_source_context.py)."""

import os

import sentry_sdk


def charge(amount: int) -> None:
    if amount > 100:
        raise ValueError(f"amount {amount} over the limit")


def main() -> None:
    sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], include_source_context=False)
    try:
        charge(500)
    except ValueError as exc:
        sentry_sdk.capture_exception(exc)
    sentry_sdk.flush(5)


if __name__ == "__main__":
    main()
