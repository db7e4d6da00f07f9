"""MCP for coding agents, driven by the `mcp` SDK's own client over both transports: stdio
(`devsentry mcp` as a subprocess) and Streamable HTTP (`/mcp` on a real server), on a store
filled by the real sentry-sdk (tests/apps/checkout.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from devsentry.testing import LocalServer
from tests.conftest import devsentry_json, run_python_app

pytest.importorskip("mcp")  # installed with devsentry on Python 3.12+

from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

TOOLS = {
    "list_issues",
    "get_issue",
    "get_event",
    "search_events",
    "search_logs",
    "wait_for_events",
    "resolve_issue",
    "get_trace",
}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A server whose store the real sentry-sdk filled: a chained error (twice, one issue),
    a warning message, a transaction and three log records."""
    store = tmp_path_factory.mktemp("agents") / "devsentry.db"
    with LocalServer(store, console=False) as server:
        for mode in ("twice", "message", "transaction", "logs"):
            run_python_app("checkout", mode, SENTRY_DSN=server.dsn)
        server.wait_for("event", count=3)
        server.wait_for("transaction")
        server.wait_for("log")  # one container of three records
        yield server


Transport = Callable[[LocalServer], Client]


def over_stdio(server: LocalServer) -> Client:
    """`devsentry mcp` started as agents start it, through the SDK's stdio transport."""
    command = [sys.executable, "-m", "devsentry", "mcp", "--store", str(server.store_path)]
    return Client(stdio_client(StdioServerParameters(command=command[0], args=command[1:])))


def over_http(server: LocalServer) -> Client:
    """serve's `/mcp`, through the SDK's Streamable HTTP transport."""
    return Client(streamable_http_client(f"{server.url}/mcp"))


def over_http_sessions(server: LocalServer) -> Client:
    """The same, in the 2025 protocol most agents speak today: an initialize handshake, a
    session id, answers streamed as SSE (through the bridge as they are written)."""
    return Client(streamable_http_client(f"{server.url}/mcp"), mode="legacy")


TRANSPORTS = pytest.mark.parametrize(
    "connect", [over_stdio, over_http, over_http_sessions], ids=["stdio", "http", "http-2025"]
)


def session(
    connect: Transport, server: LocalServer, body: Callable[[Client], Awaitable[Any]]
) -> Any:
    """Run `body(client)` with a client connected over `connect`."""

    async def main() -> Any:
        async with connect(server) as client:
            return await body(client)

    return anyio.run(main)


async def call(client: Client, tool: str, **arguments: Any) -> tuple[str, dict[str, Any]]:
    """A tool's Markdown and structured content; fails on a tool error."""
    result = await client.call_tool(tool, arguments)
    text = result.content[0].text  # type: ignore[union-attr]
    assert not result.is_error, text
    return text, result.structured_content


def issue_of(server: LocalServer, title: str) -> str:
    return next(i.short_id for i in server.issues if title in i.title)


# -- the tools -------------------------------------------------------------------------------


@TRANSPORTS
def test_every_tool_is_listed_with_a_schema_a_model_can_read(
    connect: Transport, shop: LocalServer
) -> None:
    tools = session(connect, shop, lambda c: c.list_tools()).tools
    assert {t.name for t in tools} >= TOOLS
    for tool in tools:
        assert tool.description and len(tool.description) > 40, tool.name
        for name, prop in tool.input_schema.get("properties", {}).items():
            assert prop.get("description"), f"{tool.name}.{name} has no description"
    wait = next(t for t in tools if t.name == "wait_for_events")
    assert {"cursor", "timeout", "type", "level"} <= set(wait.input_schema["properties"])


def test_both_protocol_eras_are_answered_over_http(shop: LocalServer) -> None:
    async def version(client: Client) -> str:
        return client.protocol_version

    assert session(over_http_sessions, shop, version).startswith("2025-")
    assert session(over_http, shop, version) > "2026"  # stateless, no session id


