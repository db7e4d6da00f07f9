"""Nothing an app sends can switch devsentry off: hostile payloads through the whole path.

Hypothesis builds payloads for every item type from the model's own fields and from real SDK
payloads, with values mutated into what breaks naive code — JSON nested past any depth,
integers beyond 64 bits, timestamps of every size, sign and type, wrong types in any field,
invalid UTF-8, lone surrogates, megabyte strings, tens of thousands of list entries, terminal
escapes, markup, bidirectional and zero-width characters — and hostile envelopes around them.
Each goes through the real server, the indexer, the live console and every view and `--json`;
after each, a canary event must still be stored, indexed, grouped and printed.

`DEVSENTRY_HYPOTHESIS=long` runs many more examples than the default.
"""

from __future__ import annotations

import io
import json
import os
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from devsentry.browse.follow import Loader
from devsentry.cli import cli
from devsentry.model import KINDS
from devsentry.protocol import parse
from devsentry.render.lists import render_stored
from devsentry.store import Store
from devsentry.testing import LocalServer
from tests.conftest import FIXTURES

LONG = os.environ.get("DEVSENTRY_HYPOTHESIS") == "long"
settings.register_profile(
    "hostile",
    max_examples=400 if LONG else 30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=not LONG,
)

#: A real payload of each item type the recorded fixtures hold, to mutate.
SAMPLES: dict[str, dict[str, Any]] = {}
for path in sorted(FIXTURES.glob("*/*.envelope")):
    for item in parse(path.read_bytes()).items:
        if item.type not in SAMPLES and item.type in KINDS and not KINDS[item.type].binary:
            try:
                value = json.loads(item.payload)
            except ValueError:
                continue
            if isinstance(value, dict):
                SAMPLES[item.type] = value


def fields_of(item_type: str) -> list[str]:
    """The field names of the struct that decodes `item_type` (its `model` row)."""
    kind = KINDS[item_type]
    if kind.model is None:
        return ["type", "value", "data"]
    import importlib

    module, _, name = kind.model.partition(":")
    target = getattr(importlib.import_module(f"devsentry.model.{module}"), name)
    if not isinstance(target, type):  # a decode function (span): its container's fields
        from devsentry.model import SpanContainer

        target = SpanContainer
    return [
        f.encode_name
        for f in msgspec.inspect.type_info(target).fields  # type: ignore[attr-defined]
    ]


# -- hostile values ----------------------------------------------------------------------------

#: Raw JSON text spliced in where a marker string was encoded (what msgspec cannot write).
RAW: dict[str, bytes] = {}


def raw(text: bytes) -> str:
    marker = f"@@raw-{len(RAW)}@@"
    RAW[marker] = text
    return marker


NASTY_TEXT = [
    "\x1b[31mred\x1b[0m\x1b]0;title\x07",
    "[bold red]markup[/] [link=https://evil.test]click[/link]",
    "abc\u202edcba\u2066isolated\u2069",
    "zero\u200bwidth\ufeffbom\u2028line",
    "ünïcödé 日本語 🐍 \u0000 nul",
    "",
    " ",
    "\n\n\n",
]
NUMBERS = [
    10**40,
    -(10**40),
    2**63,
    -(2**63) - 1,
    1e308,
    -1e308,
    -1,
    0,
    1.5,
    253402300800,  # the first second no calendar of `datetime` holds
    -62135596801,
]
TIME_STRINGS = ["NaN", "Infinity", "-inf", "nan", "1e999", "9999-99-99T99:99:99Z", "yesterday"]


def deep(depth: int, kind: str) -> str:
    opener, closer = (b"[", b"]") if kind == "list" else (b'{"a":', b"}")
    return raw(opener * depth + b"1" + closer * depth)


hostile: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(NASTY_TEXT),
    st.sampled_from(NUMBERS),
    st.sampled_from(TIME_STRINGS),
    st.sampled_from([True, False, None, [], {}, [None], {"": None}]),
    st.builds(deep, st.sampled_from([129, 1000, 100_000]), st.sampled_from(["list", "dict"])),
    st.builds(lambda n: "x" * n, st.sampled_from([10_000, 1_500_000])),
    st.builds(lambda n: [{"a": i} for i in range(n)], st.sampled_from([1000, 20_000])),
    st.builds(lambda n: {f"k{i}": "v" for i in range(n)}, st.sampled_from([1000, 5000])),
    st.just(raw(b'"lone \\ud800 surrogate"')),
    st.just(raw(b'"\xff\xfe invalid utf-8"')),
    st.just(raw(b"1e999")),
    st.text(max_size=50),
)


