"""Relay's ingest routes and answers, shared by every transport (HTTP server, mitmproxy addon).

Which paths are Sentry ingest routes, what kind of body each carries, whether a request says
it comes from a Sentry SDK, and the exact answer an SDK gets back — `200 {"id": …}`,
`400/413 {"detail": …}`, `503` with `Retry-After` when the store cannot take it now, Relay's
CORS headers — live here once, so the server and the addon
cannot drift apart. Transports only translate their framework's request into a `Request`
and this module's `Reply` into their framework's response.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from typing import Literal
from urllib.parse import parse_qsl

import msgspec

from devsentry import __version__
from devsentry.ingest.pipeline import Pipeline
from devsentry.ingest.request import BodyKind, Refused, Request, Transport

__all__ = [
    "CORS",
    "Reply",
    "Route",
    "accepted",
    "body_kind",
    "has_sentry_auth",
    "health",
    "ingest",
    "match",
    "not_found",
    "preflight",
    "refuse",
    "refused",
]

log = logging.getLogger(__name__)

Kind = Literal["envelope", "store", "security", "minidump", "stream", "health"]

#: Relay's CORS policy (`relay-server/src/middlewares/cors.rs`): POST from any origin, these
#: headers allowed and exposed.
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": (
        "x-sentry-auth, x-requested-with, x-forwarded-for, origin, referer, accept, "
        "content-type, authentication, authorization, content-encoding, transfer-encoding, "
        "baggage, sentry-trace"
    ),
    "Access-Control-Expose-Headers": "x-sentry-error, x-sentry-rate-limits, retry-after",
    "Access-Control-Max-Age": "3600",
}

ROUTES_HINT = (
    "devsentry accepts POST /api/<project>/envelope/, POST /api/<project>/store/, "
    "POST /api/<project>/security/, POST /api/<project>/minidump/, "
    "POST /stream (Spotlight) and GET /health"
)

# Relay's ingest endpoints (`relay-server/src/endpoints/mod.rs`). The legacy `/api/store/` has
# no project id; the trailing slash is optional because Relay tolerates its absence here.
_RELAY = (
    r"/api/(?:"
    r"(?P<project>\d+)/(?P<endpoint>envelope|store|security|csp-report|minidump)"
    r"|(?P<legacy>store))/?"
)
_AT_ROOT = re.compile(_RELAY)
_BEHIND_PREFIX = re.compile(r"(?:/.*)?" + _RELAY)
_ENDPOINT_KIND: dict[str, Kind] = {
    "envelope": "envelope",
    "store": "store",
    "security": "security",
    "csp-report": "security",
    "minidump": "minidump",
}


class Route(msgspec.Struct, frozen=True):
    """A recognized route: what it is for, and the project id its path names (if any)."""

    kind: Kind
    project: str | None = None

    @property
    def ingest(self) -> bool:
        """True for routes that carry SDK data (everything but the health check)."""
        return self.kind != "health"

    def transport(self, body: BodyKind) -> Transport:
        """The transport the store records: the route's name, except that a `/store/` that
        sent an envelope counts as the envelope route."""
        match self.kind:
            case "store":
                return "envelope" if body == "envelope" else "store"
            case "envelope" | "security" | "minidump" | "stream" as kind:
                return kind
        raise ValueError(f"{self.kind} is not an ingest route")


def match(method: str, path: str, *, prefixed: bool = False) -> Route | None:
    """The route `method path` is for, or None.

    `path` has no query string. `prefixed` accepts a DSN path prefix before `/api/`
    (`https://k@host/sentry/1` sends to `/sentry/api/1/envelope/`): the addon sees requests
    meant for any Sentry, while devsentry's own server answers only at its root. Spotlight's
    `/stream` and `/health` are devsentry's own and only matched at the root.
    """
    method = method.upper()
    if method in ("POST", "OPTIONS"):
        found = (_BEHIND_PREFIX if prefixed else _AT_ROOT).fullmatch(path)
        if found is not None:
            if found.group("legacy"):
                return Route("store")
            return Route(_ENDPOINT_KIND[found.group("endpoint")], found.group("project"))
        if method == "POST" and path == "/stream" and not prefixed:
            return Route("stream")
    if method in ("GET", "HEAD") and path == "/health" and not prefixed:
        return Route("health")
    return None


def body_kind(route: Route, content_type: str | None) -> BodyKind:
    """What the body of a request on `route` is, for `Request.kind`.

    Relay parses a `/store/` body sent as `application/x-sentry-envelope` as an envelope;
    Spotlight's `/stream` carries envelopes.
    """
    if route.kind == "store" and (content_type or "").lower().startswith(
        "application/x-sentry-envelope"
    ):
        return "envelope"
    match route.kind:
        case "store" | "security" | "minidump" as kind:
            return kind
    return "envelope"


def has_sentry_auth(headers: Mapping[str, str], query: str) -> bool:
    """Whether a request says it is from a Sentry SDK (`request_meta.rs`), without judging it.

    The addon records a request to an ingest route on any host when it carries this, so a
    self-hosted Sentry is caught without configuration; a malformed value still counts (the
    pipeline then answers Relay's 400, as Sentry would).
    """
    if headers.get("X-Sentry-Auth"):
        return True
    if (headers.get("Authorization") or "")[:7].lower() == "sentry ":
        return True
    return any(key == "sentry_key" for key, _ in parse_qsl(query))


class Reply(msgspec.Struct, frozen=True):
    """An HTTP answer in Relay's shape, for any transport to send."""

    status: int
    body: bytes
    content_type: str | None = "application/json"
    extra_headers: tuple[tuple[str, str], ...] = ()  # e.g. Retry-After on a 503

    @property
    def headers(self) -> dict[str, str]:
        """CORS, the content type and any extra headers: every answer carries Relay's CORS
        headers."""
        headers = dict(CORS)
        if self.content_type is not None:
            headers["Content-Type"] = self.content_type
        headers.update(self.extra_headers)
        return headers


_encode = msgspec.json.encode


def _json(status: int, body: object) -> Reply:
    return Reply(status, _encode(body))


def accepted(kind: str, event_id: str | None) -> Reply:
    """Relay's success answer: `{"id": …}` (`{}` without an event id); minidumps get the id
    as plain text, which is what crash reporters (Crashpad, Breakpad) expect."""
    if kind == "minidump":
        text = str(uuid.UUID(event_id)) if event_id else ""
        return Reply(200, text.encode(), "text/plain; charset=utf-8")
    return _json(200, {"id": event_id} if event_id else {})


def refused(status: int, detail: str, *, retry_after: int | None = None) -> Reply:
    """Relay's error answer, `{"detail": …}`; with `Retry-After` when the client may send
    again later (RFC 9110, section 10.2.3; the header is in CORS's exposed headers)."""
    extra = () if retry_after is None else (("Retry-After", str(retry_after)),)
    return Reply(status, _encode({"detail": detail}), extra_headers=extra)


def refuse(pipeline: Pipeline, request: Request, status: int, detail: str) -> Reply:
    """Keep a request the transport refused before ingesting it (its bytes and who sent them,
    as the pipeline keeps what it refuses) and answer it with `detail`."""
    pipeline.reject(request, status, detail)
    return refused(status, detail)


def preflight() -> Reply:
    """A CORS preflight answer, so browser SDKs may POST from any origin."""
    return Reply(200, b"", None)


def health() -> Reply:
    return _json(200, {"status": "ok", "version": __version__})


def not_found(method: str, path: str) -> Reply:
    return refused(404, f"no route for {method} {path}. {ROUTES_HINT}")


async def ingest(pipeline: Pipeline, request: Request) -> Reply:
    """Hand `request` to the pipeline and shape what it decided into Relay's answer.

    A failure inside devsentry is a 500 naming where to look, never a hang or a crash of
    the transport.
    """
    try:
        event_id = await pipeline.ingest(request)
    except Refused as exc:
        return refused(exc.status, exc.detail, retry_after=exc.retry_after)
    except Exception:
        log.exception("ingest failed")
        return refused(500, "devsentry failed to store the envelope; see its log")
    return accepted(request.kind, event_id)
