"""The shop's apps with their real SDKs, end to end: @sentry/browser in headless Chromium,
sentry-sdk in FastAPI under uvicorn, @sentry/node in Express. What they send reaches a real
devsentry server (the `devsentry` fixture), is grouped into issues, and is checked the way a
user sees it: `devsentry issues --json` and `devsentry show DS-N --json`.

The apps and their launchers are in `tests/sdk_apps.py`; the `browser` fixture (one Chromium
for the session) is in `tests/conftest.py`.
"""

from __future__ import annotations

from typing import Any

from devsentry.testing.plugin import DevSentry
from tests.conftest import devsentry_json
from tests.sdk_apps import FIREFOX_UA, Browser, BrowserRun, start_express, start_fastapi

ALICE = {"id": "u-1", "email": "alice@example.com"}
BOB = {"id": "u-2", "email": "bob@example.com"}


def issues(devsentry: DevSentry) -> list[dict[str, Any]]:
    """`devsentry issues --json` once everything that arrived is indexed."""
    devsentry.settle()
    result: list[dict[str, Any]] = devsentry_json(devsentry, "issues")
    return result


def one_issue(devsentry: DevSentry, **expected: Any) -> dict[str, Any]:
    """The one issue whose fields have these values (`type="PaymentDeclined"`)."""
    found = [i for i in issues(devsentry) if expected.items() <= i.items()]
    assert len(found) == 1, f"expected one issue with {expected}: {issues(devsentry)}"
    return found[0]


def latest_event(devsentry: DevSentry, issue: dict[str, Any]) -> dict[str, Any]:
    """`devsentry show DS-N --json` of the issue: its latest event, payload included."""
    shown: dict[str, Any] = devsentry_json(devsentry, "show", issue["id"])
    return shown


def frames(payload: dict[str, Any], exception: int = -1) -> list[dict[str, Any]]:
    stacktrace = payload["exception"]["values"][exception]["stacktrace"]
    return list(stacktrace["frames"])


def in_app_functions(payload: dict[str, Any]) -> list[str]:
    return [f.get("function", "") for f in frames(payload) if f.get("in_app")]


# -- @sentry/browser in Chromium --------------------------------------------------------


def assert_sent_like_chromium(run: BrowserRun) -> None:
    """The SDK flushed, every envelope was accepted, and the requests carried Chromium's
    User-Agent and client hints."""
    assert run.flushed, run
    assert run.ingest, "the page sent nothing to devsentry"
    for request in run.ingest:
        assert request.method == "POST" and "/api/1/envelope/" in request.url, request
        assert request.status == 200, request
        assert request.headers["user-agent"] == run.user_agent
        assert request.headers["content-type"].startswith("text/plain")  # no CORS preflight
        assert "Chromium" in request.headers["sec-ch-ua"], request.headers
        assert "sec-ch-ua-platform" in request.headers


