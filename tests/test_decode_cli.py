"""`devsentry decode`: fixture files in, readable views and JSON out, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from devsentry.cli import cli
from tests.conftest import FIXTURES

PY_ERROR = FIXTURES / "python" / "error_chained.envelope"
PY_ATTACH = FIXTURES / "python" / "attachments.envelope"


def decode(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["decode", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_is_one_document_per_file() -> None:
    code, out, _ = decode("--json", str(PY_ERROR), str(PY_ATTACH))
    assert code == 0
    docs = [json.loads(line) for line in out.splitlines()]
    assert len(docs) == 2
    error, attach = docs
    assert set(error) == {"header", "items"}
    assert (
        error["header"]["event_id"] == json.loads(PY_ERROR.read_bytes().split(b"\n")[0])["event_id"]
    )
    (event,) = error["items"]
    assert event["header"]["type"] == "event"
    assert event["payload"]["exception"]["values"][-1]["type"]
    binaries = [i for i in attach["items"] if i["header"]["type"] == "attachment"]
    assert binaries
    for item in binaries:
        assert item["payload"]["size"] == item["header"]["length"]
        assert item["payload"]["filename"] == item["header"]["filename"]


def test_compressed_files_are_recognised_by_their_bytes() -> None:
    for compressed in sorted(FIXTURES.glob("*/*.envelope.*")):
        plain = compressed.with_suffix("")
        code, out, err = decode("--json", str(compressed))
        assert code == 0, err
        _, expected, _ = decode("--json", str(plain))
        assert out == expected, compressed


def test_encoding_can_be_named() -> None:
    gz = next(FIXTURES.glob("*/*.envelope.gz"))
    code, out, _ = decode("--encoding", "gzip", "--json", str(gz))
    assert code == 0 and json.loads(out)["items"]


def test_human_view_shows_header_items_and_payload() -> None:
    code, out, _ = decode(str(PY_ATTACH))
    assert code == 0
    assert "event_id" in out
    assert "item 0 event" in out
    assert "attachment" in out
    assert "bytes of" in out  # binary payloads are described, not dumped


def test_malformed_file_exits_1_with_the_codec_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.envelope"
    bad.write_bytes(b'{}\n{"type":"event","length":99}\n{}\n')
    code, out, err = decode(str(bad), str(PY_ERROR))
    assert code == 1
    assert "payload truncated" in err and "item 0" in err
    assert "Traceback" not in err
    assert "item 0 event" in out  # the good file is still printed


def test_decode_runs_as_a_module(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "devsentry", "decode", "--json", str(PY_ERROR)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["items"][0]["header"]["type"] == "event"
    wrong = tmp_path / "x.envelope"
    wrong.write_bytes(b"\x1f\x8b\x08 not really gzip")
    proc = subprocess.run(
        [sys.executable, "-m", "devsentry", "decode", str(wrong)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "not valid gzip data" in proc.stderr
    assert "Traceback" not in proc.stderr
