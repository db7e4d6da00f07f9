"""A tiny app that fails the way real apps do, reporting through the real sentry-sdk.

Usage: checkout.py [error|twice|message|transaction|logs] ; configuration from the environment
(SENTRY_DSN, SENTRY_SPOTLIGHT) plus COMPRESSION=gzip|none to pick the transport's encoding.
"""

from __future__ import annotations

import os
import sys
import time

import sentry_sdk
from shop import checkout


def main(mode: str) -> None:
    experiments: dict[str, object] = {}
    compression = os.environ.get("COMPRESSION")
    if compression == "gzip":
        experiments["transport_compression_algo"] = "gzip"
    elif compression == "none":
        experiments["transport_compression_level"] = 0
    sentry_sdk.init(
        release="shop@1.2.3",
        environment="development",
        traces_sample_rate=1.0,
        enable_logs=True,
        _experiments=experiments,
    )
    sentry_sdk.set_user({"id": os.environ.get("APP_USER", "42"), "email": "ada@example.com"})
    sentry_sdk.set_tag("feature", "checkout")
    sentry_sdk.add_breadcrumb(category="cart", message="added 2 items", level="info")
    if mode in ("error", "twice"):
        for _ in range(2 if mode == "twice" else 1):
            try:
                checkout(1001)
            except RuntimeError:
                sentry_sdk.capture_exception()
    elif mode == "message":
        sentry_sdk.capture_message("Inventory low for SKU 123", level="warning")
    elif mode == "transaction":
        with sentry_sdk.start_transaction(op="http.server", name="POST /checkout"):
            with sentry_sdk.start_span(op="db.query", name="SELECT * FROM orders"):
                time.sleep(0.03)
            with sentry_sdk.start_span(
                op="http.client", name="POST https://payments.example/charge"
            ):
                time.sleep(0.01)
    elif mode == "logs":
        sentry_sdk.logger.info("Order {order_id} created", order_id=1001)
        sentry_sdk.logger.warning("Payment retry {attempt}", attempt=2)
        sentry_sdk.logger.error("Payment failed for {order_id}", order_id=1001)
    sentry_sdk.flush(timeout=10)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "error")
