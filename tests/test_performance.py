"""The performance detectors and timing rows of `process/performance.py`, on transactions
shaped as sentry-sdk sends them (the end-to-end tests with real SDKs are in test_traces.py)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from devsentry.model import SpanContainer, Transaction
from devsentry.process.performance import (
    CONSECUTIVE_HTTP,
    N_PLUS_ONE,
    SLOW_DB,
    container_timing,
    detect,
    detect_segment,
    grade_vital,
    normalize_statement,
    timing,
)

ROOT = "a" * 16


def span(
    i: int, op: str, description: str, start: float, ms: float, parent: str = ROOT
) -> dict[str, Any]:
    return {
        "span_id": f"{i:016x}",
        "parent_span_id": parent,
        "op": op,
        "description": description,
        "start_timestamp": 1000.0 + start / 1000,
        "timestamp": 1000.0 + (start + ms) / 1000,
    }


def transaction(spans: list[dict[str, Any]], **extra: Any) -> Transaction:
    data = {
        "type": "transaction",
        "transaction": "/authors",
        "start_timestamp": 1000.0,
        "timestamp": 1000.5,
        "contexts": {
            "trace": {"trace_id": "b" * 32, "span_id": ROOT, "op": "http.server", "status": "ok"}
        },
        "spans": spans,
        **extra,
    }
    return msgspec.json.decode(msgspec.json.encode(data), type=Transaction)


def n_plus_one(repeats: int, author_ids: list[int] | None = None) -> Transaction:
    spans = [span(1, "db", "SELECT authors.id FROM authors", 0, 0.1)]
    for n in range(repeats):
        author = (author_ids or list(range(repeats)))[n]
        spans.append(
            span(n + 2, "db", f"SELECT * FROM books WHERE author_id = {author}", 1 + n, 0.02)
        )
    return transaction(spans)


def test_five_repeats_of_one_statement_are_an_n_plus_one_whatever_they_cost() -> None:
    [problem] = detect(n_plus_one(5))
    assert problem.type == N_PLUS_ONE and problem.count == 5
    assert problem.statement == "SELECT * FROM books WHERE author_id = 0"
    assert problem.parent_op == "http.server" and problem.parent == "/authors"
    assert problem.duration_ms == pytest.approx(0.1)  # microseconds each: no time floor locally
    assert len(problem.span_ids) == 5


def test_four_repeats_are_not_and_the_fingerprint_ignores_the_values() -> None:
    assert detect(n_plus_one(4)) == []
    first = detect(n_plus_one(6))[0].fingerprint
    assert detect(n_plus_one(6, [7, 8, 9, 10, 11, 12]))[0].fingerprint == first
    assert first.startswith(f"1-{N_PLUS_ONE}-")


def test_another_kind_of_span_breaks_the_run() -> None:
    spans = [span(1, "db", "SELECT authors.id FROM authors", 0, 0.1)]
    for n in range(6):
        spans.append(span(n + 2, "db", "SELECT * FROM books WHERE id = ?", 1 + n * 2, 0.02))
        spans.append(span(n + 20, "http.client", "GET http://x/y", 2 + n * 2, 0.1))
    assert [p.type for p in detect(transaction(spans))] == []


def test_slow_select_over_the_local_threshold() -> None:
    tx = transaction(
        [span(1, "db", "SELECT * FROM big", 0, 150), span(2, "db", "SELECT 1", 200, 5)]
    )
    [problem] = detect(tx)
    assert problem.type == SLOW_DB and problem.statement == "SELECT * FROM big"
    assert detect(transaction([span(1, "db", "UPDATE big SET x = 1", 0, 150)])) == []


def test_sequential_http_calls_that_could_run_in_parallel() -> None:
    calls = [
        span(i, "http.client", f"GET http://127.0.0.1:8001/balance/{i}", i * 70, 60)
        for i in range(3)
    ]
    [problem] = detect(transaction(calls))
    assert problem.type == CONSECUTIVE_HTTP and problem.count == 3
    overlapping = [span(i, "http.client", "GET http://x/a", i * 10, 50) for i in range(3)]
    assert detect(transaction(overlapping)) == []  # they already run in parallel


def test_statement_normalization() -> None:
    assert normalize_statement(
        "SELECT * FROM t WHERE a = 'x''y' AND b IN (1, 2,3)\n  AND c = ?"
    ) == ("SELECT * FROM t WHERE a = %s AND b IN (%s) AND c = %s")
    assert (
        normalize_statement("select t1.id from t1 where id = :id")
        == "select t1.id from t1 where id = %s"
    )


def test_timing_row_with_op_times_merged_per_op_and_vitals() -> None:
    tx = transaction(
        [
            span(1, "db", "SELECT 1", 0, 10),
            span(2, "db", "SELECT 2", 5, 10),
            span(3, "http.client", "GET /", 30, 20),
        ],
        measurements={"lcp": {"value": 2600, "unit": "millisecond"}, "fp": {"value": 1}},
    )
    row = timing(tx)
    assert row is not None
    assert row.name == "/authors" and row.op == "http.server" and row.status == "ok"
    assert row.duration_ms == pytest.approx(500)
    assert dict(row.ops) == pytest.approx({"db": 15.0, "http.client": 20.0})  # overlap once
    assert row.vitals == {"lcp": 2600.0}
    assert grade_vital("lcp", 2600) == "meh" and grade_vital("cls", 0.3) == "poor"
    assert grade_vital("inp", 120) == "good"


def test_a_streamed_pageload_segment_is_a_row_named_by_its_url_and_late_vitals_join_it() -> None:
    def v2(span_id: str, name: str, attrs: dict[str, Any], segment: bool = False) -> dict[str, Any]:
        return {
            "trace_id": "c" * 32,
            "span_id": span_id,
            "parent_span_id": None if segment else "1" * 16,
            "name": name,
            "is_segment": segment,
            "status": "ok",
            "start_timestamp": 1000.0,
            "end_timestamp": 1000.2,
            "attributes": {k: {"type": "double", "value": v} for k, v in attrs.items()},
        }

    page = {
        "items": [
            v2(
                "1" * 16,
                "Pageload",
                {"sentry.op": "pageload", "browser.web_vital.fcp.value": 80.0},
                True,
            ),
            v2(
                "2" * 16,
                "LCP",
                {"sentry.op": "ui.webvital.lcp", "browser.web_vital.lcp.value": 90.0},
            ),
        ]
    }
    page["items"][0]["attributes"]["sentry.segment.name.source"] = {
        "type": "string",
        "value": "url",
    }
    page["items"][0]["attributes"]["url.path"] = {"type": "string", "value": "/index.html"}
    row = container_timing(msgspec.convert(page, SpanContainer))
    assert row is not None and row.name == "/index.html" and row.op == "pageload"
    assert row.vitals == {"fcp": 80.0, "lcp": 90.0} and row.spans == 1
    later = v2("3" * 16, "Click", {"browser.web_vital.inp.value": 16.0})
    later["attributes"]["sentry.segment.id"] = {"type": "string", "value": "1" * 16}
    update = container_timing(msgspec.convert({"items": [later]}, SpanContainer))
    assert update is not None and update.name == "" and update.span_id == "1" * 16
    assert update.vitals == {"inp": 16.0}


def test_streamed_spans_of_a_segment_go_through_the_same_detectors() -> None:
    def v2(i: int, op: str, attrs: dict[str, Any], segment: bool = False) -> dict[str, Any]:
        return {
            "trace_id": "e" * 32,
            "span_id": f"{i:016x}",
            "parent_span_id": None if segment else f"{0:016x}",
            "name": "GET /authors" if segment else "query",
            "is_segment": segment,
            "start_timestamp": 1000.0 + i / 1000,
            "end_timestamp": 1000.0 + i / 1000 + 0.0002,
            "attributes": {"sentry.op": {"type": "string", "value": op}}
            | {k: {"type": "string", "value": v} for k, v in attrs.items()},
        }

    items = [
        v2(0, "http.server", {}, True),
        v2(1, "db", {"db.query.text": "SELECT * FROM authors"}),
    ]
    items += [
        v2(i, "db", {"db.query.text": f"SELECT * FROM books WHERE author_id = {i}"})
        for i in range(2, 9)
    ]
    [problem] = detect_segment(msgspec.convert({"items": items}, SpanContainer))
    assert problem.type == N_PLUS_ONE and problem.count == 7
    assert problem.parent_op == "http.server" and problem.parent == "GET /authors"
