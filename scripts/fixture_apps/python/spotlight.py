"""Spotlight mode without a DSN: envelopes go uncompressed to $SENTRY_SPOTLIGHT (/stream)."""

import sentry_sdk
from demoshop import app, telemetry


def main() -> None:
    app.configure_logging()
    # No DSN: spotlight=True plus the SENTRY_SPOTLIGHT environment variable picks the URL.
    telemetry.init_sentry(dsn=None, spotlight=True)
    app.handle_checkout("req-0007")
    sentry_sdk.capture_message("Spotlight says hello", level="info")
    telemetry.shutdown()


if __name__ == "__main__":
    main()
