"""What Sentry would do with an item: real SDK payloads are kept, and the same payloads pushed
just past each of Relay's limits are trimmed or dropped, with the path and numbers said.

The numbers are Relay's (`relay-event-schema/src/protocol/*.rs`, `trimming.rs`, `validation.rs`,
`relay-config` defaults); a case here exists for each rule `devsentry.process.verdict` follows.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devsentry.process.verdict import InSentry, Note, in_sentry
from devsentry.protocol import parse
from devsentry.protocol.limits import MIB
from devsentry.protocol.times import epoch_seconds
from tests.conftest import FIXTURES

DAY = 86400.0


def received_at(header: dict[str, Any], payload: Any) -> float | None:
    """When Relay would have received an item: its envelope's `sent_at`, or (sentry-python's
    envelopes often have none) a second after the latest time the payload holds."""
    sent_at = epoch_seconds(header.get("sent_at"))
    if sent_at is not None:
        return sent_at
    entries = [payload, *payload.get("items", []), *payload.get("aggregates", [])]
    times = [
        epoch_seconds(entry.get(key))
        for entry in entries
        for key in ("timestamp", "started", "end_timestamp")
    ]
    return max((t + 1 for t in times if t is not None), default=None)


class Real:
    """One recorded item: its type, decoded payload, size, header item_count and the moment
    its envelope was sent (the time Relay would have received it)."""

    def __init__(self, path: Path, item_type: str) -> None:
        envelope = parse(path.read_bytes())
        item = next(i for i in envelope.items if i.type == item_type)
        self.type = item_type
        self.payload: Any = msgspec.json.decode(item.payload)
        self.size = len(item.payload)
        self.item_count = item.header.get("item_count")
        received = received_at(envelope.header, self.payload)
        assert received is not None
        self.received = received

    def judge(self, change: Callable[[Any], Any] | None = None, **kwargs: Any) -> InSentry:
        """The verdict on this item, changed by `change` (which edits a copy in place, or
        returns a replacement), its size measured again."""
        payload = copy.deepcopy(self.payload)
        if change is not None:
            replaced = change(payload)
            payload = payload if replaced is None else replaced
        options: dict[str, Any] = {"received": self.received, "item_count": self.item_count}
        options.update(kwargs)
        size = options.pop("size", None)
        if size is None:
            size = len(msgspec.json.encode(payload)) if self.size else 0
        return in_sentry(self.type, size, payload, **options)


ERROR = Real(FIXTURES / "python/error_plain.envelope", "event")
NODE_ERROR = Real(FIXTURES / "node/error-1.envelope", "event")
TRANSACTION = Real(FIXTURES / "python/transaction_profile.envelope", "transaction")
LOGS = Real(FIXTURES / "python/logs.envelope", "log")
SPANS = Real(FIXTURES / "node/spans-1.envelope", "span")
CHECK_IN = Real(FIXTURES / "python/checkin-1.envelope", "check_in")
SESSION = Real(FIXTURES / "python/sessions-3.envelope", "session")
AGGREGATES = Real(FIXTURES / "python/sessions-3.envelope", "sessions")
CLIENT_REPORT = Real(FIXTURES / "node/sessions-3.envelope", "client_report")


def recorded_items() -> list[tuple[str, str, Any, int, Any, float]]:
    """Every JSON item of every recorded envelope, with its envelope's `sent_at`."""
    out = []
    for path in sorted(FIXTURES.glob("*/*.envelope")):
        envelope = parse(path.read_bytes())
        for item in envelope.items:
            if item.type in ("attachment", "replay_recording", "replay_video"):
                payload, received = None, epoch_seconds(envelope.header.get("sent_at"))
            else:
                payload = msgspec.json.decode(item.payload)
                received = received_at(envelope.header, payload)
            name = f"{path.parent.name}/{path.name}:{item.type}"
            count = item.header.get("item_count")
            out.append((name, item.type, payload, len(item.payload), count, received))
    return out


