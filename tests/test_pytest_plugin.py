"""The `devsentry` pytest fixture: its API used directly, and its failure output, snapshots and
`--devsentry-keep` checked by running inner test files with pytester."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
import sentry_sdk

from devsentry.model import Event
from devsentry.protocol.dsn import Dsn
from devsentry.store import Store
from devsentry.testing import LocalServer, WaitTimeout
from devsentry.testing.plugin import DevSentry, ReplayFailed
from tests.conftest import FIXTURES

pytest_plugins = ["pytester"]

ERROR = FIXTURES / "python" / "error_plain.envelope"  # ConnectionResetError → PaymentError
MESSAGE = FIXTURES / "python" / "message-1.envelope"  # "Stock for SKU-TEA-250G is running low"


def post(url: str, body: bytes, **headers: str) -> dict[str, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, str] = json.loads(response.read())
        return answer


# -- the fixture's API ----------------------------------------------------------------------


def test_fixture_is_a_local_server_that_ingests_over_http(devsentry: DevSentry) -> None:
    assert isinstance(devsentry, LocalServer)
    dsn = Dsn.parse(devsentry.dsn)
    assert (dsn.host, dsn.project_id) == ("127.0.0.1", "1")
    answer = post(
        dsn.envelope_url, ERROR.read_bytes(), **{"X-Sentry-Auth": dsn.auth_header("test/1")}
    )
    assert answer == {"id": "eef82589581046a8878dee63dcacdd7f"}
    post(devsentry.spotlight_url, MESSAGE.read_bytes())

    items = devsentry.wait_for("event", count=2)
    assert [i.project for i in items] == ["1", "spotlight"]
    events = devsentry.events
    assert all(isinstance(e, Event) for e in events)
    assert events[0].exceptions[-1].type == "PaymentError"
    assert events[1].message_text == "Stock for SKU-TEA-250G is running low: 3 left"
    assert devsentry.envelopes[0].header["event_id"] == answer["id"]
    assert {i.title for i in devsentry.issues} >= {
        "PaymentError: could not charge 31.02 EUR to visa *4242"
    }
    assert devsentry.payload(items[0]).payload == devsentry.envelopes[0].items[0].payload


def test_server_alias_is_the_plugin_fixture(server: LocalServer, devsentry: DevSentry) -> None:
    assert server is devsentry


def test_wait_for_timeout_lists_what_arrived(devsentry: DevSentry) -> None:
    devsentry.replay(ERROR, MESSAGE)
    with pytest.raises(WaitTimeout) as caught:
        devsentry.wait_for("transaction", timeout=0.1)
    message = str(caught.value)
    assert "waited 0.1s for 1 transaction" in message
    assert "2 items arrived:" in message
    assert "PaymentError: could not charge 31.02 EUR to visa *4242" in message
    assert "demoshop.payments in charge" in message  # the culprit
    assert "warning  Stock for SKU-TEA-250G" in message


def test_assertion_helpers_pass_and_fail_readably(devsentry: DevSentry) -> None:
    devsentry.replay(ERROR, MESSAGE)
    event = devsentry.assert_error(type="PaymentError", value_contains="visa *4242")
    assert event.event_id == "eef82589581046a8878dee63dcacdd7f"
    devsentry.assert_error(type="ConnectionResetError")  # the cause, earlier in the chain
    devsentry.assert_error()
    devsentry.assert_message("running low", level="warning")

    with pytest.raises(AssertionError) as caught:
        devsentry.assert_error(type="KeyError", timeout=0.1)
    text = str(caught.value)
    assert text.startswith(
        "expected an error event with an exception of type 'KeyError' (waited 0.1s); 2 items"
    )
    assert "PaymentError: could not charge" in text and "demoshop.payments in charge" in text

    with pytest.raises(AssertionError, match="expected a message event containing 'nope'"):
        devsentry.assert_message("nope", timeout=0.1)
    with pytest.raises(AssertionError) as caught:
        devsentry.assert_no_errors()
    assert str(caught.value).startswith("expected no errors, but 1 arrived:\n  PaymentError")


def test_clear_forgets_and_the_server_keeps_indexing(devsentry: DevSentry) -> None:
    devsentry.replay(ERROR, MESSAGE)
    devsentry.wait_for_output("Stock for SKU-TEA-250G")
    devsentry.clear()
    assert (devsentry.items(), devsentry.issues, devsentry.envelopes) == ([], [], [])
    assert devsentry.output == ""
    devsentry.assert_no_errors()

    devsentry.replay(ERROR)  # ids go on upward after a clear; still indexed and grouped
    (item,) = devsentry.wait_for("event")
    assert item.envelope_id == 3
    (issue,) = devsentry.issues
    assert issue.count == 1


def test_replay_fails_the_test_on_refused_files(devsentry: DevSentry, tmp_path: Path) -> None:
    bad = tmp_path / "broken.envelope"
    bad.write_bytes(b'{"event_id":"x"}\n{"type":"event","length":999}\n{}')
    with pytest.raises(ReplayFailed) as caught:
        devsentry.replay(ERROR, bad)
    assert "200: 1, invalid: 1" in str(caught.value)
    assert "broken.envelope: invalid not a valid envelope: payload truncated" in str(caught.value)
    summary = devsentry.replay(bad, check=False)
    assert not summary.ok


def test_sdk_in_the_same_process_does_not_trace_the_fixture(tmp_path: Path) -> None:
    """The SDK's aiohttp integration patches every aiohttp server in the process: unhidden,
    devsentry's own requests become transactions sent to devsentry (a feedback loop) and
    its transaction name leaks into the app's events."""
    sentry_sdk.init(dsn="http://k@127.0.0.1:9/1", traces_sample_rate=1.0)  # patches aiohttp
    sentry_sdk.get_client().close()
    with DevSentry(tmp_path / "store.db", console=False) as devsentry:
        sentry_sdk.init(dsn=devsentry.dsn, traces_sample_rate=1.0, release="app@1")
        try:
            sentry_sdk.capture_message("hello from the app")
            for _ in range(2):  # a loop would have sent a transaction by the second round
                sentry_sdk.flush()
                devsentry.settle()
            (item,) = devsentry.items()  # the message, and no transaction of devsentry's own
            assert item.type == "event"
            (event,) = devsentry.events
            assert event.transaction is None
            assert devsentry.issues[0].culprit is None
        finally:
            sentry_sdk.get_client().close()
            sentry_sdk.get_global_scope().set_client(None)


