"""`devsentry rejected`: what a real server refused, listed, as JSON, filtered and saved."""

from __future__ import annotations

import datetime as dt
import gzip
import http.client
import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from devsentry.cli import cli
from devsentry.store import Store
from devsentry.testing import LocalServer, wait_until
from tests.test_server import AUTH, post

BAD_JSON = b"\x00\x01 not json\n"
#: Bytes no decoder reads, sent as an encoding devsentry does not know: kept as they came.
UNKNOWN_ENCODING = gzip.compress(b'{"event_id":"0123456789abcdef0123456789abcdef"}\n') + b"\xff"
FROM_A_WEBSITE = b'{}\n{"type":"event"}\n{"message":"planted by a web page"}\n'
AUTH_NO_CLIENT = "Sentry sentry_key=devsentry, sentry_version=7"
BROWSER_QUERY = "?sentry_version=7&sentry_key=k&sentry_client=sentry.javascript.browser%2F9.1.0"


def run(store: Path, *args: str) -> Result:
    result = CliRunner().invoke(
        cli, ["rejected", "--store", str(store), *args], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    return result


def run_json(store: Path, *args: str) -> list[dict[str, Any]]:
    data = json.loads(run(store, "--json", *args).stdout)
    assert isinstance(data, list)
    return data


def send_refused(url: str) -> None:
    """Three requests a server refuses: a malformed envelope, an encoding it does not know,
    and a web page of another origin."""
    status, _, _ = post(f"{url}/api/1/envelope/", BAD_JSON, AUTH)
    assert status == 400
    status, _, _ = post(
        f"{url}/api/2/envelope/",
        UNKNOWN_ENCODING,
        {"Content-Encoding": "lzma", "User-Agent": "uploader/3.1", "X-Sentry-Auth": AUTH_NO_CLIENT},
    )
    assert status == 400
    status, _, _ = post(
        f"{url}/api/3/envelope/{BROWSER_QUERY}",
        FROM_A_WEBSITE,
        {"Origin": "https://evil.example", "Content-Type": "text/plain;charset=UTF-8"},
    )
    assert status == 403


@pytest.fixture
def refused(server: LocalServer) -> Path:
    send_refused(server.url)
    return server.store_path


def test_rejected_lists_what_was_refused(refused: Path) -> None:
    out = run(refused).stdout
    lines = out.splitlines()
    assert lines[0].split() == [
        "ID",
        "RECEIVED",
        "STATUS",
        "REASON",
        "PATH",
        "SIZE",
        "CLIENT",
        "FROM",
    ]
    newest, middle, oldest = lines[1:4]  # newest first
    assert "403" in newest and "origin https://evil.example is not allowed" in newest
    assert "/api/3/envelope/" in newest and "sentry.javascript.browser/9.1.0" in newest
    assert "400" in middle and "unsupported content encoding 'lzma'" in middle
    assert "uploader/3.1" in middle and f"{len(UNKNOWN_ENCODING)} bytes" in middle
    assert "envelope header is not valid JSON" in oldest and "test/1.0" in oldest
    assert all("127.0.0.1" in line for line in (newest, middle, oldest))
    assert lines[-1] == "3 rejected requests"


def test_rejected_json_fields(refused: Path) -> None:
    website, encoding, malformed = run_json(refused)
    assert set(website) == {
        "id",
        "received",
        "status",
        "reason",
        "path",
        "size",
        "client",
        "remote_addr",
        "origin",
        "content_type",
        "content_encoding",
    }
    assert (malformed["status"], malformed["path"], malformed["size"]) == (
        400,
        "/api/1/envelope/",
        len(BAD_JSON),
    )
    assert malformed["reason"].startswith("envelope header is not valid JSON")
    assert malformed["client"] == "test/1.0"  # the auth's sentry_client
    assert encoding["client"] == "uploader/3.1"  # no sentry_client: the User-Agent
    assert encoding["content_encoding"] == "lzma"
    assert website["origin"] == "https://evil.example"
    assert website["content_type"] == "text/plain;charset=UTF-8"
    assert website["client"] == "sentry.javascript.browser/9.1.0"
    assert {r["remote_addr"] for r in (website, encoding, malformed)} == {"127.0.0.1"}
    for row in (website, encoding, malformed):
        received = dt.datetime.fromisoformat(row["received"])
        assert row["received"].endswith("Z") and received.tzinfo is not None
        assert abs(received.timestamp() - time.time()) < 60
    assert website["id"] > encoding["id"] > malformed["id"]


def test_rejected_limit_and_since(server: LocalServer) -> None:
    assert post(f"{server.url}/api/1/envelope/", BAD_JSON, AUTH)[0] == 400
    with Store(server.store_path, readonly=True) as store:
        (first,) = store.db.execute("SELECT received FROM rejected").fetchone()
    cut = first + 0.001
    wait_until(lambda: time.time() > cut, "the clock never moved past the first refusal")
    send_refused(server.url)
    path = server.store_path

    assert len(run_json(path)) == 4
    assert [r["status"] for r in run_json(path, "--limit", "1")] == [403]  # the newest
    assert len(run_json(path, "--limit", "0")) == 4  # 0: all
    assert run(path, "--limit", "2").stdout.splitlines()[-1] == (
        "showing 2 of 4 rejected requests — use --limit"
    )
    since = dt.datetime.fromtimestamp(cut, dt.UTC).isoformat()
    assert [r["status"] for r in run_json(path, "--since", since)] == [403, 400, 400]
    assert len(run_json(path, "--since", "1h")) == 4
    assert run_json(path, "--since", "2999-01-01") == []
    assert run(path, "--since", "2999-01-01").stdout.strip() == "no rejected requests"
    bad = CliRunner().invoke(cli, ["rejected", "--store", str(path), "--since", "soon"])
    assert bad.exit_code == 2


def test_rejected_save_writes_exact_bodies_and_never_overwrites(
    refused: Path, tmp_path: Path
) -> None:
    out = tmp_path / "bodies"
    website, encoding, malformed = rows = run_json(refused, "--save", str(out))
    assert {Path(r["saved"]).name for r in rows} == {
        f"rejected-{website['id']}-403.body",
        f"rejected-{encoding['id']}-400.body",
        f"rejected-{malformed['id']}-400.body",
    }
    assert Path(website["saved"]).read_bytes() == FROM_A_WEBSITE
    assert Path(encoding["saved"]).read_bytes() == UNKNOWN_ENCODING  # as it arrived
    assert Path(malformed["saved"]).read_bytes() == BAD_JSON

    # a second save keeps the first files; a planted symlink is never written through
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"keep me")
    Path(malformed["saved"]).unlink()
    Path(malformed["saved"]).symlink_to(outside)
    again = run(refused, "--save", str(out)).stdout
    assert again.count("saved ") == 3
    assert outside.read_bytes() == b"keep me"
    assert Path(website["saved"]).read_bytes() == FROM_A_WEBSITE
    assert (out / f"rejected-{website['id']}-403-1.body").read_bytes() == FROM_A_WEBSITE
    assert (out / f"rejected-{malformed['id']}-400-1.body").read_bytes() == BAD_JSON


def test_rejected_shows_payload_text_literally(server: LocalServer) -> None:
    """The client is what the sender wrote: markup is printed, a C1 escape (CSI, which
    aiohttp lets through as UTF-8) shown as text."""
    port = int(server.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("POST", "/api/1/envelope/")
        connection.putheader("User-Agent", "[bold red]x[/bold red]\u009b2J".encode())
        connection.putheader("X-Sentry-Auth", AUTH_NO_CLIENT)
        connection.putheader("Content-Length", str(len(BAD_JSON)))
        connection.endheaders(BAD_JSON)
        assert connection.getresponse().status == 400
    finally:
        connection.close()
    out = run(server.store_path).stdout
    assert "[bold red]x[/bold red]\\x9b2J" in out
    assert "\u009b" not in out


def test_rejected_with_nothing_refused_and_without_a_store(
    server: LocalServer, tmp_path: Path
) -> None:
    assert run(server.store_path).stdout.strip() == "no rejected requests"
    assert run_json(server.store_path) == []
    missing = CliRunner().invoke(cli, ["rejected", "--store", str(tmp_path / "nope.db")])
    assert missing.exit_code == 1
    assert "no devsentry store" in missing.output
    assert not (tmp_path / "nope.db").exists()