RECORDED = recorded_items()


@pytest.mark.parametrize(
    ("item_type", "payload", "size", "item_count", "received"),
    [pytest.param(*row[1:], id=row[0]) for row in RECORDED],
)
def test_every_recorded_item_is_kept_as_sent(
    item_type: str, payload: Any, size: int, item_count: int | None, received: float | None
) -> None:
    assert in_sentry(item_type, size, payload, received=received, item_count=item_count) == (
        InSentry("kept", [])
    )


def test_the_recorded_items_cover_every_rule_family() -> None:
    """The "kept" above means something: each family of rules below met a real payload."""
    assert {row[1] for row in RECORDED} >= {
        "event",
        "transaction",
        "log",
        "span",
        "trace_metric",
        "check_in",
        "session",
        "sessions",
        "client_report",
        "attachment",
    }


# -- the cases: a real payload, changed just past one limit ----------------------------------


def setter(path: str, value: Any) -> Callable[[Any], None]:
    """A change that sets a dotted path (list indexes as numbers) to `value`."""

    def change(payload: Any) -> None:
        *parents, last = path.split(".")
        node = payload
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return change


def deleter(path: str) -> Callable[[Any], None]:
    def change(payload: Any) -> None:
        *parents, last = path.split(".")
        node = payload
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[int(last) if isinstance(node, list) else last]

    return change


def nested(depth: int) -> Any:
    """Relay's `make_nested_object` from its trimming tests: `{"key<n>": …}` `depth` deep."""
    value: Any = "max depth"
    for level in range(1, depth + 1):
        value = {f"key{level}": value}
    return value


def frames(count: int, **fields: Any) -> list[dict[str, Any]]:
    return [{"function": f"f{i}", "in_app": True, **fields} for i in range(count)]


def span_like(index: int, **fields: Any) -> dict[str, Any]:
    span = copy.deepcopy(TRANSACTION.payload["spans"][0])
    span["span_id"] = f"{index:016x}"
    span.update(fields)
    return span


END = epoch_seconds(TRANSACTION.payload["timestamp"]) or 0.0

