"""The HTTP transport: Relay's ingest routes on aiohttp, handing raw bytes to the pipeline.

Nothing protocol-related happens here: one handler reads the body, asks `routes` which route
the request is for, notes what the request said (project, encoding, headers, query) and sends
the answer `routes` shaped from the pipeline's decision — `200 {"id": …}`, `400/413
{"detail": …}`, `503` with `Retry-After` — with Relay's CORS headers so browser SDKs work.
The mitmproxy addon is the other transport over the same `routes`.

Only this transport applies `ingest.origins`: a web page may send here only from a loopback
origin or one allowed with `--allow-origin` (anything else gets `403 {"detail": …}`, and a
refused POST is kept like every refused request), because any page the developer visits can
POST to 127.0.0.1.

`/mcp` is handed to the `agents` handler the assembly gives (`devsentry.agents.http`: MCP for
coding agents on the same port) once `ingest.origins.agent_refusal` lets the request through.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import BodyPartReader, web

from devsentry.ingest import routes, uploads
from devsentry.ingest.origins import OriginPolicy, agent_refusal, is_loopback_name
from devsentry.ingest.pipeline import Pipeline
from devsentry.ingest.request import Request
from devsentry.store.bundles import Bundles
from devsentry.transports.address import DEFAULT_PORT, http_url

__all__ = ["AGENTS_PATH", "Handler", "Server"]

#: Where MCP for coding agents is answered, when the assembly mounts it.
AGENTS_PATH = "/mcp"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

log = logging.getLogger(__name__)


def _send(reply: routes.Reply) -> web.Response:
    return web.Response(status=reply.status, body=reply.body or None, headers=reply.headers)


@dataclass
class Server:
    """`devsentry serve`'s HTTP side. `await start()` binds; `port` is then the real port."""

    pipeline: Pipeline
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    max_body: int = 0  # compressed request bytes; 0 → the pipeline's max_size
    origins: OriginPolicy = field(default_factory=OriginPolicy)  # loopback only by default
    bundles: Bundles | None = None  # where `sentry-cli sourcemaps upload` bundles go
    agents: Handler | None = None  # answers AGENTS_PATH (MCP), when given
    _runner: web.AppRunner | None = field(default=None, init=False, repr=False)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.max_body or self.pipeline.max_size)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    async def start(self) -> None:
        # auto_decompress off: the pipeline decompresses itself, with a bound on the output.
        self._runner = web.AppRunner(
            self.app(), access_log=None, handle_signals=False, auto_decompress=False
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        # asyncio's and uvloop's servers both list their sockets
        sockets = getattr(site._server, "sockets", None)
        if self.port == 0 and sockets:
            self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return http_url(self.host, self.port)

    def dsn(self, project: int | str = 1, key: str = "devsentry") -> str:
        """A DSN that points SDKs here (any key and numeric project id are accepted)."""
        return self.base_url.replace("://", f"://{key}@", 1) + f"/{project}"

    @property
    def spotlight_url(self) -> str:
        return f"{self.base_url}/stream"

    @property
    def agents_url(self) -> str | None:
        """Where coding agents speak MCP, when the assembly mounted it."""
        return f"{self.base_url}{AGENTS_PATH}" if self.agents is not None else None

    # -- the handler --------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if request.path == AGENTS_PATH and self.agents is not None:
            loopback_only = is_loopback_name(self.host.strip("[]"))
            refusal = agent_refusal(
                self.origins, origin, request.headers.get("Host"), loopback_only=loopback_only
            )
            if refusal is not None:
                return _send(routes.refused(*refusal))
            return await self.agents(request)
        route = routes.match(request.method, request.path)
        if origin is not None and not self.origins.allows(origin):
            return _send(await self._refuse(request, route, self.origins.refusal(origin)))
        if request.method == "OPTIONS":  # preflight for any path, as Relay's CORS layer does
            return _send(routes.preflight())
        if self.bundles is not None and (upload := uploads.match(request.method, request.path)):
            return _send(await self._upload(request, upload, self.bundles))
        if route is None:
            return _send(routes.not_found(request.method, request.path))
        if not route.ingest:
            return _send(routes.health())
        try:
            ingest = await self._request(request, route)
        except web.HTTPRequestEntityTooLarge as exc:
            return _send(routes.refused(413, f"request body too large: {exc.text}"))
        return _send(await routes.ingest(self.pipeline, ingest))

    async def _upload(self, request: web.Request, what: str, bundles: Bundles) -> routes.Reply:
        """Sentry's source-map upload API (`ingest.uploads`); disk work in a thread."""
        if what == "options":
            return uploads.chunk_options(f"{self.base_url}{request.path}")
        if (request.content_length or 0) > 2 * uploads.MAX_REQUEST:
            return routes.refused(413, "upload request too large")
        if what == "assemble":
            body = await request.read()
            return await asyncio.to_thread(uploads.assemble, bundles, body)
        try:
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader) or part.filename is None:
                    continue
                data = await part.read(decode=False)
                refusal = await asyncio.to_thread(uploads.add_chunk, bundles, part.filename, data)
                if refusal is not None:
                    return refusal
        except (ValueError, AssertionError) as exc:  # not multipart
            return routes.refused(400, f"not a chunk upload: {exc}")
        return routes.Reply(200, b"", None)

    async def _refuse(
        self, request: web.Request, route: routes.Route | None, detail: str
    ) -> routes.Reply:
        """403 for a web page that may not send here (its preflight too); a POST to an ingest
        route is kept in `rejected`, so what a page tried to send can be looked at."""
        if request.method != "POST" or route is None or not route.ingest:
            return routes.refused(403, detail)
        try:
            ingest = await self._request(request, route)
        except web.HTTPRequestEntityTooLarge:
            return routes.refused(403, detail)  # too large to keep: refused all the same
        return routes.refuse(self.pipeline, ingest, 403, detail)

    async def _request(self, request: web.Request, route: routes.Route) -> Request:
        """What the pipeline is handed: the body as it arrived and what the request said."""
        body = await request.read()
        peer = request.transport.get_extra_info("peername") if request.transport else None
        kind = routes.body_kind(route, request.headers.get("Content-Type"))
        return Request(
            body=body,
            transport=route.transport(kind),
            kind=kind,
            project=route.project,
            content_encoding=request.headers.get("Content-Encoding"),
            headers=request.headers,
            query=request.query_string,
            path=request.path,
            remote_addr=peer[0] if peer else None,
        )