@TRANSPORTS
def test_list_issues_answers_markdown_and_the_json_of_issues_json(
    connect: Transport, shop: LocalServer
) -> None:
    text, data = session(connect, shop, lambda c: call(c, "list_issues"))
    cli = devsentry_json(shop, "issues")
    assert data["issues"] == cli
    assert data["total"] == len(cli)
    chained = issue_of(shop, "checkout failed")
    line = next(line for line in text.splitlines() if f"**{chained}**" in line)
    assert "RuntimeError: checkout failed" in line
    assert "2 events" in line and "releases shop@1.2.3" in line
    assert "\x1b" not in text and "│" not in text  # no colour, no box drawing

    _, warnings = session(connect, shop, lambda c: call(c, "list_issues", level="warning"))
    assert [i["title"] for i in warnings["issues"]] == ["Inventory low for SKU 123"]
    _, tagged = session(
        connect, shop, lambda c: call(c, "list_issues", tag=["feature:checkout"], limit=1)
    )
    assert len(tagged["issues"]) == 1 and tagged["total"] == len(cli)


@TRANSPORTS
def test_get_issue_has_what_show_has(connect: Transport, shop: LocalServer) -> None:
    chained = issue_of(shop, "checkout failed")
    text, data = session(connect, shop, lambda c: call(c, "get_issue", issue=chained))
    assert data == devsentry_json(shop, "show", chained)
    event = data["item"]
    # the exception chain, oldest first, with the app's frames and their code
    cause = text.index("### PaymentDeclined: card 4242 declined for order 1001")
    link = text.index("The above exception was the direct cause of the following exception:")
    raised = text.index("### RuntimeError: checkout failed")
    assert cause < link < raised
    assert re.search(r'File ".*shop\.py", line \d+, in charge  \[app\]', text)
    assert re.search(r">\s+\d+ \|\s+raise PaymentDeclined\(", text)
    assert "amount = 250.0" in text  # the frame's locals
    # breadcrumbs, user, release, trace id, tags with facets
    assert "[cart] info: added 2 items" in text
    assert "- email: ada@example.com" in text
    assert "release shop@1.2.3" in text
    assert f"trace id {event['trace_id']}" in text
    assert "feature=checkout" in text
    assert f"## Tag facets of {chained} (2 events)" in text
    assert "- feature: checkout (100%)" in text


@TRANSPORTS
def test_get_event_by_event_id_prefix_item_id_and_not_found(
    connect: Transport, shop: LocalServer
) -> None:
    message = next(i for i in shop.items(types=["event"]) if "Inventory" in (i.title or ""))
    assert message.event_id is not None

    async def body(client: Client) -> tuple[Any, ...]:
        by_prefix = await call(client, "get_event", event_id=message.event_id[:10])
        by_item = await call(client, "get_event", event_id=f"#{message.id}")
        missing = await client.call_tool("get_event", {"event_id": "ffffffffffff"})
        bad = await client.call_tool("get_event", {"event_id": "what?"})
        return by_prefix, by_item, missing, bad

    (text, data), (_, same), missing, bad = session(connect, shop, body)
    assert data == same == devsentry_json(shop, "show", f"#{message.id}")
    assert "## Message" in text and "Inventory low for SKU 123" in text
    assert missing.is_error and "not found" in missing.content[0].text
    assert bad.is_error and "is not an id" in bad.content[0].text


@TRANSPORTS
def test_search_events_pages_through_everything_with_its_cursor(
    connect: Transport, shop: LocalServer
) -> None:
    everything = [i.id for i in shop.items()]

    async def pages(client: Client) -> list[dict[str, Any]]:
        out, cursor = [], None
        while True:
            _, data = await call(client, "search_events", limit=2, cursor=cursor)
            out.append(data)
            cursor = data["next_cursor"]
            if cursor is None:
                return out

    seen = [item["id"] for page in session(connect, shop, pages) for item in page["items"]]
    assert seen == sorted(everything, reverse=True)  # newest first, none twice, none left out

    text, data = session(
        connect, shop, lambda c: call(c, "search_events", type="transaction", text="checkout")
    )
    assert [i["type"] for i in data["items"]] == ["transaction"]
    assert data["items"][0]["title"].startswith("POST /checkout in ")
    assert "**#" in text and "transaction" in text and data["next_cursor"] is None


