"""The HTTP transport: Relay's ingest routes on aiohttp, handing raw bytes to the pipeline.

Nothing protocol-related happens here: a handler reads the body, notes what the request said
(route, project, encoding, headers, query) and answers with what the pipeline decided, in
Relay's shapes — `200 {"id": …}`, `400/413 {"detail": …}` — with Relay's CORS headers so
browser SDKs work.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import msgspec
from aiohttp import web

from devsentry import __version__
from devsentry.pipeline import Pipeline, Refused, Request

__all__ = ["Server"]

log = logging.getLogger(__name__)

# Relay's CORS policy (reference §1.5): POST from any origin, these headers allowed/exposed.
_CORS = {
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
_ROUTES_HINT = (
    "devsentry accepts POST /api/<project>/envelope/, POST /api/<project>/store/, "
    "POST /stream (Spotlight) and GET /health"
)
_encode = msgspec.json.encode


def _json(status: int, body: object) -> web.Response:
    return web.Response(
        status=status, body=_encode(body), content_type="application/json", headers=_CORS
    )


@dataclass
class Server:
    """`devsentry serve`'s HTTP side. `await start()` binds; `port` is then the real port."""

    pipeline: Pipeline
    host: str = "127.0.0.1"
    port: int = 8969
    max_body: int = 0  # compressed request bytes; 0 → the pipeline's max_size
    _runner: web.AppRunner | None = field(default=None, init=False, repr=False)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.max_body or self.pipeline.max_size)
        app.router.add_post(r"/api/{project:\d+}/envelope/", self._envelope)
        app.router.add_post(r"/api/{project:\d+}/envelope", self._envelope)
        app.router.add_post(r"/api/{project:\d+}/store/", self._store)
        app.router.add_post(r"/api/{project:\d+}/store", self._store)
        app.router.add_post("/api/store/", self._store)
        app.router.add_post("/stream", self._stream)
        app.router.add_get("/health", self._health)
        app.router.add_route("OPTIONS", "/{tail:.*}", self._preflight)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        return app

    async def start(self) -> None:
        # auto_decompress off: the pipeline decompresses itself, with a bound on the output.
        self._runner = web.AppRunner(
            self.app(), access_log=None, handle_signals=False, auto_decompress=False
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        server = site._server
        if self.port == 0 and server is not None and server.sockets:  # type: ignore[union-attr]
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if host in ("0.0.0.0", "[::]"):
            host = "127.0.0.1"
        return f"http://{host}:{self.port}"

    def dsn(self, project: int | str = 1, key: str = "devsentry") -> str:
        """A DSN that points SDKs here (any key and numeric project id are accepted)."""
        return self.base_url.replace("://", f"://{key}@", 1) + f"/{project}"

    @property
    def spotlight_url(self) -> str:
        return f"{self.base_url}/stream"

    # -- handlers ---------------------------------------------------------------------------

    async def _ingest(self, request: web.Request, transport: str) -> web.Response:
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge as exc:
            return _json(413, {"detail": f"request body too large: {exc.text}"})
        peer = request.transport.get_extra_info("peername") if request.transport else None
        try:
            event_id = await self.pipeline.ingest(
                Request(
                    body=body,
                    transport=transport,
                    project=request.match_info.get("project"),
                    content_encoding=request.headers.get("Content-Encoding"),
                    headers=request.headers,
                    query=request.query_string,
                    path=request.path,
                    remote_addr=peer[0] if peer else None,
                )
            )
        except Refused as exc:
            return _json(exc.status, {"detail": exc.detail})
        except Exception:
            log.exception("ingest failed")
            return _json(500, {"detail": "devsentry failed to store the envelope; see its log"})
        return _json(200, {"id": event_id} if event_id else {})

    async def _envelope(self, request: web.Request) -> web.Response:
        return await self._ingest(request, "envelope")

    async def _store(self, request: web.Request) -> web.Response:
        ctype = request.headers.get("Content-Type", "")
        transport = "envelope" if ctype.startswith("application/x-sentry-envelope") else "store"
        return await self._ingest(request, transport)

    async def _stream(self, request: web.Request) -> web.Response:
        return await self._ingest(request, "stream")

    async def _health(self, request: web.Request) -> web.Response:
        return _json(200, {"status": "ok", "version": __version__})

    async def _preflight(self, request: web.Request) -> web.Response:
        return web.Response(status=200, headers=_CORS)

    async def _not_found(self, request: web.Request) -> web.Response:
        detail = f"no route for {request.method} {request.path}. {_ROUTES_HINT}"
        return _json(404, {"detail": detail})
