"""`devsentry issues|show|events|tail|stats|clear`: id rules, JSON shapes, exit codes, following.

CLI tests run the click commands with `--store` on a store filled by a real `LocalServer` from
the recorded SDK fixtures; `tail` also runs as a real subprocess against a live server.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from devsentry.browse.detail import Detail, load_detail, safe_filename, save_attachments
from devsentry.browse.errors import StoreMissing, open_store
from devsentry.browse.follow import tail_backlog
from devsentry.browse.query import parse_since
from devsentry.cli import cli
from devsentry.cli.status import ExitStatus
from devsentry.protocol import parse, serialize
from devsentry.protocol.times import epoch_seconds
from devsentry.render.layout import ItemMeta
from devsentry.store import Query
from devsentry.store.ids import Ref, parse_issue_id, parse_ref
from devsentry.testing import LocalServer
from tests.conftest import FIXTURES, clean_env, demo_fixtures

ALL = demo_fixtures()
PY_ERROR = "4964590f63e44deab8a0037938d2f703"  # python/error_chained.envelope
PY_ATTACHMENTS = FIXTURES / "python" / "attachments.envelope"
ISO_UTC = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"


def post(url: str, body: bytes) -> None:
    request = urllib.request.Request(f"{url}/api/1/envelope/", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def with_event_id(path: Path, event_id: str) -> bytes:
    """A fixture envelope under another event id (to make ambiguous prefixes)."""
    envelope = parse(path.read_bytes())
    return serialize(envelope.with_header(event_id=event_id))


def ingest(path: Path, bodies: list[bytes]) -> None:
    with LocalServer(path, console=False) as server:
        for body in bodies:
            post(server.url, body)
        server.wait_for(count=sum(len(parse(b).items) for b in bodies))


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every fixture recorded from the demo shop, plus two messages whose event ids share a
    prefix."""
    path = tmp_path_factory.mktemp("inspect") / "store.db"
    message = FIXTURES / "python" / "message-1.envelope"
    bodies = [f.read_bytes() for f in ALL]
    bodies += [
        with_event_id(message, "abcdef01" + "0" * 24),
        with_event_id(message, "abcdef02" + "0" * 24),
    ]
    ingest(path, bodies)
    return path


@pytest.fixture
def small_store(tmp_path: Path) -> Path:
    """A store of its own, for commands that change it."""
    path = tmp_path / "small.db"
    ingest(path, [(FIXTURES / "python" / "error_plain.envelope").read_bytes()])
    return path


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def run_json(*args: str) -> Any:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# -- ids and times ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("DS-12", Ref("issue", "DS-12", number=12)),
        ("ds-7", Ref("issue", "ds-7", number=7)),
        ("#12", Ref("item", "#12", number=12)),
        ("item:12", Ref("item", "item:12", number=12)),
        ("12", Ref("item", "12", number=12)),
        ("123456", Ref("item", "123456", number=123456, prefix="123456")),
        ("4964590f", Ref("event", "4964590f", prefix="4964590f")),
        ("4964590F-63E4", Ref("event", "4964590F-63E4", prefix="4964590f63e4")),
        (PY_ERROR, Ref("event", PY_ERROR, prefix=PY_ERROR)),
    ],
)
def test_id_rules(text: str, ref: Ref) -> None:
    assert parse_ref(text) == ref


@pytest.mark.parametrize("text", ["abc", "DS-", "#x", "xyz123456", "a" * 33, ""])
def test_what_is_not_an_id(text: str) -> None:
    with pytest.raises(ValueError, match="is not an id"):
        parse_ref(text)


def test_issue_ids() -> None:
    assert parse_issue_id("DS-3") == parse_issue_id("3") == 3
    with pytest.raises(ValueError, match="DS-<n>"):
        parse_issue_id("#3")


