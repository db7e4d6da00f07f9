"""A traced and profiled background task: a transaction with nested spans plus a profile."""

import sentry_sdk
from demoshop import inventory, telemetry


def rebuild_index() -> str:
    with sentry_sdk.start_span(op="db.query", name="SELECT sku, stock FROM inventory"):
        catalog = inventory.load_catalog(delay=0.06)
    with sentry_sdk.start_span(op="function", name="checksum_catalog"):
        digest = inventory.checksum_catalog(rounds=150_000)
        with sentry_sdk.start_span(op="cache.put", name="catalog:index"):
            inventory.load_catalog(delay=0.03)
    with sentry_sdk.start_span(op="http.client", name="POST https://search.example.test/reindex"):
        inventory.load_catalog(delay=0.05)
    return f"{len(catalog)}:{digest[:8]}"


def main() -> None:
    telemetry.init_sentry(traces_sample_rate=1.0, profiles_sample_rate=1.0)
    with sentry_sdk.start_transaction(op="task", name="rebuild-catalog-index"):
        rebuild_index()
    telemetry.shutdown()


if __name__ == "__main__":
    main()
