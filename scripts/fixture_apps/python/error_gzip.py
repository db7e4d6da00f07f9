"""The checkout failure again, sent with gzip instead of the default brotli."""

from demoshop import app, telemetry


def main() -> None:
    app.configure_logging()
    telemetry.init_sentry(_experiments={"transport_compression_algo": "gzip"})
    app.handle_checkout("req-0002")
    telemetry.shutdown()


if __name__ == "__main__":
    main()