def test_since_reads_durations_and_iso_dates() -> None:
    now = 1_000_000.0
    assert parse_since("10m", now) == now - 600
    assert parse_since("90s", now) == now - 90
    assert parse_since("1h30m", now) == now - 5400
    assert parse_since("2d", now) == now - 2 * 86400
    assert parse_since("1w", now) == now - 7 * 86400
    assert (
        parse_since("2026-01-31T14:00:00Z")
        == dt.datetime(2026, 1, 31, 14, tzinfo=dt.UTC).timestamp()
    )
    assert parse_since("2026-01-31") == dt.datetime(2026, 1, 31).timestamp()  # local midnight
    for bad in ("10x", "m", "yesterday", "10 m"):
        with pytest.raises(ValueError, match="neither a duration"):
            parse_since(bad, now)


# -- the library --------------------------------------------------------------------------------


def test_reading_never_creates_the_store(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    with pytest.raises(StoreMissing, match="run devsentry serve first or pass --store"):
        open_store(missing)
    assert not missing.exists()


def test_an_event_id_names_the_event_not_its_attachments(store_path: Path) -> None:
    event_id = parse(PY_ATTACHMENTS.read_bytes()).event_id
    assert event_id is not None
    with open_store(store_path) as store:
        detail = load_detail(store, parse_ref(event_id[:6]))
    assert detail.record.type == "event"
    sent = [i.filename for i in parse(PY_ATTACHMENTS.read_bytes()).items if i.type == "attachment"]
    assert (
        [a.info.filename for a in detail.attachments]
        == sent
        == ["screenshot.png", "checkout-debug.log"]
    )


@pytest.mark.parametrize(
    ("name", "saved"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("/abs/path/x.log", "x.log"),
        ("..", "attachment-1"),
        (".hidden", "hidden"),
        ("a\x00b\x1b[31m.txt", "a_b_[31m.txt"),
        ("con:stream", "con_stream"),
        (None, "attachment-1"),
    ],
)
def test_safe_filenames_stay_in_their_directory(name: str | None, saved: str) -> None:
    assert safe_filename(name, "attachment-1") == saved


def test_save_attachments_never_overwrites_or_escapes(store_path: Path, tmp_path: Path) -> None:
    with open_store(store_path) as store:
        detail = load_detail(store, parse_ref(parse(PY_ATTACHMENTS.read_bytes()).event_id or ""))
    hostile = Detail(
        record=detail.record,
        attachments=[
            type(a)(a.index, type(a.info)(filename="../../escape.txt", size=1), b"x")
            for a in detail.attachments[:1]
        ],
    )
    out = tmp_path / "out"
    first = save_attachments(detail, out)
    second = save_attachments(detail, out)
    assert [f.path.name for f in first] == ["screenshot.png", "checkout-debug.log"]
    assert [f.path.name for f in second] == ["screenshot-1.png", "checkout-debug-1.log"]
    sent = {i.filename: i.payload for i in parse(PY_ATTACHMENTS.read_bytes()).items if i.filename}
    for f in first:
        assert f.path.read_bytes() == sent[f.path.name]
    (escaped,) = save_attachments(hostile, out)
    assert escaped.path == out.resolve() / "escape.txt"
    assert not (tmp_path / "escape.txt").exists()


def test_tail_backlog_and_meta(store_path: Path) -> None:
    with open_store(store_path) as store:
        newest = store.last_item_id()
        rows, after = tail_backlog(store, Query(), count=3, since=None)
        assert [r.id for r in rows] == [newest - 2, newest - 1, newest]  # oldest first
        assert after == newest
        assert tail_backlog(store, Query(), count=None, since=None) == ([], newest)
        (event,) = store.items(Query(types=["event"], limit=1))
        issue = store.issue(event.issue_id or 0)
        meta = ItemMeta.stored(event, issue, 1)
        assert (meta.issue_id, meta.issue_count, meta.title) == (event.issue_id, 1, event.title)


# -- issues -------------------------------------------------------------------------------------


def test_issues_json_fields(store_path: Path) -> None:
    issues = run_json("issues", "--store", str(store_path))
    assert issues, "no issues"
    for issue in issues:
        assert set(issue) >= {
            "id",
            "title",
            "culprit",
            "level",
            "count",
            "users",
            "first_seen",
            "last_seen",
            "project",
        }
        assert issue["id"].startswith("DS-")
        assert issue["project"] == "1"
        assert isinstance(issue["count"], int) and issue["count"] >= 1
        for key in ("first_seen", "last_seen"):
            assert dt.datetime.fromisoformat(issue[key]).tzinfo is not None
            assert issue[key].endswith("Z")
    assert [i["last_seen"] for i in issues] == sorted(
        (i["last_seen"] for i in issues), reverse=True
    )
    chained = next(i for i in issues if i["culprit"] == "demoshop.payments in charge")
    assert chained["title"] == "PaymentError: could not charge 31.02 EUR to visa *4242"
    assert chained["level"] == "error"
    assert chained["users"] == 1


def test_issues_filters(store_path: Path) -> None:
    store = ("--store", str(store_path))
    warnings = run_json("issues", *store, "--level", "warning")
    assert [i["title"] for i in warnings] == ["Stock for SKU-TEA-250G is running low: 3 left"]
    found = run_json("issues", *store, "--search", "tea-traders")
    assert [i["title"] for i in found] == ["Failed to sync supplier tea-traders: HTTP 503"]
    assert run_json("issues", *store, "--project", "2") == []
    assert run_json("issues", *store, "--release", "nope@0") == []
    assert len(run_json("issues", *store, "--release", "demo@1.2.3")) == len(
        run_json("issues", *store)
    )
    assert run_json("issues", *store, "--since", "2000-01-01") == run_json("issues", *store)
    assert run_json("issues", *store, "--environment", "production") == []


def test_issues_table_and_footer(store_path: Path) -> None:
    total = len(run_json("issues", "--store", str(store_path), "--limit", "0"))
    result = run("issues", "--store", str(store_path), "--limit", "2")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "ID",
        "LEVEL",
        "ISSUE",
        "STATUS",
        "EVENTS",
        "USERS",
        "FIRST",
        "SEEN",
        "LAST",
        "SEEN",
    ]
    assert lines[1].startswith("DS-")
    assert "just now" in lines[1]  # the fixtures' clocks, days behind, corrected on arrival
    assert lines[-1] == f"showing 2 of {total} issues in project 1 — use --limit"


