"""An app's error reporting, tested against a real (local) Sentry: the `devsentry` fixture.

Run it with `pytest examples/test_app_reports_errors.py` once devsentry is installed: the
fixture comes from devsentry's pytest plugin. The SDK is the real `sentry-sdk`, sending over
real HTTP to a server on an ephemeral port, so what is asserted here is what Sentry would get.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sentry_sdk

from devsentry.testing.plugin import DevSentry


class PaymentDeclined(Exception):
    pass


def charge(order_id: int, amount: int) -> None:
    """The "app": charging an order fails for large amounts."""
    if amount > 100:
        raise PaymentDeclined(f"card declined for order {order_id}")


def checkout(order_id: int, amount: int) -> str:
    try:
        charge(order_id, amount)
    except PaymentDeclined:
        sentry_sdk.capture_exception()
        return "declined"
    sentry_sdk.capture_message(f"order {order_id} paid", level="info")
    return "paid"


@pytest.fixture
def sentry(devsentry: DevSentry) -> Iterator[DevSentry]:
    """The SDK initialised for one test, pointed at the fixture; closed afterwards so no
    client, scope or transport thread leaks into the next test."""
    sentry_sdk.init(dsn=devsentry.dsn, release="shop@1.0.0", environment="test")
    yield devsentry
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def test_declined_payment_is_reported(sentry: DevSentry) -> None:
    assert checkout(order_id=7, amount=250) == "declined"
    sentry_sdk.flush()

    (item,) = sentry.wait_for("event")
    assert item.title == "PaymentDeclined: card declined for order 7"
    (issue,) = sentry.issues
    assert issue.culprit == "test_app_reports_errors in charge"

    event = sentry.assert_error(type="PaymentDeclined", value_contains="order 7")
    assert event.release == "shop@1.0.0"
    assert event.exceptions[-1].frames[-1].function == "charge"


def test_paid_order_sends_a_message_and_no_error(sentry: DevSentry) -> None:
    assert checkout(order_id=8, amount=20) == "paid"
    sentry_sdk.flush()

    sentry.assert_message("order 8 paid", level="info")
    sentry.assert_no_errors()
