"""Normalization as Relay does it, on the event items of real SDK envelopes (`fixtures/`) and on
real User-Agent strings and client-hint values, changed only where a rule needs it."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devsentry.process.normalize import normalize_event
from devsentry.process.normalize.fields import MAX_NOTES
from devsentry.process.normalize.user_agent import browser_from_client_hints
from devsentry.process.sender import Sender
from devsentry.process.verdict import Note
from devsentry.protocol import parse
from devsentry.protocol.messages import format_message
from devsentry.protocol.times import epoch_seconds
from tests.conftest import FIXTURES

MANIFEST = {f["file"]: f for f in json.loads((FIXTURES / "manifest.json").read_text())["fixtures"]}


def _fixture_events() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for path in sorted(FIXTURES.glob("*/*.envelope")):
        for item in parse(path.read_bytes()).items:
            if item.type in ("event", "transaction"):
                name = str(path.relative_to(FIXTURES))
                out.append((name, item.type, json.loads(item.payload)))
    return out


EVENTS = _fixture_events()
BY_NAME = {name: payload for name, _, payload in EVENTS}


def fixture(name: str) -> dict[str, Any]:
    """A fresh copy of the event item of fixture `name`."""
    return copy.deepcopy(BY_NAME[name])


def sender(event: dict[str, Any], **fields: Any) -> Sender:
    """The request that brought `event`: received a second after its timestamp, from
    127.0.0.1, with the recorded User-Agent unless told otherwise."""
    sent = epoch_seconds(event.get("timestamp")) or 1_795_000_000.0
    fields.setdefault("received", sent + 1.0)
    fields.setdefault("sent_at", sent + 0.5)
    fields.setdefault("remote_addr", "127.0.0.1")
    return Sender(**fields)


def normalize(event: dict[str, Any], **fields: Any) -> list[Note]:
    return normalize_event(event, sender(event, **fields))


def paths(notes: list[Note]) -> list[str]:
    return [note.path for note in notes]


# -- real SDK events ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "item_type", "payload"), EVENTS, ids=[e[0] for e in EVENTS])
def test_real_events_normalize_without_notes(
    name: str, item_type: str, payload: dict[str, Any]
) -> None:
    event = copy.deepcopy(payload)
    ua = MANIFEST[name]["request"]["user_agent"]
    assert normalize(event, user_agent=ua) == []
    assert event["timestamp"] == epoch_seconds(payload["timestamp"])
    assert isinstance(event["received"], float)
    assert event["platform"] == payload["platform"]
    kinds = ("transaction",) if item_type == "transaction" else ("error", "default")
    assert event["type"] in kinds
    assert event["level"] in ("info", "warning", "error") and "server_name" not in event
    if "server_name" in payload:
        assert ["server_name", payload["server_name"]] in event["tags"]
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in event["tags"])
    # Contexts come from the event's own request headers: the browser's User-Agent (the
    # browser SDK's, or the one a FastAPI request carried). The sending request's User-Agent
    # (`sentry.python/…`) counts for security reports only.
    headers = (payload.get("request") or {}).get("headers") or {}
    agents = headers.items() if isinstance(headers, dict) else headers
    if any(k.lower() == "user-agent" and "Mozilla/" in v for k, v in agents):
        os_key = "os" if payload["platform"] == "javascript" else "client_os"
        assert {"browser", os_key} <= set(event["contexts"]), event["contexts"]
    else:
        assert not {"browser", "client_os"} & set(event["contexts"])
    for crumb in event.get("breadcrumbs", {}).get("values", []):
        assert isinstance(crumb["timestamp"], float) and crumb["level"] and crumb["type"]


def test_python_error_event() -> None:
    event = fixture("python/error_plain.envelope")
    crumbs = len(event["breadcrumbs"]["values"])
    normalize(event)
    assert event["type"] == "error"
    assert event["event_id"] == "eef82589581046a8878dee63dcacdd7f"
    assert event["timestamp"] == epoch_seconds("2026-11-25T23:31:57.615135Z")
    # An object's tags come out sorted by key, with server_name moved in.
    assert event["tags"] == [
        ["region", "eu-west-1"],
        ["request_id", "req-0003"],
        ["service", "checkout"],
        ["server_name", "demo-host"],
    ]
    assert event["contexts"]["runtime"]["type"] == "runtime"
    assert event["contexts"]["runtime"]["runtime"] == "CPython 3.12.1"
    assert event["contexts"]["trace"]["status"] == "unknown"
    assert "type" not in event["contexts"]["order"]  # a custom context stays as sent
    assert len(event["breadcrumbs"]["values"]) == crumbs
    assert "user" in event and "ip_address" not in event["user"]  # python: no address inferred


def test_python_message_becomes_logentry() -> None:
    event = fixture("python/message-1.envelope")
    normalize(event)
    assert "message" not in event
    assert event["logentry"] == {"formatted": "Stock for SKU-TEA-250G is running low: 3 left"}
    assert event["type"] == "default" and event["level"] == "warning"


def test_python_logentry_keeps_its_template() -> None:
    event = fixture("python/message-2.envelope")
    normalize(event)
    assert event["logentry"]["message"] == "Failed %s"
    assert event["logentry"]["formatted"] == "Failed to sync supplier tea-traders: HTTP 503"


def test_python_transaction() -> None:
    event = fixture("python/transaction_profile.envelope")
    assert normalize(event) == []
    assert event["type"] == "transaction" and event["level"] == "info"
    assert event["start_timestamp"] == epoch_seconds("2026-11-25T23:31:59.620479Z")
    assert all(isinstance(s["timestamp"], float) for s in event["spans"])


def test_node_request_headers_as_relay_stores_them() -> None:
    event = fixture("node/sessions-1.envelope")
    normalize(event)
    headers = event["request"]["headers"]
    assert [name for name, _ in headers] == ["Baggage", "Connection", "Host", "Sentry-Trace"]
    assert event["request"]["url"] == "http://127.0.0.1:39751/api/checkout"
    assert event["request"]["method"] == "GET"
    assert event["user"]["ip_address"] == "127.0.0.1"


# -- User-Agent and client hints ---------------------------------------------------------------

CHROME_WIN = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
FIREFOX_WIN = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
FIREFOX_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1.1 Safari/605.1.15"
)
SAFARI_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1.1 Mobile/15E148 Safari/604.1"
)
EDGE_WIN = CHROME_WIN + " Edg/131.0.0.0"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.104 Mobile Safari/537.36"
)
HEADLESS_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/131.0.6778.33 Safari/537.36"
)

MAC = {"family": "Mac", "model": "Mac", "brand": "Apple", "type": "device"}
UA_CASES = [
    (CHROME_WIN, ("Chrome", "131.0.0"), ("Windows", ">=10"), None),
    (CHROME_MAC, ("Chrome", "131.0.0"), ("Mac OS X", ">=10.15.7"), MAC),
    (FIREFOX_WIN, ("Firefox", "133.0"), ("Windows", ">=10"), None),
    (FIREFOX_MAC, ("Firefox", "133.0"), ("Mac OS X", "10.15"), MAC),
    (SAFARI_MAC, ("Safari", "18.1.1"), ("Mac OS X", ">=10.15.7"), MAC),
    (
        SAFARI_IOS,
        ("Mobile Safari", "18.1.1"),
        ("iOS", "18.1.1"),
        {"family": "iPhone", "model": "iPhone", "brand": "Apple", "type": "device"},
    ),
    (EDGE_WIN, ("Edge", "131.0.0"), ("Windows", ">=10"), None),
    (
        CHROME_ANDROID,
        ("Chrome Mobile", "131.0.6778"),
        ("Android", "14"),
        {"family": "Samsung SM-S918B", "model": "SM-S918B", "brand": "Samsung", "type": "device"},
    ),
    (HEADLESS_LINUX, ("HeadlessChrome", "131.0.6778"), ("Linux", None), None),
]


def browser_event(headers: Any) -> dict[str, Any]:
    """The Node fixture's error as a browser SDK would send it: platform javascript, no
    server-side contexts, the page's request headers."""
    event = fixture("node/error-1.envelope")
    event["platform"] = "javascript"
    event["contexts"] = {"trace": event["contexts"]["trace"]}
    event["request"] = {"url": "https://shop.example/checkout?step=2#pay", "headers": headers}
    event["user"] = {"id": "42"}
    return event


