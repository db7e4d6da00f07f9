"""A warning sent with capture_message(), then an error logged through `logging`."""

import logging

import sentry_sdk
from demoshop import app, inventory, telemetry

logger = logging.getLogger("demoshop.stock")


def check_stock(sku: str, threshold: int) -> None:
    available = inventory.STOCK[sku]
    if available < threshold:
        sentry_sdk.capture_message(
            f"Stock for {sku} is running low: {available} left", level="warning"
        )


def sync_supplier(supplier: str) -> None:
    # The logging integration turns this into an event with a `logentry` (message + params).
    logger.error("Failed %s", f"to sync supplier {supplier}: HTTP 503")


def main() -> None:
    app.configure_logging()
    telemetry.init_sentry()
    sentry_sdk.add_breadcrumb(category="cron", message="stock check started")
    check_stock("SKU-TEA-250G", threshold=5)
    sync_supplier("tea-traders")
    telemetry.shutdown()


if __name__ == "__main__":
    main()
