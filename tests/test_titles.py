"""Every title and culprit devsentry gives the recorded real-SDK events, read as a person would.

Titles follow Sentry (`Type: value` of the exception raised last, a message's text, a
transaction's name) except for JavaScript's `captureMessage`: the SDKs attach a synthetic stack,
which Sentry titles by its crash frame's function (`HTMLButtonElement.<anonymous>`, `?`);
devsentry titles it by the message. Events go through the processing stage, as in the index.
Browser frames carry page URLs until source maps name their modules (the port is the test
page's, recorded by scripts/record_fixtures.py).
"""

from __future__ import annotations

import re

import pytest

from devsentry.model import Event
from devsentry.process.derive import process_item
from devsentry.process.grouping import group_event
from devsentry.process.sender import Sender
from devsentry.protocol import parse
from tests.conftest import FIXTURES

PAYMENT = "PaymentError: could not charge 31.02 EUR to visa *4242"
PY_CHARGE = "demoshop.payments in charge"
NODE_CHARGE = "Object.charge(lib:payments)"
PAGE = r"http://127\.0\.0\.1:\d+"

#: fixture → (title, culprit; a regular expression where the page's port is in it)
TITLES: dict[str, tuple[str, str | None]] = {
    "browser/error-1.envelope": (
        "PaymentDeclined: card declined for order ord-1001",
        rf"chargeCard\({PAGE}/app\.js\)",
    ),
    "browser/message-1.envelope": ("cache miss storm", rf"{PAGE}/index\.html"),
    "browser/throw-1.envelope": (
        "TypeError: Cannot read properties of undefined (reading 'discount')",
        rf"applyCoupon\({PAGE}/app\.js\)",
    ),
    "node/attachments-1.envelope": (PAYMENT, NODE_CHARGE),
    "node/error-1.envelope": (PAYMENT, NODE_CHARGE),
    "node/express-1.envelope": (
        "PaymentDeclined: card declined for order ord-1001 (250 EUR)",
        "GET /checkout",
    ),
    "node/express-2.envelope": ("cache miss storm", "GET /refresh"),
    "node/feedback-1.envelope": (PAYMENT, NODE_CHARGE),
    "node/sessions-1.envelope": (PAYMENT, "GET /api/checkout"),
    "node/spotlight-1.envelope": (PAYMENT, NODE_CHARGE),
    "node/spotlight-2.envelope": ("Spotlight says hello", None),
    "python/attachments.envelope": (PAYMENT, PY_CHARGE),
    "python/error_chained.envelope": (PAYMENT, PY_CHARGE),
    "python/error_gzip.envelope": (PAYMENT, PY_CHARGE),
    "python/error_plain.envelope": (PAYMENT, PY_CHARGE),
    "python/fastapi-1.envelope": (
        "PaymentDeclined: card declined for order 1001 (250.00 EUR)",
        "/checkout",
    ),
    "python/fastapi-2.envelope": ("inventory sync failed for warehouse eu-west-1", "/inventory"),
    "python/fastapi-3.envelope": ("cache miss storm", "/refresh"),
    "python/feedback-1.envelope": (PAYMENT, PY_CHARGE),
    "python/message-1.envelope": ("Stock for SKU-TEA-250G is running low: 3 left", None),
    "python/message-2.envelope": ("Failed to sync supplier tea-traders: HTTP 503", None),
    "python/sessions-1.envelope": (PAYMENT, PY_CHARGE),
    "python/sessions-2.envelope": (PAYMENT, PY_CHARGE),
    "python/spotlight-1.envelope": (PAYMENT, PY_CHARGE),
    "python/spotlight-2.envelope": ("Spotlight says hello", None),
}
TRANSACTIONS = {
    "python/fastapi-4.envelope": "/checkout",
    "python/fastapi-5.envelope": "/inventory",
    "python/fastapi-6.envelope": "/refresh",
    "python/transaction_profile.envelope": "rebuild-catalog-index",
}


def processed_events(item_type: str) -> dict[str, Event]:
    out: dict[str, Event] = {}
    for path in sorted(FIXTURES.glob("*/*.envelope")):
        envelope = parse(path.read_bytes())
        for item in envelope.items:
            if item.type == item_type:
                model = process_item(item, Sender(received=1.8e9), envelope.event_id).model
                assert isinstance(model, Event), path
                out[str(path.relative_to(FIXTURES))] = model
    return out


EVENTS = processed_events("event")


def test_the_table_covers_every_recorded_event() -> None:
    assert set(EVENTS) == set(TITLES)
    assert set(processed_events("transaction")) == set(TRANSACTIONS)


@pytest.mark.parametrize("name", sorted(TITLES))
def test_title_and_culprit(name: str) -> None:
    title, culprit = TITLES[name]
    grouping = group_event(EVENTS[name])
    assert grouping.title == title
    if culprit is None or PAGE not in culprit:
        assert grouping.culprit == culprit
    else:
        assert grouping.culprit is not None and re.fullmatch(culprit, grouping.culprit), (
            grouping.culprit
        )


@pytest.mark.parametrize(
    "name", ["browser/message-1.envelope", "node/express-2.envelope"], ids=["browser", "node"]
)
def test_a_javascript_message_is_titled_by_its_message(name: str) -> None:
    """The real @sentry/browser and @sentry/node send `captureMessage` with a synthetic
    exception and no type; its crash frame's function is what Sentry would title it by."""
    event = EVENTS[name]
    (exception,) = event.exceptions
    assert exception.type is None and exception.mechanism is not None
    assert exception.mechanism.synthetic is True
    assert exception.frames and event.message_text == "cache miss storm"
    assert group_event(event).title == "cache miss storm"


@pytest.mark.parametrize("name", sorted(TRANSACTIONS))
def test_transaction_title(name: str) -> None:
    (model,) = [m for n, m in processed_events("transaction").items() if n == name]
    assert model.transaction == TRANSACTIONS[name]