@pytest.mark.parametrize(("ua", "browser", "os", "device"), UA_CASES, ids=lambda c: str(c)[:30])
def test_contexts_from_user_agent(
    ua: str, browser: tuple[str, str], os: tuple[str, str | None], device: dict[str, str] | None
) -> None:
    event = browser_event({"User-Agent": ua})
    normalize(event)
    contexts = event["contexts"]
    assert contexts["browser"] == {"name": browser[0], "version": browser[1], "type": "browser"}
    expected_os = {"name": os[0], "version": os[1], "type": "os"}
    assert contexts["os"] == {k: v for k, v in expected_os.items() if v is not None}
    assert contexts.get("device") == device
    assert "client_os" not in contexts


def test_server_events_get_client_os_and_keep_their_own_contexts() -> None:
    event = fixture("node/error-1.envelope")
    sent_os, sent_device = dict(event["contexts"]["os"]), dict(event["contexts"]["device"])
    event["request"] = {"headers": [["user-agent", CHROME_MAC]]}
    normalize(event)
    contexts = event["contexts"]
    assert contexts["client_os"] == {"name": "Mac OS X", "version": ">=10.15.7", "type": "os"}
    assert contexts["os"] == {**sent_os, "os": "Debian 12.11\n", "type": "os"}
    assert {k: v for k, v in contexts["device"].items() if k != "type"} == sent_device
    assert contexts["browser"]["name"] == "Chrome"