# -- events -------------------------------------------------------------------------------------


def test_events_json_fields(store_path: Path) -> None:
    items = run_json("events", "--store", str(store_path), "--limit", "0")
    assert len(items) == sum(len(parse(f.read_bytes()).items) for f in ALL) + 2
    assert [i["id"] for i in items] == sorted((i["id"] for i in items), reverse=True)
    keys = {"id", "event_id", "type", "project", "timestamp", "received", "title", "level",
            "release", "environment", "sdk", "issue"}  # fmt: skip
    for item in items:
        assert set(item) >= keys
        assert item["received"].endswith("Z")
    error = next(i for i in items if i["event_id"] == PY_ERROR)
    assert error["type"] == "event"
    # The fixture was sent days ago: its clock is corrected by the drift between the envelope's
    # `sent_at` and when devsentry received it, as Relay corrects it (the payload keeps it).
    sent = parse((FIXTURES / "python" / "error_chained.envelope").read_bytes())
    sent_at = epoch_seconds(sent.header["sent_at"])
    assert sent_at is not None
    drift = epoch_seconds(error["received"]) - sent_at  # type: ignore[operator]
    expected = epoch_seconds("2026-11-25T23:31:54.965Z") + drift  # type: ignore[operator]
    assert abs(epoch_seconds(error["timestamp"]) - expected) < 0.01  # type: ignore[operator]
    assert error["level"] == "error"
    assert error["release"] == "demo@1.2.3"
    assert error["environment"] == "development"
    assert error["sdk"] == "sentry.python/2.75.0"
    assert error["issue"].startswith("DS-")
    assert next(i for i in items if i["type"] == "log")["issue"] is None


