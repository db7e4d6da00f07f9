"""The live console: compact per-item views of real SDK envelopes, bursts, hostile payloads.

Captures are built the way the pipeline builds them (parse → decode_item → summarize) from the
recorded fixtures; only the issue numbers, which the store would assign, are given by hand.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import msgspec
import pytest
from rich.console import Console

from devsentry.model import (
    ClientReport,
    Event,
    LogContainer,
    Model,
    ModelError,
    SpanContainer,
    Transaction,
    decode_item,
)
from devsentry.process.crash import crash_frame
from devsentry.process.indexer import Captured
from devsentry.process.summary import summarize
from devsentry.protocol import Envelope, Item, parse
from devsentry.render.layout import ItemMeta, ms
from devsentry.sinks.console import ConsoleSink, render_captured
from devsentry.store import NewItem, StoredEnvelope, StoredItem

FIXTURES = Path(__file__).parent.parent / "fixtures"
WIDTH = 100
NOW_RFC3339 = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
SID = "5d1e9b4c-2a1f-4c3e-9d7a-0b6f8e2c1a3d"
_SGR = re.compile(r"\x1b\[[0-9;]*m")  # the only escape sequences rich itself writes here


# -- building captures the way the pipeline does ----------------------------------------------


def capture(
    source: Envelope | bytes | Path,
    *,
    issue_id: int = 1,
    count: int = 1,
    project: str = "4242",
    received: float | None = None,
) -> Captured:
    """A `Captured` for `source`; error items get issue `issue_id` seen `count` times."""
    if isinstance(source, Path):
        source = source.read_bytes()
    envelope = parse(source) if isinstance(source, bytes) else source
    models: list[Model | None] = []
    records: list[NewItem] = []
    for index, item in enumerate(envelope.items):
        try:
            model, error = decode_item(item), None
        except ModelError as exc:
            model, error = None, str(exc)
        models.append(model)
        records.append(summarize(index, item, model, envelope, error))
    stored = StoredEnvelope(
        id=1,
        items=[
            StoredItem(id=i + 1, issue_id=issue_id, issue_count=count)
            if record.issue is not None
            else StoredItem(id=i + 1)
            for i, record in enumerate(records)
        ],
    )
    return Captured(
        envelope, models, records, stored, project, "envelope", received or time.time(), None
    )


def node_fixture(scenario: str, item_type: str) -> Path:
    """The node recording of `scenario` that carries `item_type` (request order varies)."""
    for path in sorted((FIXTURES / "node").glob(f"{scenario}-*.envelope")):
        if any(item.type == item_type for item in parse(path.read_bytes()).items):
            return path
    raise AssertionError(f"no node {scenario} fixture has a {item_type} item")


def envelope_of(item_type: str, payload: Any, **headers: Any) -> Envelope:
    raw = payload if isinstance(payload, bytes) else msgspec.json.encode(payload)
    return Envelope.make([Item.make(item_type, raw, **headers)], event_id="ab" * 16)


def plain_console() -> Console:
    return Console(file=StringIO(), width=WIDTH, color_system=None)


def colour_console() -> Console:
    return Console(file=StringIO(), force_terminal=True, color_system="truecolor", width=WIDTH)


def render(captured: Captured, console: Console | None = None) -> str:
    console = console or plain_console()
    for view in render_captured(captured):
        console.print(view)
    return console.file.getvalue()  # type: ignore[attr-defined]


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def first_model(captured: Captured, cls: type[Any]) -> Any:
    return next(m for m in captured.models if isinstance(m, cls))


# -- errors -----------------------------------------------------------------------------------


def test_python_chained_error_is_a_small_block_with_title_culprit_code_and_new_issue() -> None:
    captured = capture(FIXTURES / "python" / "error_chained.envelope", issue_id=1, count=1)
    event = first_model(captured, Event)
    frame = crash_frame(event)
    assert frame is not None and frame.in_app and frame.context_line
    out = render(captured)
    block = lines(out)

    assert "ERROR" in block[0]
    assert "PaymentError: could not charge 31.02 EUR to visa *4242" in block[0]
    assert block[0].endswith("4242")  # the project
    assert re.match(r"\d\d:\d\d:\d\d ", block[0])
    assert "demoshop.payments in charge" in out  # the culprit
    assert "caused by ConnectionResetError: connection reset by" in out
    assert f"at {frame.filename}:{frame.lineno} in {frame.function}" in out
    assert f"{frame.lineno} │ {frame.context_line.strip()}" in out
    assert "demo@1.2.3 · development · sentry.python" in out
    assert "new issue DS-1" in out
    assert "devsentry show DS-1" in out
    assert len(block) <= 8  # compact: a block, not a traceback
    assert all(len(line) <= WIDTH for line in block)


def test_a_second_event_of_the_issue_says_how_often_it_was_seen() -> None:
    first = render(capture(FIXTURES / "python" / "error_chained.envelope", issue_id=1, count=1))
    second = render(capture(FIXTURES / "python" / "error_plain.envelope", issue_id=1, count=2))
    assert "new issue DS-1" in first
    assert "DS-1 seen 2 times" in second
    assert "new issue" not in second
    assert "devsentry show DS-1" in second


def test_node_error_shows_its_in_app_frame_and_the_sdk() -> None:
    captured = capture(node_fixture("error", "event"), issue_id=7)
    frame = crash_frame(first_model(captured, Event))
    assert frame is not None and frame.in_app
    out = render(captured)
    assert "PaymentError: could not charge 31.02 EUR to visa *4242" in out
    assert "caused by Error: socket hang up while authorizing 3102 EUR" in out
    assert f":{frame.lineno} in {frame.function}" in out
    assert "throw new PaymentError(" in out
    assert "sentry.javascript.node/" in out
    assert "new issue DS-7" in out


def test_node_message_is_titled_by_its_message_not_its_synthetic_stack() -> None:
    """JS sends `captureMessage` with a stack as a synthetic exception: Sentry would title it
    by the crash frame's function; devsentry titles it by the message, and shows the frame."""
    for path in sorted((FIXTURES / "node").glob("spotlight-*.envelope")):
        captured = capture(path)
        event = next((m for m in captured.models if isinstance(m, Event)), None)
        if event is not None and event.level_name == "info":
            break
    else:
        raise AssertionError("no node spotlight fixture carries the info message")
    assert event.exceptions and event.exceptions[-1].mechanism is not None
    assert event.exceptions[-1].mechanism.synthetic is True
    out = lines(render(captured))
    assert "INFO" in out[0] and "Spotlight says hello" in out[0]
    assert any("Sentry.captureMessage('Spotlight says hello', 'info');" in line for line in out)


