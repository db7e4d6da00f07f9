"""Orders: carts, totals and the checkout flow."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import sentry_sdk

from demoshop import inventory, payments

logger = logging.getLogger("demoshop.orders")


@dataclass
class LineItem:
    sku: str
    quantity: int
    unit_price_cents: int


@dataclass
class Cart:
    cart_id: str
    items: list[LineItem] = field(default_factory=list)
    coupon: str | None = None

    def total_cents(self) -> int:
        total = sum(item.quantity * item.unit_price_cents for item in self.items)
        if self.coupon == "WELCOME10":
            total = total * 90 // 100
        return total


def sample_cart() -> Cart:
    return Cart(
        cart_id="cart-7f3a",
        items=[
            LineItem(sku="SKU-RED-MUG", quantity=2, unit_price_cents=1299),
            LineItem(sku="SKU-TEA-250G", quantity=1, unit_price_cents=849),
        ],
        coupon="WELCOME10",
    )


def place_order(cart: Cart, card: payments.Card) -> str:
    sentry_sdk.add_breadcrumb(
        category="checkout",
        message=f"placing order for {cart.cart_id}",
        level="info",
        data={"items": len(cart.items), "coupon": cart.coupon},
    )
    inventory.reserve(cart)
    amount = cart.total_cents()
    logger.info("charging %d cents for %s", amount, cart.cart_id)
    return payments.charge(card, amount)