@TRANSPORTS
def test_search_logs_finds_records_by_text_and_level_and_pages(
    connect: Transport, shop: LocalServer
) -> None:
    async def body(client: Client) -> tuple[Any, ...]:
        errors = await call(client, "search_logs", level="error")
        payment = await call(client, "search_logs", text="PAYMENT")
        pages, cursor = [], None
        while True:
            _, data = await call(client, "search_logs", limit=1, cursor=cursor)
            pages += data["logs"]
            if (cursor := data["next_cursor"]) is None:
                return errors, payment, pages

    (text, errors), (_, payment), pages = session(connect, shop, body)
    assert [r["body"] for r in errors["logs"]] == ["Payment failed for 1001"]
    assert "- error: Payment failed for 1001" in text
    assert [r["body"] for r in payment["logs"]] == ["Payment failed for 1001", "Payment retry 2"]
    assert [r["body"] for r in pages] == [
        "Payment failed for 1001",
        "Payment retry 2",
        "Order 1001 created",
    ]
    assert pages[1]["level"] == "warning"
    assert pages[1]["attributes"]["sentry.message.parameter.attempt"] == 2


@TRANSPORTS
def test_get_trace_draws_the_waterfall_with_its_errors(
    connect: Transport, shop: LocalServer
) -> None:
    (tx,) = shop.items(types=["transaction"])
    error = next(i for i in shop.items(types=["event"]) if "checkout failed" in (i.title or ""))
    assert tx.trace_id and error.trace_id

    async def body(client: Client) -> tuple[Any, ...]:
        spans = await call(client, "get_trace", trace_id=tx.trace_id[:12])
        failed = await call(client, "get_trace", trace_id=error.trace_id)
        missing = await client.call_tool("get_trace", {"trace_id": "0000000000000000"})
        return spans, failed, missing

    (text, data), (failed_text, _), missing = session(connect, shop, body)
    assert data == devsentry_json(shop, "trace", tx.trace_id)
    assert f"# Trace {tx.trace_id}" in text
    rows = [line for line in text.splitlines() if "|" in line and "ms" in line]
    root = next(r for r in rows if "http.server: POST /checkout" in r)
    query = next(r for r in rows if "db.query: SELECT * FROM orders" in r)
    charge = next(r for r in rows if "http.client: POST https://payments.example/charge" in r)

    def indent(row: str) -> int:
        span = row.split("|", 2)[2][1:]  # after the bar and its space
        return len(span) - len(span.lstrip())

    assert indent(root) == 0 and indent(query) == indent(charge) == 2
    assert rows.index(query) < rows.index(charge)  # by start time
    assert "#" in query.split("|", 2)[1]  # its bar
    assert f"! RuntimeError: checkout failed ({error_issue(shop)})" in failed_text
    assert "## Errors" in failed_text
    assert missing.is_error and "no trace starts with" in missing.content[0].text


def error_issue(server: LocalServer) -> str:
    return issue_of(server, "checkout failed")


