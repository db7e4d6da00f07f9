"""Tags as Sentry derives them, on normalized events from real SDK envelopes (`fixtures/`) and
on real browser User-Agents."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devsentry.process.tags import event_tags
from tests.test_normalize import (
    BY_NAME,
    CHROME_ANDROID,
    CHROME_WIN,
    FIREFOX_MAC,
    HOSTILE,
    SAFARI_IOS,
    browser_event,
    fixture,
    normalize,
)


def tags_of(event: dict[str, Any], **sender: Any) -> list[tuple[str, str]]:
    normalize(event, **sender)
    return event_tags(event)


def test_python_error_tags() -> None:
    assert tags_of(fixture("python/error_plain.envelope")) == [
        ("region", "eu-west-1"),
        ("request_id", "req-0003"),
        ("service", "checkout"),
        ("server_name", "demo-host"),
        ("runtime", "CPython 3.12.1"),
        ("runtime.name", "CPython"),
        ("user", "id:42"),
        ("level", "error"),
        ("release", "demo@1.2.3"),
        ("environment", "development"),
        ("handled", "yes"),
        ("mechanism", "generic"),
    ]


def test_node_error_tags() -> None:
    tags = dict(tags_of(fixture("node/error-1.envelope")))
    # The OS context's version ends in a newline (`/etc/debian_version`); Sentry strips it.
    assert tags["os"] == "Debian 12.11" and tags["os.name"] == "Debian"
    assert tags["runtime"] == "node v20.20.2" and tags["runtime.name"] == "node"
    # The last exception is the one raised (PaymentError); its mechanism gives the tags.
    assert (tags["mechanism"], tags["handled"]) == ("generic", "yes")
    assert "device" not in tags  # Node's device context has no model or family


def test_python_transaction_tags() -> None:
    tags = dict(tags_of(fixture("python/transaction_profile.envelope")))
    assert tags["transaction"] == "rebuild-catalog-index" and tags["level"] == "info"
    assert "mechanism" not in tags and "handled" not in tags


def test_message_tags_have_the_logger() -> None:
    tags = dict(tags_of(fixture("python/message-2.envelope")))
    assert tags["logger"] == "demoshop.stock" and tags["level"] == "error"
    assert list(tags)[-1] == "logger"


@pytest.mark.parametrize(
    ("ua", "expected"),
    [
        (
            CHROME_WIN,
            [("browser", "Chrome 131.0.0"), ("browser.name", "Chrome"), ("os", "Windows >=10"),
             ("os.name", "Windows")],
        ),
        (
            FIREFOX_MAC,
            [("browser", "Firefox 133.0"), ("browser.name", "Firefox"), ("os", "Mac OS X 10.15"),
             ("os.name", "Mac OS X"), ("device", "Mac"), ("device.family", "Mac")],
        ),
        (
            SAFARI_IOS,
            [("browser", "Mobile Safari 18.1.1"), ("browser.name", "Mobile Safari"),
             ("os", "iOS 18.1.1"), ("os.name", "iOS"), ("device", "iPhone"),
             ("device.family", "iPhone")],
        ),
        (
            CHROME_ANDROID,
            [("browser", "Chrome Mobile 131.0.6778"), ("browser.name", "Chrome Mobile"),
             ("os", "Android 14"), ("os.name", "Android"), ("device", "SM-S918B"),
             ("device.family", "Samsung SM-S918B")],
        ),
    ],
)  # fmt: skip
def test_browser_event_tags(ua: str, expected: list[tuple[str, str]]) -> None:
    tags = tags_of(browser_event({"User-Agent": ua}))
    derived = [(k, v) for k, v in tags if k.split(".")[0] in ("browser", "os", "device")]
    assert derived == expected
    assert ("url", "https://shop.example/checkout") in tags  # without the query and fragment
    assert ("user", "id:42") in tags


def test_client_os_is_tagged_under_its_own_key() -> None:
    event = fixture("node/error-1.envelope")
    event["request"] = {"headers": {"User-Agent": CHROME_WIN}}
    tags = dict(tags_of(event))
    assert tags["client_os"] == "Windows >=10" and tags["client_os.name"] == "Windows"
    assert tags["os"] == "Debian 12.11"


def test_browser_tag_needs_a_version() -> None:
    event = browser_event({})
    event["contexts"]["browser"] = {"name": "Mobile Safari UI/WKWebView"}
    tags = dict(tags_of(event))
    assert "browser" not in tags and tags["browser.name"] == "Mobile Safari UI/WKWebView"


def test_os_rooted_reads_yes_or_no() -> None:
    event = fixture("node/error-1.envelope")
    event["contexts"]["os"]["rooted"] = False
    assert dict(tags_of(event))["os.rooted"] == "no"


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ({"id": 7, "email": "a@example.com"}, "id:7"),
        ({"email": "a@example.com", "username": "ada"}, "email:a@example.com"),
        ({"username": "ada", "ip_address": "10.0.0.1"}, "username:ada"),
        ({"ip_address": "10.0.0.1"}, "ip:10.0.0.1"),
        ({"name": "Ada"}, None),
    ],
)
def test_user_tag(user: dict[str, Any], expected: str | None) -> None:
    event = fixture("python/error_plain.envelope")
    event["user"] = user
    assert dict(tags_of(event)).get("user") == expected


def test_sentrys_tags_replace_the_sdks_but_the_url_plugin_does_not() -> None:
    event = browser_event({"User-Agent": CHROME_WIN})
    event["tags"] = {"level": "custom", "browser": "mine", "url": "/checkout", "user": "me"}
    tags = tags_of(event)
    keys = [k for k, _ in tags]
    assert len(keys) == len(set(keys))
    assert dict(tags)["level"] == "error" and dict(tags)["browser"] == "Chrome 131.0.0"
    assert dict(tags)["url"] == "/checkout" and dict(tags)["user"] == "id:42"
    assert keys.index("url") < keys.index("browser")  # the SDK's url keeps its place


def test_long_derived_values_are_cut_to_200() -> None:
    event = fixture("python/transaction_profile.envelope")
    event["transaction"] = "t" * 300
    assert dict(tags_of(event))["transaction"] == "t" * 200


def test_tags_of_an_event_not_normalized() -> None:
    event = {"tags": {"a": True, "b": None, "c": ""}, "level": "warning", "server_name": "h"}
    assert event_tags(event) == [("a", "true"), ("level", "warning"), ("server_name", "h")]


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(sorted(BY_NAME)),
    field=st.sampled_from(["tags", "contexts", "user", "exception", "request", "level", "logger"]),
    value=HOSTILE,
)
def test_hostile_events_never_raise(name: str, field: str, value: Any) -> None:
    event = fixture(name)
    raw = dict(event, **{field: value})
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in event_tags(raw))
    normalize(event)
    event[field] = value
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in event_tags(event))