def test_python_message_and_warning_levels() -> None:
    out = render(capture(FIXTURES / "python" / "message-1.envelope"))
    assert "WARNING" in lines(out)[0]
    assert "Stock for SKU-TEA-250G is running low: 3 left" in out


def test_crash_frame_is_the_newest_in_app_frame_of_the_last_exception_with_frames() -> None:
    frames = [
        {"filename": "app/main.py", "function": "main", "lineno": 3, "in_app": True},
        {"filename": "app/db.py", "function": "query", "lineno": 9, "in_app": True},
        {"filename": "site-packages/driver.py", "function": "execute", "lineno": 99},
    ]
    event = envelope_of(
        "event",
        {
            "platform": "python",
            "exception": {
                "values": [
                    {"type": "OSError", "value": "disk", "stacktrace": {"frames": frames}},
                    {"type": "RuntimeError", "value": "wrapped", "stacktrace": {"frames": []}},
                ]
            },
        },
    )
    out = render(capture(event))
    assert "at app/db.py:9 in query" in out
    assert "driver.py" not in out


def test_code_line_is_highlighted_in_colour_for_known_platforms() -> None:
    out = render(capture(FIXTURES / "python" / "error_chained.envelope"), colour_console())
    code = next(line for line in out.splitlines() if "│" in line and "PaymentError" in line)
    assert len(set(_SGR.findall(code))) > 2  # keyword, names and punctuation differ


# -- transactions and spans -------------------------------------------------------------------


def test_transaction_shows_timing_and_its_three_slowest_spans() -> None:
    captured = capture(FIXTURES / "python" / "transaction_profile.envelope")
    tx = first_model(captured, Transaction)
    out = render(captured)
    head = next(line for line in lines(out) if "TXN" in line)
    assert tx.transaction in head
    assert f"{ms(tx.duration)}" in head
    assert f"{len(tx.span_list)} spans" in head
    assert "task" in head
    spans = sorted(tx.span_list, key=lambda s: s.duration or 0, reverse=True)
    for span in spans[:3]:
        assert f"{ms(span.duration)} " in out and (span.description or "")[:30] in out
    for span in spans[3:]:
        assert (span.description or "<none>") not in out
    assert "PROFILE" in out and "samples" in out  # the profile in the same envelope