# fmt: off
CASES: list[tuple[str, Real, Any, dict[str, Any], str, str, str]] = [
    # (id, real item, change, in_sentry options, verdict, path of the first note, reason part)
    # strings beyond their field's max_chars (+ max_chars_allowance)
    ("message 12,000 chars", ERROR, setter("logentry", {"formatted": "m" * 12_000}), {},
     "trimmed", "logentry.formatted", "12,000 chars; Sentry keeps 8,192"),
    ("message within the allowance", ERROR, setter("logentry", {"formatted": "m" * 8392}), {},
     "kept", "", ""),
    ("legacy message string", NODE_ERROR, setter("message", "m" * 8393), {},
     "trimmed", "message", "8,393 chars; Sentry keeps 8,192"),
    ("tag value", ERROR, setter("tags.service", "v" * 201), {},
     "trimmed", "tags.service", "201 chars; Sentry keeps 200"),
    ("tag value at the limit", ERROR, setter("tags.service", "v" * 200), {}, "kept", "", ""),
    ("tag pairs", ERROR, setter("tags", [["service", "v" * 250]]), {},
     "trimmed", "tags.service", "250 chars; Sentry keeps 200"),
    ("culprit", ERROR, setter("culprit", "c" * 201), {},
     "trimmed", "culprit", "201 chars; Sentry keeps 200"),
    ("transaction name", ERROR, setter("transaction", "t" * 300), {},
     "trimmed", "transaction", "300 chars; Sentry keeps 200"),
    ("logger", ERROR, setter("logger", "l" * 65), {},
     "trimmed", "logger", "65 chars; Sentry keeps 64"),
    ("exception value", ERROR, setter("exception.values.1.value", "v" * 9000), {},
     "trimmed", "exception.values.1.value", "9,000 chars; Sentry keeps 8,192"),
    ("breadcrumb message", ERROR, setter("breadcrumbs.values.3.message", "b" * 9000), {},
     "trimmed", "breadcrumbs.values.3.message", "9,000 chars; Sentry keeps 8,192"),
    ("breadcrumb category", ERROR, setter("breadcrumbs.values.2.category", "c" * 129), {},
     "trimmed", "breadcrumbs.values.2.category", "129 chars; Sentry keeps 128"),
    ("frame function", ERROR, setter("exception.values.0.stacktrace.frames.1.function", "f" * 277),
     {}, "trimmed", "exception.values.0.stacktrace.frames.1.function", "277 chars; Sentry keeps 256"),
    ("request url", NODE_ERROR, setter("request", {"url": "https://x.test/" + "p" * 290}), {},
     "trimmed", "request.url", "305 chars; Sentry keeps 256"),
    # databags beyond their bytes and depth
    ("breadcrumb data", ERROR, setter("breadcrumbs.values.0.data", {"blob": "x" * 3000}), {},
     "trimmed", "breadcrumbs.values.0.data", "more than 2,048 bytes"),
    ("breadcrumb data 6 deep", ERROR, setter("breadcrumbs.values.0.data", nested(5)), {},
     "trimmed", "breadcrumbs.values.0.data.key5.key4.key3.key2", "nested more than 5 levels"),
    ("breadcrumb data 5 deep", ERROR, setter("breadcrumbs.values.0.data", nested(4)), {},
     "kept", "", ""),
    ("extra value text", ERROR, setter("extra.payload", "x" * 20_000), {},
     "trimmed", "extra.payload", "20,000 chars; Sentry keeps 16,384"),
    ("extra value object", ERROR, setter("extra.payload", {f"k{i}": "v" * 200 for i in range(100)}),
     {}, "trimmed", "extra.payload", "more than 16,384 bytes"),
    ("extra as relay's test", ERROR, setter("extra", {"key_1": "value 1", "key_2": nested(8),
                                                      "key_3": nested(5)}), {},
     "trimmed", "extra.key_2.key8.key7.key6.key5.key4", "stores it as a JSON string"),
    ("extra in all", ERROR, setter("extra", {f"k{i:02}": "x" * 15_000 for i in range(20)}), {},
     "trimmed", "extra", "more than 262,144 bytes"),
    ("context as relay's test", ERROR,
     setter("contexts.despacito1", {"foo": "a" * 4000, "bar": "a" * 5000}), {},
     "trimmed", "contexts.despacito1", "more than 8,192 bytes"),
    ("context within", ERROR, setter("contexts.despacito1", {"foo": "a" * 4000}), {},
     "kept", "", ""),
    ("frame vars", ERROR, setter("exception.values.0.stacktrace.frames.0.vars",
                                 {"big": "'" + "x" * 2100 + "'"}), {},
     "trimmed", "exception.values.0.stacktrace.frames.0.vars", "more than 2,048 bytes"),
    ("message params", ERROR, setter("logentry", {"message": "%s", "params": ["p" * 2100]}), {},
     "trimmed", "logentry.params", "more than 2,048 bytes"),
    ("request body", NODE_ERROR, setter("request", {"data": "b" * 10_000}), {},
     "trimmed", "request.data", "10,000 chars; Sentry keeps 8,192"),
    ("request query", NODE_ERROR, setter("request", {"query_string": [["q", "v" * 1100]]}), {},
     "trimmed", "request.query_string", "more than 1,024 bytes"),
    ("modules", ERROR, setter("modules", {f"package-{i}": "1.0.0" * 20 for i in range(100)}), {},
     "trimmed", "modules", "more than 8,192 bytes"),
    # stack traces
    ("300 frames", ERROR, setter("exception.values.1.stacktrace.frames", frames(300)), {},
     "trimmed", "exception.values.1.stacktrace.frames",
     "300 frames; Sentry keeps the newest 250 and drops the 50 oldest"),
    ("60 frames with vars", ERROR,
     setter("exception.values.1.stacktrace.frames", frames(60, vars={"a": "1"})), {},
     "trimmed", "exception.values.1.stacktrace.frames",
     "60 frames; beyond 50, Sentry strips local variables and source context from 10 frames"),
    ("60 bare frames", ERROR, setter("exception.values.1.stacktrace.frames", frames(60)), {},
     "kept", "", ""),
    ("thread frames", ERROR, setter("threads", {"values": [{"stacktrace": {"frames": frames(251)}}]}),
     {}, "trimmed", "threads.values.0.stacktrace.frames", "251 frames"),
    # timestamps: corrected, not dropped, for events
    ("event 100 days old", ERROR, None, {"received": ERROR.received + 100 * DAY},
     "trimmed", "timestamp", "100 days before it was received; Sentry keeps 90 days"),
    ("event from the future", ERROR, None, {"received": ERROR.received - 300},
     "trimmed", "timestamp", "5 minutes after it was received; Sentry allows 60 s"),
    ("event 89 days old", ERROR, None, {"received": ERROR.received + 89 * DAY}, "kept", "", ""),
    ("breadcrumb before 1970", ERROR, setter("breadcrumbs.values.1.timestamp", -5), {},
     "trimmed", "breadcrumbs.values.1", "dated before 1970"),
    # whole items
    ("event too large", ERROR, None, {"size": 2 * MIB},
     "dropped", "", "2,097,152 bytes is over Relay's 1,048,576 for event items"),
    ("event unreadable", ERROR, None, {"invalid": "not JSON"},
     "dropped", "", "Relay cannot read it: not JSON"),
    ("event not an object", ERROR, lambda p: [p], {},
     "dropped", "", "not a JSON object"),
    # transactions Relay drops
    ("no start_timestamp", TRANSACTION, deleter("start_timestamp"), {},
     "dropped", "", "no valid start_timestamp"),
    ("ends before it starts", TRANSACTION, setter("start_timestamp", END + 5), {},
     "dropped", "", "it ends 5 s before it starts"),
    ("no trace context", TRANSACTION, deleter("contexts.trace"), {},
     "dropped", "", "no trace context"),
    ("trace context without span_id", TRANSACTION, deleter("contexts.trace.span_id"), {},
     "dropped", "", "no valid span_id"),
    ("trace id not hex", TRANSACTION, setter("contexts.trace.trace_id", "z" * 32), {},
     "dropped", "", "no valid trace_id"),
    ("span without start", TRANSACTION, deleter("spans.2.start_timestamp"), {},
     "dropped", "", "spans.2 has no valid start_timestamp"),
    ("span ends before it starts", TRANSACTION,
     setter("spans.1.timestamp", "2026-11-25T23:31:59.000000Z"), {},
     "dropped", "", "spans.1 ends before it starts"),
    ("span without end", TRANSACTION, deleter("spans.3.timestamp"), {}, "kept", "", ""),
    ("transaction 6 days old", TRANSACTION, None, {"received": END + 6 * DAY},
     "dropped", "", "ended 6 days before it was received; Relay drops a transaction that ends "
     "more than 5 days before"),
    ("transaction 100 days old", TRANSACTION, None, {"received": END + 100 * DAY},
     "trimmed", "timestamp", "100 days before it was received"),
    ("spans over 800 KiB", TRANSACTION,
     setter("spans", [span_like(i, platform="a" * 102_400) for i in range(10)]), {},
     "trimmed", "spans", "Sentry keeps the first 8 of 10"),
    # logs and spans (v2 containers)
    ("log without body", LOGS, deleter("items.2.body"), {},
     "trimmed", "items.2", "no valid body: Relay drops a log without one"),
    ("log trace id", LOGS, setter("items.0.trace_id", 42), {},
     "trimmed", "items.0", "no valid trace_id"),
    ("every log invalid", LOGS, lambda p: {"items": [{"body": "x"}, 3]}, {},
     "dropped", "", "Relay drops every log in it"),
    ("logs over 2 MiB each", LOGS, None, {"size": 3 * MIB, "item_count": 1},
     "dropped", "", "3,145,728 bytes per log (3,145,728 bytes for an item_count of 1) is over Relay's 2,097,152"),
    ("logs within 2 MiB each", LOGS, None, {"size": 3 * MIB}, "kept", "", ""),
    ("logs container too large", LOGS, None, {"size": 13 * MIB},
     "dropped", "", "13,631,488 bytes is over Relay's 12,582,912 for log items"),
    ("not a container", LOGS, lambda p: {"logs": p["items"]}, {},
     "dropped", "", "not an item container"),
    ("span not an object", SPANS, setter("items.1", "span"), {},
     "trimmed", "items.1", "not an object: Relay drops it"),
    # check-ins
    ("long slug", CHECK_IN, setter("monitor_slug", "s" * 60), {},
     "trimmed", "monitor_slug", "60 chars; Sentry keeps 50"),
    ("long environment", CHECK_IN, setter("environment", "e" * 65), {},
     "dropped", "", "environment is 65 chars; Relay drops a check-in whose environment is over 64"),
    ("empty slug", CHECK_IN, setter("monitor_slug", ""), {},
     "dropped", "", "monitor_slug is empty"),
    ("no status", CHECK_IN, deleter("status"), {}, "dropped", "", "no status"),
    ("missed", CHECK_IN, setter("status", "missed"), {},
     "trimmed", "status", 'Relay sends "unknown" instead'),
    ("check-in id", CHECK_IN, setter("check_in_id", "not-a-uuid"), {},
     "dropped", "", "check_in_id is not a UUID"),
    ("schedule unit", CHECK_IN,
     setter("monitor_config.schedule", {"type": "interval", "value": 2, "unit": "fortnight"}), {},
     "dropped", "", "monitor_config is not what Relay reads"),
    # sessions
    ("session 6 days old", SESSION, None, {"received": SESSION.received + 6 * DAY},
     "dropped", "", "timestamp is 6 days before it was received; Relay drops sessions older "
     "than 5 days"),
    ("session from the future", SESSION, None, {"received": SESSION.received - 120},
     "dropped", "", "after it was received; Relay drops sessions more than 60 s ahead"),
    ("session from a slow clock", SESSION, None,
     {"received": SESSION.received + 6 * DAY, "sent_at": SESSION.received}, "kept", "", ""),
    ("session clock 2 minutes off", SESSION, None,
     {"received": SESSION.received - 120, "sent_at": SESSION.received},
     "dropped", "", "Relay drops sessions more than 60 s ahead"),
    ("session without release", SESSION, deleter("attrs.release"), {},
     "dropped", "", "no attrs.release"),
    ("session started as a number", SESSION, setter("started", 1795649524.6), {},
     "dropped", "", "no valid started"),
    ("session updated before it started", SESSION,
     setter("timestamp", "2026-11-25T23:32:04.000000Z"), {},
     "trimmed", "timestamp", "before started: Relay sets it to started"),
    ("one old aggregate", AGGREGATES,
     lambda p: p["aggregates"].insert(0, {"started": "2026-11-01T00:00:00Z", "exited": 1}), {},
     "trimmed", "aggregates.0", "started is 25 days before it was received"),
    # client reports
    ("long outcome reason", CLIENT_REPORT,
     lambda p: p["discarded_events"].append({"reason": "r" * 201, "category": "error",
                                              "quantity": 1}), {},
     "trimmed", "discarded_events.1", "a reason of 201 bytes; Relay ignores outcomes with one over 200"),
    ("old client report", CLIENT_REPORT, None, {"received": CLIENT_REPORT.received + 91 * DAY},
     "dropped", "", "91 days before it was received; Relay ignores client reports older than 90 days"),
    ("client report from a slow clock", CLIENT_REPORT, None,
     {"received": CLIENT_REPORT.received + 91 * DAY, "sent_at": CLIENT_REPORT.received},
     "kept", "", ""),
    ("quantity as text", CLIENT_REPORT, setter("discarded_events.0.quantity", "4"), {},
     "dropped", "", "discarded_events.0 is not an outcome"),
]
# fmt: on