CHROME_HINTS = '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"'


@pytest.mark.parametrize(
    ("hints", "expected"),
    [
        (CHROME_HINTS, ("Google Chrome", "131")),
        (
            '"Microsoft Edge";v="131", "Chromium";v="131", "Not_A Brand";v="24"',
            ("Microsoft Edge", "131"),
        ),
        ('"Chromium";v="130", "Opera";v="115", "Not?A_Brand";v="99"', ("Opera", "115")),
        (
            '"Not_A Brand";v="8", "Chromium";v="120", "HeadlessChrome";v="120"',
            ("HeadlessChrome", "120"),
        ),
        ('"Not_A Brand";v="99", "Chromium";v="109"', None),
        ('"Not_A Brand";v="99", " ";v="109", "Chromium";v="109"', None),
    ],
)
def test_browser_from_client_hints(hints: str, expected: tuple[str, str] | None) -> None:
    assert browser_from_client_hints(hints) == expected


def test_client_hints_win_over_the_user_agent() -> None:
    event = browser_event(
        [
            ["User-Agent", CHROME_WIN],
            ["Sec-CH-UA", CHROME_HINTS],
            ["Sec-CH-UA-Mobile", "?0"],
            ["Sec-CH-UA-Platform", '"Windows"'],
            ["Sec-CH-UA-Platform-Version", '"15.0.0"'],
            ["Sec-CH-UA-Model", '""'],
        ]
    )
    normalize(event)
    contexts = event["contexts"]
    assert contexts["browser"] == {"name": "Google Chrome", "version": "131", "type": "browser"}
    assert contexts["os"] == {"name": "Windows", "version": "15.0.0", "type": "os"}
    assert "device" not in contexts  # an empty model hint falls back to the UA: no device


def test_android_model_hint() -> None:
    event = browser_event(
        {
            "user-agent": CHROME_ANDROID,
            "sec-ch-ua-model": '"Pixel 8"',
            "SEC-CH-UA-PLATFORM": "Android",
        }
    )
    normalize(event)
    assert event["contexts"]["device"] == {"model": "Pixel 8", "type": "device"}
    assert event["contexts"]["os"] == {"name": "Android", "type": "os"}


