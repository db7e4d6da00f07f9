"""A payment failure raised `from` a connection error, captured with capture_exception()."""

from demoshop import app, telemetry


def main() -> None:
    app.configure_logging()
    telemetry.init_sentry()
    app.handle_checkout("req-0001")
    telemetry.shutdown()


if __name__ == "__main__":
    main()