def test_streamed_span_container_names_its_segment() -> None:
    captured = capture(FIXTURES / "python" / "spans_stream.envelope")
    container = first_model(captured, SpanContainer)
    out = render(captured)
    segment = next(s for s in container.spans if s.is_segment)
    assert f"SPANS     {segment.name}" in out
    assert f"{len(container.spans)} spans" in out
    assert ms(segment.duration) in out


def test_legacy_span_is_one_line() -> None:
    span = {"op": "ui.webvital.lcp", "description": "body > img", "start_timestamp": 10.0,
            "timestamp": 10.25, "span_id": "a" * 16, "trace_id": "b" * 32}  # fmt: skip
    out = render(capture(envelope_of("span", span)))
    assert len(lines(out)) == 1
    assert "SPAN" in out and "ui.webvital.lcp · body > img · 250 ms" in out


# -- logs, metrics ----------------------------------------------------------------------------


def test_logs_are_one_line_each_with_their_level() -> None:
    captured = capture(FIXTURES / "python" / "logs.envelope")
    logs = first_model(captured, LogContainer).logs
    out = lines(render(captured))
    assert len(out) == len(logs)
    labels = {"info": "INFO", "warn": "WARN", "error": "ERROR", "fatal": "FATAL"}
    for line, log in zip(out, logs, strict=True):
        assert re.match(rf"\d\d:\d\d:\d\d +{labels[log.level]} +", line)
        assert log.body[:40] in line
        assert len(line) <= WIDTH
    assert "sentry." not in "\n".join(out)  # attributes every record carries are left out
    assert "fraud.checked=false" in "\n".join(out)


def test_node_logs_too() -> None:
    captured = capture(node_fixture("logs", "log"))
    logs = first_model(captured, LogContainer).logs
    assert len(lines(render(captured))) == len(logs)


def test_trace_metrics_show_names_and_values() -> None:
    out = render(capture(FIXTURES / "python" / "metrics.envelope"))
    assert "checkout.completed · counter  1" in out
    assert "checkout.duration · distribution  182.5 millisecond" in out


# -- everything else --------------------------------------------------------------------------


def test_client_report_shows_what_the_sdk_dropped() -> None:
    captured = capture(node_fixture("sessions", "client_report"))
    report = first_model(captured, ClientReport)
    out = render(captured)
    total = sum(d.quantity or 0 for d in report.discarded)
    assert f"the SDK dropped {total} item" in out
    for d in report.discarded:
        assert f"{d.quantity} {d.category} ({d.reason})" in out


def test_client_report_with_several_reasons_lists_the_largest_first() -> None:
    report = {"timestamp": 1.0, "discarded_events": [
        {"reason": "ratelimit_backoff", "category": "error", "quantity": 3},
        {"reason": "queue_overflow", "category": "transaction", "quantity": 1200},
        {"reason": "ratelimit_backoff", "category": "error", "quantity": 2},
    ]}  # fmt: skip
    out = render(capture(envelope_of("client_report", report)))
    assert "the SDK dropped 1,205 items: 1,200 transaction (queue_overflow), 5 error" in out


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("python/checkin-1.envelope", ["CHECK-IN", "nightly-stock-report · in progress"]),
        ("python/checkin-2.envelope", ["nightly-stock-report · ok · ", " ms · cron 0 * * * *"]),
        ("python/attachments.envelope", ["ATTACH", "screenshot.png · image/png · "]),
        ("python/sessions-3.envelope", ["SESSION ", "exited · 1 error", "SESSIONS", "3 exited"]),
        ("python/feedback-2.envelope", ["FEEDBACK", "I clicked 'Pay'", "— Ada Lovelace <ada@"]),
    ],
)
def test_other_python_items(path: str, expected: list[str]) -> None:
    out = render(capture(FIXTURES / path))
    for text in expected:
        assert text in out


def test_node_feedback_and_check_in() -> None:
    out = render(capture(node_fixture("feedback", "feedback")))
    assert "FEEDBACK" in out and "Ada Lovelace <ada@example.com>" in out
    assert "https://shop.example.test/checkout" in out
    assert "nightly-stock-report" in render(capture(node_fixture("checkin", "check_in")))


