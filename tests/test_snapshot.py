"""`devsentry.snapshot`: what normalization replaces (volatile) and what it keeps (the app's)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from devsentry.fixtures.snapshot import SnapshotMismatch, check, dumps, normalize

TRACE = "fcd7ba1019424135939554a3f561ebda"
SPAN = "a1b2c3d4e5f60718"


def test_ids_are_numbered_consistently_and_found_inside_strings() -> None:
    event = {
        "event_id": "eef82589-5810-46a8-878d-ee63dcacdd7f",
        "contexts": {"trace": {"trace_id": TRACE, "span_id": SPAN, "parent_span_id": None}},
        "spans": [{"trace_id": TRACE, "span_id": "0000000000000001", "parent_span_id": SPAN}],
        "request": {"headers": {"sentry-trace": f"{TRACE}-{SPAN}-1"}},
        "message": "retry of eef8258958104 6a8",  # not an id: kept
    }
    out = normalize(event)
    assert out["event_id"] == "<event_id:1>"
    assert out["contexts"]["trace"] == {
        "trace_id": "<trace_id:1>",
        "span_id": "<span_id:1>",
        "parent_span_id": None,
    }
    assert out["spans"][0] == {
        "trace_id": "<trace_id:1>",
        "span_id": "<span_id:2>",
        "parent_span_id": "<span_id:1>",
    }
    assert out["request"]["headers"]["sentry-trace"] == "<trace_id:1>-<span_id:1>-1"
    assert out["message"] == "retry of eef8258958104 6a8"


def test_times_versions_machine_and_addresses_are_replaced() -> None:
    site = next(p for p in sys.path if p.endswith("site-packages"))
    event = {
        "timestamp": 1_764_113_517.91,
        "start_timestamp": "2026-11-25T23:31:57.915552Z",
        "breadcrumbs": {"values": [{"timestamp": 1.5, "message": "at 2026-11-25 23:31:57"}]},
        "spans": [
            {"exclusive_time": 3.2, "data": {"thread.id": 1402, "thread.name": "Thread-7 (run)"}}
        ],
        "sdk": {
            "name": "sentry.python",
            "version": "2.75.0",
            "integrations": ["logging"],
            "packages": [{"name": "pypi:sentry-sdk", "version": "2.75.0"}],
        },
        "modules": {"pytest": "9.2.0"},
        "server_name": "build-host-17",
        "contexts": {"runtime": {"version": "3.12.1"}, "app": {"name": "shop"}},
        "extra": {"sys.argv": ["pytest", "-x"], "obj": "<Cart object at 0x7f3a2c1e5d90>"},
        "threads": {"values": [{"id": 140234, "name": "MainThread"}]},
        "exception": {
            "values": [
                {
                    "thread_id": 7,
                    "stacktrace": {
                        "frames": [
                            {"abs_path": f"{site}/flask/app.py", "lineno": 1511},
                            {"abs_path": "/home/ci/checkout/shop/cart.py", "lineno": 42},
                        ]
                    },
                }
            ]
        },
        "request": {
            "url": "http://127.0.0.1:53411/cart",
            "headers": {"User-Agent": "sentry.python/2.75.0"},
        },
        "logs": [{"attributes": {"sentry.sdk.version": {"type": "string", "value": "2.75.0"}}}],
    }
    out = normalize(event, {"/home/ci/checkout": "<rootdir>"})
    assert out["timestamp"] == out["start_timestamp"] == "<timestamp>"
    assert out["breadcrumbs"]["values"][0] == {
        "timestamp": "<timestamp>",
        "message": "at <datetime>",
    }
    assert out["spans"][0] == {
        "exclusive_time": "<duration>",
        "data": {"thread.id": "<thread_id>", "thread.name": "Thread-<n> (run)"},
    }
    assert out["sdk"] == {
        "name": "sentry.python",
        "version": "<version>",
        "integrations": "<integrations>",
        "packages": [{"name": "pypi:sentry-sdk", "version": "<version>"}],
    }
    assert (out["modules"], out["server_name"]) == ("<modules>", "<server_name>")
    assert out["contexts"] == {"runtime": "<runtime>", "app": {"name": "shop"}}
    assert out["extra"] == {"sys.argv": "<argv>", "obj": "<Cart object at 0x<address>>"}
    assert out["threads"]["values"][0] == {"id": "<thread_id>", "name": "MainThread"}
    exception = out["exception"]["values"][0]
    assert exception["thread_id"] == "<thread_id>"
    assert exception["stacktrace"]["frames"] == [
        {"abs_path": "<site-packages>/flask/app.py", "lineno": 1511},  # line numbers are kept
        {"abs_path": "<rootdir>/shop/cart.py", "lineno": 42},
    ]
    assert out["request"] == {
        "url": "http://127.0.0.1:<port>/cart",
        "headers": {"User-Agent": "sentry.python/<version>"},
    }
    assert out["logs"][0]["attributes"]["sentry.sdk.version"] == {
        "type": "string",
        "value": "<version>",
    }


def test_check_writes_compares_and_updates(tmp_path: Path) -> None:
    golden = tmp_path / "snaps" / "test_x.json"
    with pytest.raises(SnapshotMismatch, match="did not exist: it has been written"):
        check(golden, {"a": 1, "b": [1, 2]})
    assert golden.read_text() == dumps({"b": [1, 2], "a": 1})
    check(golden, {"b": [1, 2], "a": 1})
    with pytest.raises(SnapshotMismatch) as caught:
        check(golden, {"a": 2, "b": [1, 2]}, hint="try harder")
    assert '-  "a": 1,\n+  "a": 2,' in str(caught.value)
    assert str(caught.value).endswith("\ntry harder")
    check(golden, {"a": 2}, update=True)
    check(golden, {"a": 2})