@pytest.mark.parametrize(
    ("real", "change", "options", "verdict", "path", "reason"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_a_real_payload_past_a_limit(
    real: Real,
    change: Callable[[Any], Any] | None,
    options: dict[str, Any],
    verdict: str,
    path: str,
    reason: str,
) -> None:
    result = real.judge(change, **options)
    assert result.verdict == verdict, result
    if verdict == "kept":
        assert result.notes == []
    else:
        first = result.notes[0]
        assert (first.path, reason in first.reason) == (path, True), result.notes
        assert first.action == ("dropped" if verdict == "dropped" else first.action)


# -- notes: merged, ordered, bounded ---------------------------------------------------------


def test_normalization_notes_are_merged_in_path_order() -> None:
    removed = [Note("user.ip_address", "removed", "not an IP address")]
    result = ERROR.judge(setter("tags.service", "v" * 201), removed=removed)
    assert result.verdict == "trimmed"
    assert [note.path for note in result.notes] == ["tags.service", "user.ip_address"]
    assert result.notes[1] == removed[0]


def test_normalization_notes_alone_make_it_trimmed_and_stay_when_it_is_dropped() -> None:
    removed = [Note("user.ip_address", "removed", "not an IP address")]
    assert ERROR.judge(removed=removed) == InSentry("trimmed", removed)
    dropped = ERROR.judge(removed=removed, size=2 * MIB)
    assert dropped.verdict == "dropped"
    assert [note.path for note in dropped.notes] == ["", "user.ip_address"]


def test_whole_item_notes_come_first_and_indexes_sort_as_numbers() -> None:
    def change(payload: Any) -> None:
        crumbs = payload["breadcrumbs"]["values"]
        crumbs.extend({"category": "ok"} for _ in range(11 - len(crumbs)))
        crumbs[10]["category"] = "c" * 200
        crumbs[2]["message"] = "m" * 9000

    result = ERROR.judge(change, removed=[Note("", "removed", "a whole-item remark")])
    assert [note.path for note in result.notes] == [
        "",
        "breadcrumbs.values.2.message",
        "breadcrumbs.values.10.category",
    ]


def test_a_hostile_payload_gets_at_most_fifty_notes_and_a_count_of_the_rest() -> None:
    crumbs = [{"category": "c" * 129, "message": "m"} for _ in range(100_000)]
    result = ERROR.judge(setter("breadcrumbs", {"values": crumbs}), size=900_000)
    assert result.verdict == "trimmed"
    assert len(result.notes) == 50
    assert result.notes[0].path == "breadcrumbs.values.0.category"
    assert result.notes[48].path == "breadcrumbs.values.48.category"
    assert result.notes[-1] == Note(
        "breadcrumbs.values", "trimmed", "and 99,951 more like these, not listed"
    )


def test_a_hostile_payload_at_its_real_size_is_dropped_with_one_note() -> None:
    crumbs = [{"category": "c" * 129} for _ in range(100_000)]
    result = ERROR.judge(setter("breadcrumbs", {"values": crumbs}))
    assert result.verdict == "dropped"
    assert len(result.notes) == 1
    assert "is over Relay's 1,048,576" in result.notes[0].reason


def test_relays_long_array_test_keeps_8192_ones() -> None:
    """Relay's `test_extra_trimming_long_arrays`: of 200,000 ones in an extra value it keeps
    8,192, each costing 2 of the value's 16,384 bytes."""
    assert ERROR.judge(setter("extra.foo", [1] * 8192)).verdict == "kept"
    result = ERROR.judge(setter("extra.foo", [1] * 200_000))
    assert [(note.path, note.action) for note in result.notes] == [("extra.foo", "trimmed")]


def test_a_databag_walk_stops_once_over_its_budget() -> None:
    """Counting 200,000 ones against 16 KiB stops at the first one over: had it gone on, it
    would be 383,000 under, not a few bytes."""
    from devsentry.process.verdict.bags import cost_within

    assert -3 <= cost_within([1] * 200_000, 16_384) < 0
    assert -3 <= cost_within([[1] * 1000] * 1000, 16_384) < 0


# -- hostile input never raises --------------------------------------------------------------

HOSTILE = st.one_of(
    st.sampled_from([None, True, False, 0, -1, 10**40, 1.5e308, -1e308, "", "x" * 200_000]),
    st.sampled_from(["9999-99-99T99:99:99Z", "-1", "nan", "\ud800", "ünï 🐍"]),
    st.sampled_from([[], {}, [None], {"": None}, {"values": 7}, {"values": [None, 1, "x"]}]),
    st.builds(lambda n: [{"a": i} for i in range(n)], st.sampled_from([10, 20_000])),
    st.builds(lambda n: {f"k{i}": "v" * 300 for i in range(n)}, st.sampled_from([10, 2000])),
    st.builds(lambda n: [1] * n, st.just(100_000)),
    st.builds(lambda d: json.loads("[" * d + "]" * d), st.sampled_from([8, 127])),
    st.builds(lambda d: json.loads('{"a":' * d + "1" + "}" * d), st.sampled_from([8, 127])),
)


def mutate(value: Any, data: st.DataObject, depth: int = 0) -> Any:
    if depth < 5 and isinstance(value, dict) and value:
        out = dict(value)
        for key in data.draw(st.lists(st.sampled_from(sorted(out)), max_size=4, unique=True)):
            out[key] = (
                data.draw(HOSTILE)
                if data.draw(st.booleans())
                else mutate(out[key], data, depth + 1)
            )
        return out
    if depth < 5 and isinstance(value, list) and value:
        out_list = list(value)
        index = data.draw(st.integers(0, len(out_list) - 1))
        out_list[index] = mutate(out_list[index], data, depth + 1)
        return out_list
    return data.draw(HOSTILE)


REALS = [ERROR, NODE_ERROR, TRANSACTION, LOGS, SPANS, CHECK_IN, SESSION, AGGREGATES, CLIENT_REPORT]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), real=st.sampled_from(REALS), size=st.sampled_from([None, 10, 900_000]))
def test_no_payload_makes_it_raise(data: st.DataObject, real: Real, size: int | None) -> None:
    payload = mutate(real.payload, data)
    received = data.draw(st.sampled_from([None, real.received, -1e12, 1e12]))
    result = in_sentry(
        real.type,
        size if size is not None else len(json.dumps(payload, default=str)),
        payload,
        received=received,
        item_count=data.draw(st.sampled_from([None, 0, -3, 4, True])),
    )
    assert result.verdict in ("kept", "trimmed", "dropped")
    assert len(result.notes) <= 50 + 3
    assert (result.verdict == "kept") == (not result.notes)
    assert all(isinstance(note.reason, str) and note.reason for note in result.notes)


@pytest.mark.parametrize(
    "item_type",
    [
        "event",
        "transaction",
        "log",
        "span",
        "check_in",
        "session",
        "sessions",
        "client_report",
        "attachment",
        "unknown",
    ],
)
@pytest.mark.parametrize("payload", [None, [], "text", 7, {}, {"items": None}])
def test_any_shape_of_any_type_is_judged(item_type: str, payload: Any) -> None:
    result = in_sentry(item_type, 10, payload, received=1.8e9)
    assert result.verdict in ("kept", "trimmed", "dropped")
