"""Structured logs with sentry_sdk.logger (batched by the SDK into one `log` container item)."""

import logging

import sentry_sdk
from demoshop import app, telemetry
from sentry_sdk import logger as sentry_logger

logger = logging.getLogger("demoshop.orders")


def process_order(order_id: str, amount_cents: int) -> None:
    sentry_logger.info(
        "Order {order_id} placed by {user} for {amount} cents",
        order_id=order_id,
        user="ada",
        amount=amount_cents,
    )
    if amount_cents > 2000:
        sentry_logger.warning(
            "Order {order_id} needs a fraud check (score {score})",
            order_id=order_id,
            score=0.87,
            attributes={"fraud.checked": False, "payment.provider": "example-pay"},
        )
    sentry_logger.error("Gateway timeout after {timeout_ms} ms", timeout_ms=2500)
    # The stdlib logging integration forwards records as Sentry logs too.
    logger.warning("retrying order %s in %d s", order_id, 30)


def main() -> None:
    app.configure_logging()
    telemetry.init_sentry(enable_logs=True)
    sentry_sdk.set_tag("request_id", "req-0005")
    process_order("ord-1001", 3447)
    telemetry.shutdown()


if __name__ == "__main__":
    main()
