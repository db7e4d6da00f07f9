"""Sentry setup shared by the scenarios: fixed release, environment, host and user."""

from __future__ import annotations

import os
from typing import Any

import sentry_sdk

RELEASE = "demo@1.2.3"
ENVIRONMENT = "development"
SERVER_NAME = "demo-host"

DEMO_USER = {
    "id": "42",
    "username": "ada",
    "email": "ada@example.com",
    "ip_address": "127.0.0.1",
}


def init_sentry(**options: Any) -> None:
    """Initialise the SDK the way a small app would, pointed at `$SENTRY_DSN`."""
    settings: dict[str, Any] = {
        "dsn": os.environ.get("SENTRY_DSN"),
        "release": RELEASE,
        "environment": ENVIRONMENT,
        "server_name": SERVER_NAME,
        "max_breadcrumbs": 50,
        # Only the default integrations: what else happens to be installed in the
        # virtualenv (Flask, aiohttp, ...) must not change the recordings.
        "auto_enabling_integrations": False,
    }
    settings.update(options)
    sentry_sdk.init(**settings)
    sentry_sdk.set_user(DEMO_USER)
    sentry_sdk.set_tag("service", "checkout")
    sentry_sdk.set_tag("region", "eu-west-1")


def shutdown() -> None:
    """Flush everything queued and close the client before the process exits."""
    sentry_sdk.flush(timeout=10)
    sentry_sdk.get_client().close(timeout=10)
