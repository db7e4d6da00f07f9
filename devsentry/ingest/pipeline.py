"""The acknowledgement path: decompress (bounded) → parse → auth → commit, then answer.

Every transport (the HTTP server, the mitmproxy addon, replay into a store) hands a `Request` —
raw bytes plus what the transport knew — to `Pipeline.ingest`. It turns the body into an
envelope, reads the client's auth, waits until the store has committed the raw envelope, and
returns the event id to answer with. Everything derived from the envelope happens afterwards,
off this path: the listeners (the indexer, the forwarder) are told what was committed.
Anything refused raises `Refused` with Relay's status and a `detail`; its bytes are kept —
except when the store itself cannot take writes now (a full disk, another program's lock):
then the answer is Relay's 503 with a `Retry-After`, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import msgspec

from devsentry.ingest.forward import ForwardPolicy
from devsentry.ingest.request import Refused, Request
from devsentry.protocol.compression import DEFAULT_MAX_SIZE, decompress
from devsentry.protocol.dsn import Auth, AuthError, auth_from_request
from devsentry.protocol.envelope import Envelope, EnvelopeError, EnvelopeTooLarge, parse
from devsentry.protocol.headers import CLIENT_HINTS
from devsentry.protocol.legacy import minidump_envelope, security_envelope, store_envelope
from devsentry.store.faults import StoreUnavailable
from devsentry.store.records import NewEnvelope, storable
from devsentry.store.writer import StoreWriter

__all__ = ["Committed", "Listener", "Pipeline"]


class Committed(msgspec.Struct):
    """An envelope the store has committed: its row id, parsed form and stored record."""

    envelope_id: int
    envelope: Envelope
    record: NewEnvelope


#: Told about each committed envelope, on the ingest loop: must return at once.
Listener = Callable[[Committed], None]


class Pipeline:
    """Ingest for one store, shared by every transport in the process."""

    def __init__(
        self,
        writer: StoreWriter,
        *,
        max_size: int = DEFAULT_MAX_SIZE,
        forward: ForwardPolicy | None = None,
        listeners: Sequence[Listener] = (),
    ) -> None:
        self.writer = writer
        self.max_size = max_size
        self.forward = forward
        self.listeners = list(listeners)

    async def ingest(self, request: Request) -> str | None:
        """Store the request's envelope and return its event id. Raises `Refused`."""
        try:
            envelope, data = self._envelope(request)
            auth = auth_from_request(request.headers, request.query, envelope.dsn)
        except (EnvelopeError, AuthError) as exc:
            status = 413 if isinstance(exc, EnvelopeTooLarge) else 400
            self.reject(request, status, str(exc))
            raise Refused(status, str(exc)) from None
        project = (
            storable(request.project or (auth.project_id if auth else None), 64) or "spotlight"
        )
        client = _client(auth, request)
        forward = self.forward
        record = NewEnvelope(
            raw=data,
            project=project,
            transport=request.transport,
            received=request.received,
            items=[],
            event_id=storable(envelope.event_id, 64),
            client=storable(client, 512),
            remote_addr=storable(request.remote_addr, 128),
            content_encoding=storable(request.content_encoding or None, 64),
            forward=forward.target(envelope, request.url, request.headers) if forward else None,
            user_agent=storable(request.headers.get("User-Agent"), 1024),
            client_hints=_client_hints(request),
        )
        try:
            envelope_id = await self.writer.write(record)
        except StoreUnavailable as exc:  # full, locked: what an SDK may send again later
            raise Refused(503, exc.detail, retry_after=exc.retry_after) from None
        committed = Committed(envelope_id, envelope, record)
        for listener in self.listeners:
            listener(committed)
        return envelope.event_id

    def reject(self, request: Request, status: int, reason: str) -> None:
        """Keep a refused request's bytes with who sent them, for `devsentry rejected`.

        Called for what the pipeline refuses, and by a transport for what it refuses itself
        (the server's origin rule), so every refusal is kept the same way.
        """
        try:
            auth = auth_from_request(request.headers, request.query)
        except AuthError:  # the malformed auth may be why it is refused
            auth = None
        self.writer.reject(
            request.body,
            status=status,
            reason=reason,
            path=storable(request.path, 2000),
            headers={
                storable(k, 200) or "": storable(v, 2000) or "" for k, v in request.headers.items()
            },
            remote_addr=storable(request.remote_addr, 128),
            client=storable(_client(auth, request), 512),
        )

    def _envelope(self, request: Request) -> tuple[Envelope, bytes]:
        data = decompress(request.body, request.content_encoding, limit=self.max_size)
        if request.kind == "store":
            envelope = store_envelope(data, self.max_size)
        elif request.kind == "security":
            envelope = security_envelope(data, request.query)
        elif request.kind == "minidump":
            envelope = minidump_envelope(data, request.headers.get("Content-Type"))
        else:
            return parse(data), data
        return envelope, bytes(envelope)


def _client_hints(request: Request) -> str | None:
    """The request's user-agent client hints (a JSON object), which Relay reads beside the
    User-Agent header (`relay-event-normalization/src/user_agent.rs`)."""
    hints = {
        name: value[:1024]
        for name in CLIENT_HINTS
        if isinstance(value := request.headers.get(name), str) and value
    }
    return storable(msgspec.json.encode(hints).decode()) if hints else None


def _client(auth: Auth | None, request: Request) -> str | None:
    """Who sent it: the auth's `sentry_client` (what Relay records as the client, see
    `relay-server/src/extractors/request_meta.rs`), else the User-Agent."""
    return (auth.client if auth else None) or request.headers.get("User-Agent")