def test_browser_without_hint_falls_back_to_user_agent() -> None:
    event = browser_event(
        {"User-Agent": CHROME_MAC, "Sec-CH-UA": '"Not_A Brand";v="99", "Chromium";v="108"'}
    )
    normalize(event)
    assert event["contexts"]["browser"] == {
        "name": "Chrome",
        "version": "131.0.0",
        "type": "browser",
    }


def test_contexts_the_sdk_sent_are_kept() -> None:
    event = browser_event({"User-Agent": SAFARI_IOS})
    event["contexts"]["browser"] = {"name": "Custom", "version": "1"}
    normalize(event)
    assert event["contexts"]["browser"] == {
        "name": "Custom",
        "version": "1",
        "browser": "Custom 1",
        "type": "browser",
    }
    assert event["contexts"]["os"]["name"] == "iOS"


def test_unknown_user_agent_gives_no_context() -> None:
    event = browser_event({"User-Agent": "sentry.javascript.node/11.12.0"})
    normalize(event)
    assert set(event["contexts"]) == {"trace"}


def test_request_user_agent_is_not_used_for_ordinary_events() -> None:
    event = fixture("node/error-1.envelope")
    event["platform"] = "javascript"
    assert "request" not in event
    normalize(event, user_agent=CHROME_WIN, client_hints={"sec-ch-ua": CHROME_HINTS})
    assert "browser" not in event["contexts"] and "request" not in event


def test_security_reports_take_the_request_user_agent() -> None:
    event = {
        "csp": {"document_uri": "https://shop.example/", "effective_directive": "script-src"},
        "timestamp": 1_795_649_488.0,
    }
    normalize(
        event,
        user_agent=FIREFOX_WIN,
        remote_addr="203.0.113.7",
        client_hints={"sec-ch-ua-platform": '"Windows"'},
    )
    assert event["type"] == "csp" and event["logger"] == "csp"
    assert event["user"] == {"ip_address": "203.0.113.7"}
    assert event["request"]["headers"] == [
        ["User-Agent", FIREFOX_WIN],
        ["SEC-CH-UA-Platform", '"Windows"'],
    ]
    assert event["contexts"]["browser"] == {
        "name": "Firefox",
        "version": "133.0",
        "type": "browser",
    }
    assert event["contexts"]["client_os"] == {"name": "Windows", "type": "os"}


# -- IP addresses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "user", "settings", "expected"),
    [
        ("python", {"ip_address": "{{auto}}"}, None, "198.51.100.4"),
        ("python", {"id": "1"}, None, None),
        ("javascript", {"id": "1"}, None, "198.51.100.4"),
        ("cocoa", None, None, "198.51.100.4"),
        ("javascript", {"ip_address": "10.0.0.1"}, None, "10.0.0.1"),
        ("javascript", {"id": "1"}, {"infer_ip": "never"}, None),
        ("python", {"ip_address": "{{auto}}"}, {"infer_ip": "never"}, None),
        ("python", {"id": "1"}, {"infer_ip": "auto"}, "198.51.100.4"),
        ("javascript", {"id": "1"}, {"infer_ip": "sometimes"}, None),
    ],
)
def test_user_ip_address(
    platform: str,
    user: dict[str, str] | None,
    settings: dict[str, str] | None,
    expected: str | None,
) -> None:
    event = fixture("python/error_plain.envelope")
    event["platform"] = platform
    event.pop("user")
    if user is not None:
        event["user"] = dict(user)
    if settings is not None:
        event["sdk"]["settings"] = settings
    normalize(event, remote_addr="198.51.100.4")
    assert event.get("user", {}).get("ip_address") == expected


def test_remote_addr_auto_and_copied_to_the_user() -> None:
    event = fixture("python/error_plain.envelope")
    event["request"] = {"url": "http://127.0.0.1/", "env": {"REMOTE_ADDR": "{{auto}}"}}
    normalize(event, remote_addr="2001:db8::1")
    assert event["request"]["env"]["REMOTE_ADDR"] == "2001:db8::1"
    assert event["user"]["ip_address"] == "2001:db8::1"