def test_browser_captured_error_is_an_issue_with_release_user_and_tags(
    devsentry: DevSentry, browser: Browser
) -> None:
    run = browser.run(
        devsentry.dsn, "error", release="shop@2.0.0", user=ALICE, tags={"plan": "pro"}
    )
    assert_sent_like_chromium(run)
    assert not run.page_errors

    devsentry.assert_error("PaymentDeclined", "card declined for order ord-1001")
    issue = one_issue(devsentry, type="PaymentDeclined")
    assert issue["title"] == "PaymentDeclined: card declined for order ord-1001"
    assert issue["platform"] == "javascript"
    assert issue["culprit"].startswith("chargeCard")
    assert (issue["count"], issue["users"]) == (1, 1)

    shown = latest_event(devsentry, issue)
    assert shown["item"]["release"] == "shop@2.0.0"
    assert shown["item"]["sdk"] == "sentry.javascript.browser/11.12.0"
    payload = shown["payload"]
    assert ALICE.items() <= payload["user"].items()
    assert {"page": "checkout", "plan": "pro"}.items() <= payload["tags"].items()
    assert payload["request"]["url"] == browser.page_url + "/index.html"
    assert payload["request"]["headers"]["User-Agent"] == run.user_agent
    assert in_app_functions(payload)[-1] == "chargeCard"
    assert frames(payload)[-1]["filename"] == browser.page_url + "/app.js"
    mechanism = payload["exception"]["values"][-1]["mechanism"]
    assert mechanism["handled"] is True

    # As Sentry sees it: the browser SDK sends no browser, OS or device context; Relay derives
    # them from the User-Agent the SDK put in `request.headers`.
    assert not {"browser", "os"} & set(payload.get("contexts", {}))
    contexts = shown["normalized"]["contexts"]
    major = run.user_agent.split("HeadlessChrome/")[1].split(".")[0]
    version = f"{major}.0.0"  # uap-core's major.minor.patch, as Relay joins them
    assert contexts["browser"] == {"name": "HeadlessChrome", "version": version, "type": "browser"}
    assert contexts["os"]["name"] == "Linux" and contexts["os"]["type"] == "os"
    tags = dict(shown["tags"])
    assert shown["tags"][:2] == [["page", "checkout"], ["plan", "pro"]]  # the SDK's own first
    assert tags["browser"] == f"HeadlessChrome {version}"
    assert tags["browser.name"] == "HeadlessChrome" and tags["os.name"] == "Linux"
    assert tags["url"] == browser.page_url + "/index.html"
    assert tags["user"] == "id:u-1" and tags["release"] == "shop@2.0.0"
    assert (tags["level"], tags["handled"], tags["mechanism"]) == ("error", "yes", "generic")
    assert shown["in_sentry"] == {"verdict": "kept", "notes": []}
    # The page's address, as the server saw it (Relay infers it for browser events).
    assert shown["normalized"]["user"]["ip_address"] == "127.0.0.1"
    assert devsentry_json(devsentry, "events", "--tag", "browser.name:HeadlessChrome")


def test_browser_uncaught_error_reaches_window_onerror(
    devsentry: DevSentry, browser: Browser
) -> None:
    run = browser.run(devsentry.dsn, "throw", release="shop@2.0.0", user=BOB)
    assert_sent_like_chromium(run)
    assert any("discount" in error for error in run.page_errors), run.page_errors

    devsentry.assert_error("TypeError", "discount")
    issue = one_issue(devsentry, type="TypeError")
    assert issue["culprit"].startswith("applyCoupon")
    payload = latest_event(devsentry, issue)["payload"]
    mechanism = payload["exception"]["values"][-1]["mechanism"]
    assert mechanism == {"type": "auto.browser.global_handlers.onerror", "handled": False}
    assert in_app_functions(payload)[-1] == "applyCoupon"


def test_browser_message(devsentry: DevSentry, browser: Browser) -> None:
    run = browser.run(devsentry.dsn, "message", release="shop@2.1.0", user=ALICE)
    assert_sent_like_chromium(run)

    # A message with the synthetic stack JavaScript attaches is still a message.
    devsentry.assert_message("cache miss storm", level="info")
    devsentry.assert_no_errors()
    issue = one_issue(devsentry, value="cache miss storm")
    assert issue["level"] == "info"
    # Sentry would title it by the synthetic crash frame's function; devsentry by the message.
    assert issue["title"] == "cache miss storm"
    shown = latest_event(devsentry, issue)
    assert shown["item"]["release"] == "shop@2.1.0"
    payload = shown["payload"]
    assert payload["message"] == "cache miss storm"
    # @sentry/browser 11 attaches a synthetic stack trace to messages (attachStacktrace
    # defaults to true): an exception without a type, the message as its value.
    [synthetic] = payload["exception"]["values"]
    assert "type" not in synthetic and synthetic["value"] == "cache miss storm"
    assert synthetic["mechanism"]["synthetic"] is True


