"""The request handlers of the demo shop, as a web framework would call them."""

from __future__ import annotations

import logging

import sentry_sdk

from demoshop import orders, payments

logger = logging.getLogger("demoshop.app")


def configure_logging() -> None:
    """INFO and up reach the handlers, so Sentry's logging integration sees them."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


def handle_checkout(request_id: str) -> str | None:
    """POST /checkout: place the sample order; report the failure to Sentry."""
    sentry_sdk.set_tag("request_id", request_id)
    sentry_sdk.set_context(
        "order",
        {"cart_id": "cart-7f3a", "payment_method": "card", "items": 3, "express": False},
    )
    sentry_sdk.add_breadcrumb(
        type="http",
        category="http",
        data={"method": "POST", "url": "/api/checkout", "status_code": 502},
    )
    logger.info("checkout started for request %s", request_id)
    cart = orders.sample_cart()
    card = payments.Card(brand="visa", last4="4242", expires="12/29")
    try:
        return orders.place_order(cart, card)
    except payments.PaymentError:
        event_id = sentry_sdk.capture_exception()
        logger.info("checkout failed, reported as %s", event_id)
        return event_id