@pytest.mark.parametrize(
    ("item_type", "payload", "expected"),
    [
        ("replay_event", {"type": "replay_event", "replay_id": "c" * 32, "segment_id": 2,
                          "replay_type": "session", "urls": ["https://shop.test/cart"]},
         "replay cccccccc · segment 2 · session · https://shop.test/cart"),
        ("profile_chunk", {"version": "2", "platform": "node", "profile": {"samples": [{}, {}]}},
         "continuous profile · 2 samples · node"),
        ("user_report", {"event_id": "d" * 32, "name": "Ada", "email": "a@b.c", "comments": "hm"},
         "“hm”"),
        ("statsd", b"page.load@millisecond:123|d", "statsd · 27 bytes"),
        ("session", {"sid": SID, "status": "crashed", "errors": 1, "attrs": {"release": "r@1"},
                     "started": NOW_RFC3339},
         "crashed · 1 error · r@1"),
    ],
)  # fmt: skip
def test_one_line_kinds(item_type: str, payload: Any, expected: str) -> None:
    out = render(capture(envelope_of(item_type, payload)))
    assert len(lines(out)) == (2 if item_type == "user_report" else 1)
    assert expected in out


def test_an_item_sentry_would_drop_gets_one_dim_line_saying_why() -> None:
    """A session without `started`: Relay cannot read it. The console says so on one line,
    cut at the edge, under the item's own line."""
    session = {"sid": SID, "status": "ok", "attrs": {"release": "r@1"}}
    out = lines(render(capture(envelope_of("session", session))))
    assert len(out) == 2
    assert out[1].startswith("  in Sentry: dropped — no valid started")
    assert len(out[1]) <= WIDTH
    kept = {**session, "started": NOW_RFC3339}
    assert len(lines(render(capture(envelope_of("session", kept))))) == 1


def test_an_item_that_did_not_decode_is_shown_in_red_and_never_raises() -> None:
    captured = capture(envelope_of("event", b'{"exception": 5, "level": "error"'))
    assert captured.records[0].error
    plain = render(captured)
    assert "INVALID" in plain and "could not decode event" in plain
    assert "cannot decode 'event' item" in plain  # the model's reason
    coloured = render(captured, colour_console())
    assert "\x1b[31m" in coloured or "\x1b[1;31m" in coloured  # red


def test_a_view_that_breaks_costs_one_line_not_the_console(monkeypatch: pytest.MonkeyPatch) -> None:
    from devsentry.render import items

    def broken(*args: object) -> None:
        raise ZeroDivisionError("bug")

    monkeypatch.setitem(items._VIEWS, LogContainer, broken)
    out = render(capture(FIXTURES / "python" / "logs.envelope"))
    assert "could not show log" in out and "ZeroDivisionError('bug')" in out


ALL_TYPES = [
    "event", "transaction", "feedback", "replay_event", "user_report", "session", "sessions",
    "client_report", "check_in", "profile", "profile_chunk", "log", "trace_metric", "span",
    "attachment", "replay_recording", "statsd",
]  # fmt: skip


@pytest.mark.parametrize("item_type", ALL_TYPES)
@pytest.mark.parametrize("payload", [{}, {"items": []}, {"items": [{}]}], ids=["{}", "[]", "[{}]"])
def test_every_kind_renders_something_from_an_empty_payload(item_type: str, payload: Any) -> None:
    out = lines(render(capture(envelope_of(item_type, payload))))
    assert out and out[0].strip()
    assert all(line.strip() for line in out)  # no blank filler lines


@pytest.mark.parametrize("width", [20, 40, 60, 200])
def test_narrow_and_wide_consoles(width: int) -> None:
    console = Console(file=StringIO(), width=width, color_system=None)
    out = render(capture(FIXTURES / "python" / "error_chained.envelope"), console)
    assert all(len(line) <= width for line in out.splitlines())
    assert "ERROR" in out
    assert "new issue DS-1" in out


# -- hostile payloads -------------------------------------------------------------------------

MARKUP = "[red]b[/red][link=https://e.t]x[/link]"  # short: some fields are cut at 40
ESCAPES = "\x1b[2J\x1b[H\x9b31m\x1b]8;;https://evil.test\x1b\\click\x1b]8;;\x1b\\\x07"