def test_browser_releases_and_users_of_one_issue(devsentry: DevSentry, browser: Browser) -> None:
    for release, user in (("shop@2.0.0", ALICE), ("shop@2.1.0", BOB), ("shop@2.1.0", ALICE)):
        assert_sent_like_chromium(browser.run(devsentry.dsn, "error", release=release, user=user))

    devsentry.wait_for("event", count=3)
    issue = one_issue(devsentry, type="PaymentDeclined")
    assert (issue["count"], issue["users"]) == (3, 2)
    events = devsentry_json(devsentry, "events", "--issue", issue["id"])
    assert sorted(e["release"] for e in events) == ["shop@2.0.0", "shop@2.1.0", "shop@2.1.0"]
    assert len(devsentry_json(devsentry, "issues", "--release", "shop@2.1.0")) == 1
    # Facets over the issue's events, most common first, as Sentry's issue page shows them.
    facets = {t["key"]: t for t in latest_event(devsentry, issue)["issue"]["tags"]}
    assert facets["release"]["values"] == [
        {"value": "shop@2.1.0", "count": 2},
        {"value": "shop@2.0.0", "count": 1},
    ]
    assert facets["user"]["values"] == [
        {"value": "id:u-1", "count": 2},
        {"value": "id:u-2", "count": 1},
    ]
    assert facets["browser.name"]["values"] == [{"value": "HeadlessChrome", "count": 3}]
    assert issue["first_release"] == "shop@2.0.0"
    assert issue["releases"] == ["shop@2.0.0", "shop@2.1.0"]


# -- sentry-sdk in FastAPI under uvicorn ------------------------------------------------


def test_fastapi_unhandled_error(devsentry: DevSentry) -> None:
    with start_fastapi(devsentry.dsn, release="shop@2.0.0") as app:
        assert app.get("/checkout", user="u-1:alice@example.com").status == 500
        devsentry.assert_error("PaymentDeclined", "card declined for order 1001")

    issue = one_issue(devsentry, type="PaymentDeclined")
    assert issue["title"] == "PaymentDeclined: card declined for order 1001 (250.00 EUR)"
    assert issue["culprit"] == "/checkout"
    assert issue["platform"] == "python"
    shown = latest_event(devsentry, issue)
    assert shown["item"]["release"] == "shop@2.0.0"
    # ("sentry.python.flask": the SDK names itself after the first framework integration it
    # enabled, and flask is installed beside mitmproxy.)
    assert shown["item"]["sdk"].startswith("sentry.python.")
    payload = shown["payload"]
    assert [e["type"] for e in payload["exception"]["values"]] == [
        "ConnectionResetError",
        "PaymentDeclined",
    ]
    assert in_app_functions(payload)[-2:] == ["checkout", "charge"]
    assert {f["module"] for f in frames(payload) if f.get("in_app")} == {"fastapi_app"}
    assert payload["user"]["id"] == "u-1" and payload["user"]["email"] == "alice@example.com"
    assert payload["request"]["method"] == "GET"
    assert payload["request"]["url"] == app.url + "/checkout"
    assert payload["request"]["headers"]["user-agent"] == FIREFOX_UA
    assert payload["transaction"] == "/checkout"
    # A server event: the end user's browser is `browser`, its OS `client_os` (beside the
    # server's own `os`), read from the request headers the SDK recorded.
    contexts = shown["normalized"]["contexts"]
    assert contexts["browser"]["name"] == "Firefox"
    assert contexts["client_os"]["name"] == "Windows"
    assert contexts["client_os"]["version"] == ">=10"  # browsers freeze Windows at 10
    tags = dict(shown["tags"])
    assert (tags["browser.name"], tags["client_os.name"]) == ("Firefox", "Windows")
    assert tags["transaction"] == "/checkout" and tags["user"] == "id:u-1"
    assert tags["runtime.name"] == "CPython"
    assert tags["url"] == app.url + "/checkout"


