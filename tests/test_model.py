"""Tests for devsentry.model: every item type, every SDK shape variant, real fixtures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devsentry.model import (
    Attachment,
    CheckIn,
    ClientReport,
    Event,
    ExceptionValue,
    Feedback,
    LogContainer,
    LogEntry,
    ModelError,
    Profile,
    ProfileChunk,
    ReplayEvent,
    Session,
    SessionAggregates,
    Span,
    SpanContainer,
    TraceMetricContainer,
    Transaction,
    UserReport,
    attachment_info,
    attribute_values,
    category_for,
    decode_item,
)
from devsentry.protocol import Item, envelope
from devsentry.protocol.levels import normalize_level
from devsentry.protocol.times import epoch_seconds

FIXTURES = Path(__file__).parent.parent / "fixtures"
TRACE_ID = "771a43a4192642f0b136d5159a501700"
SPAN_ID = "8e8b3b1a8fb1b0c4"


def item(item_type: str, payload: Any, **headers: Any) -> Item:
    """An item as an SDK would send it; `payload` is JSON-encoded unless it is bytes."""
    raw = payload if isinstance(payload, bytes) else msgspec.json.encode(payload)
    return Item.make(item_type, raw, **headers)


def event(payload: dict[str, Any]) -> Event:
    decoded = decode_item(item("event", payload))
    assert type(decoded) is Event
    return decoded


# -- Realistic events from the two big SDK families --------------------------------------

PYTHON_ERROR: dict[str, Any] = {
    "event_id": "4c8a7f3c4bbf4b8f9d2c1e0f5a6b7c8d",
    "level": "error",
    "platform": "python",
    "timestamp": "2026-11-24T19:37:41.819245Z",
    "server_name": "dev-box",
    "release": "demo@1.2.3",
    "environment": "development",
    "transaction": "/api/checkout",
    "transaction_info": {"source": "route"},
    "exception": {
        "values": [
            {
                "module": None,
                "type": "ConnectionResetError",
                "value": "connection reset",
                "mechanism": {"type": "generic", "handled": True},
                "stacktrace": {
                    "frames": [
                        {
                            "filename": "demoshop/payments.py",
                            "abs_path": "/app/demoshop/payments.py",
                            "function": "authorize",
                            "module": "demoshop.payments",
                            "lineno": 36,
                            "pre_context": [
                                "    def authorize(self):",
                                "        self.attempts += 1",
                            ],
                            "context_line": "        raise ConnectionResetError('connection reset')",
                            "post_context": [""],
                            "vars": {"self": "<GatewayClient>"},
                            "in_app": True,
                        }
                    ]
                },
            },
            {
                "module": "demoshop.payments",
                "type": "PaymentError",
                "value": "could not charge 31.02 EUR",
                "mechanism": {"type": "generic", "handled": True},
                "stacktrace": {
                    "frames": [
                        {
                            "filename": "flask/app.py",
                            "function": "dispatch_request",
                            "module": "flask.app",
                            "lineno": 902,
                            "in_app": False,
                        },
                        {
                            "filename": "demoshop/payments.py",
                            "function": "charge",
                            "module": "demoshop.payments",
                            "lineno": 45,
                            "context_line": "        raise PaymentError(msg) from exc",
                            "in_app": True,
                        },
                    ]
                },
            },
        ]
    },
    "breadcrumbs": {
        "values": [
            {
                "type": "http",
                "category": "httplib",
                "data": {"method": "POST", "url": "https://pay.example.test", "status_code": 502},
                "timestamp": "2026-11-24T19:37:41.100000Z",
            },
            {
                "type": "log",
                "level": "warning",
                "category": "demoshop.payments",
                "message": "gateway slow",
                "timestamp": "2026-11-24T19:37:41.200000Z",
                "data": {},
            },
        ]
    },
    "tags": {"shop.region": "eu"},
    "user": {
        "id": "42",
        "email": "ada@example.com",
        "ip_address": "127.0.0.1",
        "geo": {"city": "London", "country_code": "GB", "region": "England"},
    },
    "request": {
        "url": "http://127.0.0.1:5000/api/checkout",
        "query_string": "cart=7&coupon=&cart=8",
        "method": "POST",
        "env": {"SERVER_NAME": "127.0.0.1", "SERVER_PORT": "5000"},
        "headers": {"Host": "127.0.0.1:5000", "Content-Type": "application/json"},
        "cookies": {"session": "abc"},
        "data": {"card": "[Filtered]"},
    },
    "contexts": {
        "trace": {
            "trace_id": TRACE_ID,
            "span_id": SPAN_ID,
            "parent_span_id": None,
            "op": "http.server",
            "status": "internal_error",
            "description": "POST /api/checkout",
        },
        "runtime": {"name": "CPython", "version": "3.12.1"},
    },
    "sdk": {
        "name": "sentry.python.flask",
        "version": "2.75.0",
        "packages": [{"name": "pypi:sentry-sdk", "version": "2.75.0"}],
        "integrations": ["flask", "logging"],
    },
    "extra": {"sys.argv": ["app.py"]},
    "modules": {"flask": "3.1.0", "sentry-sdk": "2.75.0"},
    "fingerprint": ["{{ default }}", "payments"],
}

JS_ERROR: dict[str, Any] = {
    "exception": {
        "values": [
            {
                "type": "TypeError",
                "value": "Cannot read properties of undefined (reading 'id')",
                "stacktrace": {
                    "frames": [
                        {
                            "filename": "http://localhost:5173/node_modules/.vite/deps/react-dom.js",
                            "function": "commitRoot",
                            "in_app": False,
                            "lineno": 19381,
                            "colno": 22,
                        },
                        {
                            "filename": "http://localhost:5173/src/Cart.tsx",
                            "function": "Cart",
                            "in_app": True,
                            "lineno": 12,
                            "colno": 30,
                        },
                    ]
                },
                "mechanism": {"type": "auto.browser.global_handlers.onerror", "handled": False},
            }
        ]
    },
    "level": "error",
    "event_id": "f2a1e8a0a1b34c8e9b7d6c5b4a392817",
    "platform": "javascript",
    "timestamp": 1732477061.819,
    "environment": "production",
    "release": "shop@1.0.0",
    "sdk": {
        "integrations": ["InboundFilters", "BrowserTracing"],
        "name": "sentry.javascript.react",
        "version": "8.40.0",
        "packages": [{"name": "npm:@sentry/react", "version": "8.40.0"}],
    },
    "breadcrumbs": [
        {"timestamp": 1732477060.5, "category": "ui.click", "message": "button#checkout"},
        {
            "timestamp": 1732477061.2,
            "category": "fetch",
            "type": "http",
            "level": "error",
            "data": {"method": "GET", "url": "/api/cart", "status_code": 500},
        },
    ],
    "request": {
        "url": "http://localhost:5173/cart",
        "headers": {"User-Agent": "Mozilla/5.0", "Referer": "http://localhost:5173/"},
    },
    "tags": {"feature": "cart", "beta": True, "build": 42, "ratio": 0.5, "unset": None},
    "user": {"id": 42, "ip_address": "{{auto}}"},
    "contexts": {"trace": {"trace_id": TRACE_ID, "span_id": SPAN_ID}},
}


def test_python_error_event() -> None:
    ev = event(PYTHON_ERROR)
    cause, raised = ev.exceptions
    assert (cause.type, raised.type) == ("ConnectionResetError", "PaymentError")
    assert [f.in_app for f in raised.frames] == [False, True]
    crash = raised.frames[-1]
    assert crash.context_line == "        raise PaymentError(msg) from exc"
    assert (crash.module, crash.function, crash.lineno) == ("demoshop.payments", "charge", 45)
    assert cause.frames[0].pre_context == ["    def authorize(self):", "        self.attempts += 1"]
    assert cause.frames[0].vars == {"self": "<GatewayClient>"}
    assert raised.mechanism is not None and raised.mechanism.handled is True
    assert [b.type for b in ev.breadcrumb_list] == ["http", "log"]
    assert ev.breadcrumb_list[0].timestamp_seconds == pytest.approx(1795549061.1)
    assert ev.timestamp_seconds == pytest.approx(1795549061.819245)
    assert ev.tags_dict == {"shop.region": "eu"}
    assert ev.level_name == "error"
    assert not ev.is_transaction
    assert ev.user is not None and ev.user.geo is not None and ev.user.geo.city == "London"
    assert ev.request is not None
    assert ev.request.headers_dict["Content-Type"] == "application/json"
    assert ev.request.cookies_dict == {"session": "abc"}
    assert ev.request.query_pairs == [("cart", "7"), ("coupon", ""), ("cart", "8")]
    assert ev.request.env_dict["SERVER_PORT"] == "5000"
    trace = ev.trace_context
    assert trace is not None
    assert (trace.trace_id, trace.span_id, trace.op) == (TRACE_ID, SPAN_ID, "http.server")
    assert trace.status == "internal_error" and trace.description == "POST /api/checkout"
    assert ev.context("runtime") == {"name": "CPython", "version": "3.12.1"}
    assert ev.context("missing") is None
    assert ev.sdk is not None and ev.sdk.integrations == ["flask", "logging"]
    assert ev.sdk.packages is not None and ev.sdk.packages[0].name == "pypi:sentry-sdk"
    assert ev.modules == {"flask": "3.1.0", "sentry-sdk": "2.75.0"}
    assert ev.fingerprint == ["{{ default }}", "payments"]
    assert ev.transaction_info is not None and ev.transaction_info.source == "route"
    assert ev.message_text is None and ev.message_template is None


def test_js_error_event() -> None:
    ev = event(JS_ERROR)
    (exc,) = ev.exceptions
    assert exc.frames[-1].in_app is True and exc.frames[-1].colno == 30
    assert exc.mechanism is not None and exc.mechanism.handled is False
    assert [b.category for b in ev.breadcrumb_list] == ["ui.click", "fetch"]
    assert ev.breadcrumb_list[1].timestamp_seconds == 1732477061.2
    assert ev.timestamp_seconds == 1732477061.819
    assert ev.tags_dict == {"feature": "cart", "beta": "true", "build": "42", "ratio": "0.5"}
    assert ev.user is not None and ev.user.id == 42
    assert ev.request is not None and ev.request.headers_dict["User-Agent"] == "Mozilla/5.0"
    assert ev.sdk is not None and ev.sdk.name == "sentry.javascript.react"


# -- Shape variants ------------------------------------------------------------------------

ONE_EXC = {"type": "ValueError", "value": "bad"}


@pytest.mark.parametrize(
    ("exception", "types"),
    [
        ({"values": [ONE_EXC, {"type": "KeyError"}]}, ["ValueError", "KeyError"]),
        ([ONE_EXC, {"type": "KeyError"}], ["ValueError", "KeyError"]),
        (ONE_EXC, ["ValueError"]),  # a bare object is one value
        ({}, []),
        ({"values": []}, []),
        ({"values": None}, []),
        (None, []),
    ],
    ids=["values", "list", "bare", "empty", "empty-values", "null-values", "null"],
)
def test_exception_shapes(exception: Any, types: list[str]) -> None:
    excs = event({"exception": exception}).exceptions
    assert [e.type for e in excs] == types
    assert all(type(e) is ExceptionValue for e in excs)


@pytest.mark.parametrize(
    "breadcrumbs",
    [
        [{"message": "a"}, {"message": "b"}],
        {"values": [{"message": "a"}, {"message": "b"}]},
    ],
    ids=["js-list", "python-values"],
)
def test_breadcrumb_shapes(breadcrumbs: Any) -> None:
    assert [b.message for b in event({"breadcrumbs": breadcrumbs}).breadcrumb_list] == ["a", "b"]


def test_breadcrumb_bare_and_empty() -> None:
    assert [b.message for b in event({"breadcrumbs": {"message": "x"}}).breadcrumb_list] == ["x"]
    assert event({"breadcrumbs": {}}).breadcrumb_list == []
    assert event({}).breadcrumb_list == []


def test_threads_values_and_list() -> None:
    thread = {"id": 1, "name": "MainThread", "current": True, "stacktrace": {"frames": [{}]}}
    for threads in ({"values": [thread]}, [thread], thread):
        (t,) = event({"threads": threads}).thread_list
        assert t.name == "MainThread" and len(t.stacktrace.frames) == 1  # type: ignore[union-attr]


def test_exception_group_with_parent_ids() -> None:
    # sentry-python's shape for `raise ExceptionGroup("grp", [ValueError("a"), TypeError("b")])`.
    ev = event(
        {
            "exception": {
                "values": [
                    {
                        "type": "TypeError",
                        "value": "b",
                        "mechanism": {
                            "type": "chained",
                            "handled": True,
                            "exception_id": 2,
                            "parent_id": 0,
                            "source": "exceptions[1]",
                        },
                    },
                    {
                        "type": "ValueError",
                        "value": "a",
                        "mechanism": {
                            "type": "chained",
                            "exception_id": 1,
                            "parent_id": 0,
                            "source": "exceptions[0]",
                        },
                    },
                    {
                        "type": "ExceptionGroup",
                        "value": "grp (2 sub-exceptions)",
                        "mechanism": {
                            "type": "generic",
                            "exception_id": 0,
                            "is_exception_group": True,
                        },
                    },
                ]
            }
        }
    )
    mechanisms = [e.mechanism for e in ev.exceptions]
    assert all(m is not None for m in mechanisms)
    by_id = {m.exception_id: m for m in mechanisms if m}
    assert by_id[0].is_exception_group is True and by_id[0].parent_id is None
    assert {by_id[1].parent_id, by_id[2].parent_id} == {0}
    assert by_id[2].source == "exceptions[1]"


def test_tags_as_pairs() -> None:
    ev = event({"tags": [["browser", "Firefox"], ["level", 3], ["flag", False], ["gone", None]]})
    assert ev.tags_dict == {"browser": "Firefox", "level": "3", "flag": "false"}


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("headers", {"Accept": "*/*"}, {"Accept": "*/*"}),
        ("headers", [["Accept", "*/*"], ["X-Empty", None]], {"Accept": "*/*"}),
        ("headers", "Accept: */*\r\nHost: a\r\n", {"Accept": "*/*", "Host": "a"}),
        ("headers", {"Set-Cookie": ["a=1", "b=2"]}, {"Set-Cookie": "a=1, b=2"}),
        ("cookies", "a=1; b=x=y", {"a": "1", "b": "x=y"}),
        ("cookies", [["a", "1"]], {"a": "1"}),
    ],
)
def test_request_pair_lists(field: str, value: Any, expected: dict[str, str]) -> None:
    request = event({"request": {field: value}}).request
    assert request is not None
    assert getattr(request, f"{field}_dict") == expected


@pytest.mark.parametrize(
    "query", ["?a=1&b=2", "a=1&b=2", {"a": "1", "b": 2}, [["a", "1"], ["b", "2"]]]
)
def test_request_query_string_shapes(query: Any) -> None:
    request = event({"request": {"query_string": query}}).request
    assert request is not None and request.query_pairs == [("a", "1"), ("b", "2")]


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        (1732477061.819, 1732477061.819),
        (1732477061, 1732477061.0),
        ("2024-11-24T19:37:41.819Z", 1732477061.819),
        ("2024-11-24T19:37:41.819", 1732477061.819),  # no zone: UTC
        ("2024-11-24T20:37:41.819+01:00", 1732477061.819),
        ("2024-11-24T19:37:41.819000123Z", 1732477061.819),  # nanoseconds (java)
        ("1732477061.819", 1732477061.819),
        ("yesterday", None),
        (None, None),
    ],
)
def test_timestamps(timestamp: Any, expected: float | None) -> None:
    assert event({"timestamp": timestamp}).timestamp_seconds == pytest.approx(expected)
    assert epoch_seconds(timestamp) == pytest.approx(expected)


def test_epoch_seconds_rejects_non_finite_and_bool() -> None:
    assert epoch_seconds("nan") is None
    assert epoch_seconds("inf") is None
    assert epoch_seconds(True) is None


@pytest.mark.parametrize(
    ("payload", "text", "template"),
    [
        ({"message": "plain"}, "plain", "plain"),  # python capture_message, JS captureMessage
        ({"logentry": "plain"}, "plain", "plain"),
        (  # python logging integration
            {"logentry": {"message": "user %s failed", "params": ["ada"], "formatted": "user ada"}},
            "user ada",
            "user %s failed",
        ),
        (  # JS: params without formatted
            {"logentry": {"message": "user %s failed %d times", "params": ["ada", 3]}},
            "user ada failed 3 times",
            "user %s failed %d times",
        ),
        (
            {"logentry": {"message": "%(who)s left", "params": {"who": "ada"}}},
            "ada left",
            "%(who)s left",
        ),
        ({"logentry": {"message": "100% %s", "params": ["x", "y"]}}, "100% %s", "100% %s"),
        ({"message": {"message": "legacy %s", "params": ["obj"]}}, "legacy obj", "legacy %s"),
        ({"logentry": {"formatted": "only formatted"}}, "only formatted", "only formatted"),
        ({"logentry": {"message": "wins"}, "message": "loses"}, "wins", "wins"),
        ({"logentry": None, "message": None}, None, None),
    ],
)
def test_message_shapes(payload: dict[str, Any], text: str | None, template: str | None) -> None:
    ev = event(payload)
    assert (ev.message_text, ev.message_template) == (text, template)


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("error", "error"),
        ("WARNING", "warning"),
        ("warn", "warning"),
        ("critical", "fatal"),
        ("log", "info"),
        (50, "fatal"),
        (40, "error"),
        (30, "warning"),
        (20, "info"),
        (10, "debug"),
        (None, "error"),
    ],
)
def test_levels(level: Any, expected: str) -> None:
    assert event({"level": level}).level_name == expected


def test_normalize_level_missing() -> None:
    assert normalize_level(None) is None
    assert normalize_level("") is None


def test_nulls_everywhere() -> None:
    fields = dict.fromkeys(Event.__struct_encode_fields__)
    ev = event(fields)
    assert ev.exceptions == [] and ev.breadcrumb_list == [] and ev.thread_list == []
    assert ev.tags_dict == {} and ev.trace_context is None and ev.timestamp_seconds is None
    nested = event(
        {
            "exception": {"values": [{"type": None, "stacktrace": {"frames": None}}]},
            "contexts": {"trace": None, "os": None},
            "request": {"headers": None, "cookies": None, "query_string": None},
            "user": {"id": None, "geo": None},
            "sdk": {"integrations": None, "packages": None},
        }
    )
    assert nested.exceptions[0].frames == []
    assert nested.trace_context is None and nested.context("os") is None
    assert nested.request is not None and nested.request.headers_dict == {}


def test_unknown_fields_are_ignored() -> None:
    ev = event({"event_id": "ab", "future_field": {"x": [1, 2]}, "exception": {"values": []}})
    assert ev.event_id == "ab"


def test_wrong_trace_context_shape_is_none_not_an_error() -> None:
    assert event({"contexts": {"trace": {"trace_id": 5}}}).trace_context is None


# -- Other item types ----------------------------------------------------------------------


def test_transaction_with_spans() -> None:
    tx = decode_item(
        item(
            "transaction",
            {
                "type": "transaction",
                "transaction": "GET /cart",
                "transaction_info": {"source": "route"},
                "start_timestamp": "2024-11-24T19:37:41.000000Z",
                "timestamp": "2024-11-24T19:37:41.250000Z",
                "contexts": {"trace": {"trace_id": TRACE_ID, "span_id": SPAN_ID, "op": "http"}},
                "spans": [
                    {
                        "span_id": "aaaaaaaaaaaaaaaa",
                        "parent_span_id": SPAN_ID,
                        "trace_id": TRACE_ID,
                        "op": "db",
                        "description": "SELECT 1",
                        "start_timestamp": 1732477061.1,
                        "timestamp": 1732477061.15,
                        "status": "ok",
                        "tags": {"db.system": "sqlite"},
                        "data": {"db.rows": 1},
                        "origin": "auto.db",
                    }
                ],
                "measurements": {"lcp": {"value": 1234.5, "unit": "millisecond"}},
            },
        )
    )
    assert isinstance(tx, Transaction) and tx.is_transaction
    assert tx.level_name == "info"
    assert tx.duration == pytest.approx(0.25)
    (span,) = tx.span_list
    assert span.duration == pytest.approx(0.05, abs=1e-6)
    assert span.tags_dict == {"db.system": "sqlite"} and span.origin == "auto.db"
    assert tx.measurements is not None and tx.measurements["lcp"].unit == "millisecond"
    assert tx.trace_context is not None and tx.trace_context.op == "http"


SPAN_V2 = {
    "trace_id": TRACE_ID,
    "span_id": SPAN_ID,
    "parent_span_id": None,
    "name": "GET /cart",
    "status": "ok",
    "is_segment": True,
    "start_timestamp": 1732477061.0,
    "end_timestamp": 1732477061.5,
    "attributes": {
        "sentry.op": {"value": "http.server", "type": "string"},
        "http.response.status_code": {"value": 200, "type": "integer"},
        "duration": {"value": 12.5, "type": "double", "unit": "millisecond"},
    },
    "links": [{"trace_id": TRACE_ID, "span_id": "bbbbbbbbbbbbbbbb", "sampled": True}],
}


@pytest.mark.parametrize(
    "headers",
    [{"content_type": "application/vnd.sentry.items.span.v2+json", "item_count": 1}, {}],
    ids=["content-type", "items-key"],
)
def test_span_v2_container(headers: dict[str, Any]) -> None:
    container = decode_item(item("span", {"version": 2, "items": [SPAN_V2]}, **headers))
    assert isinstance(container, SpanContainer)
    (span,) = container.spans
    assert span.op == "http.server" and span.is_segment and span.duration == 0.5
    assert span.attrs["http.response.status_code"] == 200
    assert span.links is not None and span.links[0].sampled is True


def test_span_v1_standalone() -> None:
    span = decode_item(
        item(
            "span",
            {
                "span_id": SPAN_ID,
                "trace_id": TRACE_ID,
                "segment_id": SPAN_ID,
                "is_segment": True,
                "op": "ui.webvital.lcp",
                "description": "body > img",
                "start_timestamp": 1732477061.0,
                "timestamp": 1732477061.0,
                "exclusive_time": 0,
                "measurements": {"lcp": {"value": 830, "unit": "millisecond"}},
            },
        )
    )
    assert isinstance(span, Span)
    assert span.op == "ui.webvital.lcp" and span.duration == 0.0


def test_log_container() -> None:
    logs = decode_item(
        item(
            "log",
            {
                "version": 2,
                "items": [
                    {
                        "timestamp": 1732477061.5,
                        "trace_id": TRACE_ID,
                        "level": "warn",
                        "body": "Order ord-1 needs a fraud check",
                        "severity_number": 13,
                        "attributes": {
                            "sentry.message.template": {
                                "value": "Order %s needs a fraud check",
                                "type": "string",
                            },
                            "score": {"value": 0.87, "type": "double"},
                            "tags": {"value": ["a", "b"], "type": "array"},
                        },
                    },
                    {"timestamp": 1732477062, "level": "error", "body": "timeout"},
                ],
            },
            content_type="application/vnd.sentry.items.log+json",
            item_count=2,
        )
    )
    assert isinstance(logs, LogContainer)
    assert [(log.level, log.body) for log in logs.logs] == [
        ("warn", "Order ord-1 needs a fraud check"),
        ("error", "timeout"),
    ]
    first = logs.logs[0]
    assert first.attrs == {
        "sentry.message.template": "Order %s needs a fraud check",
        "score": 0.87,
        "tags": ["a", "b"],
    }
    assert logs.logs[1].attrs == {}


def test_attribute_values_accepts_plain_values() -> None:
    assert attribute_values(None) == {}
    logs = decode_item(item("log", {"items": [{"attributes": {"a": 1, "b": {"value": "x"}}}]}))
    assert isinstance(logs, LogContainer)
    assert logs.logs[0].attrs == {"a": 1, "b": "x"}


def test_trace_metric_container() -> None:
    metrics = decode_item(
        item(
            "trace_metric",
            {
                "items": [
                    {
                        "timestamp": 1732477061.5,
                        "trace_id": TRACE_ID,
                        "span_id": SPAN_ID,
                        "name": "checkout.duration",
                        "type": "distribution",
                        "value": 182.5,
                        "unit": "millisecond",
                        "attributes": {"route": {"value": "/cart", "type": "string"}},
                    },
                    {"name": "checkout.completed", "type": "counter", "value": 1},
                ]
            },
        )
    )
    assert isinstance(metrics, TraceMetricContainer)
    duration, count = metrics.metrics
    assert (duration.type, duration.value, duration.unit) == ("distribution", 182.5, "millisecond")
    assert duration.attrs == {"route": "/cart"}
    assert count.value == 1.0


def test_session_and_sessions() -> None:
    session = decode_item(
        item(
            "session",
            {
                "sid": "e9d48d3c-6acb-48e9-9bd8-d6bb83a003d5",
                "did": 42,  # JS sends the user id as it is, maybe a number
                "init": True,
                "started": "2024-11-24T19:37:41.000Z",
                "timestamp": "2024-11-24T19:37:42.000Z",
                "duration": 1.0,
                "status": "crashed",
                "errors": 1,
                "attrs": {"release": "shop@1.0.0", "environment": "production"},
            },
        )
    )
    assert isinstance(session, Session)
    assert session.status == "crashed" and session.did == 42
    assert session.attrs is not None and session.attrs.release == "shop@1.0.0"
    assert session.started_seconds == 1732477061.0
    aggregates = decode_item(
        item(
            "sessions",
            {
                "aggregates": [
                    {"started": "2024-11-24T19:37:00.000000Z", "exited": 3, "errored": 1}
                ],
                "attrs": {"release": "demo@1.2.3"},
            },
        )
    )
    assert isinstance(aggregates, SessionAggregates)
    assert aggregates.aggregates is not None and aggregates.aggregates[0].exited == 3


@pytest.mark.parametrize("timestamp", [1732477061, "2024-11-24T19:37:41Z"])
def test_client_report(timestamp: Any) -> None:
    report = decode_item(
        item(
            "client_report",
            {
                "timestamp": timestamp,
                "discarded_events": [
                    {"reason": "sample_rate", "category": "transaction", "quantity": 4},
                    {"reason": "ratelimit_backoff", "category": "error", "quantity": 1},
                ],
            },
        )
    )
    assert isinstance(report, ClientReport)
    assert [(d.reason, d.quantity) for d in report.discarded] == [
        ("sample_rate", 4),
        ("ratelimit_backoff", 1),
    ]
    assert report.timestamp_seconds == 1732477061.0


def test_check_in() -> None:
    check_in = decode_item(
        item(
            "check_in",
            {
                "check_in_id": "4e4602ddd12747f38876b31ccbf25d1a",
                "monitor_slug": "nightly-report",
                "status": "ok",
                "duration": 0.05,
                "release": "demo@1.2.3",
                "environment": "development",
                "monitor_config": {
                    "schedule": {"type": "interval", "value": 2, "unit": "hour"},
                    "checkin_margin": 5,
                    "max_runtime": 30,
                    "timezone": "Europe/Vienna",
                },
                "contexts": {"trace": {"trace_id": TRACE_ID, "span_id": SPAN_ID}},
            },
        )
    )
    assert isinstance(check_in, CheckIn)
    assert check_in.status == "ok" and check_in.duration == 0.05
    config = check_in.monitor_config
    assert config is not None and config.schedule is not None
    assert (config.schedule.type, config.schedule.value, config.schedule.unit) == (
        "interval",
        2,
        "hour",
    )
    assert check_in.trace_context is not None and check_in.trace_context.trace_id == TRACE_ID


def test_feedback_and_user_report() -> None:
    feedback = decode_item(
        item(
            "feedback",
            {
                "event_id": "9ec79c33ec9942ab8353589fcb2e04dc",
                "timestamp": 1732477061.5,
                "platform": "javascript",
                "type": "feedback",
                "contexts": {
                    "feedback": {
                        "message": "The pay button does nothing",
                        "contact_email": "ada@example.com",
                        "name": "Ada",
                        "url": "http://localhost:5173/cart",
                        "associated_event_id": "f2a1e8a0a1b34c8e9b7d6c5b4a392817",
                    },
                    "trace": {"trace_id": TRACE_ID, "span_id": SPAN_ID},
                },
            },
        )
    )
    assert isinstance(feedback, Feedback)
    assert feedback.feedback is not None
    assert feedback.feedback.message == "The pay button does nothing"
    assert feedback.feedback.associated_event_id == "f2a1e8a0a1b34c8e9b7d6c5b4a392817"
    report = decode_item(
        item("user_report", {"event_id": "ab", "email": "a@b.c", "name": "A", "comments": "hm"})
    )
    assert report == UserReport(event_id="ab", email="a@b.c", name="A", comments="hm")


def test_replay_event() -> None:
    replay = decode_item(
        item(
            "replay_event",
            {
                "type": "replay_event",
                "replay_id": "d2132d31b39445f1938d7e21b6bf0ec4",
                "event_id": "d2132d31b39445f1938d7e21b6bf0ec4",
                "replay_type": "session",
                "segment_id": 0,
                "replay_start_timestamp": 1732477060.0,
                "timestamp": 1732477061.0,
                "urls": ["http://localhost:5173/"],
                "trace_ids": [TRACE_ID],
                "error_ids": [],
                "platform": "javascript",
            },
        )
    )
    assert isinstance(replay, ReplayEvent)
    assert replay.segment_id == 0 and replay.urls == ["http://localhost:5173/"]
    assert replay.replay_start_timestamp_seconds == 1732477060.0


PROFILE_TABLES = {
    "samples": [
        {"stack_id": 0, "thread_id": "1", "elapsed_since_start_ns": "0"},
        {"stack_id": 1, "thread_id": "1", "elapsed_since_start_ns": "10000"},
        {"stack_id": 1, "thread_id": "2", "elapsed_since_start_ns": "20000"},
    ],
    "stacks": [[0], [1, 0]],
    "frames": [{"function": "main", "in_app": True}, {"function": "work"}],
    "thread_metadata": {"1": {"name": "MainThread"}, "2": {"name": "worker"}},
}


def test_profile_v1_summary() -> None:
    tx = {"id": "a" * 32, "name": "tx", "trace_id": TRACE_ID, "active_thread_id": "1"}
    for shape in ({"transaction": tx}, {"transactions": [tx]}):  # spec vs sentry-python
        profile = decode_item(
            item(
                "profile",
                {"version": "1", "platform": "python", "event_id": "b" * 32, "release": "r"}
                | shape
                | {"profile": PROFILE_TABLES},
            )
        )
        assert isinstance(profile, Profile)
        assert (profile.sample_count, profile.stack_count) == (3, 2)
        assert (profile.frame_count, profile.thread_count) == (2, 2)
        assert profile.profiled_transaction is not None
        assert profile.profiled_transaction.trace_id == TRACE_ID


def test_profile_chunk_summary() -> None:
    chunk = decode_item(
        item(
            "profile_chunk",
            {
                "version": "2",
                "profiler_id": "c" * 32,
                "chunk_id": "d" * 32,
                "platform": "python",
                "environment": "dev",
                "client_sdk": {"name": "sentry.python", "version": "2.75.0"},
                "profile": PROFILE_TABLES,
            },
            platform="python",
        )
    )
    assert isinstance(chunk, ProfileChunk)
    assert chunk.sample_count == 3 and chunk.chunk_id == "d" * 32
    assert chunk.client_sdk is not None and chunk.client_sdk.name == "sentry.python"
    empty = decode_item(item("profile_chunk", {"version": "2", "profile": None}))
    assert isinstance(empty, ProfileChunk) and empty.sample_count == empty.thread_count == 0


# -- Attachments, dispatch, errors, categories ---------------------------------------------


def test_attachment_info_from_header() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00"
    info = attachment_info(
        item(
            "attachment",
            png,
            filename="screenshot.png",
            content_type="image/png",
            attachment_type="event.attachment",
        )
    )
    assert info == Attachment(
        filename="screenshot.png",
        content_type="image/png",
        attachment_type="event.attachment",
        size=len(png),
    )
    placeholder = item(
        "attachment",
        {"location": "/api/1/upload/abc/", "content_type": "video/mp4"},
        content_type="application/vnd.sentry.attachment-ref+json",
        attachment_length=123456,
        filename="big.mp4",
    )
    assert attachment_info(placeholder).size == 123456


@pytest.mark.parametrize(
    "item_type",
    ["attachment", "replay_recording", "replay_video", "statsd", "raw_security", "nonsense"],
)
def test_no_model_for_binary_or_unknown_items(item_type: str) -> None:
    assert decode_item(item(item_type, b"\x00\x01 not json {")) is None


@pytest.mark.parametrize(
    ("item_type", "cls"),
    [
        ("event", Event),
        ("transaction", Transaction),
        ("feedback", Feedback),
        ("replay_event", ReplayEvent),
        ("user_report", UserReport),
        ("session", Session),
        ("sessions", SessionAggregates),
        ("client_report", ClientReport),
        ("check_in", CheckIn),
        ("profile", Profile),
        ("profile_chunk", ProfileChunk),
        ("log", LogContainer),
        ("trace_metric", TraceMetricContainer),
        ("span", Span),
    ],
)
def test_decode_item_dispatch(item_type: str, cls: type) -> None:
    assert type(decode_item(item(item_type, {}))) is cls


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b'{"exception": ', "invalid JSON"),
        (b"", "invalid JSON"),
        (b'{"exception": 5}', "$.exception"),
        (b'{"exception": {"values": [{"stacktrace": {"frames": [{"lineno": "x"}]}}]}}', "lineno"),
        (b'{"tags": {"a": {"nested": 1}}}', "$.tags"),
        (b"[]", "Expected `object`"),
    ],
)
def test_model_error(payload: bytes, reason: str) -> None:
    with pytest.raises(ModelError) as info:
        decode_item(item("event", payload))
    assert isinstance(info.value, ValueError)
    assert info.value.item_type == "event"
    assert reason in str(info.value) and "'event'" in str(info.value)


def test_model_error_for_spans_and_containers() -> None:
    with pytest.raises(ModelError, match=r"'span' item: invalid JSON"):
        decode_item(item("span", b"{nope"))
    with pytest.raises(ModelError, match=r"\$\.items\[0\]\.level"):
        decode_item(item("log", {"items": [{"level": 3}]}))


@pytest.mark.parametrize(
    ("item_type", "category"),
    [
        ("event", "error"),
        ("transaction", "transaction"),
        ("attachment", "attachment"),
        ("session", "session"),
        ("sessions", "session"),
        ("log", "log_item"),
        ("feedback", "feedback"),
        ("user_report", "feedback"),
        ("profile", "profile"),
        ("profile_chunk", "profile_chunk"),
        ("replay_event", "replay"),
        ("replay_recording", "replay"),
        ("replay_video", "replay"),
        ("check_in", "monitor"),
        ("span", "span"),
        ("trace_metric", "trace_metric"),
        ("raw_security", "security"),
        ("client_report", "internal"),
        ("statsd", None),
        ("nonsense", None),
    ],
)
def test_category_for(item_type: str, category: str | None) -> None:
    assert category_for(item_type) == category


# -- Robustness: decoding raises only ModelError; accessors never raise ---------------------


def read_all_properties(obj: Any, depth: int = 0) -> None:
    """Evaluate every property of a model (and of the models it returns), recursively."""
    if depth > 6:
        return
    if isinstance(obj, list):
        for value in obj:
            read_all_properties(value, depth + 1)
        return
    if not isinstance(obj, msgspec.Struct):
        return
    for name in dir(type(obj)):
        if isinstance(getattr(type(obj), name, None), property):
            read_all_properties(getattr(obj, name), depth + 1)
    for name in obj.__struct_fields__:
        read_all_properties(getattr(obj, name), depth + 1)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(["2024-11-24T19:37:41Z", "values", "%s", "a=1; b"]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["values", "frames", "type", "value", "trace", "message", "params"]),
            children,
            max_size=3,
        )
    ),
    max_leaves=12,
)
ITEM_TYPES = sorted({"event", "transaction", "span", "log", "profile", "check_in", "session"})


@settings(max_examples=300, deadline=None)
@given(
    item_type=st.sampled_from(ITEM_TYPES),
    payload=st.dictionaries(
        st.sampled_from(sorted(set(Event.__struct_encode_fields__) | {"items", "spans"})),
        json_values,
        max_size=6,
    ),
)
def test_decode_raises_only_model_error(item_type: str, payload: dict[str, Any]) -> None:
    try:
        model = decode_item(item(item_type, payload))
    except ModelError:
        return
    read_all_properties(model)


# -- Real SDK fixtures ---------------------------------------------------------------------


def fixture_items(path: Path) -> list[Item]:
    return list(envelope.parse(path.read_bytes()).items)


FIXTURE_FILES = sorted(FIXTURES.glob("*/*.envelope"))


def test_the_recorded_fixtures_are_there() -> None:
    assert len(FIXTURE_FILES) >= 40, (
        "fixtures/ is missing: re-record with scripts/record_fixtures.py"
    )


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_fixture_item_decodes(path: Path) -> None:
    for it in fixture_items(path):
        model = decode_item(it)
        if it.type in ("attachment", "replay_recording", "replay_video"):
            assert model is None
            assert attachment_info(it).size == len(it.payload)
        else:
            assert model is not None, it.type
        read_all_properties(model)


def recorded(name: str) -> list[Any]:
    path = FIXTURES / name
    assert path.is_file(), f"{path} is missing: re-record with scripts/record_fixtures.py"
    return [decode_item(it) for it in fixture_items(path)]


def test_fixture_python_chained_exception() -> None:
    (ev,) = recorded("python/error_chained.envelope")
    assert isinstance(ev, Event)
    cause, raised = ev.exceptions
    assert (cause.type, raised.type) == ("ConnectionResetError", "PaymentError")
    in_app = [f for f in raised.frames if f.in_app]
    assert in_app and in_app[-1].context_line and in_app[-1].lineno
    assert ev.breadcrumb_list and all(b.timestamp_seconds for b in ev.breadcrumb_list)
    assert ev.timestamp_seconds and ev.trace_context and ev.trace_context.trace_id
    assert ev.level_name == "error" and ev.release == "demo@1.2.3"


def test_fixture_python_logging_message_keeps_template() -> None:
    (ev,) = recorded("python/message-2.envelope")
    assert isinstance(ev, Event)
    assert ev.message_text and ev.message_template and "%s" in ev.message_template
    assert ev.message_text != ev.message_template


def test_fixture_python_logs() -> None:
    path = FIXTURES / "python/logs.envelope"
    (logs,) = recorded("python/logs.envelope")
    assert isinstance(logs, LogContainer)
    (raw,) = fixture_items(path)
    assert len(logs.logs) == raw.header["item_count"] >= 2
    levels = {log.level for log in logs.logs}
    assert levels <= {"trace", "debug", "info", "warn", "error", "fatal"} and "error" in levels
    assert all(log.body and log.timestamp_seconds and log.attrs for log in logs.logs)


def test_fixture_python_transaction_and_profile() -> None:
    models = recorded("python/transaction_profile.envelope")
    (tx,) = [m for m in models if isinstance(m, Transaction)]
    (profile,) = [m for m in models if isinstance(m, Profile)]
    assert tx.span_list and all(s.duration is not None and s.duration >= 0 for s in tx.span_list)
    assert tx.duration and tx.trace_context and tx.trace_context.op
    assert profile.sample_count > 0 and profile.stack_count > 0 and profile.frame_count > 0
    assert profile.profiled_transaction is not None
    assert profile.profiled_transaction.id == tx.event_id
    assert profile.profiled_transaction.trace_id == tx.trace_context.trace_id


def test_fixture_python_streamed_spans_and_metrics() -> None:
    (spans,) = recorded("python/spans_stream.envelope")
    assert isinstance(spans, SpanContainer)
    assert any(s.is_segment for s in spans.spans) and all(s.duration for s in spans.spans)
    (metrics,) = recorded("python/metrics.envelope")
    assert isinstance(metrics, TraceMetricContainer)
    assert {"counter", "gauge", "distribution"} <= {m.type for m in metrics.metrics}


def test_fixture_python_sessions_and_check_in() -> None:
    session, aggregates = recorded("python/sessions-3.envelope")
    assert isinstance(session, Session) and isinstance(aggregates, SessionAggregates)
    assert session.attrs is not None and session.attrs.release == "demo@1.2.3"
    (check_in,) = recorded("python/checkin-2.envelope")
    assert isinstance(check_in, CheckIn) and check_in.status == "ok"
    assert check_in.monitor_config is not None and check_in.monitor_config.schedule is not None


def test_fixture_node_chained_error_js_shapes() -> None:
    (ev,) = recorded("node/error-1.envelope")
    assert isinstance(ev, Event) and ev.platform == "node"
    assert isinstance(ev.timestamp, float)  # JS: float seconds
    assert isinstance(ev.breadcrumbs, list) and ev.breadcrumb_list  # JS: a bare list
    assert all(isinstance(b.timestamp_seconds, float) for b in ev.breadcrumb_list)
    cause, raised = ev.exceptions
    assert raised.type == "PaymentError"
    assert cause.mechanism is not None and raised.mechanism is not None
    assert (cause.mechanism.parent_id, cause.mechanism.source) == (
        raised.mechanism.exception_id,
        "cause",
    )
    crash = raised.frames[-1]
    assert crash.in_app and crash.context_line and crash.colno


def test_fixture_node_feedback_points_at_its_error() -> None:
    (error,) = recorded("node/feedback-1.envelope")
    (feedback,) = recorded("node/feedback-2.envelope")
    assert isinstance(error, Event) and isinstance(feedback, Feedback)
    assert feedback.feedback is not None and feedback.feedback.message
    assert feedback.feedback.associated_event_id == error.event_id


def test_fixture_node_logs_spans_and_reports() -> None:
    (logs,) = recorded("node/logs-1.envelope")
    assert isinstance(logs, LogContainer) and "error" in {log.level for log in logs.logs}
    (spans,) = recorded("node/spans-1.envelope")
    assert isinstance(spans, SpanContainer)
    assert any(s.is_segment for s in spans.spans) and all(s.op for s in spans.spans)
    (aggregates,) = recorded("node/sessions-2.envelope")
    assert isinstance(aggregates, SessionAggregates) and aggregates.aggregates
    (report,) = recorded("node/sessions-3.envelope")
    assert isinstance(report, ClientReport) and report.discarded
    assert all(d.reason and d.category and d.quantity for d in report.discarded)


def test_timestamp_strings_match_datetime() -> None:
    # Guard the helper against the stdlib: python's SDK writes `datetime.isoformat() + "Z"`.
    now = dt.datetime(2026, 11, 24, 19, 37, 41, 819245, tzinfo=dt.UTC)
    text = now.replace(tzinfo=None).isoformat() + "Z"
    assert epoch_seconds(text) == now.timestamp()


def test_a_hostile_message_template_cannot_allocate_gigabytes() -> None:
    """`%999999999s` would make Python's `%` build a gigabyte string: the template stays."""
    entry = LogEntry(message="%999999999s of %s", params=["a", "b"])
    assert entry.text == "%999999999s of %s"
    assert LogEntry(message="%s of %d", params=["a", 3]).text == "a of 3"
    assert LogEntry(message="{user} paid {0}", params={"user": "ada", "0": 5}).text == "ada paid 5"
