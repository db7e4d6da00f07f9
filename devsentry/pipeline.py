"""The one ingest pipeline: transport → envelope → store → model/index → sinks.

Every transport (the HTTP server, the mitmproxy addon, replay) hands a `Request` — raw bytes
plus what the transport knew — to `Pipeline.ingest`. It decompresses (bounded), parses and
checks auth, waits until the store has committed the envelope, and returns the event id to
answer with. The `Indexer` then decodes the items, groups errors into issues and tells the
sinks (live console, forwarder, …). Anything refused raises `Refused` with Relay's status and
a `detail`; its bytes are kept.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Mapping, Sequence

import msgspec

from devsentry.dsn import AuthError, auth_from_request
from devsentry.envelope import (
    DEFAULT_MAX_SIZE,
    Envelope,
    EnvelopeError,
    EnvelopeTooLarge,
    Item,
    decompress,
    parse,
)
from devsentry.indexer import Captured, Indexer, Sink
from devsentry.store import NewEnvelope
from devsentry.writer import StoreWriter

__all__ = ["Captured", "Pipeline", "Refused", "Request", "Sink"]


class Request(msgspec.Struct, kw_only=True):
    """What a transport received. `body` is exactly as it arrived (maybe compressed)."""

    body: bytes
    transport: str  # "envelope", "store", "stream", "proxy", "replay"
    project: str | None = None  # from the URL, when the route has one
    content_encoding: str | None = None
    headers: Mapping[str, str] = msgspec.field(default_factory=dict)
    query: str = ""
    path: str | None = None
    remote_addr: str | None = None
    received: float = msgspec.field(default_factory=time.time)


class Refused(Exception):
    """The request is not accepted: `status` and `detail` are what Relay would answer."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


class Pipeline:
    """Ingest for one store, shared by every transport in the process."""

    def __init__(
        self,
        writer: StoreWriter,
        sinks: Sequence[Sink] = (),
        *,
        max_size: int = DEFAULT_MAX_SIZE,
    ) -> None:
        self.writer = writer
        self.indexer = Indexer(writer, sinks)
        self.max_size = max_size

    async def start(self) -> None:
        await self.indexer.start()

    async def stop(self) -> None:
        """Index everything already acknowledged, so sinks see it before they stop."""
        await self.indexer.stop()

    async def ingest(self, request: Request) -> str | None:
        """Store the request's envelope and return its event id. Raises `Refused`."""
        try:
            envelope, data = self._envelope(request)
            auth = auth_from_request(request.headers, request.query, envelope.dsn)
        except (EnvelopeError, AuthError) as exc:
            status = 413 if isinstance(exc, EnvelopeTooLarge) else 400
            self.writer.reject(
                request.body,
                status=status,
                reason=str(exc),
                path=request.path,
                headers=dict(request.headers),
            )
            raise Refused(status, str(exc)) from None
        project = request.project or (auth.project_id if auth else None) or "spotlight"
        client = (auth.client if auth else None) or request.headers.get("User-Agent")
        record = NewEnvelope(
            raw=data,
            project=project,
            transport=request.transport,
            received=request.received,
            items=[],
            event_id=envelope.event_id,
            client=client,
            remote_addr=request.remote_addr,
            content_encoding=request.content_encoding or None,
        )
        envelope_id = await self.writer.write(record)
        self.indexer.submit(envelope_id, envelope, record)
        return envelope.event_id

    def _envelope(self, request: Request) -> tuple[Envelope, bytes]:
        data = decompress(request.body, request.content_encoding, limit=self.max_size)
        if request.transport == "store":
            envelope = _store_envelope(data, self.max_size)
            return envelope, bytes(envelope)
        return parse(data), data


def _store_envelope(data: bytes, limit: int) -> Envelope:
    """A legacy `/store/` body (one JSON event) as an envelope with one event item."""
    body = data.strip()
    if body and not body.startswith(b"{"):
        # Very old SDKs sent base64 of zlib-deflated JSON.
        try:
            body = decompress(base64.b64decode(body, validate=True), "deflate", limit=limit)
        except (ValueError, EnvelopeError):
            raise EnvelopeError("store body is neither JSON nor base64-encoded deflate") from None
    try:
        event = msgspec.json.decode(body)
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