def test_fastapi_logs_and_message(devsentry: DevSentry) -> None:
    with start_fastapi(devsentry.dsn, release="shop@2.1.0") as app:
        assert app.get("/inventory").status == 200
        assert app.get("/refresh", user="u-2").status == 200
    # The app flushes on shutdown: the batched logs arrive after it stopped.

    message = one_issue(devsentry, title="cache miss storm")
    assert message["level"] == "info"
    payload = latest_event(devsentry, message)["payload"]
    assert payload["message"] == "cache miss storm"
    assert "exception" not in payload  # sentry-python attaches no stack trace by default
    assert payload["request"]["headers"]["user-agent"] == FIREFOX_UA

    # logging.error also becomes an event (the logging integration's event_level).
    logged = one_issue(devsentry, level="error", type=None)
    assert logged["title"] == "inventory sync failed for warehouse eu-west-1"

    [logs] = devsentry.wait_for("log")
    # A log line shows its message and what the app set, not what every SDK adds to every
    # record (`thread.id=… thread.name=MainThread logger.name=…` on each line).
    for line in (logs.title or "", devsentry.wait_for_output("stock low for SKU-RED-MUG")):
        assert "thread." not in line and "logger.name" not in line and "sentry.sdk" not in line
    assert (logs.title or "").startswith("stock low for SKU-RED-MUG")
    records = devsentry_json(devsentry, "show", f"#{logs.id}")["payload"]["items"]
    bodies = {(r["level"], r["body"]) for r in records}
    assert {
        ("warn", "stock low for SKU-RED-MUG"),
        ("error", "inventory sync failed for warehouse eu-west-1"),
    } <= bodies


# -- @sentry/node in Express ------------------------------------------------------------


def test_express_error_handler(devsentry: DevSentry) -> None:
    with start_express(devsentry.dsn, release="shop-node@2.0.0") as app:
        answer = app.get("/checkout", user="u-1:alice@example.com")
        assert answer.status == 500 and answer.json()["error"] == "PaymentDeclined"
        devsentry.assert_error("PaymentDeclined", "card declined for order ord-1001")

    issue = one_issue(devsentry, type="PaymentDeclined")
    assert issue["title"] == "PaymentDeclined: card declined for order ord-1001 (250 EUR)"
    assert issue["platform"] == "node"
    assert issue["culprit"] == "GET /checkout"
    shown = latest_event(devsentry, issue)
    assert shown["item"]["release"] == "shop-node@2.0.0"
    assert shown["item"]["sdk"] == "sentry.javascript.node/11.12.0"
    payload = shown["payload"]
    error, cause = payload["exception"]["values"][-1], payload["exception"]["values"][0]
    assert error["mechanism"]["type"] == "auto.http.express"
    assert error["mechanism"]["handled"] is False
    assert (cause["type"], cause["value"]) == ("Error", "ECONNRESET")
    assert in_app_functions(payload)[-1] == "charge"
    assert payload["user"]["id"] == "u-1" and payload["user"]["email"] == "alice@example.com"
    assert payload["request"]["url"] == app.url + "/checkout"
    assert payload["request"]["headers"]["user-agent"] == FIREFOX_UA


def test_express_message(devsentry: DevSentry) -> None:
    with start_express(devsentry.dsn, release="shop-node@2.1.0") as app:
        assert app.get("/refresh", user="u-2").status == 200
        devsentry.assert_message("cache miss storm", level="info")

    issue = one_issue(devsentry, value="cache miss storm")
    assert (issue["level"], issue["culprit"]) == ("info", "GET /refresh")
    assert issue["title"] == "cache miss storm"  # not `?`, its synthetic crash frame
    shown = latest_event(devsentry, issue)
    assert shown["item"]["release"] == "shop-node@2.1.0"
    payload = shown["payload"]
    assert payload["message"] == "cache miss storm"
    assert payload["user"]["id"] == "u-2"
    # @sentry/node 11 attaches a synthetic stack trace to messages too.
    [synthetic] = payload["exception"]["values"]
    assert "type" not in synthetic and synthetic["mechanism"]["synthetic"] is True
    assert frames(payload)[-1]["filename"].endswith("tests/node/express.js")
