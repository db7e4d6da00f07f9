"""The shop's API on FastAPI, reporting through the real sentry-sdk as Sentry's FastAPI guide
sets it up (https://docs.sentry.io/platforms/python/integrations/fastapi/).

Run under uvicorn: `SENTRY_DSN=... uvicorn fastapi_app:app` (tests/sdk_apps.py does, on a
socket it hands over with `--fd`). `SENTRY_RELEASE` picks the release. Endpoints:

- `GET /checkout` raises (an unhandled PaymentDeclined chained to a ConnectionResetError);
- `GET /inventory` logs through `logging` (a warning, and an error that also becomes an event);
- `GET /refresh` captures the message "cache miss storm".

A request's `X-Shop-User` header (`id` or `id:email`) becomes the event's user.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import sentry_sdk
from fastapi import FastAPI, Request, Response

sentry_sdk.init(
    dsn=os.environ.get("SENTRY_DSN"),
    release=os.environ.get("SENTRY_RELEASE", "shop@2.0.0"),
    environment="development",
    traces_sample_rate=1.0,
    enable_logs=True,
    send_default_pii=True,
)

logger = logging.getLogger("shop.inventory")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    # uvicorn re-raises the SIGTERM it stopped on once it has shut down, so the SDK's atexit
    # flush never runs: send what is queued (events, the batched logs) while shutting down.
    sentry_sdk.flush(timeout=5)


app = FastAPI(lifespan=lifespan)


class PaymentDeclined(Exception):
    pass


def charge(order_id: int, amount: float) -> None:
    try:
        raise ConnectionResetError("payment gateway reset the connection")
    except ConnectionResetError as exc:
        raise PaymentDeclined(f"card declined for order {order_id} ({amount:.2f} EUR)") from exc


@app.middleware("http")
async def identify_user(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    if header := request.headers.get("x-shop-user"):
        user_id, _, email = header.partition(":")
        sentry_sdk.set_user({"id": user_id, "email": email or None})
    return await call_next(request)


@app.get("/checkout")
async def checkout() -> dict[str, str]:
    charge(1001, 250.0)
    return {"status": "paid"}


@app.get("/inventory")
async def inventory() -> dict[str, int]:
    logger.warning("stock low for %s", "SKU-RED-MUG")
    logger.error("inventory sync failed for warehouse %s", "eu-west-1")
    return {"SKU-RED-MUG": 2}


@app.get("/refresh")
async def refresh() -> dict[str, str]:
    sentry_sdk.capture_message("cache miss storm")
    return {"status": "refreshed"}
