"""`devsentry export` and `devsentry replay`: recorded SDK envelopes sent again, byte for byte,
to real servers (DSN and Spotlight URL) and stores, and stored envelopes written back as files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from devsentry.cli import cli
from devsentry.cli.status import ExitStatus
from devsentry.fixtures.files import ReplayError, find_files
from devsentry.fixtures.refresh import refresh
from devsentry.fixtures.replay import Target, parse_rate
from devsentry.model import is_binary
from devsentry.protocol import Envelope, Item, parse
from devsentry.store import Store
from devsentry.testing.plugin import DevSentry
from tests.conftest import FIXTURES, clean_env, demo_fixtures

PYTHON = sorted((FIXTURES / "python").glob("*.envelope"))
NODE = sorted((FIXTURES / "node").glob("*.envelope"))
ERROR = FIXTURES / "python" / "error_plain.envelope"
RECORDED_KEY = "0123456789abcdef0123456789abcdef"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def stored_raw(store_path: Path) -> list[bytes]:
    with Store(store_path, readonly=True) as store:
        return [raw for (raw,) in store.db.execute("SELECT raw FROM envelopes ORDER BY id")]


def body(raw: bytes) -> bytes:
    """Everything after the envelope header line: the items, as recorded."""
    return raw.split(b"\n", 1)[1]


# -- replay -------------------------------------------------------------------------------


def test_replay_to_a_dsn_rewrites_only_the_header(devsentry: DevSentry) -> None:
    result = run("replay", FIXTURES / "python", FIXTURES / "node", "--to", devsentry.dsn_for(9))
    files = PYTHON + NODE
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"replayed {len(files)} envelopes to {devsentry.dsn_for(9)}: 200: {len(files)}\n"
    )
    devsentry.settle()
    stored = stored_raw(devsentry.store_path)
    assert len(stored) == len(files)
    before = time.time()
    for path, raw in zip(files, stored, strict=True):
        original = path.read_bytes()
        assert body(raw) == body(original), path  # items byte-identical, framing too
        sent, recorded = parse(raw).header, parse(original).header
        assert sent.pop("sent_at") != recorded.pop("sent_at", None)
        if "public_key" in recorded.get("trace", {}):
            assert recorded["trace"]["public_key"] == RECORDED_KEY
            assert sent["trace"]["public_key"] == "devsentry"
            recorded["trace"]["public_key"] = "devsentry"
        assert sent == recorded, path
    with Store(devsentry.store_path, readonly=True) as store:
        rows = store.db.execute("SELECT DISTINCT project, transport FROM envelopes").fetchall()
        clients = {c for (c,) in store.db.execute("SELECT DISTINCT client FROM envelopes")}
    assert rows == [("9", "envelope")]
    assert "sentry.javascript.node/11.12.0" in clients
    newest = max(parse(raw).header["sent_at"] for raw in stored)
    assert newest.startswith(time.strftime("%Y-%m-%dT", time.gmtime(before)))


def test_replay_rewrites_an_envelope_dsn_for_the_target(
    devsentry: DevSentry, tmp_path: Path
) -> None:
    """Tunnel-style envelopes carry the DSN in their header; Relay refuses a mismatch."""
    original = parse(ERROR.read_bytes())
    tunnel = original.with_header(dsn=f"https://{RECORDED_KEY}@o1.ingest.sentry.io/42")
    path = tmp_path / "tunnel.envelope"
    path.write_bytes(bytes(tunnel))
    assert run("replay", path, "--to", devsentry.dsn_for(5)).exit_code == 0
    (item,) = devsentry.wait_for("event")
    (raw,) = stored_raw(devsentry.store_path)
    assert parse(raw).header["dsn"] == devsentry.dsn_for(5)
    assert item.project == "5"


def test_replay_to_a_spotlight_url(devsentry: DevSentry) -> None:
    result = run(
        "replay", ERROR, FIXTURES / "node" / "error-1.envelope", "--to", devsentry.spotlight_url
    )
    assert result.exit_code == 0, result.output
    items = devsentry.wait_for("event", count=2)
    assert {i.project for i in items} == {"spotlight"}
    with Store(devsentry.store_path, readonly=True) as store:
        transports = {t for (t,) in store.db.execute("SELECT transport FROM envelopes")}
    assert transports == {"stream"}
    assert [body(r) for r in stored_raw(devsentry.store_path)] == [
        body(ERROR.read_bytes()),
        body((FIXTURES / "node" / "error-1.envelope").read_bytes()),
    ]


def test_replay_to_store_uses_the_pipeline_and_keeps_bytes(tmp_path: Path) -> None:
    store_path = tmp_path / "replayed.db"
    result = run("replay", FIXTURES / "python", "--to-store", "--store", store_path, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["by_status"] == {"200": len(PYTHON)}
    assert summary["ok"] is True
    assert [f["path"] for f in summary["files"]] == [str(p) for p in PYTHON]
    assert stored_raw(store_path) == [p.read_bytes() for p in PYTHON]
    with Store(store_path, readonly=True) as store:
        assert store.fully_indexed()
        transports = {t for (t,) in store.db.execute("SELECT transport FROM envelopes")}
        (payment,) = [i for i in store.issues() if i.title.startswith("PaymentError")]
        projects = {i.project for i in store.items()}
    assert transports == {"replay"}
    assert (payment.count, payment.culprit) == (8, "demoshop.payments in charge")
    assert projects == {"1"}

    again = run("replay", ERROR, "--to-store", "--store", store_path, "--project", "7")
    assert again.exit_code == 0
    with Store(store_path, readonly=True) as store:
        assert store.items()[0].project == "7"


def test_refresh_gives_fresh_ids_consistently_and_moves_time_to_now(
    devsentry: DevSentry,
) -> None:
    feedback = [
        FIXTURES / "python" / "feedback-1.envelope",
        FIXTURES / "python" / "feedback-2.envelope",
    ]
    attachments = FIXTURES / "python" / "attachments.envelope"
    result = run("replay", *feedback, attachments, "--refresh", "--to", devsentry.dsn)
    assert result.exit_code == 0, result.output
    devsentry.settle()
    old_ids = {parse(p.read_bytes()).header["event_id"] for p in [*feedback, attachments]}
    items = devsentry.items()
    by_type: dict[str, list[Any]] = {}
    for item in items:
        by_type.setdefault(item.type, []).append(item)
    event_ids = {i.event_id for i in items if i.event_id}
    assert not event_ids & old_ids
    # The user report (its own envelope) still points at its event; attachments at theirs.
    (report,) = by_type["user_report"]
    assert report.event_id in {e.event_id for e in by_type["event"]}
    for envelope in devsentry.envelopes:
        payload_ids = {
            json.loads(i.payload).get("event_id") for i in envelope.items if not is_binary(i)
        }
        assert payload_ids <= {envelope.header["event_id"], None}
    now = time.time()
    for event in by_type["event"]:
        assert event.timestamp is not None and abs(event.timestamp - now) < 60


def test_refresh_shifts_every_timestamp_by_the_same_amount() -> None:
    envelope = Envelope.make(
        [
            Item.make(
                "transaction",
                json.dumps(
                    {
                        "event_id": "a" * 32,
                        "start_timestamp": 1_700_000_000.5,
                        "timestamp": "2023-11-14T22:13:21.000000Z",
                        "spans": [
                            {"start_timestamp": 1_700_000_000.75, "timestamp": 1_700_000_001}
                        ],
                        "breadcrumbs": [{"timestamp": "2023-11-14T22:13:20+00:00"}],
                        "measurements": {"lcp": {"value": 1_000_000_000_000}},
                    }
                ).encode(),
            )
        ],
        event_id="a" * 32,
    )
    envelope = envelope.with_header(sent_at="2023-11-14T22:13:21.250Z")
    (renewed,) = refresh([envelope], now=1_800_000_001.0)
    assert renewed.header["sent_at"] == "2027-01-15T08:00:01.250000Z"
    payload = json.loads(renewed.items[0].payload)
    assert renewed.items[0].header["length"] == len(renewed.items[0].payload)
    assert renewed.header["event_id"] == payload["event_id"] != "a" * 32
    assert payload["start_timestamp"] == 1_800_000_000.5
    assert payload["timestamp"] == "2027-01-15T08:00:01.000000Z"  # the newest becomes now
    assert payload["spans"][0] == {
        "start_timestamp": 1_800_000_000.75,
        "timestamp": 1_800_000_001.0,
    }
    assert payload["breadcrumbs"][0]["timestamp"] == "2027-01-15T08:00:00+00:00"
    assert payload["measurements"]["lcp"]["value"] == 1_000_000_000_000  # not a time


def test_malformed_file_exits_1_with_the_summary(devsentry: DevSentry, tmp_path: Path) -> None:
    broken = tmp_path / "broken.envelope"
    broken.write_bytes(b'{"event_id":"abc"}\n{"type":"event","length":500}\n{"level":"error"}')
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "devsentry",
            "replay",
            str(ERROR),
            str(broken),
            "--to",
            devsentry.dsn,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
        check=False,
    )
    assert proc.returncode == ExitStatus.ERROR
    assert proc.stdout == f"replayed 2 envelopes to {devsentry.dsn}: 200: 1, invalid: 1\n"
    assert f"devsentry: {broken}: invalid: not a valid envelope: payload truncated" in proc.stderr
    devsentry.wait_for("event")


def test_refused_envelopes_exit_1_and_json_lists_them(devsentry: DevSentry, tmp_path: Path) -> None:
    bad_dsn = tmp_path / "bad-dsn.envelope"
    bad_dsn.write_bytes(bytes(parse(ERROR.read_bytes()).with_header(dsn="not a dsn")))
    result = run("replay", bad_dsn, ERROR, "--to", devsentry.spotlight_url, "--json")
    assert result.exit_code == ExitStatus.ERROR
    summary = json.loads(result.stdout)
    assert summary["by_status"] == {"200": 1, "400": 1}
    refused = summary["files"][0]
    assert (refused["status"], refused["outcome"]) == (400, "400")
    assert "bad envelope authentication header" in refused["detail"]


def test_concurrency_and_rate(devsentry: DevSentry) -> None:
    result = run(
        "replay", FIXTURES / "node", "--to", devsentry.dsn, "--concurrency", "4", "--rate", "2000/s"
    )
    assert result.exit_code == 0, result.output
    devsentry.settle()
    assert sorted(stored_raw(devsentry.store_path)) != []
    assert len(devsentry.envelopes) == len(NODE)


def test_unreachable_target_is_reported_per_file(tmp_path: Path) -> None:
    result = run("replay", ERROR, "--to", "http://key@127.0.0.1:9/1")
    assert result.exit_code == ExitStatus.ERROR
    assert "replayed 1 envelope to http://key@127.0.0.1:9/1: unreachable: 1" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "ftp://x/1"], "neither a DSN"),
        (["--to", "http://k@h/notanumber"], "is not a number"),
        ([], "give either --to DSN_OR_URL or --to-store"),
        (["--to", "http://k@h/1", "--to-store"], "give either"),
        (["--to", "http://k@h/1", "--rate", "fast"], "expected N/s"),
    ],
)
def test_bad_arguments_are_usage_errors(args: list[str], message: str) -> None:
    result = run("replay", ERROR, *args)
    assert result.exit_code == ExitStatus.USAGE
    assert message in result.output


def test_missing_files_are_not_found(tmp_path: Path) -> None:
    result = run("replay", tmp_path / "nope.envelope", "--to", "http://k@h/1")
    assert result.exit_code == ExitStatus.NOT_FOUND
    assert "no such file or directory" in result.output
    result = run("replay", str(tmp_path / "*.envelope"), "--to", "http://k@h/1")
    assert result.exit_code == ExitStatus.NOT_FOUND
    assert "no files match this pattern" in result.output


def test_find_files_and_parse_rate() -> None:
    assert find_files([FIXTURES / "python"]) == PYTHON  # not the .br twins
    assert (
        find_files([str(FIXTURES / "*" / "error*.envelope")])[0]
        == FIXTURES / "browser" / "error-1.envelope"
    )
    assert find_files([ERROR, ERROR, FIXTURES / "python" / "logs.envelope.br"]) == [
        ERROR,
        FIXTURES / "python" / "logs.envelope.br",
    ]
    assert (parse_rate("20/s"), parse_rate("300/m"), parse_rate("3600/h"), parse_rate("5")) == (
        20.0,
        5.0,
        1.0,
        5.0,
    )
    for bad in ("0/s", "x", "5/d"):
        with pytest.raises(ReplayError):
            parse_rate(bad)
    assert Target.parse("http://127.0.0.1:8969/stream").kind == "url"
    assert Target.parse("https://k@o1.ingest.sentry.io/42").url == (
        "https://o1.ingest.sentry.io/api/42/envelope/"
    )


def test_compressed_files_are_replayed_decompressed(tmp_path: Path) -> None:
    store_path = tmp_path / "s.db"
    assert (
        run(
            "replay", FIXTURES / "python" / "logs.envelope.br", "--to-store", "--store", store_path
        ).exit_code
        == 0
    )
    assert stored_raw(store_path) == [(FIXTURES / "python" / "logs.envelope").read_bytes()]


# -- export -------------------------------------------------------------------------------

NAME = re.compile(r"^\d{8}T\d{6}-[a-z0-9_]+(-[a-z0-9-]{1,40})?-[0-9a-z]{1,8}(-\d+)?\.envelope$")


def test_export_then_replay_round_trips_byte_for_byte(devsentry: DevSentry, tmp_path: Path) -> None:
    devsentry.replay(FIXTURES / "python")
    out = tmp_path / "exported"
    result = run("export", "DS-1", "-o", out, "--store", devsentry.store_path, "--json")
    assert result.exit_code == 0, result.output
    written = json.loads(result.stdout)
    assert len(written) == 8
    assert {w["type"] for w in written} == {"event"}
    with Store(devsentry.store_path, readonly=True) as store:
        originals = {w["path"]: store.envelope(w["envelope_id"]) for w in written}
    for entry in written:
        path = Path(entry["path"])
        assert path.parent == out
        assert NAME.match(path.name), path.name
        assert path.name.endswith(f"-{entry['event_id'][:8]}.envelope")
        assert "-event-paymenterror-could-not-charge-31-02-eur-" in path.name
        original = originals[entry["path"]]
        assert original is not None and path.read_bytes() == original.raw

    fresh = tmp_path / "fresh.db"
    assert run("replay", out, "--to-store", "--store", fresh).exit_code == 0
    assert sorted(stored_raw(fresh)) == sorted(o.raw for o in originals.values() if o)


def test_export_by_event_id_filters_and_not_found(devsentry: DevSentry, tmp_path: Path) -> None:
    devsentry.replay(*demo_fixtures("python"))
    store = ("--store", devsentry.store_path)
    # An event id prefix: the event's envelope and the user report sent for it later.
    result = run("export", "4de6b91d", "-o", tmp_path / "one", *store, "--json")
    assert result.exit_code == 0, result.output
    assert [w["items"] for w in json.loads(result.stdout)] == [["event"], ["user_report"]]

    result = run("export", "--type", "transaction", "-o", tmp_path / "tx", *store)
    assert result.exit_code == 0
    (line,) = result.stdout.splitlines()
    assert "-transaction-rebuild-catalog-index-in-" in line
    assert result.stderr == f"exported 1 envelope to {tmp_path / 'tx'}\n"

    result = run("export", "--level", "error", "--limit", "2", "-o", tmp_path / "two", *store)
    assert len(result.stdout.splitlines()) == 2

    result = run("export", "DS-99", "-o", tmp_path / "none", *store)
    assert result.exit_code == ExitStatus.NOT_FOUND
    assert "not found: DS-99" in result.output
    assert run("export", "ffffff00", *store).exit_code == ExitStatus.NOT_FOUND
    assert run("export", "--type", "feedback", "-o", tmp_path / "x", *store).stderr == (
        "nothing to export\n"
    )
    assert run("export", "DS-1", "--type", "event", *store).exit_code == ExitStatus.USAGE
    assert run("export", "not-an-id!", *store).exit_code == ExitStatus.USAGE


def test_export_never_overwrites_and_names_are_safe(devsentry: DevSentry, tmp_path: Path) -> None:
    hostile = {
        "event_id": "1e94380b" * 4,
        "message": "../../etc/passwd\\..\\x: Ünïcödé ☃ & <b>" + "long " * 20,
        "level": "error",
    }
    path = tmp_path / "hostile.envelope"
    path.write_bytes(
        bytes(
            Envelope.make(
                [Item.make("event", json.dumps(hostile).encode())], event_id=hostile["event_id"]
            )
        )
    )
    devsentry.replay(path)
    out = tmp_path / "out"
    store = ("--store", devsentry.store_path)
    first = run("export", "1e94380b", "-o", out, *store).stdout.strip()
    name = Path(first).name
    assert re.fullmatch(
        r"\d{8}T\d{6}-event-etc-passwd-x-unicode-b-long-long-long-1e94380b\.envelope", name
    ), name
    assert name.isascii() and Path(first).parent == out

    again = run("export", "1e94380b", "-o", out, *store)
    assert again.stdout == f"{first}  (identical file already there)\n"
    (out / name).write_bytes(b"something else")  # a different file under that name
    third = run("export", "1e94380b", "-o", out, *store).stdout.strip()
    assert third.endswith("-1e94380b-2.envelope")
    assert (out / name).read_bytes() == b"something else"
    assert sorted(p.name for p in out.iterdir()) == sorted([name, Path(third).name])
