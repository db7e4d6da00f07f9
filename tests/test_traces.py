"""Traces and performance end to end with the real sentry-sdk: two FastAPI services under
uvicorn (one calls the other with trace propagation, the second fails), an N+1 loop through
SQLAlchemy over SQLite, consecutive HTTP calls; checked through `trace`, `traces`, `perf`,
`issues` and `show` as a user runs them (`tests/apps/services.py` is the app)."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from click.testing import CliRunner

from devsentry.cli import cli
from devsentry.testing.plugin import DevSentry
from devsentry.testing.server import wait_until
from tests.conftest import devsentry_json
from tests.sdk_apps import Browser, ServedApp, start_fastapi


@contextmanager
def services(devsentry: DevSentry) -> Iterator[tuple[ServedApp, ServedApp]]:
    """payments (project 2) and the api (project 1) that calls it."""
    with start_fastapi(
        devsentry.dsn_for(2), app="services:app", env=_env(SHOP_ROLE="payments")
    ) as payments:
        env = _env(SHOP_ROLE="api", PAYMENTS_URL=payments.url)
        with start_fastapi(devsentry.dsn_for(1), app="services:app", env=env) as api:
            yield api, payments


def _env(**extra: str) -> dict[str, str]:
    from tests.sdk_apps import clean_env

    return clean_env(**extra)


def transactions(devsentry: DevSentry) -> list[dict[str, Any]]:
    devsentry.settle()
    found: list[dict[str, Any]] = devsentry_json(devsentry, "events", "--type", "transaction")
    return found


def text(devsentry: DevSentry, *args: str) -> str:
    result = CliRunner().invoke(
        cli,
        [*args, "--store", str(devsentry.store_path)],
        catch_exceptions=False,
        terminal_width=120,
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_a_trace_across_two_services_with_the_error_on_its_span(devsentry: DevSentry) -> None:
    with services(devsentry) as (api, _):
        assert api.get("/checkout").status == 200
        devsentry.assert_error("CardDeclined")

        def both() -> list[dict[str, Any]] | None:
            txs = transactions(devsentry)
            return (
                txs
                if {t["title"].split(" in ")[0] for t in txs} >= {"/checkout", "/charge"}
                else None
            )

        txs = wait_until(both, "the transactions of both services", 30)
    # payments flushes its batched log on shutdown, at the end of the `with`
    devsentry.settle()
    trace_id = txs[0]["trace_id"]
    assert {t["trace_id"] for t in txs} == {trace_id}  # propagated through httpx

    found = devsentry_json(devsentry, "trace", trace_id[:8])
    assert found["trace_id"] == trace_id
    assert set(found["projects"]) == {"1", "2"}
    spans = {s["span_id"]: s for s in found["spans"]}
    charge = next(
        s for s in found["spans"] if s["transaction"] == "/charge" and s["op"] == "http.server"
    )
    call = spans[charge["parent_span_id"]]  # the api's outgoing call is the parent, across services
    assert call["op"] == "http.client" and call["project"] == "1"
    assert call["description"].startswith("POST http://127.0.0.1:")
    assert charge["project"] == "2" and charge["status"] == "internal_error"
    assert found["start"].endswith("Z") and isinstance(found["duration"], float)
    [error] = found["errors"]
    assert error["title"].startswith("CardDeclined") and error["project"] == "2"
    assert error["span_id"] in spans  # placed on a span of the trace
    [log] = wait_until(
        lambda: devsentry_json(devsentry, "trace", trace_id)["logs"], "the payments log", 15
    )
    assert log["body"] == "charging order 1001 failed" and log["level"] == "warn"
    assert log["span_id"] in spans and log["project"] == "2"

    picture = text(devsentry, "trace", trace_id)
    assert "/checkout" in picture and "/charge" in picture and "✖ CardDeclined" in picture
    assert "warn: charging order" in picture  # the log, on its span
    listed = devsentry_json(devsentry, "traces")
    assert listed[0]["trace_id"] == trace_id and listed[0]["errors"] == 1
    assert listed[0]["root"] == "/checkout" and set(listed[0]["projects"]) == {"1", "2"}

    # `show` of any item of the trace says how to follow it.
    issue = next(i for i in devsentry_json(devsentry, "issues") if i["type"] == "CardDeclined")
    assert issue["category"] == "error"
    assert f"devsentry trace {trace_id[:12]}" in text(devsentry, "show", issue["id"])

    perf = {(r["transaction"], r["project"]): r for r in devsentry_json(devsentry, "perf")}
    assert perf[("/charge", "2")]["failure_rate"] == 1.0
    assert perf[("/checkout", "1")]["failure_rate"] == 0.0
    row = perf[("/checkout", "1")]
    assert row["count"] == 1 and row["op"] == "http.server"
    assert 0 < row["p50"] == row["p99"]
    assert row["span_ops"][0]["op"] == "http.client"


def test_n_plus_one_queries_through_sqlalchemy_are_a_performance_issue(
    devsentry: DevSentry,
) -> None:
    with services(devsentry) as (api, _):
        for _ in range(2):
            assert api.get("/authors").status == 200
        wait_until(lambda: len(transactions(devsentry)) >= 2, "two /authors transactions", 30)
    found = [i for i in devsentry_json(devsentry, "issues") if i["category"] == "performance"]
    assert len(found) == 1, found
    issue = found[0]
    assert issue["title"] == "N+1 Query" and issue["count"] == 2
    assert issue["culprit"] == "/authors"
    assert issue["value"].startswith("SELECT books.id, books.title, books.author_id")
    shown = devsentry_json(devsentry, "show", issue["id"])
    evidence = shown["issue"]["evidence"]
    assert evidence["count"] == 8  # one query per author
    assert evidence["parent_op"] == "http.server" and evidence["parent"] == "/authors"
    trace = devsentry_json(devsentry, "trace", shown["item"]["trace_id"])
    assert trace["problems"] == [
        {"issue": issue["id"], "title": "N+1 Query", "culprit": "/authors"}
    ]
    picture = text(devsentry, "show", issue["id"])
    assert re.search(r"ran +8 times", picture) and "SELECT books.id" in picture


def test_consecutive_http_calls_are_a_performance_issue(devsentry: DevSentry) -> None:
    with services(devsentry) as (api, _):
        assert api.get("/dashboard").status == 200
        wait_until(
            lambda: any(t["title"].startswith("/dashboard") for t in transactions(devsentry)),
            "the /dashboard transaction",
            30,
        )
    [issue] = [i for i in devsentry_json(devsentry, "issues") if i["category"] == "performance"]
    assert issue["title"] == "Consecutive HTTP" and issue["culprit"] == "/dashboard"
    assert issue["value"].startswith("GET http://127.0.0.1:")
    evidence = devsentry_json(devsentry, "show", issue["id"])["issue"]["evidence"]
    assert evidence["count"] == 3


def test_a_browser_pageload_calling_the_api_is_one_trace_with_web_vitals(
    devsentry: DevSentry, browser: Browser
) -> None:
    with start_fastapi(
        devsentry.dsn_for(2), app="services:app", env=_env(SHOP_ROLE="payments")
    ) as api:
        run = browser.run(devsentry.dsn, "prices", release="shop@2.0.0", api=api.url)
        assert run.flushed and not run.page_errors, run

        def perf() -> dict[str, dict[str, Any]] | None:
            devsentry.settle()
            rows = {r["transaction"]: r for r in devsentry_json(devsentry, "perf")}
            if not {"/index.html", "/balance"} <= set(rows):
                return None
            # LCP may come in a container of its own, sent when the page goes away
            return rows if {"lcp", "fcp", "ttfb"} <= set(rows["/index.html"]["vitals"]) else None

        rows = wait_until(
            perf, "the pageload with LCP, FCP and TTFB, and the API's transaction", 30
        )
    # @sentry/browser 11 streams its spans (span v2): the pageload is a segment span, named
    # by its URL; its Web Vitals are attributes of its spans, some sent in later containers.
    page = rows["/index.html"]
    assert page["op"] == "pageload" and page["project"] == "1" and page["count"] == 1
    vitals = page["vitals"]
    assert {"lcp", "fcp", "ttfb"} <= set(vitals), vitals
    for vital in vitals.values():
        assert vital["grade"] in ("good", "meh", "poor") and vital["p75"] >= 0
    assert rows["/balance"]["vitals"] == {}  # a server transaction has none
    page_text = text(devsentry, "perf")
    assert "/index.html" in page_text and "LCP" in page_text

    [trace] = [t for t in devsentry_json(devsentry, "traces") if t["root"] == "/index.html"]
    assert set(trace["projects"]) == {"1", "2"}  # the page and the API, one trace

    def joined() -> dict[str, Any] | None:  # the fetch span comes in a container of its own
        found: dict[str, Any] = devsentry_json(devsentry, "trace", trace["trace_id"])
        ids = {s["span_id"] for s in found["spans"]}
        served = [s for s in found["spans"] if s["op"] == "http.server"]
        return found if served and served[0]["parent_span_id"] in ids else None

    found = wait_until(joined, "the page's fetch span in the trace", 15)
    spans = {s["span_id"]: s for s in found["spans"]}
    served = next(s for s in found["spans"] if s["op"] == "http.server")
    assert served["transaction"] == "/balance" and served["project"] == "2"
    fetch = spans[served["parent_span_id"]]  # the page's fetch, across services
    assert fetch["op"] == "http.client" and fetch["project"] == "1"
    assert spans[fetch["parent_span_id"]]["op"] == "pageload"


def test_trace_ids_that_name_nothing_or_are_not_ids(devsentry: DevSentry) -> None:
    devsentry.settle()
    store = ["--store", str(devsentry.store_path)]
    missing = CliRunner().invoke(cli, ["trace", "abcdef12", *store])
    assert missing.exit_code == 3 and "no trace starts with 'abcdef12'" in missing.output
    bad = CliRunner().invoke(cli, ["trace", "not-hex!", *store])
    assert bad.exit_code == 1 and "is not a trace id" in bad.output
    assert devsentry_json(devsentry, "traces") == [] and devsentry_json(devsentry, "perf") == []


def test_a_slow_select_through_sqlalchemy_is_a_performance_issue(devsentry: DevSentry) -> None:
    with services(devsentry) as (api, _):
        assert api.get("/report").status == 200
        wait_until(
            lambda: any(t["title"].startswith("/report") for t in transactions(devsentry)),
            "the /report transaction",
            30,
        )
    [issue] = [i for i in devsentry_json(devsentry, "issues") if i["category"] == "performance"]
    assert issue["title"] == "Slow DB Query" and issue["culprit"] == "/report"
    assert issue["value"].startswith("SELECT count(*) FROM (WITH RECURSIVE")
    evidence = devsentry_json(devsentry, "show", issue["id"])["issue"]["evidence"]
    assert evidence["count"] == 1 and evidence["duration_ms"] > 100


def test_a_hostile_transaction_is_indexed_and_shown(devsentry: DevSentry) -> None:
    """Terminal escapes, huge statements and spans without times never stop the index."""
    huge = "SELECT * FROM t WHERE x = ? \x1b[31m" + "y" * 100_000
    spans = [
        {
            "span_id": f"{i:016x}",
            "parent_span_id": "a" * 16,
            "op": "db",
            "description": d,
            "start_timestamp": 1000.0 + i / 1000,
            "timestamp": 1000.0 + i / 1000 + 0.0001,
        }
        for i, d in enumerate(["SELECT 1 FROM s"] + [huge] * 6)
    ] + [{"span_id": "f" * 16, "op": "\x1b]0;owned\x07", "description": None}]
    payload = json.dumps(
        {
            "type": "transaction",
            "transaction": "/\x1b[2Jbad",
            "start_timestamp": 1000.0,
            "timestamp": 1000.5,
            "contexts": {"trace": {"trace_id": "d" * 32, "span_id": "a" * 16, "op": "http.server"}},
            "spans": spans,
        }
    ).encode()
    body = b'{}\n{"type":"transaction","length":%d}\n%s\n' % (len(payload), payload)
    request = urllib.request.Request(devsentry.url + "/api/1/envelope/", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
    devsentry.settle()
    [issue] = devsentry_json(devsentry, "issues")
    assert issue["title"] == "N+1 Query" and issue["category"] == "performance"
    assert (
        len(devsentry_json(devsentry, "show", issue["id"])["issue"]["evidence"]["statement"])
        <= 2000
    )
    [row] = devsentry_json(devsentry, "perf")
    assert row["count"] == 1 and row["op"] == "http.server"
    shown = text(devsentry, "show", issue["id"])
    assert "N+1 Query" in shown and "\x1b" not in shown
    assert devsentry_json(devsentry, "trace", "d" * 8)["spans"]