def test_events_filter_by_type_and_issue(store_path: Path) -> None:
    store = ("--store", str(store_path))
    both = run_json("events", *store, "--type", "transaction", "--type", "check_in")
    assert {i["type"] for i in both} == {"transaction", "check_in"}
    issue = run_json("events", *store, "--type", "event", "--limit", "1")[0]["issue"]
    of_issue = run_json("events", *store, "--issue", issue)
    count = next(i for i in run_json("issues", *store) if i["id"] == issue)["count"]
    assert len(of_issue) == count and {i["issue"] for i in of_issue} == {issue}
    bad = run("events", *store, "--type", "transactions")
    assert bad.exit_code == ExitStatus.USAGE
    assert "transactions" in bad.output


def test_events_table(store_path: Path) -> None:
    result = run("events", "--store", str(store_path), "--type", "transaction")
    assert result.exit_code == 0
    header, row, footer = result.stdout.splitlines()
    assert header.split()[:3] == ["ID", "RECEIVED", "TYPE"]
    assert "transaction" in row and "rebuild-catalog-index" in row and row.lstrip().startswith("#")
    assert footer == "1 item in project 1"


# -- show ---------------------------------------------------------------------------------------


def test_show_json_has_payload_item_issue_and_envelope(store_path: Path) -> None:
    data = run_json("show", PY_ERROR[:8], "--store", str(store_path))
    assert data["item"]["event_id"] == PY_ERROR
    assert data["issue"]["id"] == data["item"]["issue"]
    assert data["issue"]["culprit"] == "demoshop.payments in charge"
    assert data["envelope"]["event_id"] == PY_ERROR
    sent = json.loads(
        parse((FIXTURES / "python" / "error_chained.envelope").read_bytes()).items[0].payload
    )
    assert data["payload"] == sent  # the payload as the SDK sent it, decoded
    assert data["attachments"] == []


def test_show_human_view(store_path: Path) -> None:
    result = run("show", PY_ERROR, "--store", str(store_path))
    assert result.exit_code == 0
    assert "ConnectionResetError: connection reset by" in result.stdout
    assert "❱ 44 │" in result.stdout


def test_show_help_documents_the_id_rules() -> None:
    out = run("show", "--help").stdout
    assert "DS-<n> is an issue" in " ".join(out.split())
    assert "6 or more hex digits" in " ".join(out.split())


@pytest.mark.parametrize("ref", ["DS-999", "#99999", "99999", "fedcba98"])
def test_show_unknown_id_exits_3(store_path: Path, ref: str) -> None:
    result = run("show", ref, "--store", str(store_path))
    assert result.exit_code == ExitStatus.NOT_FOUND
    assert f"not found: {ref}" in result.output


def test_show_ambiguous_prefix_lists_candidates(store_path: Path) -> None:
    result = run("show", "abcdef", "--store", str(store_path))
    assert result.exit_code == ExitStatus.ERROR
    assert "ambiguous" in result.output
    assert "abcdef01" + "0" * 24 in result.output and "abcdef02" + "0" * 24 in result.output
    assert run("show", "abcdef01", "--store", str(store_path)).exit_code == 0


def test_show_bad_id_is_a_usage_error(store_path: Path) -> None:
    result = run("show", "hello", "--store", str(store_path))
    assert result.exit_code == ExitStatus.USAGE


def test_show_saves_attachments(store_path: Path, tmp_path: Path) -> None:
    event_id = parse(PY_ATTACHMENTS.read_bytes()).event_id or ""
    result = run(
        "show", event_id, "--store", str(store_path), "--save-attachments", str(tmp_path / "a")
    )
    assert result.exit_code == 0
    assert "saved " in result.stdout and "screenshot.png" in result.stdout
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        "checkout-debug.log",
        "screenshot.png",
    ]


