"""Relay's non-envelope bodies (store, security, minidump) as envelopes."""

from __future__ import annotations

import base64
import json
import zlib

import msgspec
import pytest

from devsentry.protocol import EnvelopeError
from devsentry.protocol.legacy import minidump_envelope, security_envelope, store_envelope

DUMP = b"MDMP\x93\xa7\x00\x00" + bytes(range(256)) + b"\r\n--not-a-boundary\r\n"


def form(boundary: str, *parts: tuple[str, str | None, bytes]) -> bytes:
    out = b""
    for name, filename, value in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        out += value + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def test_store_event_and_old_base64_deflate() -> None:
    event = {"event_id": "b" * 32, "message": "hi"}
    envelope = store_envelope(json.dumps(event).encode(), 1 << 20)
    assert envelope.event_id == "b" * 32
    assert envelope.items[0].type == "event"
    old = base64.b64encode(zlib.compress(json.dumps(event).encode()))
    assert store_envelope(old, 1 << 20).items[0].payload == json.dumps(event).encode()
    with pytest.raises(EnvelopeError, match="not valid JSON"):
        store_envelope(b"{oops", 1 << 20)
    with pytest.raises(EnvelopeError, match="neither JSON nor base64"):
        store_envelope(b"[1]", 1 << 20)


def test_security_report_is_a_raw_security_item() -> None:
    body = b'{"csp-report": {"document-uri": "http://localhost/"}}'
    envelope = security_envelope(body, "sentry_key=k&sentry_release=1.0&sentry_environment=dev")
    (item,) = envelope.items
    assert item.type == "raw_security"
    assert item.payload == body
    assert (item.header["sentry_release"], item.header["sentry_environment"]) == ("1.0", "dev")
    assert len(envelope.event_id or "") == 32
    with pytest.raises(EnvelopeError, match="not valid JSON"):
        security_envelope(b"<html>", "")


def test_minidump_multipart_with_event_fields_and_attachments() -> None:
    body = form(
        "b0undary",
        ("sentry", None, b'{"release": "app@1", "user": {"id": "1"}}'),
        ("sentry[tags][os]", None, b"linux"),
        ("product", None, b"App"),
        ("upload_file_minidump", "crash.dmp", DUMP),
        ("log", "app.log", b"last words"),
    )
    envelope = minidump_envelope(body, "multipart/form-data; boundary=b0undary")
    event_item, dump, log = envelope.items
    event = msgspec.json.decode(event_item.payload)
    assert event["release"] == "app@1"
    assert event["tags"] == {"os": "linux"}
    assert event["extra"] == {"product": "App"}
    assert (event["platform"], event["level"], event["event_id"]) == (
        "native",
        "fatal",
        envelope.event_id,
    )
    assert dump.payload == DUMP
    assert dump.header["attachment_type"] == "event.minidump"
    assert dump.filename == "crash.dmp"
    assert (log.payload, log.header["attachment_type"]) == (b"last words", "event.attachment")


def test_minidump_raw_body_and_refusals() -> None:
    envelope = minidump_envelope(DUMP, "application/octet-stream")
    assert envelope.items[1].payload == DUMP
    with pytest.raises(EnvelopeError, match="MDMP"):
        minidump_envelope(b"not a dump", "application/x-dmp")
    with pytest.raises(EnvelopeError, match="upload_file_minidump"):
        minidump_envelope(form("x", ("other", "a.txt", b"x")), "multipart/form-data; boundary=x")
