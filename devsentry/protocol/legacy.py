"""Relay's non-envelope routes as envelopes: `/store/`, `/security/` and `/minidump/` bodies.

Relay turns each of these into an envelope before anything else sees it
(`relay-server/src/endpoints/store.rs`, `security_report.rs`, `minidump.rs`), and so does
devsentry: the store, the index, the console and the forwarder only ever see envelopes.
Each function takes the decompressed body and returns one `Envelope`, raising
`EnvelopeError` with what is wrong (the pipeline answers 400 with it).
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import uuid
from typing import Any
from urllib.parse import parse_qsl

import msgspec

from devsentry.protocol.compression import decompress
from devsentry.protocol.envelope import Envelope, EnvelopeError, Item
from devsentry.protocol.untrusted import decode_json

__all__ = ["minidump_envelope", "security_envelope", "store_envelope"]

_MINIDUMP_MAGIC = (b"MDMP", b"PMDM")  # little- and big-endian minidump signatures


def store_envelope(data: bytes, limit: int) -> Envelope:
    """A legacy `/store/` body (one JSON event) as an envelope with one event item."""
    body = data.strip()
    if body and not body.startswith(b"{"):
        # Very old SDKs sent base64 of zlib-deflated JSON.
        try:
            body = decompress(base64.b64decode(body, validate=True), "deflate", limit=limit)
        except (ValueError, EnvelopeError):
            raise EnvelopeError("store body is neither JSON nor base64-encoded deflate") from None
    try:
        event = decode_json(body)
    except msgspec.DecodeError as exc:
        raise EnvelopeError(f"store body is not valid JSON: {exc}") from None
    if not isinstance(event, dict):
        raise EnvelopeError("store body is not a JSON object")
    event_id = event.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        event_id = uuid.uuid4().hex
    item_type = "transaction" if event.get("type") == "transaction" else "event"
    item = Item.make(item_type, body, content_type="application/json")
    return Envelope.make([item], event_id=event_id)


def security_envelope(data: bytes, query: str) -> Envelope:
    """A browser security report (CSP, Expect-CT, HPKP) as a `raw_security` item.

    The report is kept byte for byte, as Relay keeps it; `sentry_release` and
    `sentry_environment` from the query string become item headers, as in Relay.
    """
    body = data.strip()
    try:
        report = decode_json(body)
    except msgspec.DecodeError as exc:
        raise EnvelopeError(f"security report is not valid JSON: {exc}") from None
    if not isinstance(report, dict | list) or not report:
        raise EnvelopeError("security report is not a JSON object or list of reports")
    params = dict(parse_qsl(query))
    headers = {
        key: params[key] for key in ("sentry_release", "sentry_environment") if params.get(key)
    }
    item = Item.make("raw_security", body, content_type="application/json", **headers)
    return Envelope.make([item], event_id=uuid.uuid4().hex)


def minidump_envelope(data: bytes, content_type: str | None) -> Envelope:
    """A native crash upload as an event plus its minidump (and other files) as attachments.

    Crash reporters send either multipart form data — the dump in `upload_file_minidump`,
    event JSON in a `sentry` field or as `sentry[key][sub]` fields, more files as
    attachments, other fields as extra — or the dump itself as the body.
    """
    event: dict[str, Any] = {}
    extra: dict[str, str] = {}
    files: list[tuple[str, str, bytes]] = []  # (field, filename, bytes)
    ctype = content_type or ""
    if ctype.lower().startswith("multipart/form-data"):
        for name, filename, value in _form_fields(data, ctype):
            if filename is not None:
                files.append((name, filename, value))
            elif name == "sentry":
                try:
                    decoded = decode_json(value)
                except msgspec.DecodeError as exc:
                    raise EnvelopeError(f"minidump field 'sentry' is not JSON: {exc}") from None
                if isinstance(decoded, dict):
                    event.update(decoded)
            elif name.startswith("sentry["):
                _set_bracketed(event, name, value.decode("utf-8", "replace"))
            else:
                extra[name] = value.decode("utf-8", "replace")
    else:
        files.append(("upload_file_minidump", "minidump.dmp", data))
    dumps = [f for f in files if f[0] == "upload_file_minidump"]
    if not dumps:
        raise EnvelopeError("minidump upload has no 'upload_file_minidump' file")
    if not dumps[0][2].startswith(_MINIDUMP_MAGIC):
        raise EnvelopeError("minidump upload does not start with MDMP or PMDM")
    event_id = event.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        event_id = uuid.uuid4().hex
    event = {"platform": "native", "level": "fatal", **event, "event_id": event_id}
    if extra:
        event["extra"] = {**extra, **(event.get("extra") or {})}
    items = [Item.make("event", msgspec.json.encode(event), content_type="application/json")]
    for field, filename, value in files:
        kind = "event.minidump" if field == "upload_file_minidump" else "event.attachment"
        items.append(Item.make("attachment", value, filename=filename, attachment_type=kind))
    return Envelope.make(items, event_id=event_id)


def _form_fields(data: bytes, content_type: str) -> list[tuple[str, str | None, bytes]]:
    """`(name, filename or None, bytes)` for each part of a multipart/form-data body."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + data)
    if not message.is_multipart():
        raise EnvelopeError("minidump upload is not valid multipart/form-data")
    fields: list[tuple[str, str | None, bytes]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        fields.append((name, part.get_filename(), payload if isinstance(payload, bytes) else b""))
    return fields


def _set_bracketed(target: dict[str, Any], name: str, value: str) -> None:
    """`sentry[user][id]=7` → `target["user"]["id"] = "7"` (Breakpad-style event fields)."""
    keys = [k.rstrip("]") for k in name.split("[")[1:]]
    for key in keys[:-1]:
        child = target.get(key)
        if not isinstance(child, dict):
            child = target[key] = {}
        target = child
    if keys and keys[-1]:
        target[keys[-1]] = value