def hostile_captures(evil: str) -> Iterator[Captured]:
    frame = {"filename": evil, "function": evil, "lineno": 1, "context_line": evil,
             "in_app": True, "module": evil}  # fmt: skip
    yield capture(envelope_of("event", {
        "platform": "python", "level": "error", "release": evil, "environment": evil,
        "sdk": {"name": evil, "version": evil}, "transaction": evil, "tags": {"t": evil},
        "exception": {"values": [
            {"type": evil, "value": evil, "stacktrace": {"frames": [frame]}},
            {"type": "Wrapped", "value": evil, "stacktrace": {"frames": [frame]}},
        ]},
        "breadcrumbs": [{"message": evil}],
    }), project=evil)  # fmt: skip
    yield capture(envelope_of("log", {"items": [
        {"timestamp": 1.0, "level": evil, "body": evil,
         "attributes": {evil: {"value": evil, "type": "string"}}},
    ]}))  # fmt: skip
    yield capture(envelope_of("transaction", {
        "type": "transaction", "transaction": evil, "start_timestamp": 1.0, "timestamp": 2.0,
        "contexts": {"trace": {"op": evil, "status": evil}},
        "spans": [{"op": evil, "description": evil, "start_timestamp": 1.0, "timestamp": 1.5}],
    }))  # fmt: skip
    yield capture(envelope_of("client_report", {
        "discarded_events": [{"reason": evil, "category": evil, "quantity": 1}]
    }))  # fmt: skip
    yield capture(envelope_of("check_in", {"monitor_slug": evil, "status": evil}))
    yield capture(envelope_of("feedback", {"contexts": {"feedback": {
        "message": evil, "name": evil, "contact_email": evil, "url": evil}}}))  # fmt: skip
    yield capture(envelope_of(evil, b"\x1b[2J"))
    yield capture(envelope_of("attachment", b"\x1b[2J", filename=evil, content_type=evil))
    yield capture(envelope_of("event", b'{"message": "\\u001b[2J", "exception": 5}'))


HOSTILE = [
    pytest.param(captured, first, id=f"{first}-{captured.records[0].type[:12]}")
    for first, evil in (("markup", MARKUP + ESCAPES), ("escape", ESCAPES + MARKUP))
    for captured in hostile_captures(evil)
]


@pytest.mark.parametrize(("captured", "first"), HOSTILE)
def test_escapes_and_markup_in_payloads_are_shown_never_obeyed(
    captured: Captured, first: str
) -> None:
    """Whatever an SDK puts in a string, the terminal gets text: no ESC it did not write itself.

    Every payload string starts with markup or with escapes (lines are cut at the right
    edge, so the start is what shows) and each must appear literally.
    """
    coloured = render(captured, colour_console())
    assert "\x1b[2J" not in coloured
    assert "\x9b" not in coloured
    assert "\x1b]8" not in coloured  # no hyperlink but rich's own (none are made)
    assert "\x07" not in coloured
    assert "\x1b" not in _SGR.sub("", coloured)  # every escape left is rich's own styling

    plain = render(captured)
    assert "\x1b" not in plain
    if captured.records[0].error is None:
        shown = "\\x1b[2J\\x1b[H\\x9b31m" if first == "escape" else MARKUP
        assert shown in plain


def test_hostile_item_type_in_a_burst_summary_is_cleaned() -> None:
    out = asyncio.run(publish_all([capture(envelope_of(ESCAPES, b"x")) for _ in range(30)]))
    assert "more items" in out
    assert "\x1b" not in out and "\\x1b[2J" in out


# -- the sink ---------------------------------------------------------------------------------


async def publish_all(captures: list[Captured], **options: Any) -> str:
    console = plain_console()
    async with ConsoleSink(console, **options) as sink:
        for captured in captures:
            sink.publish(captured)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_sink_prints_each_item_as_it_arrives_and_stop_drains() -> None:
    async def scenario() -> tuple[str, str]:
        console = plain_console()
        sink = ConsoleSink(console)
        await sink.start()
        sink.publish(capture(FIXTURES / "python" / "error_chained.envelope", count=1))
        await asyncio.wait_for(sink.drain(), 5)
        early = console.file.getvalue()  # type: ignore[attr-defined]
        sink.publish(capture(FIXTURES / "python" / "logs.envelope"))
        sink.publish(capture(FIXTURES / "python" / "error_plain.envelope", count=2))
        await sink.stop()
        return early, console.file.getvalue()  # type: ignore[attr-defined]

    early, out = asyncio.run(scenario())
    assert "new issue DS-1" in early
    assert out.index("new issue DS-1") < out.index("Order ord-1001") < out.index("seen 2 times")
    assert "more items" not in out