def mutate(value: Any, data: st.DataObject, depth: int = 0) -> Any:
    """`value` with some of its leaves (and whole subtrees) replaced by hostile values."""
    if depth < 4 and isinstance(value, dict) and value:
        out = dict(value)
        for key in data.draw(st.lists(st.sampled_from(sorted(out)), max_size=4, unique=True)):
            if data.draw(st.booleans()):
                out[key] = data.draw(hostile)
            else:
                out[key] = mutate(out[key], data, depth + 1)
        return out
    if depth < 4 and isinstance(value, list) and value:
        out_list = list(value)
        index = data.draw(st.integers(0, len(out_list) - 1))
        out_list[index] = mutate(out_list[index], data, depth + 1)
        return out_list
    return data.draw(hostile)


def encode(value: Any) -> bytes:
    body = msgspec.json.encode(value)
    for marker, text in RAW.items():
        body = body.replace(b'"' + marker.encode() + b'"', text)
    return body


@st.composite
def hostile_items(draw: st.DrawFn) -> tuple[str, bytes]:
    data = draw(st.data())
    item_type = draw(st.sampled_from(sorted(KINDS)))
    base = SAMPLES.get(item_type, {})
    if draw(st.booleans()) or not base:  # the model's own fields, set to hostile values
        names = fields_of(item_type)
        payload = dict(base)
        for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=5, unique=True)):
            payload[name] = draw(hostile)
    else:  # a real SDK payload, mutated anywhere
        payload = mutate(base, data)
    body = encode(payload) if draw(st.integers(0, 9)) else encode(draw(hostile))
    if draw(st.integers(0, 19)) == 0:
        body = body[: draw(st.integers(0, len(body)))]  # truncated
    return item_type, body


@st.composite
def hostile_envelopes(draw: st.DrawFn) -> bytes:
    items = draw(st.lists(hostile_items(), min_size=1, max_size=3))
    header: dict[str, Any] = {"event_id": uuid.uuid4().hex}
    for key in draw(st.lists(st.sampled_from(["event_id", "sdk", "trace", "sent_at", "dsn"]))):
        header[key] = draw(hostile)
    lines = [encode(header)]
    for item_type, body in items:
        item_header: dict[str, Any] = {"type": item_type, "length": len(body)}
        if draw(st.integers(0, 9)) == 0:
            item_header[draw(st.sampled_from(["length", "type", "content_type"]))] = draw(hostile)
        lines += [encode(item_header), body]
    envelope = b"\n".join(lines) + b"\n"
    if draw(st.integers(0, 14)) == 0:  # hostile framing
        envelope = draw(st.sampled_from([envelope[:-7], envelope + b"\n\n\x00", b"\n" + envelope]))
    return envelope


# -- the real path --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with LocalServer(tmp_path_factory.mktemp("hostile") / "store.db", width=100) as server:
        yield server


