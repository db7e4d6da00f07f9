"""`devsentry show` views: real SDK envelopes, ingested by a real server, rendered at 100 columns.

The store is filled once per module by POSTing every recorded fixture to a `LocalServer`; each
test loads one item the way the command does (`parse_ref` → `load_detail`) and asserts on the
plain text of `render_detail`.
"""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import msgspec
import pytest
from rich.console import Console, Group, RenderableType

from devsentry.browse.detail import Detail, load_detail
from devsentry.model import Event, SpanContainer, Transaction
from devsentry.protocol import Envelope, Item, parse, serialize
from devsentry.render.context import relative
from devsentry.render.exceptions import render_event_body
from devsentry.render.show import render_detail
from devsentry.render.waterfall import (
    WaterfallView,
    container_waterfall,
    transaction_waterfall,
)
from devsentry.store import Query, Store
from devsentry.store.ids import parse_ref
from devsentry.testing import LocalServer
from tests.conftest import FIXTURES, demo_fixtures

WIDTH = 100
PY_ERROR = "4964590f63e44deab8a0037938d2f703"  # python/error_chained.envelope
NODE_ERROR = "003ef6c32ec94ad78d9c7c61059cda97"  # node/sessions-1.envelope: has a request
PY_TRANSACTION = "b000f703db584440a458822c969a9c59"  # python/transaction_profile.envelope
PY_ATTACHMENTS = (FIXTURES / "python" / "attachments.envelope").read_bytes()


def hostile_envelope() -> bytes:
    """An error whose strings carry rich markup and terminal escapes."""
    event = {
        "event_id": "dead" * 8,
        "level": "error",
        "platform": "python",
        "exception": {
            "values": [{"type": "Boom[/]", "value": "[bold red]pwned[/] \x1b[2J\x1b]8;;x\x07"}]
        },
        "tags": {"[link=file:///etc]": "x", "note": "\x1b[31mred"},
        "breadcrumbs": [{"message": "[blink]crumb[/]\x9b31m", "timestamp": 1.0}],
    }
    item = Item.make("event", msgspec.json.encode(event), content_type="application/json")
    return serialize(Envelope.make([item], event_id="dead" * 8))


