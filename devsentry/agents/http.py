"""`/mcp` on `devsentry serve`'s port: MCP Streamable HTTP, so one running server serves the
SDKs and the agent.

The SDK's Streamable HTTP transport (`StreamableHTTPSessionManager`: sessions, SSE streams,
both protocol eras) is an ASGI application; devsentry's server is aiohttp. Rather than run a
second server on a second port, `AgentEndpoint.handle` drives the session manager from an
aiohttp handler through a small ASGI bridge (`_asgi`): the request's head becomes the ASGI
scope, its body the `http.request` messages, and `http.response.*` messages become an aiohttp
`StreamResponse`, written as they come so SSE streams flow. Which pages may reach it
(`Origin`, `Host`) the server decides before the request gets here (`ingest.origins`).

Nothing of the SDK loads until the first request to `/mcp`: then it is imported in a worker
thread (it takes most of a second) and the session manager starts on the server's loop, so
`serve` starts as fast as before and ingest goes on while an agent connects. Tools read the
store on connections of their own, in worker threads; `wait_for_events` is woken by the
indexer (`sinks.arrivals`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from devsentry.sinks.arrivals import Arrivals
from devsentry.tasks import spawn

if TYPE_CHECKING:
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

__all__ = ["AgentEndpoint"]

log = logging.getLogger(__name__)

#: Request bodies the endpoint reads (JSON-RPC messages; the SDK's own default bound).
MAX_BODY = 4 * 1024 * 1024
#: Stateful sessions open at once (a local tool: a few agents, each with a session or two).
MAX_SESSIONS = 64

#: CORS for browser-based MCP clients on an allowed origin (the MCP Inspector): the headers
#: Streamable HTTP sends and reads (modelcontextprotocol.io, "Transports").
_CORS_ALLOW = (
    "content-type, accept, authorization, mcp-session-id, mcp-protocol-version, last-event-id"
)
_CORS_EXPOSE = "mcp-session-id, mcp-protocol-version"

Message = MutableMapping[str, Any]
Asgi = Callable[
    [dict[str, Any], Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]


class AgentEndpoint:
    """MCP Streamable HTTP for serve: `handle` is the aiohttp handler of `/mcp`; `stop`
    ends every session (call it before the HTTP server stops, so no stream holds it open)."""

    def __init__(self, store: Path, arrivals: Arrivals | None = None) -> None:
        self.store = store
        self.arrivals = arrivals
        self._manager: StreamableHTTPSessionManager | None = None
        self._starting = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if request.method == "OPTIONS":
            return web.Response(status=204, headers=_cors(origin, preflight=True))
        if self._stopping.is_set():
            return web.json_response({"detail": "devsentry is stopping"}, status=503)
        try:
            manager = await self._started()
        except ImportError as exc:
            from devsentry.agents.stdio import MISSING_SDK

            detail = f"{MISSING_SDK} ({exc})"
            return web.json_response({"detail": detail}, status=501, headers=_cors(origin))
        return await _asgi(manager.handle_request, request, _cors(origin))

    async def _started(self) -> StreamableHTTPSessionManager:
        async with self._starting:
            if self._manager is None:
                manager = await asyncio.to_thread(self._build)
                ready = asyncio.Event()
                self._task = spawn(self._run(manager, ready), name="MCP sessions")
                await ready.wait()
                self._manager = manager
            return self._manager

    def _build(self) -> StreamableHTTPSessionManager:
        """The SDK's session manager over devsentry's MCP server (imports the SDK)."""
        from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

        from devsentry.agents.tools import make_server

        server = make_server(self.store, self.arrivals)
        return StreamableHTTPSessionManager(
            server._lowlevel_server,  # the SDK's own streamable_http_app() mounts this too
            max_request_body_size=MAX_BODY,
            max_sessions=MAX_SESSIONS,
        )

    async def _run(self, manager: StreamableHTTPSessionManager, ready: asyncio.Event) -> None:
        async with manager.run():
            ready.set()
            await self._stopping.wait()

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            with contextlib.suppress(Exception):  # a failure was logged by `spawn` already
                await self._task


def _cors(origin: str | None, *, preflight: bool = False) -> dict[str, str]:
    """CORS headers for a page the server let through (no `Origin`: none needed)."""
    if origin is None:
        return {}
    headers = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    if preflight:
        headers |= {
            "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
            "Access-Control-Allow-Headers": _CORS_ALLOW,
            "Access-Control-Max-Age": "3600",
        }
    else:
        headers["Access-Control-Expose-Headers"] = _CORS_EXPOSE
    return headers


def _scope(request: web.Request) -> dict[str, Any]:
    """The ASGI HTTP scope of an aiohttp request (asgi.readthedocs.io, "HTTP")."""
    transport = request.transport
    peer = transport.get_extra_info("peername") if transport else None
    sock = transport.get_extra_info("sockname") if transport else None
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": f"{request.version.major}.{request.version.minor}",
        "method": request.method,
        "scheme": request.scheme,
        "path": request.path,
        "raw_path": request.rel_url.raw_path.encode("latin-1", "replace"),
        "query_string": request.query_string.encode("latin-1", "replace"),
        "root_path": "",
        "headers": [(k.lower(), v) for k, v in request.raw_headers],
        "client": tuple(peer[:2]) if peer else None,
        "server": tuple(sock[:2]) if sock else None,
        "state": {},
    }


async def _asgi(app: Asgi, request: web.Request, extra: dict[str, str]) -> web.StreamResponse:
    """Run the ASGI `app` for one aiohttp request; its response streams as it is sent."""
    response: web.StreamResponse | None = None
    finished = asyncio.Event()
    body_done = False

    async def receive() -> Message:
        nonlocal body_done
        if not body_done:
            chunk = await request.content.readany()
            body_done = not chunk or request.content.at_eof()
            return {"type": "http.request", "body": chunk, "more_body": not body_done}
        # The body is read: what is left to say is that the client went away.
        while not finished.is_set():
            transport = request.transport
            if transport is None or transport.is_closing():
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(finished.wait(), 1.0)
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal response
        if message["type"] == "http.response.start":
            response = web.StreamResponse(status=message["status"])
            for name, value in message.get("headers", ()):
                response.headers.add(name.decode("latin-1"), value.decode("latin-1"))
            response.headers.update(extra)
            await response.prepare(request)
        elif message["type"] == "http.response.body" and response is not None:
            if body := message.get("body", b""):
                await response.write(body)
            if not message.get("more_body", False):
                await response.write_eof()
                finished.set()

    try:
        await app(_scope(request), receive, send)
    except ConnectionError:  # the client went away mid-answer
        if response is None:
            raise
    except Exception:
        log.exception("MCP request failed")
        if response is None:
            return web.json_response({"detail": "devsentry's MCP endpoint failed"}, status=500)
    finally:
        finished.set()
    if response is None:
        return web.json_response({"detail": "the MCP endpoint sent no answer"}, status=500)
    with contextlib.suppress(ConnectionError):
        await response.write_eof()  # a no-op when the application ended its body
    return response
