"""The recorded SDK fixtures are complete, described, and framed the way each SDK frames them.

The fixtures come from `scripts/record_fixtures.py`; these checks make sure a re-recording (or
a hand edit) did not leave files unlisted, compressed copies out of sync, or framing that no
longer matches what sentry-python, @sentry/node and @sentry/browser really send.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devsentry.protocol import decompress, normalize_encoding, parse

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MANIFEST = FIXTURES / "manifest.json"

SUFFIX_ENCODING = {".br": "br", ".gz": "gzip", ".zz": "deflate", ".zst": "zstd"}
CLIENT_HINTS = (
    "sec_ch_ua",
    "sec_ch_ua_mobile",
    "sec_ch_ua_platform",
    "sec_ch_ua_model",
    "sec_ch_ua_platform_version",
)


def _manifest() -> list[dict[str, Any]]:
    return json.loads(MANIFEST.read_text())["fixtures"]


def _envelopes(sdk: str | None = None) -> list[Path]:
    root = FIXTURES / sdk if sdk else FIXTURES
    return sorted(root.rglob("*.envelope"))


def _compressed() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*.envelope.*") if p.suffix in SUFFIX_ENCODING)


def _rel(path: Path) -> str:
    return path.relative_to(FIXTURES).as_posix()


def test_fixtures_exist() -> None:
    assert MANIFEST.is_file()
    assert _envelopes("python"), "no python fixtures recorded"
    assert _envelopes("node"), "no node fixtures recorded"
    assert _envelopes("browser"), "no browser fixtures recorded"


def test_every_envelope_is_in_the_manifest() -> None:
    entries = {entry["file"]: entry for entry in _manifest()}
    for path in _envelopes():
        entry = entries.get(_rel(path))
        assert entry is not None, f"{_rel(path)} is not listed in manifest.json"
        assert entry["sdk"]["name"], _rel(path)
        assert entry["sdk"]["version"], _rel(path)
        assert entry["scenario"] and entry["description"], _rel(path)


def test_manifest_lists_only_existing_files_in_order() -> None:
    entries = _manifest()
    assert [e["file"] for e in entries] == sorted(e["file"] for e in entries)
    for entry in entries:
        assert (FIXTURES / entry["file"]).is_file(), entry["file"]
        if entry.get("as_sent"):
            assert (FIXTURES / entry["as_sent"]).is_file(), entry["as_sent"]


def test_manifest_item_types_match_the_files() -> None:
    for entry in _manifest():
        envelope = parse((FIXTURES / entry["file"]).read_bytes())
        assert [item.type for item in envelope.items] == entry["item_types"], entry["file"]


@pytest.mark.parametrize("path", _compressed(), ids=_rel)
def test_compressed_body_decompresses_to_its_sibling(path: Path) -> None:
    encoding = SUFFIX_ENCODING[path.suffix]
    sibling = path.with_suffix("")
    assert sibling.name.endswith(".envelope") and sibling.is_file()
    assert decompress(path.read_bytes(), encoding) == sibling.read_bytes()
    entry = next(e for e in _manifest() if e["file"] == _rel(sibling))
    assert entry["as_sent"] == _rel(path)
    assert normalize_encoding(entry["request"]["content_encoding"]) == encoding


def test_compressed_requests_kept_their_wire_body() -> None:
    for entry in _manifest():
        encoding = entry["request"]["content_encoding"]
        if encoding and normalize_encoding(encoding) != "identity":
            assert entry["as_sent"], f"{entry['file']} was sent with {encoding}"


@pytest.mark.parametrize("path", _envelopes("python"), ids=_rel)
def test_python_framing(path: Path) -> None:
    # sentry-python writes `length` on every item and ends the envelope with a newline.
    envelope = parse(path.read_bytes())
    assert envelope.trailing_newline
    assert envelope.items
    for item in envelope.items:
        assert isinstance(item.header.get("length"), int), item.raw_header


@pytest.mark.parametrize("path", _envelopes("node") + _envelopes("browser"), ids=_rel)
def test_javascript_framing(path: Path) -> None:
    # @sentry/node: no trailing newline, no `length` on JSON items (binary attachments have one).
    # (The last payload may itself end in "\n", e.g. a text attachment: that is payload, not
    # framing, so ask the parser rather than the raw bytes.)
    envelope = parse(path.read_bytes())
    assert not envelope.trailing_newline
    assert envelope.items
    for item in envelope.items:
        if item.type == "attachment":
            assert item.header.get("length") == len(item.payload)
        else:
            assert "length" not in item.header, item.raw_header
            item.json()  # newline-framed JSON


def test_node_requests_are_streamed() -> None:
    node = [e for e in _manifest() if e["file"].startswith("node/")]
    assert node
    for entry in node:
        assert entry["request"]["transfer_encoding"] == "chunked", entry["file"]
        assert entry["request"]["content_length"] is None, entry["file"]


def test_every_request_lists_the_client_hints() -> None:
    for entry in _manifest():
        assert set(CLIENT_HINTS) <= entry["request"].keys(), entry["file"]
        if not entry["file"].startswith("browser/"):  # only a browser sends them
            assert all(entry["request"][hint] is None for hint in CLIENT_HINTS), entry["file"]


def test_browser_requests_are_chromium_fetches() -> None:
    # @sentry/browser's fetch transport: text/plain (no CORS preflight), a Content-Length,
    # auth in the query; Chromium adds its User-Agent and the low-entropy client hints.
    browser = [e for e in _manifest() if e["file"].startswith("browser/")]
    assert browser
    for entry in browser:
        request = entry["request"]
        assert request["content_type"] == "text/plain;charset=UTF-8", entry["file"]
        assert request["transfer_encoding"] is None and request["content_length"], entry["file"]
        assert "sentry_key=" in request["query"] and request["x_sentry_auth"] is None
        assert "Chrome/" in request["user_agent"], entry["file"]
        assert "Chromium" in request["sec_ch_ua"], entry["file"]
        assert request["sec_ch_ua_mobile"] == "?0" and request["sec_ch_ua_platform"]


def test_expected_payloads_were_recorded() -> None:
    types = {entry["file"]: set(entry["item_types"]) for entry in _manifest()}

    def recorded(prefix: str) -> set[str]:
        found: set[str] = set()
        for name, kinds in types.items():
            if name.startswith(prefix):
                found |= kinds
        return found

    assert {"event"} <= recorded("python/error_chained")
    assert {"transaction", "profile"} <= recorded("python/transaction_profile")
    assert {"event", "attachment"} <= recorded("python/attachments")
    assert {"check_in"} <= recorded("python/checkin")
    assert {"log"} <= recorded("python/logs")
    assert {"user_report"} <= recorded("python/feedback")
    assert {"session", "sessions"} <= recorded("python/sessions")
    assert {"event"} <= recorded("node/error")
    assert {"span"} <= recorded("node/spans")
    assert {"log"} <= recorded("node/logs")
    assert {"sessions"} <= recorded("node/sessions")
    assert {"check_in"} <= recorded("node/checkin")
    assert {"event", "transaction", "log"} <= recorded("python/fastapi")
    assert {"event", "span"} <= recorded("node/express")
    assert {"event", "session"} <= recorded("browser/error")
    assert {"event", "session"} <= recorded("browser/throw")
    assert {"event", "session"} <= recorded("browser/message")
