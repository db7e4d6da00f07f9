"""Release health: one application-mode session plus request-mode session aggregates."""

import sentry_sdk
from demoshop import app, telemetry
from sentry_sdk.sessions import track_session


def serve_requests() -> None:
    # Request mode, as a web framework integration would do it: one session per request,
    # aggregated per minute by the SDK into a `sessions` item.
    for n, fails in enumerate([False, False, True, False], start=1):
        with sentry_sdk.isolation_scope() as scope, track_session(scope, session_mode="request"):
            if fails:
                app.handle_checkout(f"req-01{n:02d}")


def main() -> None:
    app.configure_logging()
    telemetry.init_sentry(auto_session_tracking=True)
    # Application mode, as a CLI tool or worker would do it: a `session` item.
    sentry_sdk.start_session(session_mode="application")
    app.handle_checkout("req-0100")
    sentry_sdk.end_session()
    serve_requests()
    telemetry.shutdown()


if __name__ == "__main__":
    main()