def test_invalid_ip_address_is_removed() -> None:
    event = fixture("node/error-1.envelope")
    event["user"]["ip_address"] = "not-an-ip"
    notes = normalize(event)
    assert "ip_address" not in event["user"]
    assert Note("user.ip_address", "removed", '"not-an-ip" is not an IP address') in notes


# -- timestamps --------------------------------------------------------------------------------

HOUR = 3600.0


def test_clock_drift_moves_every_timestamp() -> None:
    event = fixture("python/error_plain.envelope")
    ts = epoch_seconds(event["timestamp"])
    crumb = epoch_seconds(event["breadcrumbs"]["values"][0]["timestamp"])
    assert ts is not None and crumb is not None
    # The SDK's clock is two hours behind: it said it sent the envelope at ts + 0.5.
    notes = normalize(event, sent_at=ts + 0.5, received=ts + 0.5 + 2 * HOUR)
    assert event["timestamp"] == pytest.approx(ts + 2 * HOUR)
    assert event["breadcrumbs"]["values"][0]["timestamp"] == pytest.approx(crumb + 2 * HOUR)
    assert paths(notes) == ["timestamp"] and "+2:00:00" in notes[0].reason


def test_small_clock_drift_is_left_alone() -> None:
    event = fixture("python/error_plain.envelope")
    ts = epoch_seconds(event["timestamp"])
    assert ts is not None
    assert normalize(event, sent_at=ts, received=ts + 54 * 60) == []
    assert event["timestamp"] == ts


@pytest.mark.parametrize("offset", [+2 * HOUR, -91 * 24 * HOUR])
def test_timestamps_out_of_range_become_the_time_received(offset: float) -> None:
    event = fixture("python/error_plain.envelope")
    ts = epoch_seconds(event["timestamp"])
    crumb = epoch_seconds(event["breadcrumbs"]["values"][0]["timestamp"])
    assert ts is not None and crumb is not None
    received = ts - offset
    notes = normalize(event, sent_at=received, received=received)
    assert event["timestamp"] == received == event["received"]
    assert event["breadcrumbs"]["values"][0]["timestamp"] == pytest.approx(crumb - offset)
    assert paths(notes) == ["timestamp"]


def test_missing_and_unreadable_timestamps() -> None:
    event = fixture("node/error-1.envelope")
    del event["timestamp"]
    event["breadcrumbs"][0]["timestamp"] = "yesterday"
    notes = normalize(event, received=1_795_649_500.0, sent_at=1_795_649_500.0)
    assert event["timestamp"] == 1_795_649_500.0
    assert "timestamp" not in event["breadcrumbs"]["values"][0]
    assert paths(notes) == ["breadcrumbs.values.0.timestamp"]


def test_timestamps_before_1970() -> None:
    event = fixture("python/transaction_profile.envelope")
    event["spans"][0]["start_timestamp"] = -5
    event["start_timestamp"] = -10
    notes = normalize(event)
    assert Note("spans.0", "removed", "its timestamp is before 1970") in notes
    assert any(n.action == "dropped" and n.path == "" for n in notes)


def test_transactions_relay_rejects() -> None:
    event = fixture("python/transaction_profile.envelope")
    del event["contexts"]["trace"]["span_id"]
    assert [n.reason for n in normalize(event)] == [
        "Relay rejects the transaction: trace context is missing span_id"
    ]
    old = fixture("python/transaction_profile.envelope")
    ts = epoch_seconds(old["timestamp"])
    assert ts is not None
    notes = normalize(old, received=ts + 6 * 24 * HOUR, sent_at=ts + 6 * 24 * HOUR)
    assert [n.action for n in notes] == ["dropped"] and "metrics" in notes[0].reason


# -- attributes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "expected", "noted"),
    [("log", "info", False), ("critical", "fatal", False), ("warn", "warning", False),
     (30, "warning", False), (50, "fatal", False), (None, "error", False), ("loud", "error", True)],
)  # fmt: skip
def test_level(level: object, expected: str, noted: bool) -> None:
    event = fixture("python/error_plain.envelope")
    event["level"] = level
    notes = normalize(event)
    assert event["level"] == expected
    assert ("level" in paths(notes)) is noted


