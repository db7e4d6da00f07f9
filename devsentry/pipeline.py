"""The one ingest pipeline: transport → envelope → store → model/index → sinks.

Every transport (the HTTP server, the mitmproxy addon, replay) hands a `Request` — raw bytes
plus what the transport knew — to `Pipeline.ingest`. It decompresses (bounded), parses and
checks auth, waits until the store has committed the envelope, and returns the event id to
answer with. The `Indexer` then decodes the items, groups errors into issues and tells the
sinks (live console, forwarder, …). Anything refused raises `Refused` with Relay's status and
a `detail`; its bytes are kept.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import msgspec

from devsentry.dsn import AuthError, auth_from_request
from devsentry.envelope import (
    DEFAULT_MAX_SIZE,
    Envelope,
    EnvelopeError,
    EnvelopeTooLarge,
    decompress,
    parse,
)
from devsentry.forward import Forwarder, ForwardPolicy
from devsentry.indexer import Captured, Indexer, Sink
from devsentry.legacy import minidump_envelope, security_envelope, store_envelope
from devsentry.store import NewEnvelope
from devsentry.writer import StoreWriter

__all__ = ["Captured", "Pipeline", "Refused", "Request", "Sink"]


class Request(msgspec.Struct, kw_only=True):
    """What a transport received. `body` is exactly as it arrived (maybe compressed)."""

    body: bytes
    transport: str  # "envelope", "store", "stream", "security", "minidump", "proxy", "replay"
    # What the body is: "envelope", "store" (one JSON event), "security" (a browser report) or
    # "minidump"; None means the transport's name says it (the server's transports do).
    kind: str | None = None
    project: str | None = None  # from the URL, when the route has one
    content_encoding: str | None = None
    headers: Mapping[str, str] = msgspec.field(default_factory=dict)
    query: str = ""
    path: str | None = None
    remote_addr: str | None = None
    url: str | None = None  # where the SDK was sending it (proxy transport): forward target
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
        forward: ForwardPolicy | None = None,
        forwarder: Forwarder | None = None,
    ) -> None:
        self.writer = writer
        self.indexer = Indexer(writer, sinks)
        self.max_size = max_size
        self.forward = forward
        self.forwarder = forwarder

    async def start(self) -> None:
        await self.indexer.start()
        if self.forwarder is not None:
            await self.forwarder.start()

    async def stop(self) -> None:
        """Index everything already acknowledged, so sinks see it before they stop."""
        if self.forwarder is not None:
            await self.forwarder.stop()
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
            forward=self.forward.target(envelope, request.url, request.headers)
            if self.forward is not None
            else None,
        )
        envelope_id = await self.writer.write(record)
        self.indexer.submit(envelope_id, envelope, record)
        if record.forward is not None and self.forwarder is not None:
            self.forwarder.wake()
        return envelope.event_id

    def _envelope(self, request: Request) -> tuple[Envelope, bytes]:
        data = decompress(request.body, request.content_encoding, limit=self.max_size)
        kind = request.kind or request.transport
        if kind == "store":
            envelope = store_envelope(data, self.max_size)
        elif kind == "security":
            envelope = security_envelope(data, request.query)
        elif kind == "minidump":
            envelope = minidump_envelope(data, request.headers.get("Content-Type"))
        else:
            return parse(data), data
        return envelope, bytes(envelope)