@TRANSPORTS
def test_wait_for_events_returns_an_event_sent_while_it_waits(
    connect: Transport, shop: LocalServer
) -> None:
    async def body(client: Client) -> tuple[dict[str, Any], dict[str, Any], str]:
        _, start = await call(client, "wait_for_events", timeout=0)
        assert start["items"] == [] and start["timed_out"]
        answers: list[tuple[str, dict[str, Any]]] = []

        async def wait() -> None:
            answers.append(
                await call(
                    client, "wait_for_events", type="event", cursor=start["cursor"], timeout=60
                )
            )

        async with anyio.create_task_group() as tg:
            tg.start_soon(wait)  # waiting, while the app starts and sends its error
            await anyio.to_thread.run_sync(
                lambda: run_python_app("checkout", "error", SENTRY_DSN=shop.dsn, APP_USER="7")
            )
        text, arrived = answers[0]
        return start, arrived, text

    start, arrived, text = session(connect, shop, body)
    assert not arrived["timed_out"] and arrived["waited_seconds"] > 0
    (event,) = arrived["items"]
    assert event["title"] == "RuntimeError: checkout failed" and event["user"] == "id:7"
    assert event["issue"] == issue_of(shop, "checkout failed")  # indexed before it is told
    assert int(arrived["cursor"]) >= event["id"] > int(start["cursor"])
    assert f"**#{event['id']}** event error: RuntimeError: checkout failed" in text

    # nothing more arrives after that cursor: the wait ends at its timeout, empty
    _, quiet = session(
        connect,
        shop,
        lambda c: call(c, "wait_for_events", type="event", cursor=arrived["cursor"], timeout=0.5),
    )
    assert quiet["items"] == [] and quiet["timed_out"] and quiet["cursor"] == arrived["cursor"]


@TRANSPORTS
def test_issues_are_resources(connect: Transport, shop: LocalServer) -> None:
    chained = issue_of(shop, "checkout failed")
    uri = f"devsentry://issue/{chained}"

    async def body(client: Client) -> tuple[Any, ...]:
        listed = await client.list_resources()
        templates = await client.list_resource_templates()
        read = await client.read_resource(uri)
        text, _ = await call(client, "get_issue", issue=chained)
        return listed, templates, read, text

    listed, templates, read, text = session(connect, shop, body)
    assert uri in {str(r.uri) for r in listed.resources}
    assert [t.uri_template for t in templates.resource_templates] == [
        "devsentry://issue/DS-{number}"
    ]
    (content,) = read.contents
    assert content.mime_type == "text/markdown" and content.text == text


@TRANSPORTS
def test_resolve_issue_then_its_return_is_a_regression(
    connect: Transport, shop: LocalServer
) -> None:
    """The agent's loop: resolve the issue after a fix, run the app, see the error come back."""
    chained = issue_of(shop, "checkout failed")

    async def body(client: Client) -> tuple[Any, ...]:
        resolved = await call(client, "resolve_issue", issue=chained)
        listed = await call(client, "list_issues")
        _, start = await call(client, "wait_for_events", timeout=0)
        await anyio.to_thread.run_sync(
            lambda: run_python_app("checkout", "error", SENTRY_DSN=shop.dsn)
        )
        back = await call(
            client, "wait_for_events", issue=chained, cursor=start["cursor"], timeout=60
        )
        regressed = await call(client, "list_issues", search="checkout failed")
        missing = await client.call_tool("resolve_issue", {"issue": "DS-999"})
        return resolved, listed, back, regressed, missing

    resolved, listed, back, regressed, missing = session(connect, shop, body)
    text, data = resolved
    assert [i["status"] for i in data["resolved"]] == ["resolved"]
    assert text.startswith(f"Resolved {chained}: RuntimeError: checkout failed (resolved ")
    text, data = listed
    assert chained not in {i["id"] for i in data["issues"]}
    assert data["hidden"]["resolved"] >= 1 and 'status "all" lists them' in text
    _, data = back
    assert [i["issue"] for i in data["items"]] == [chained]
    text, data = regressed
    (issue,) = data["issues"]
    assert issue["id"] == chained and issue["substatus"] == "regressed"
    assert "status regressed " in text
    assert missing.is_error and "not found: DS-999" in missing.content[0].text


