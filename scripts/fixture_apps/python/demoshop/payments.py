"""Payment gateway client: the place where things go wrong."""

from __future__ import annotations

import logging
from dataclasses import dataclass

logger = logging.getLogger("demoshop.payments")


class PaymentError(Exception):
    """The order could not be paid for."""


@dataclass
class Card:
    brand: str
    last4: str
    expires: str


class GatewayClient:
    def __init__(self, endpoint: str, timeout: float = 2.5) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.attempts = 0

    def authorize(self, card: Card, amount_cents: int, currency: str) -> str:
        self.attempts += 1
        logger.warning(
            "gateway %s slow to answer (attempt %d, timeout %.1fs)",
            self.endpoint,
            self.attempts,
            self.timeout,
        )
        raise ConnectionResetError(f"connection reset by {self.endpoint} while authorizing")


def charge(card: Card, amount_cents: int, currency: str = "EUR") -> str:
    client = GatewayClient("https://pay.example.test/v2/authorize")
    try:
        return client.authorize(card, amount_cents, currency)
    except ConnectionError as exc:
        raise PaymentError(
            f"could not charge {amount_cents / 100:.2f} {currency} to {card.brand} *{card.last4}"
        ) from exc