def test_platform_outside_relays_list_becomes_other() -> None:
    event = fixture("python/error_plain.envelope")
    event["platform"] = "dart"
    notes = normalize(event)
    assert event["platform"] == "other" and paths(notes) == ["platform"]


def test_environment() -> None:
    missing = fixture("python/error_plain.envelope")
    del missing["environment"]
    normalize(missing)
    assert "environment" not in missing  # Sentry files it under no environment; no default
    as_tag = fixture("python/error_plain.envelope")
    del as_tag["environment"]
    as_tag["tags"]["environment"] = "staging"
    normalize(as_tag)
    assert as_tag["environment"] == "staging" and "environment" not in dict(as_tag["tags"])
    for bad in ("none", "None", "a/b", "x" * 65, " "):
        event = fixture("python/error_plain.envelope")
        event["environment"] = bad
        assert paths(normalize(event)) == ["environment"] and "environment" not in event
    padded = fixture("python/error_plain.envelope")
    padded["environment"] = " staging "
    normalize(padded)
    assert padded["environment"] == "staging"


def test_release_and_dist() -> None:
    event = fixture("python/error_plain.envelope")
    event["release"], event["dist"] = "Latest", " 1.2 "
    notes = normalize(event)
    assert "release" not in event and event["dist"] == "1.2"
    assert paths(notes) == ["release"]
    event = fixture("python/error_plain.envelope")
    event["release"], event["dist"] = "demo@1.2.3\n", "beta build"
    notes = normalize(event)
    assert event["release"] == "demo@1.2.3" and "dist" not in event and paths(notes) == ["dist"]


def test_tags_as_relay_stores_them() -> None:
    event = fixture("node/error-1.envelope")
    event["tags"] = [
        ["foo bar", True],
        ["count", 3],
        ["release", "sneaky"],
        ["count", 4],
        ["bad/key", "x"],
        ["long", "x" * 201],
        ["gone", None],
    ]
    notes = normalize(event)
    assert event["tags"] == [
        ["foo-bar", "True"],
        ["count", "3"],
        ["long", None],
        ["gone", None],
        ["server_name", "demo-host"],
    ]
    assert paths(notes) == ["tags.4", "tags.long", "tags.release", "tags.count"]


def test_exceptions() -> None:
    event = fixture("node/error-1.envelope")
    event["exception"] = {"type": None, "value": "ValueError: unauthorized"}
    event["stacktrace"] = {"frames": [{"function": "main"}]}
    normalize(event)
    (exc,) = event["exception"]["values"]
    assert (exc["type"], exc["value"]) == ("ValueError", "unauthorized")
    assert exc["stacktrace"] == {"frames": [{"function": "main"}]} and "stacktrace" not in event
    empty = fixture("node/error-1.envelope")
    empty["exception"]["values"].append({"module": "x"})
    assert paths(normalize(empty)) == ["exception.values.2"]
    assert len(empty["exception"]["values"]) == 2 and empty["type"] == "error"


def test_breadcrumbs_keep_their_order_and_number() -> None:
    event = fixture("node/error-1.envelope")
    crumbs = event["breadcrumbs"]
    many = [dict(crumbs[i % len(crumbs)], message=str(i)) for i in range(150)]
    event["breadcrumbs"] = many[::-1]
    normalize(event)
    values = event["breadcrumbs"]["values"]
    assert [c["message"] for c in values] == [str(i) for i in range(149, -1, -1)]
    assert {c["level"] for c in values} <= {"info", "error"} and all(c["type"] for c in values)


def test_unknown_attributes_are_removed() -> None:
    event = fixture("python/error_plain.envelope")
    event["my_field"] = 1
    event["sentry.interfaces.User"] = {"id": "x"}
    notes = normalize(event)
    assert "my_field" not in event and event["user"]["id"] == "42"
    assert paths(notes) == ["my_field"]


def test_user_fields_relay_does_not_know_move_into_data() -> None:
    event = fixture("python/error_plain.envelope")
    event["user"] = {"id": 42, "plan": "pro", "data": {"team": "a"}}
    normalize(event)
    assert event["user"] == {"id": "42", "data": {"team": "a", "plan": "pro"}}


