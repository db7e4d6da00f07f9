"""The route table both transports share, and Relay's answers."""

from __future__ import annotations

import json

import pytest

from devsentry.ingest import routes
from devsentry.ingest.routes import Route


@pytest.mark.parametrize(
    ("method", "path", "prefixed", "expected"),
    [
        # Relay's ingest routes, with and without the trailing slash
        ("POST", "/api/1/envelope/", False, Route("envelope", "1")),
        ("POST", "/api/1/envelope", False, Route("envelope", "1")),
        ("POST", "/api/42/store/", False, Route("store", "42")),
        ("POST", "/api/store/", False, Route("store")),
        ("POST", "/api/3/security/", False, Route("security", "3")),
        ("POST", "/api/3/csp-report/", False, Route("security", "3")),
        ("POST", "/api/3/minidump", False, Route("minidump", "3")),
        ("OPTIONS", "/api/1/envelope/", False, Route("envelope", "1")),
        # devsentry's own, only at its root
        ("POST", "/stream", False, Route("stream")),
        ("GET", "/health", False, Route("health")),
        ("HEAD", "/health", False, Route("health")),
        ("GET", "/health", True, None),
        ("POST", "/stream", True, None),
        # not routes
        ("GET", "/api/1/envelope/", False, None),
        ("POST", "/api/x/envelope/", False, None),
        ("POST", "/api/1/nope/", False, None),
        ("POST", "/api/1/envelope/extra", False, None),
        # a DSN path prefix, for the addon only
        ("POST", "/sentry/api/9/envelope/", False, None),
        ("POST", "/sentry/api/9/envelope/", True, Route("envelope", "9")),
        ("POST", "/a/b/api/9/store/", True, Route("store", "9")),
        ("POST", "/api/1/envelope/", True, Route("envelope", "1")),
    ],
)
def test_match(method: str, path: str, prefixed: bool, expected: Route | None) -> None:
    assert routes.match(method, path, prefixed=prefixed) == expected


@pytest.mark.parametrize(
    ("route", "content_type", "kind"),
    [
        (Route("store", "1"), "application/json", "store"),
        (Route("store", "1"), None, "store"),
        (Route("store", "1"), "application/x-sentry-envelope", "envelope"),
        (Route("stream"), None, "envelope"),
        (Route("envelope", "1"), "text/plain;charset=UTF-8", "envelope"),
        (Route("minidump", "1"), "multipart/form-data; boundary=x", "minidump"),
    ],
)
def test_body_kind(route: Route, content_type: str | None, kind: str) -> None:
    assert routes.body_kind(route, content_type) == kind


@pytest.mark.parametrize(
    ("headers", "query", "expected"),
    [
        ({"X-Sentry-Auth": "Sentry sentry_key=k"}, "", True),
        ({"Authorization": "sentry sentry_key=k"}, "", True),
        ({}, "sentry_version=7&sentry_key=k", True),
        ({"Authorization": "Bearer token"}, "", False),
        ({}, "q=sentry_key", False),
        ({}, "", False),
    ],
)
def test_has_sentry_auth(headers: dict[str, str], query: str, expected: bool) -> None:
    assert routes.has_sentry_auth(headers, query) is expected


def test_answers() -> None:
    ok = routes.accepted("envelope", "a" * 32)
    assert (ok.status, json.loads(ok.body)) == (200, {"id": "a" * 32})
    assert ok.headers["Access-Control-Allow-Origin"] == "*"
    assert json.loads(routes.accepted("envelope", None).body) == {}
    dump = routes.accepted("minidump", "a" * 32)
    assert dump.body == b"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
    assert dump.headers["Content-Type"].startswith("text/plain")
    assert "Content-Type" not in routes.preflight().headers
    busy = routes.refused(503, "the store is full", retry_after=60)
    assert (busy.status, busy.headers["Retry-After"]) == (503, "60")
    assert busy.headers["Access-Control-Allow-Origin"] == "*"
    assert "Retry-After" not in routes.refused(400, "bad").headers
    missing = routes.not_found("POST", "/nope")
    assert missing.status == 404
    assert "POST /api/<project>/envelope/" in json.loads(missing.body)["detail"]