# -- stores: missing, stats, clear ---------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [["issues"], ["events"], ["show", "DS-1"], ["stats"], ["clear", "--yes"], ["tail"]]
)
def test_a_missing_store_is_a_clear_error(tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "nope.db"
    result = run(*command, "--store", str(missing))
    assert result.exit_code == ExitStatus.ERROR
    assert (
        f"no devsentry store at {missing} (run devsentry serve first or pass --store)"
        in result.output
    )
    assert not missing.exists()


def test_stats(store_path: Path) -> None:
    stats = run_json("stats", "--store", str(store_path))
    assert stats["path"] == str(store_path)
    assert stats["envelopes"] == len(ALL) + 2
    assert stats["by_type"]["transaction"] == 1
    assert stats["by_project"] == {"1": len(ALL) + 2}
    assert stats["issues"] == len(run_json("issues", "--store", str(store_path), "--limit", "0"))
    assert stats["rejected"] == 0
    assert stats["size"] > 0
    human = run("stats", "--store", str(store_path)).stdout
    assert str(store_path) in " ".join(human.split()) or store_path.name in human
    assert "transaction" in human and "Rejected" in human


def test_clear_declined_keeps_everything(small_store: Path) -> None:
    result = run("clear", "--store", str(small_store), input="n\n")
    assert result.exit_code == ExitStatus.ERROR
    assert "Delete 1 items in 1 envelopes and 1 issues" in result.output
    assert len(run_json("events", "--store", str(small_store))) == 1


def test_clear_yes_empties_the_store(small_store: Path) -> None:
    result = run("clear", "--yes", "--store", str(small_store), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["deleted"] == {
        "envelopes": 1,
        "items": 1,
        "issues": 1,
        "rejected": 0,
    }
    assert run_json("events", "--store", str(small_store)) == []
    assert run_json("issues", "--store", str(small_store)) == []
    assert small_store.exists()


def test_clear_confirmed_interactively(small_store: Path) -> None:
    result = run("clear", "--store", str(small_store), input="y\n")
    assert result.exit_code == 0
    assert "deleted 1 items, 1 envelopes and 1 issues" in result.stdout


# -- tail, for real -----------------------------------------------------------------------------


class Lines:
    """A subprocess's stdout lines, readable with a timeout."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        assert proc.stdout is not None
        stdout = proc.stdout
        threading.Thread(
            target=lambda: [self.queue.put(line) for line in stdout], daemon=True
        ).start()

    def get(self, timeout: float) -> str | None:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None


@contextlib.contextmanager
def spawn_tail(*args: str) -> Iterator[tuple[subprocess.Popen[str], Lines]]:
    """`devsentry tail ARGS` as a real process; stopped and its pipes closed afterwards."""
    with subprocess.Popen(
        [sys.executable, "-m", "devsentry", "tail", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(COLUMNS="100"),
    ) as proc:
        try:
            yield proc, Lines(proc)
        finally:
            if proc.poll() is None:
                proc.terminate()
            proc.wait(10)


def post_until_a_line(server: LocalServer, lines: Lines, body: bytes, timeout: float = 30) -> str:
    """POST `body` until tail prints: tail starts at the newest item, so an item stored before
    it read the store is (rightly) not shown; posting again proves it follows."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        post(server.url, body)
        if (line := lines.get(timeout=1.0)) is not None:
            return line
    raise AssertionError(f"devsentry tail printed nothing within {timeout:.0f}s")


def test_tail_follows_a_running_server(server: LocalServer) -> None:
    with spawn_tail("--json", "--store", str(server.store_path)) as (proc, lines):
        body = (FIXTURES / "python" / "error_chained.envelope").read_bytes()
        item = json.loads(post_until_a_line(server, lines, body))
        assert item["type"] == "event"
        assert item["event_id"] == PY_ERROR
        assert item["issue"] == "DS-1"
        assert item["title"] == "PaymentError: could not charge 31.02 EUR to visa *4242"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == ExitStatus.INTERRUPTED
        assert proc.stderr is not None
        assert "Traceback" not in proc.stderr.read()


def test_tail_shows_the_live_views_with_n(server: LocalServer) -> None:
    post(server.url, (FIXTURES / "python" / "logs.envelope").read_bytes())
    server.wait_for("log")
    with spawn_tail("-n", "1", "--store", str(server.store_path)) as (_, lines):
        first = lines.get(timeout=30)
    assert first is not None, "tail -n 1 printed nothing"
    assert "INFO" in first and "Order ord-1001 placed by ada for 3447 cents" in first
    assert "\x1b[" not in first  # not a TTY: no colour