def test_arguments_a_model_got_wrong_are_told_back(shop: LocalServer) -> None:
    async def body(client: Client) -> list[str]:
        out = []
        for tool, arguments in (
            ("list_issues", {"level": "loud"}),
            ("list_issues", {"since": "yesterday"}),
            ("search_events", {"type": "tweet"}),
            ("search_events", {"cursor": "next please"}),
            ("search_logs", {"cursor": "12"}),
            ("get_issue", {"issue": "PROJ-1"}),
            ("list_issues", {"status": "fixed"}),
        ):
            result = await client.call_tool(tool, arguments)
            assert result.is_error, (tool, arguments)
            out.append(result.content[0].text)  # type: ignore[union-attr]
        return out

    said = session(over_http, shop, body)
    words = ("level:", "since:", "type:", "cursor:", "cursor:", "issue:", "status:")
    for text, word in zip(said, words, strict=True):
        assert word in text, text


def test_stdio_without_a_store_says_so_in_each_answer(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here.db"
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "devsentry", "mcp", "--store", str(missing)]
    )

    async def main() -> Any:
        async with Client(params) as client:
            return await client.call_tool("list_issues", {})

    result = anyio.run(main)
    assert result.is_error and f"no devsentry store at {missing}" in result.content[0].text
    assert not missing.exists()  # never created by a reader


# -- who may reach /mcp ------------------------------------------------------------------------


