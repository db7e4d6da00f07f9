"""Recorded SDK traffic as test input: replay `.envelope` fixture files into the fixture.

`devsentry export` writes what an app really sent as `.envelope` files; `devsentry.replay()`
feeds such files into the test's server over HTTP, exactly as `devsentry replay --to DSN`
would. Here the files are the ones devsentry records from the real `sentry-sdk` (see
`fixtures/README.md`): every request of a small demo shop, replayed and checked as issues.
"""

from __future__ import annotations

import time
from pathlib import Path

from devsentry.testing.plugin import DevSentry

PYTHON_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "python"


def test_recorded_traffic_groups_into_issues(devsentry: DevSentry) -> None:
    summary = devsentry.replay(PYTHON_FIXTURES / "*.envelope")
    assert summary.by_outcome == {"200": len(summary.answers)}

    issues = {issue.title: issue for issue in devsentry.issues}
    payment = issues["PaymentError: could not charge 31.02 EUR to visa *4242"]
    assert (payment.count, payment.culprit) == (8, "demoshop.payments in charge")

    devsentry.assert_error(type="PaymentError", value_contains="visa *4242")
    devsentry.assert_message("is running low", level="warning")


def test_refresh_makes_an_old_recording_look_new(devsentry: DevSentry) -> None:
    devsentry.replay(PYTHON_FIXTURES / "error_plain.envelope", refresh=True)

    (item,) = devsentry.wait_for("event")
    assert item.event_id != "eef82589581046a8878dee63dcacdd7f"  # the recorded id
    assert item.timestamp is not None and abs(item.timestamp - time.time()) < 60