def test_publish_only_queues() -> None:
    """Ingest never waits on rendering: before the task runs, publish has printed nothing."""

    async def scenario() -> tuple[str, str]:
        console = plain_console()
        async with ConsoleSink(console) as sink:
            sink.publish(capture(FIXTURES / "python" / "error_chained.envelope"))
            before = console.file.getvalue()  # type: ignore[attr-defined]
            await asyncio.wait_for(sink.drain(), 5)
        return before, console.file.getvalue()  # type: ignore[attr-defined]

    before, after = asyncio.run(scenario())
    assert before == ""
    assert "PaymentError" in after


def test_items_published_before_start_are_printed_once_started() -> None:
    async def scenario() -> str:
        console = plain_console()
        sink = ConsoleSink(console)
        sink.publish(capture(FIXTURES / "python" / "message-1.envelope"))
        await sink.start()
        await asyncio.wait_for(sink.drain(), 5)
        await sink.stop()
        return console.file.getvalue()  # type: ignore[attr-defined]

    assert "Stock for SKU-TEA-250G" in asyncio.run(scenario())


def test_a_burst_is_summed_up_in_one_line() -> None:
    error = (FIXTURES / "python" / "error_chained.envelope").read_bytes()
    logs = (FIXTURES / "python" / "logs.envelope").read_bytes()
    captures = [capture(error, count=n + 1) for n in range(400)]
    captures += [capture(logs) for _ in range(100)]
    out = asyncio.run(publish_all(captures))
    assert out.count("PaymentError") < 10  # not 400 blocks
    assert "new issue DS-1" in out  # the event that opened the issue is still shown
    summary = next(line for line in lines(out) if "more items" in line)
    assert re.search(r"… 499 more items in the last \d+\.\ds: 399 event, 100 log", summary)
    assert summary.endswith("(devsentry events to list them)")


def test_fast_arrivals_switch_to_summaries_and_calm_brings_blocks_back() -> None:
    """More than `rate` items in one window: the rest of the window is summed up."""
    now = [1000.0]
    logs = (FIXTURES / "python" / "message-2.envelope").read_bytes()

    async def scenario() -> str:
        console = plain_console()
        async with ConsoleSink(console, burst=5, rate=12, clock=lambda: now[0]) as sink:
            for _ in range(4):  # 4 x 5 arrive within one window, never more than `burst` waiting
                for _ in range(5):
                    sink.publish(capture(logs, count=2))
                await asyncio.wait_for(sink.drain(), 5)
            now[0] += 2.5  # a quiet stretch: the window closes, output is calm again
            sink.publish(capture(FIXTURES / "python" / "message-1.envelope", count=2))
            await asyncio.wait_for(sink.drain(), 5)
        return console.file.getvalue()  # type: ignore[attr-defined]

    out = asyncio.run(scenario())
    assert out.count("Failed to sync supplier") == 12
    assert "… 8 more items in the last 2.5s: 8 event" in out
    assert out.index("more items") < out.index("Stock for SKU-TEA-250G")


def test_overflowing_queue_counts_instead_of_keeping_everything() -> None:
    captured = capture(FIXTURES / "python" / "message-2.envelope", count=2)
    out = asyncio.run(publish_all([captured] * 50, max_pending=10, burst=100, rate=1000))
    # Only 10 were ever kept; falling that far behind is a burst, so all 50 are summed up.
    assert "Failed to sync supplier" not in out
    assert "… 50 more items in the last" in out


def test_sink_takes_publishes_from_other_threads() -> None:
    async def scenario() -> str:
        console = plain_console()
        async with ConsoleSink(console) as sink:
            captured = capture(FIXTURES / "python" / "message-1.envelope")
            await asyncio.to_thread(sink.publish, captured)
            deadline = time.monotonic() + 5
            while "Stock for SKU" not in console.file.getvalue():  # type: ignore[attr-defined]
                assert time.monotonic() < deadline, "the item published from a thread never printed"
                await asyncio.sleep(0.01)
        return console.file.getvalue()  # type: ignore[attr-defined]

    assert "Stock for SKU-TEA-250G" in asyncio.run(scenario())


def test_item_meta_carries_the_issue_and_the_culprit() -> None:
    from devsentry.sinks.console import item_meta

    captured = capture(FIXTURES / "python" / "error_chained.envelope", issue_id=3, count=5)
    meta = item_meta(captured, 0)
    assert isinstance(meta, ItemMeta)
    assert (meta.issue_id, meta.issue_count, meta.project) == (3, 5, "4242")
    assert meta.culprit == "demoshop.payments in charge"
    assert meta.title == "PaymentError: could not charge 31.02 EUR to visa *4242"