def post(url: str, body: bytes) -> int:
    request = urllib.request.Request(
        f"{url}/api/1/envelope/",
        data=body,
        method="POST",
        headers={"X-Sentry-Auth": "Sentry sentry_key=hostile, sentry_version=7"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def canary(server: LocalServer) -> None:
    """A plain error sent after the hostile input: stored, indexed, grouped and printed."""
    marker = uuid.uuid4().hex
    event = {"event_id": uuid.uuid4().hex, "level": "error", "platform": "python"}
    event["exception"] = {"values": [{"type": "CanaryError", "value": f"alive {marker}"}]}
    payload = msgspec.json.encode(event)
    body = b'{"event_id":"%s"}\n{"type":"event","length":%d}\n%s\n' % (
        event["event_id"].encode(),
        len(payload),
        payload,
    )
    assert post(server.url, body) == 200
    (item,) = server.wait_for("event", predicate=lambda i: marker in (i.title or ""), timeout=30)
    assert item.issue_id is not None, "the canary was not grouped"
    server.wait_for_output(marker, timeout=30)


def views_of(server: LocalServer, envelope_id: int) -> None:
    """Every view of every item of one envelope, and the lists around it: none may fail."""
    store = str(server.store_path)
    runner = CliRunner()
    with Store(server.store_path, readonly=True) as db:
        records = db.envelope_items(envelope_id)
        loader = Loader(db)
        for record in records:
            out = Console(file=io.StringIO(), width=80, color_system="truecolor")
            out.print(render_stored(loader.load(record)))
    for record in records:
        for extra in ([], ["--json"], ["--full"]):
            result = runner.invoke(cli, ["show", f"#{record.id}", "--store", store, *extra])
            assert result.exit_code == 0, (result.output, result.exception)
        if record.issue_id is not None:  # the issue's tag facets, counted from hostile tags
            for extra in ([], ["--json"]):
                result = runner.invoke(
                    cli, ["tags", f"DS-{record.issue_id}", "--store", store, *extra]
                )
                assert result.exit_code == 0, (result.output, result.exception)
    for command in (
        ["events", "--json", "--limit", "5"],
        ["events", "--limit", "5"],
        ["issues", "--json", "--limit", "5"],
        ["issues", "--limit", "5"],
        ["stats", "--json"],
        ["stats"],
    ):
        result = runner.invoke(cli, [*command, "--store", store])
        assert result.exit_code == 0, (command, result.output, result.exception)


@settings(settings.get_profile("hostile"))
@given(envelope=hostile_envelopes())
def test_no_payload_can_switch_devsentry_off(
    running: LocalServer, envelope: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    status = post(running.url, envelope)
    assert status < 500, status
    with urllib.request.urlopen(f"{running.url}/health", timeout=10) as health:
        assert health.status == 200
    canary(running)
    if status == 200:
        with Store(running.store_path, readonly=True) as db:
            (newest,) = db.db.execute(
                "SELECT max(id) FROM envelopes WHERE event_id IS NULL OR event_id NOT IN"
                " (SELECT event_id FROM items WHERE title LIKE 'CanaryError%')"
            ).fetchone()
        views_of(running, newest)
        out = tmp_path_factory.mktemp("export")
        result = CliRunner().invoke(
            cli, ["export", "--store", str(running.store_path), "--limit", "3", "-o", str(out)]
        )
        assert result.exit_code == 0, result.output


def test_an_item_no_stage_can_use_is_kept_listed_and_shown(running: LocalServer) -> None:
    payload = b'{"message": "deep", "extra": {"a": ' + b"[" * 5000 + b"]" * 5000 + b"}}"
    event_id = uuid.uuid4().hex
    body = b'{"event_id":"%s"}\n{"type":"event","length":%d}\n%s\n' % (
        event_id.encode(),
        len(payload),
        payload,
    )
    assert post(running.url, body) == 200
    (item,) = running.wait_for("event", predicate=lambda i: i.event_id == event_id)
    assert item.error == (
        "cannot decode 'event' item: JSON nested deeper than 128 levels (as deep as Relay reads)"
    )
    running.wait_for_output("INVALID")
    result = CliRunner().invoke(cli, ["show", f"#{item.id}", "--store", str(running.store_path)])
    assert result.exit_code == 0
    assert "invalid: cannot decode 'event' item: JSON nested deeper than 128" in result.output
    assert "Payload as sent" in result.output and '{"message": "deep"' in result.output
    events = CliRunner().invoke(
        cli, ["events", "--json", "--limit", "0", "--store", str(running.store_path)]
    )
    assert any(row["id"] == item.id and row["error"] for row in json.loads(events.output))
    canary(running)


def test_a_bidi_override_is_shown_escaped_everywhere(running: LocalServer) -> None:
    evil = "access\u202e\u2066 granted\u2069\u200b"
    event = {"message": evil, "tags": {"user": evil}, "breadcrumbs": [{"message": evil}]}
    payload = msgspec.json.encode(event)
    assert (
        post(running.url, b'{}\n{"type":"event","length":%d}\n%s\n' % (len(payload), payload))
        == 200
    )
    (item,) = running.wait_for("event", predicate=lambda i: "granted" in (i.title or ""))
    running.wait_for_output("granted")
    shown = CliRunner().invoke(cli, ["show", f"#{item.id}", "--store", str(running.store_path)])
    listed = CliRunner().invoke(cli, ["issues", "--store", str(running.store_path)])
    for output in (running.output, shown.output, listed.output):
        assert "\u202e" not in output and "\u2066" not in output and "\u200b" not in output
    assert "access\\u202e\\u2066 granted" in shown.output
    assert "access\\u202e\\u2066 granted" in running.output
