"""Inventory: stock lookups that take a little real time."""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING

import sentry_sdk

if TYPE_CHECKING:
    from demoshop.orders import Cart

STOCK = {"SKU-RED-MUG": 14, "SKU-TEA-250G": 3, "SKU-GIFT-CARD": 999}


def reserve(cart: Cart) -> None:
    for item in cart.items:
        available = STOCK.get(item.sku, 0)
        sentry_sdk.add_breadcrumb(
            category="inventory",
            message=f"reserved {item.quantity} x {item.sku}",
            data={"available": available},
        )


def checksum_catalog(rounds: int) -> str:
    """Burn some CPU so a profiler has something to sample."""
    digest = b"catalog"
    for _ in range(rounds):
        digest = hashlib.sha256(digest).digest()
    return digest.hex()


def load_catalog(delay: float) -> dict[str, int]:
    time.sleep(delay)
    return dict(STOCK)