def post(server: LocalServer, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    request = urllib.request.Request(
        f"{server.url}/mcp",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            **headers,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, {}
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_a_web_page_of_another_origin_is_refused(shop: LocalServer) -> None:
    status, detail = post(shop, {"Origin": "http://evil.example"})
    assert status == 403
    assert "may not use devsentry's MCP endpoint" in detail["detail"]
    # DNS rebinding: the page's name resolves to 127.0.0.1, the Host header still names it
    status, detail = post(shop, {"Host": "evil.example:8969"})
    assert status == 421 and "loopback" in detail["detail"]
    # a loopback page (the MCP Inspector, a local dev server) gets past the check
    status, _ = post(shop, {"Origin": "http://localhost:6274"})
    assert status not in (403, 421)


def test_any_origin_for_sdks_does_not_open_mcp(tmp_path: Path) -> None:
    from devsentry.ingest.origins import OriginPolicy, agent_refusal

    anyone = OriginPolicy.parse(["*"])
    assert anyone.allows("http://evil.example")  # ingest: a server exposed on purpose
    refusal = agent_refusal(anyone, "http://evil.example", "127.0.0.1:8969", loopback_only=True)
    assert refusal is not None and refusal[0] == 403
    named = OriginPolicy.parse(["https://inspector.example"])
    assert (
        agent_refusal(named, "https://inspector.example", "127.0.0.1", loopback_only=True) is None
    )
    assert agent_refusal(named, None, "[::1]:8969", loopback_only=True) is None
    assert agent_refusal(named, None, "devbox.lan:8969", loopback_only=False) is None


# -- the SDK loads only where MCP is used -----------------------------------------------------


def test_no_other_command_imports_the_mcp_sdk(shop: LocalServer, tmp_path: Path) -> None:
    """`issues` and serve's start-up never import the SDK; the first request to /mcp does."""
    probe = f"""
import sys, urllib.error, urllib.request
from click.testing import CliRunner
from devsentry.cli import cli
result = CliRunner().invoke(cli, ["issues", "--store", {str(shop.store_path)!r}])
assert result.exit_code == 0, result.output
print("issues", "mcp" in sys.modules)
from devsentry.testing import LocalServer
from pathlib import Path
with LocalServer(Path({str(tmp_path / "serve.db")!r}), console=False) as server:
    urllib.request.urlopen(server.url + "/health").read()
    print("serve", "mcp" in sys.modules)
    try:
        urllib.request.urlopen(urllib.request.Request(server.url + "/mcp", method="DELETE"))
    except urllib.error.HTTPError:
        pass  # no session to delete: the SDK answered
    print("/mcp", "mcp" in sys.modules)
"""
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:3] == ["issues False", "serve False", "/mcp True"]


def test_arrivals_wake_a_waiter_for_what_was_indexed_after_its_look() -> None:
    from devsentry.sinks.arrivals import Arrivals

    async def main() -> list[str]:
        arrivals = Arrivals()
        await arrivals.start()
        said: list[str] = []
        seen = arrivals.generation
        arrivals._wake()  # indexed between the waiter's look and its wait
        with anyio.fail_after(5):
            await arrivals.wait(seen, 60)  # returns at once: nothing is lost
        said.append("woken")
        seen = arrivals.generation

        async def later() -> None:
            arrivals._wake()

        async with anyio.create_task_group() as tg:
            tg.start_soon(later)
            with anyio.fail_after(5):
                await arrivals.wait(seen, 60)
        said.append("woken again")
        return said

    assert anyio.run(main) == ["woken", "woken again"]


def test_payload_text_cannot_break_out_of_the_markdown(tmp_path: Path) -> None:
    """Backticks, forged headings, terminal escapes and bidi controls in a payload stay text:
    every fence closes where devsentry closes it."""
    from devsentry.browse.answers import issue_answer
    from devsentry.store import Store

    hostile = "```\n# Forged heading\n\x1b[31mred\u202edesrever"
    event = {
        "event_id": "a" * 32,
        "platform": "python",
        "level": "error",
        "exception": {
            "values": [
                {
                    "type": "Boom`",
                    "value": hostile,
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "app.py",
                                "function": "f``",
                                "lineno": 3,
                                "in_app": True,
                                "pre_context": ["```", "## Forged too"],
                                "context_line": "raise Boom('````')",
                                "post_context": ["\x1b]0;title\x07"],
                                "vars": {"x": hostile},
                            }
                        ]
                    },
                }
            ]
        },
        "breadcrumbs": [{"message": "\n## Forged crumb", "category": "`"}],
        "user": {"email": "eve\u202e@example.com"},
        "tags": {"k`": "````"},
    }
    body = b"\n".join(
        [
            json.dumps({"event_id": "a" * 32}).encode(),
            json.dumps({"type": "event"}).encode(),
            json.dumps(event).encode(),
        ]
    )
    with LocalServer(tmp_path / "hostile.db", console=False) as server:
        request = urllib.request.Request(
            f"{server.url}/api/1/envelope/",
            data=body,
            headers={"X-Sentry-Auth": "Sentry sentry_key=devsentry, sentry_version=7"},
            method="POST",
        )
        urllib.request.urlopen(request, timeout=10).read()
        server.wait_for("event")
    with Store(tmp_path / "hostile.db", readonly=True) as store:
        text = issue_answer(store, "DS-1").markdown

    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    forged = [line for line in text.splitlines() if re.match(r"#+ Forged", line)]
    assert not forged, forged
    fence: str | None = None
    for line in text.splitlines():
        run = re.match(r"^(`{3,})", line)
        if fence is None and run:
            fence = run.group(1)  # opened: only the same fence, alone on its line, closes it
        elif fence is not None and line == fence:
            fence = None
        elif fence is not None:
            assert not line.startswith(fence), f"a payload line closes the fence: {line!r}"
    assert fence is None, "a fence was left open"
    assert "Forged heading" in text  # still shown, as text


def test_get_issue_shows_frames_after_source_maps(tmp_path: Path) -> None:
    """A minified TypeScript bundle's error, sent by the real @sentry/node: the agent reads
    the file, function, line and code the developer wrote, as `show` does."""
    from devsentry.testing.plugin import DevSentry
    from tests.sdk_apps import build_node_ts_app, run_node_bundle

    with DevSentry(tmp_path / "store.db", console=False) as server:
        bundle = build_node_ts_app(tmp_path / "app", minify=True)
        run_node_bundle(bundle, server.dsn)
        server.settle()
        (issue,) = server.issues
        text, data = session(
            over_http, server, lambda c: call(c, "get_issue", issue=issue.short_id)
        )
        shown = devsentry_json(server, "show", issue.short_id)
    assert data == shown
    source = tmp_path / "app" / "src" / "app.ts"
    assert re.search(
        rf'File "{re.escape(str(source))}", line 15, column \d+, in reserveStock', text
    ), text
    assert re.search(r">\s+15 \|\s+throw new RangeError", text)
