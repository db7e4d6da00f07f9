"""The checkout failure again, with transport compression turned off (level 0)."""

from demoshop import app, telemetry


def main() -> None:
    app.configure_logging()
    telemetry.init_sentry(_experiments={"transport_compression_level": 0})
    app.handle_checkout("req-0003")
    telemetry.shutdown()


if __name__ == "__main__":
    main()
