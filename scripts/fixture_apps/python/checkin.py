"""A cron job reporting in_progress, then ok, with its monitor config (crontab schedule)."""

import time

from demoshop import inventory, telemetry
from sentry_sdk.crons import capture_checkin

MONITOR_CONFIG = {
    "schedule": {"type": "crontab", "value": "0 * * * *"},
    "timezone": "Europe/Vienna",
    "checkin_margin": 5,
    "max_runtime": 30,
    "failure_issue_threshold": 2,
    "recovery_threshold": 1,
}


def nightly_stock_report() -> None:
    started = time.monotonic()
    check_in_id = capture_checkin(
        monitor_slug="nightly-stock-report", status="in_progress", monitor_config=MONITOR_CONFIG
    )
    inventory.load_catalog(delay=0.05)
    capture_checkin(
        monitor_slug="nightly-stock-report",
        check_in_id=check_in_id,
        status="ok",
        duration=time.monotonic() - started,
        monitor_config=MONITOR_CONFIG,
    )


def main() -> None:
    telemetry.init_sentry()
    nightly_stock_report()
    telemetry.shutdown()


if __name__ == "__main__":
    main()
