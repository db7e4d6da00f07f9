"""Trace metrics (sentry_sdk.metrics): a counter, a gauge and a distribution."""

from demoshop import telemetry
from sentry_sdk import metrics


def record_checkout(amount_cents: int, duration_ms: float) -> None:
    metrics.count("checkout.completed", 1, attributes={"payment.provider": "example-pay"})
    metrics.gauge("inventory.low_stock_skus", 3)
    metrics.distribution("checkout.duration", duration_ms, unit="millisecond")
    metrics.distribution("checkout.amount", amount_cents / 100, attributes={"currency": "EUR"})


def main() -> None:
    telemetry.init_sentry()
    record_checkout(3447, 182.5)
    telemetry.shutdown()


if __name__ == "__main__":
    main()