def post(url: str, body: bytes) -> None:
    request = urllib.request.Request(f"{url}/api/1/envelope/", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Every fixture recorded from the demo shop (plus one hostile event), ingested through a
    real server."""
    path = tmp_path_factory.mktemp("detail") / "store.db"
    bodies = [f.read_bytes() for f in demo_fixtures()]
    bodies.append(hostile_envelope())
    with LocalServer(path, console=False) as server:
        for body in bodies:
            post(server.url, body)
        server.wait_for(count=sum(len(parse(b).items) for b in bodies))
    with Store(path, readonly=True) as opened:
        yield opened


def text(renderable: RenderableType, width: int = WIDTH) -> str:
    console = Console(file=StringIO(), width=width, color_system=None)
    console.print(renderable)
    out = console.file.getvalue()
    assert isinstance(out, str)
    return out


def show(store: Store, ref: str, *, full: bool = False, width: int = WIDTH) -> str:
    return text(render_detail(load_detail(store, parse_ref(ref)), full=full), width)


def detail_of(store: Store, ref: str) -> Detail:
    return load_detail(store, parse_ref(ref))


def lines_with(out: str, needle: str) -> list[str]:
    return [line for line in out.splitlines() if needle in line]


# -- errors -------------------------------------------------------------------------------------


def test_python_chained_error_shows_both_exceptions_in_order(store: Store) -> None:
    out = show(store, PY_ERROR[:8])
    cause = out.index("ConnectionResetError: connection reset by https://pay.example.test")
    link = out.index("The above exception was the direct cause of the following exception:")
    main = out.find("\nPaymentError: could not charge 31.02 EUR to visa *4242\n", link)
    assert out.index("Exceptions (2, oldest first)") < cause < link < main
    # the crash site of the main exception: its `raise` line marked, numbered, in context
    assert re.search(r"❱ 44 │\s+raise PaymentError\(", out)
    assert re.search(r"  43 │\s+except ConnectionError as exc:", out)
    assert "demoshop/payments.py:44 in charge" in out
    assert "demoshop/app.py:35 in handle_checkout" in out


def test_error_shows_locals_under_app_frames(store: Store) -> None:
    out = show(store, PY_ERROR)
    (row,) = [line for line in lines_with(out, "request_id  ") if line.startswith(" " * 8)]
    assert row.startswith(" " * 8)  # under the frame, indented
    assert "'req-" in row
    cart = next(line for line in out.splitlines() if re.match(r"\s+cart\s+Cart\(cart_id=", line))
    assert cart.rstrip().endswith("…")  # a long value is clipped, not wrapped
    assert len(cart.rstrip()) <= WIDTH


def test_error_shows_issue_summary(store: Store) -> None:
    detail = detail_of(store, PY_ERROR)
    assert detail.issue is not None
    out = text(render_detail(detail))
    first = out.splitlines()[0]
    assert first.startswith(f"DS-{detail.issue.id}  error  PaymentError: could not charge")
    assert "demoshop.payments in charge" in out
    assert f"{detail.issue.count} events · 1 user · first seen " in out
    assert f"event {PY_ERROR}" in out or PY_ERROR in out


def test_breadcrumbs_are_a_table_timed_relative_to_the_error(store: Store) -> None:
    out = show(store, PY_ERROR)
    assert "Breadcrumbs (7)" in out
    (header,) = lines_with(out, "CATEGORY")
    assert header.split() == ["TIME", "CATEGORY", "LEVEL", "MESSAGE", "DATA"]
    (row,) = lines_with(out, "reserved 2 x SKU-RED-MUG")
    # Relay gives a breadcrumb without a level `info`.
    assert re.match(r"\s*-\d+ms\s+inventory\s+info\s+reserved 2 x SKU-RED-MUG\s+available=14", row)
    (http,) = lines_with(out, "POST /api/checkout 502")  # an http crumb's message from its data
    assert "http" in http


def test_tags_user_contexts_app_and_sdk(store: Store) -> None:
    out = show(store, PY_ERROR)
    sections = [line.split(" ─")[0] for line in out.splitlines() if "────" in line]
    assert sections[:2] == ["Exceptions (2, oldest first)", "Breadcrumbs (7)"]
    assert {"User", "Tags", "Contexts", "App", "SDK"} <= set(sections)
    assert re.search(r"region\s+eu-west-1", out)
    assert re.search(r"email\s+ada@example.com", out)
    assert re.search(r"  name\s+CPython", out)  # contexts.runtime
    assert re.search(r"release\s+demo@1.2.3", out)
    assert re.search(r"environment\s+development", out)
    assert "sentry.python · 2.75.0" in out
    assert "8 integrations: argv, atexit, dedupe" in out
    assert "72 packages — --full lists them" not in out or "Modules (" in out


def test_request_url_method_and_headers(store: Store) -> None:
    out = show(store, NODE_ERROR[:10])
    (request,) = lines_with(out, "GET http://127.0.0.1:")
    assert request.strip().endswith("/api/checkout")
    assert re.search(r"Sentry-Trace\s+[0-9a-f]{32}-", out)  # header names as Relay writes them
    assert re.search(r"  os\n|\nos\n", out) or "kernel_version" in out


def test_library_frames_are_collapsed_unless_full(store: Store) -> None:
    collapsed = show(store, NODE_ERROR)
    assert "… 5 library frames hidden (--full to show)" in collapsed
    assert "NoopContextManager.with" not in collapsed
    assert "lib/payments.js:29:19 in Object.charge  app" in collapsed
    full = show(store, NODE_ERROR, full=True)
    assert "hidden" not in full
    assert "NoopContextManager.with" in full
    assert "return fn.call(thisArg, ...args);" in full  # library code context, with --full


def test_an_exception_group_is_drawn_as_a_tree() -> None:
    """sentry-python's shape: members and their causes first, the group last, linked by ids."""

    def exc(
        type_: str, exception_id: int, parent_id: int | None, **mechanism: Any
    ) -> dict[str, Any]:
        ids = {"exception_id": exception_id, "parent_id": parent_id}
        return {
            "type": type_,
            "value": type_.lower(),
            "mechanism": {"type": "chained", **ids, **mechanism},
        }

    event = msgspec.convert(
        {
            "platform": "python",
            "exception": {
                "values": [
                    exc("ValueError", 1, 0),
                    exc("KeyError", 3, 2, source="__context__"),
                    exc("TypeError", 2, 0),
                    exc("ExceptionGroup", 0, None, is_exception_group=True, handled=False),
                ]
            },
        },
        Event,
    )
    out = text(Group(*render_event_body(event, full=False)))
    heads = [
        line for line in out.splitlines() if re.match(r"\s*\w+Error: |\s*ExceptionGroup: ", line)
    ]
    assert heads == [
        "ExceptionGroup: exceptiongroup",
        "    ValueError: valueerror",
        "    TypeError: typeerror",
        "    KeyError: keyerror",
    ]
    assert "Exception group (4 exceptions)" in out
    assert (
        out.index("TypeError: typeerror")
        < out.index("raised while handling:")
        < out.index("KeyError")
    )
    assert "exception group · mechanism chained · unhandled" in out


def test_every_line_fits_the_width(store: Store) -> None:
    for width in (60, 100):
        for ref in (PY_ERROR, NODE_ERROR, PY_TRANSACTION):
            out = show(store, ref, width=width)
            assert max(len(line) for line in out.splitlines()) <= width, (ref, width)


def test_payload_strings_are_shown_not_obeyed(store: Store) -> None:
    out = show(store, "dead" * 2)
    assert "Boom[/]: [bold red]pwned[/] \\x1b[2J\\x1b]8;;x\\x07" in out
    assert "[link=file:///etc]" in out  # a tag key Relay removes: said in the In Sentry section
    assert re.search(r"removed\s+tags\.0\s+'\[link=file:///etc\]'", out)
    assert "\\x1b[31mred" in out
    assert "[blink]crumb[/]\\x9b31m" in out
    assert "\x1b" not in out and "\x9b" not in out and "\x07" not in out


# -- traces -------------------------------------------------------------------------------------


def span_rows(out: str) -> list[str]:
    start = out.index("SPAN ")
    return out[start:].split("\n\n")[0].splitlines()[1:]


def test_transaction_waterfall_indents_spans_under_their_parents(store: Store) -> None:
    out = show(store, PY_TRANSACTION)
    rows = span_rows(out)
    expected = [
        "rebuild-catalog-index ",
        "├─ SELECT sku, stock FROM inventory ",
        "├─ checksum_catalog ",
        "│  └─ catalog:index ",
        "└─ POST https://search.example.test/",
    ]
    assert len(rows) == len(expected)
    for row, start in zip(rows, expected, strict=True):
        assert row.startswith(start), row
    child, grandchild = rows[2], rows[3]
    assert grandchild.index("catalog:index") > child.index("checksum_catalog")
    # ops and durations, then bars placed by start and sized by duration
    assert re.search(r"db\.query\s+60 ms", rows[1])
    assert re.search(r"cache\.put\s+30 ms", rows[3])
    root_bar, select_bar, cache_bar = rows[0].index("█"), rows[1].index("█"), rows[3].index("█")
    assert abs(root_bar - select_bar) <= 1  # both start at (almost) zero
    assert cache_bar > select_bar
    assert rows[0].count("█") > rows[2].count("█") > rows[1].count("█") > rows[3].count("█")


def test_streamed_spans_hang_under_the_segment(store: Store) -> None:
    (node,) = [
        i
        for i in store.items(Query(types=["span"]))
        if (i.sdk or "").startswith("sentry.javascript")
    ]
    out = show(store, f"#{node.id}")
    rows = span_rows(out)
    assert rows[0].startswith("rebuild-catalog-index ")
    expected = ["├─ SELECT sku, stock FROM inventory ", "├─ checksumCatalog ", "└─ catalog:index "]
    assert len(rows) == 4
    for row, start in zip(rows[1:], expected, strict=True):
        assert row.startswith(start), row


def test_waterfall_bars_scale_with_the_width() -> None:
    tx = msgspec.json.decode(
        msgspec.json.encode(
            {
                "type": "transaction",
                "transaction": "GET /",
                "start_timestamp": 100.0,
                "timestamp": 101.0,
                "contexts": {"trace": {"span_id": "a", "op": "http.server"}},
                "spans": [
                    {
                        "span_id": "b",
                        "parent_span_id": "a",
                        "op": "db",
                        "description": "q1",
                        "start_timestamp": 100.0,
                        "timestamp": 100.5,
                    },
                    {
                        "span_id": "c",
                        "parent_span_id": "b",
                        "op": "db",
                        "description": "q2",
                        "start_timestamp": 100.5,
                        "timestamp": 101.0,
                        "status": "internal_error",
                    },
                    {
                        "span_id": "d",
                        "parent_span_id": "zzz",
                        "description": "orphan",
                        "start_timestamp": 100.25,
                        "timestamp": 100.5,
                    },
                ],
            }
        ),
        type=Transaction,
    )
    waterfall = transaction_waterfall(tx)
    assert [(r.name, r.depth) for r in waterfall.rows] == [
        ("GET /", 0),
        ("q1", 1),
        ("q2", 2),
        ("orphan", 1),  # an unknown parent: hung off the root, not lost
    ]
    for width in (50, 80, 120):
        rows = text(WaterfallView(waterfall), width).splitlines()
        assert all(len(r) <= width for r in rows)
        bars = {name: bar(rows, name) for name in ("GET /", "q1", "q2", "orphan")}
        (root_at, root_len), (q1_at, q1_len) = bars["GET /"], bars["q1"]
        assert root_at == q1_at
        assert abs(q1_len - root_len / 2) <= 1  # half the trace, half the bar
        assert abs(bars["q2"][0] - (q1_at + root_len / 2)) <= 1  # starts where q1 ends
        assert abs(bars["orphan"][0] - (root_at + root_len / 4)) <= 1


def bar(rows: list[str], name: str) -> tuple[int, int]:
    """Where a span's bar starts, and how long it is."""
    row = next(r for r in rows if f" {name} " in r or r.startswith(f"{name} "))
    return row.index("█"), row.count("█")


def test_an_empty_span_container_says_so() -> None:
    assert "no spans" in text(WaterfallView(container_waterfall(SpanContainer(items=[]))))


# -- other item kinds ---------------------------------------------------------------------------


def item_ref(store: Store, item_type: str, sdk: str = "") -> str:
    rows = [i for i in store.items(Query(types=[item_type])) if (i.sdk or "").startswith(sdk)]
    return f"#{rows[0].id}"


def test_logs_show_every_record(store: Store) -> None:
    out = show(store, item_ref(store, "log"))
    (header,) = lines_with(out, "ATTRIBUTES")
    assert header.split() == ["TIME", "LEVEL", "BODY", "ATTRIBUTES"]
    assert re.search(r"error\s+Gateway timeout after 2500 ms", out)
    records = [line for line in out.splitlines() if re.match(r"\d\d:\d\d:\d\d\.\d{3} ", line)]
    assert len(records) == 4
    assert "fraud.checked=false" in records[1]


def test_check_in_session_and_client_report_reuse_the_compact_views(store: Store) -> None:
    check_in = show(store, item_ref(store, "check_in"))
    assert "CHECK-IN  nightly-stock-report" in check_in
    assert '"monitor_slug": "nightly-stock-report"' in check_in  # the payload, below
    assert "SESSION " in show(store, item_ref(store, "session"))
    report = show(store, item_ref(store, "client_report"))
    assert "the SDK dropped 4 items: 4 span (no_parent_span)" in report


def test_feedback_shows_what_the_user_wrote_and_the_event_context(store: Store) -> None:
    out = show(store, item_ref(store, "feedback", sdk="sentry.javascript"))
    assert "“I clicked 'Pay' and got an error page; my card was not" in out
    assert "Breadcrumbs (" in out


def test_attachments_are_listed_with_their_sizes(store: Store) -> None:
    event_id = parse(PY_ATTACHMENTS).event_id
    assert event_id is not None
    detail = detail_of(store, event_id)
    assert detail.record.type == "event"  # the event wins over its attachments
    out = text(render_detail(detail))
    sent = [i for i in parse(PY_ATTACHMENTS).items if i.type == "attachment"]
    assert len(detail.attachments) == len(sent) == 2
    for item in sent:
        (row,) = lines_with(out, item.filename or "?")
        assert f"{len(item.payload)} bytes" in row
    assert "--save-attachments DIR" in out


def test_relative_times() -> None:
    assert relative(99.0, 100.0) == "-1.0s"
    assert relative(97.7, 100.0) == "-2.3s"
    assert relative(99.85, 100.0) == "-150ms"
    assert relative(100.0 - 192, 100.0) == "-3m12s"
    assert relative(None, 100.0) == ""


def test_a_pruned_envelope_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with LocalServer(path, console=False) as server:
        post(server.url, (FIXTURES / "python" / "logs.envelope").read_bytes())
        (item,) = server.wait_for("log")
    with Store(path) as writable:
        writable.db.execute("DELETE FROM envelopes")
    with Store(path, readonly=True) as opened:
        out = text(render_detail(load_detail(opened, parse_ref(f"#{item.id}"))))
    assert "could not show the payload: its envelope was pruned from the store" in out