# -- failure output, snapshots and --devsentry-keep, through an inner pytest run --------------

#: Inner runs leave out hypothesis' plugin: its summary hook imports hypothesis, which an
#: in-process run would import (and assertion-rewrite) again every time; and
#: pytest-textual-snapshot's, which keeps its session's directory in an environment variable
#: (an inner session would replace it, then delete it under the outer one's snapshot report).
INNER = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider", "-p", "no:textual-snapshot")

INNER_HEADER = f"""
from pathlib import Path

FIXTURES = Path({str(FIXTURES)!r})
"""


def test_failing_helper_report_shows_what_arrived(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        INNER_HEADER
        + """
def test_expects_a_key_error(devsentry):
    devsentry.replay(FIXTURES / "python" / "error_plain.envelope")
    devsentry.assert_error(type="KeyError", timeout=0.1)
"""
    )
    result = pytester.runpytest(*INNER)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E * AssertionError: expected an error event with an exception of type 'KeyError'"
            " (waited 0.1s); 1 item arrived:",
            "*- devsentry -*",
            "1 item arrived:",
            "  event        error    PaymentError: could not charge 31.02 EUR to visa ?4242"
            "*demoshop.payments in charge",
            "(run with --devsentry-keep to keep this store for inspection)",
        ]
    )


def test_keep_keeps_a_failed_tests_store_and_says_how_to_look(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        INNER_HEADER
        + """
def test_fails(devsentry):
    devsentry.replay(FIXTURES / "python" / "error_plain.envelope")
    Path("failed-store.txt").write_text(str(devsentry.store_path))
    assert False

def test_passes(devsentry):
    Path("passed-store.txt").write_text(str(devsentry.store_path))
"""
    )
    result = pytester.runpytest(*INNER, "--devsentry-keep")
    result.assert_outcomes(failed=1, passed=1)
    kept = Path((pytester.path / "failed-store.txt").read_text())
    removed = Path((pytester.path / "passed-store.txt").read_text())
    assert kept.is_file()
    assert not removed.exists()
    with Store(kept, readonly=True) as store:
        assert store.count_envelopes() == 1
    result.stdout.fnmatch_lines(
        [
            f"store kept: {kept}",
            f"  devsentry issues --store {kept}",
            f"  devsentry show DS-1 --store {kept}",
            "*devsentry: stores kept for failed tests*",
        ]
    )


def test_stores_are_removed_without_keep(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
from pathlib import Path

def test_fails(devsentry):
    Path("store.txt").write_text(str(devsentry.store_path))
    assert False
"""
    )
    pytester.runpytest(*INNER).assert_outcomes(failed=1)
    assert not Path((pytester.path / "store.txt").read_text()).exists()


def test_snapshot_is_written_compared_and_updated(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_snap=INNER_HEADER
        + """
def test_payment_error(devsentry):
    devsentry.replay(FIXTURES / "python" / "error_plain.envelope", refresh=True)
    (item,) = devsentry.wait_for("event")
    devsentry.assert_snapshot(item)
"""
    )
    golden = pytester.path / "__snapshots__" / "test_snap" / "test_payment_error.json"

    first = pytester.runpytest(*INNER)
    first.assert_outcomes(failed=1)
    first.stdout.fnmatch_lines(["*snapshot *test_payment_error.json did not exist*"])
    text = golden.read_text()
    snapshot = json.loads(text)
    assert snapshot["event_id"] == "<event_id:1>"
    assert snapshot["contexts"]["trace"]["trace_id"] == "<trace_id:1>"
    assert snapshot["timestamp"] == "<timestamp>"
    assert snapshot["exception"]["values"][-1]["stacktrace"]["frames"][-1]["lineno"] == 44

    # Fresh ids, timestamps, port and store path on every run: still equal.
    pytester.runpytest(*INNER).assert_outcomes(passed=1)

    golden.write_text(text.replace("visa *4242", "visa *0000"))
    mismatch = pytester.runpytest(*INNER)
    mismatch.assert_outcomes(failed=1)
    mismatch.stdout.fnmatch_lines(
        [
            "*event does not match snapshot *test_payment_error.json:",
            "*-*could not charge 31.02 EUR to visa *0000*",
            "*+*could not charge 31.02 EUR to visa *4242*",
            "*Run pytest with --devsentry-update-snapshots to accept the new output.",
        ]
    )

    pytester.runpytest(*INNER, "--devsentry-update-snapshots").assert_outcomes(passed=1)
    assert golden.read_text() == text
    pytester.runpytest(*INNER).assert_outcomes(passed=1)


def test_options_are_in_pytest_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*INNER, "--help")
    result.stdout.fnmatch_lines(
        ["*--devsentry-keep*", "*--devsentry-update-snapshots*"], consecutive=False
    )
