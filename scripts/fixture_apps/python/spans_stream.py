"""Span streaming (trace_lifecycle="stream"): spans sent as a span v2 container item."""

import sentry_sdk
from demoshop import inventory, telemetry
from sentry_sdk import traces


def rebuild_index() -> None:
    with traces.start_span(name="SELECT sku, stock FROM inventory", attributes={"sentry.op": "db"}):
        inventory.load_catalog(delay=0.02)
    with traces.start_span(name="checksum_catalog", attributes={"sentry.op": "function"}):
        inventory.checksum_catalog(rounds=20_000)


def main() -> None:
    telemetry.init_sentry(traces_sample_rate=1.0, trace_lifecycle="stream")
    with traces.start_span(name="rebuild-catalog-index", attributes={"sentry.op": "task"}):
        sentry_sdk.set_tag("job", "reindex")
        rebuild_index()
    telemetry.shutdown()


if __name__ == "__main__":
    main()
