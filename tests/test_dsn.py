"""DSN parsing, ingest URLs, and reading client auth from every place SDKs put it."""

from __future__ import annotations

import base64

import pytest

from devsentry.protocol.dsn import (
    Auth,
    AuthError,
    Dsn,
    DsnError,
    auth_from_request,
    parse_auth_header,
)


@pytest.mark.parametrize(
    ("dsn", "envelope_url", "key", "secret", "org", "project"),
    [
        (
            "https://e12d836b15bb49d7bbf99e64295d995b@o123.ingest.us.sentry.io/4505",
            "https://o123.ingest.us.sentry.io/api/4505/envelope/",
            "e12d836b15bb49d7bbf99e64295d995b",
            None,
            123,
            "4505",
        ),
        (
            "https://key@o9.ingest.de.sentry.io/1",
            "https://o9.ingest.de.sentry.io/api/1/envelope/",
            "key",
            None,
            9,
            "1",
        ),
        (
            "http://public:secret@localhost:9000/sentry/sub/42",
            "http://localhost:9000/sentry/sub/api/42/envelope/",
            "public",
            "secret",
            None,
            "42",
        ),
        (
            "https://k:@sentry.example.com/7",
            "https://sentry.example.com/api/7/envelope/",
            "k",
            None,
            None,
            "7",
        ),
        (
            "https://k@sentry.example.com:443/7",
            "https://sentry.example.com/api/7/envelope/",
            "k",
            None,
            None,
            "7",
        ),
        (
            "http://k@sentry.example.com:443/7",
            "http://sentry.example.com:443/api/7/envelope/",
            "k",
            None,
            None,
            "7",
        ),
        (
            "http://devsentry@127.0.0.1:8969/1",
            "http://127.0.0.1:8969/api/1/envelope/",
            "devsentry",
            None,
            None,
            "1",
        ),
        ("http://k@[::1]:8969/3/", "http://[::1]:8969/api/3/envelope/", "k", None, None, "3"),
    ],
)
def test_parse_dsn_forms(
    dsn: str, envelope_url: str, key: str, secret: str | None, org: int | None, project: str
) -> None:
    parsed = Dsn.parse(dsn)
    assert parsed.envelope_url == envelope_url
    assert parsed.public_key == key
    assert parsed.secret_key == secret
    assert parsed.org_id == org
    assert parsed.project_id == project
    assert Dsn.parse(str(parsed)) == parsed


def test_store_url_and_auth_header() -> None:
    dsn = Dsn.parse("https://k:s@h.example/p/5")
    assert dsn.store_url == "https://h.example/p/api/5/store/"
    assert dsn.auth_header("devsentry/1.0") == (
        "Sentry sentry_key=k, sentry_version=7, sentry_client=devsentry/1.0, sentry_secret=s"
    )


@pytest.mark.parametrize(
    ("dsn", "message"),
    [
        ("", "DSN is empty"),
        ("ftp://k@h/1", "scheme must be http or https"),
        ("https://h.example/1", "missing public key"),
        ("https://k@/1", "missing host"),
        ("https://k@h.example/", "missing project id"),
        ("https://k@h.example/project", "is not a number"),
        ("https://k@h.example:99999/1", "invalid DSN"),
        ("https://k@h.example/1?x=1", "no query string"),
    ],
)
def test_malformed_dsns(dsn: str, message: str) -> None:
    with pytest.raises(DsnError, match=message):
        Dsn.parse(dsn)


def test_parse_auth_header() -> None:
    auth = parse_auth_header(
        "Sentry sentry_key=abc, sentry_version=7, sentry_client=sentry.python/2.75.0,"
        " sentry_timestamp=1"
    )
    assert auth == Auth(
        public_key="abc", source="x-sentry-auth", version="7", client="sentry.python/2.75.0"
    )
    assert parse_auth_header("sentry_key=abc").public_key == "abc"  # the prefix is optional
    assert parse_auth_header("SENTRY sentry_key = abc , sentry_version=7.1").version == "7.1"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Sentry sentry_version=7", "missing sentry_key"),
        ("Sentry sentry_key=a, garbage", "has no '='"),
        ("Sentry sentry_key=a, sentry_version=seven", "bad sentry_version"),
    ],
)
def test_malformed_auth_headers(value: str, message: str) -> None:
    with pytest.raises(AuthError, match=message):
        parse_auth_header(value)


class Headers(dict[str, str]):
    """Case-insensitive like aiohttp's and mitmproxy's header mappings."""

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        for k, v in self.items():
            if k.lower() == key.lower():
                return v
        return default


def test_auth_from_each_source() -> None:
    header = auth_from_request(Headers({"x-sentry-auth": "Sentry sentry_key=h, sentry_version=7"}))
    assert header is not None and (header.public_key, header.source) == ("h", "x-sentry-auth")

    authz = auth_from_request(Headers({"Authorization": "sentry sentry_key=z"}))
    assert authz is not None and (authz.public_key, authz.source) == ("z", "authorization")

    basic = "Basic " + base64.b64encode(b"bkey:").decode()
    assert auth_from_request(Headers({"Authorization": basic})) == Auth("bkey", "authorization")

    query = auth_from_request(
        Headers(), "sentry_version=7&sentry_key=q&sentry_client=sentry.javascript.browser%2F9.0.0"
    )
    assert query == Auth("q", "query", version="7", client="sentry.javascript.browser/9.0.0")

    env = auth_from_request(Headers(), "", "https://ekey@o1.ingest.sentry.io/77")
    assert env == Auth("ekey", "envelope", project_id="77")

    assert auth_from_request(Headers(), "") is None
    assert auth_from_request(Headers({"Authorization": "Bearer token"}), "page=2") is None


def test_request_auth_wins_over_envelope_dsn() -> None:
    auth = auth_from_request(Headers({"X-Sentry-Auth": "sentry_key=h"}), "", "https://e@h/1")
    assert auth is not None and auth.public_key == "h"


@pytest.mark.parametrize(
    ("headers", "query", "dsn", "message"),
    [
        ({"X-Sentry-Auth": "sentry_key=a"}, "sentry_key=b", None, "multiple authorization"),
        ({"Authorization": "Basic !!!"}, "", None, "Basic"),
        ({}, "sentry_version=7", None, "missing sentry_key"),
        ({}, "", "not a dsn", "bad envelope authentication header"),
    ],
)
def test_auth_errors(headers: dict[str, str], query: str, dsn: str | None, message: str) -> None:
    with pytest.raises(AuthError, match=message):
        auth_from_request(Headers(headers), query, dsn)
