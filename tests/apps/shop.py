"""The app's business logic: a checkout that fails when the card is declined."""

from __future__ import annotations


class PaymentDeclined(Exception):
    pass


def charge(order_id: int, amount: float) -> None:
    card = {"last4": "4242", "brand": "visa"}
    if amount > 100:
        raise PaymentDeclined(f"card {card['last4']} declined for order {order_id}")


def checkout(order_id: int) -> None:
    try:
        charge(order_id, 250.0)
    except PaymentDeclined as exc:
        raise RuntimeError("checkout failed") from exc