def test_request_url_query_and_method() -> None:
    event = fixture("node/sessions-1.envelope")
    event["request"]["url"] = "http://127.0.0.1:39751/api/checkout?step=2&coupon=W%2010#pay"
    event["request"]["method"] = "post"
    event["request"]["headers"]["cookie"] = "session=abc; theme=dark"
    del event["request"]["cookies"]
    normalize(event)
    request = event["request"]
    assert request["url"] == "http://127.0.0.1:39751/api/checkout"
    assert request["query_string"] == [["step", "2"], ["coupon", "W 10"]]
    assert request["fragment"] == "pay" and request["method"] == "POST"
    assert request["cookies"] == [["session", "abc"], ["theme", "dark"]]
    assert "Cookie" not in dict(request["headers"])
    sent = fixture("node/sessions-1.envelope")  # cookies the SDK sent win; the header goes
    sent["request"]["headers"]["cookie"] = "session=abc"
    normalize(sent)
    assert sent["request"]["cookies"] == [] and "Cookie" not in dict(sent["request"]["headers"])


@pytest.mark.parametrize(
    ("template", "params", "expected"),
    [
        ("Failed %s", ["to sync"], "Failed to sync"),
        ("%(count)d left of %(total)d", {"count": 3, "total": 10}, "3 left of 10"),
        ("hello, {}!", ["world"], "hello, world!"),
        ("hello, {0} and {name}", ["a"], None),
        ("%999999999s", ["x"], None),
        ("%s %s", ["only one"], None),
        ("no placeholders", ["x"], None),
    ],
)
def test_format_message(template: str, params: object, expected: str | None) -> None:
    assert format_message(template, params) == expected


# -- hostile input -----------------------------------------------------------------------------

HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["{{auto}}", "%999999999s", "1e999", "NaN", "x" * 100_000, "Other"]),
    st.lists(st.none() | st.integers() | st.text(max_size=5), max_size=5),
    st.dictionaries(
        st.text(max_size=5), st.none() | st.integers() | st.text(max_size=5), max_size=4
    ),
)


def _mutations() -> st.SearchStrategy[list[tuple[tuple[str, ...], Any]]]:
    fields = [
        ("timestamp",), ("start_timestamp",), ("level",), ("platform",), ("environment",),
        ("release",), ("dist",), ("tags",), ("user",), ("user", "ip_address"), ("request",),
        ("request", "headers"), ("request", "url"), ("contexts",), ("contexts", "os"),
        ("breadcrumbs",), ("exception",), ("logentry",), ("message",), ("sdk",), ("type",),
        ("event_id",), ("spans",), ("logger",), ("server_name",), ("extra",),
    ]  # fmt: skip
    return st.lists(st.tuples(st.sampled_from(fields), HOSTILE), max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(BY_NAME)),
    mutations=_mutations(),
    sent_at=st.none() | st.floats(allow_nan=True),
)
def test_hostile_events_never_raise(
    name: str, mutations: list[tuple[tuple[str, ...], Any]], sent_at: float | None
) -> None:
    event = fixture(name)
    for path, value in mutations:
        target: Any = event
        for key in path[:-1]:
            target = target.get(key) if isinstance(target, dict) else None
        if isinstance(target, dict):
            target[path[-1]] = copy.deepcopy(value)
    notes = normalize_event(
        event, Sender(received=1_795_649_500.0, sent_at=sent_at, user_agent=SAFARI_IOS)
    )
    assert all(isinstance(n, Note) for n in notes) and len(notes) <= MAX_NOTES + 3
    json.dumps(event)  # still JSON


def test_huge_lists_stay_bounded() -> None:
    event = fixture("python/error_plain.envelope")
    event["breadcrumbs"] = {"values": [{"timestamp": "soon"}] * 20_000}
    event["tags"] = [["k", {"a": 1}]] * 20_000
    notes = normalize(event)
    assert len(event["breadcrumbs"]["values"]) == 20_000
    assert len(notes) == 201 and notes[-1].reason.startswith("and ")
