"""Sentry traffic through mitmproxy: recorded in devsentry's store and answered locally.

The second transport beside the HTTP server. An app whose DSN cannot change (a vendored
config, a container image, a third-party tool) sends through a proxy; this addon recognizes
the requests that are Sentry ingest — a Sentry host on an ingest route, or Sentry auth on an
ingest route of any host — hands their raw bytes to the shared pipeline and answers them
itself, as Relay would. Nothing leaves the machine, so no network is needed. Every other
request passes through untouched and unlogged.

Two ways to load it:

- `devsentry intercept` embeds mitmproxy and passes its live pipeline (console included);
- a user's own `mitmdump -s <path>` / `mitmproxy -s <path>` (`devsentry addon-path` prints
  it) loads the module-level `addons` list; the addon then opens the store named by the
  `devsentry_store` option itself, and closes it in `done`.

The lifecycle follows mitmproxy's addons: options declared in `load`, checked and applied in
`configure`, the `request` hook only hands off, `done` cleans up.
"""

from __future__ import annotations

import fnmatch
import logging
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
from mitmproxy import ctx, exceptions, http

from devsentry import __version__
from devsentry.ingest import routes
from devsentry.ingest.pipeline import Pipeline
from devsentry.ingest.request import Request
from devsentry.process.indexer import Indexer
from devsentry.store.schema import StoreError
from devsentry.store.writer import StoreWriter

__all__ = ["DEFAULT_HOSTS", "PROBE_HOST", "DevSentry", "addons"]

log = logging.getLogger(__name__)

#: Hosts whose ingest routes are recorded without looking for Sentry auth: sentry.io's own
#: ingest (`o123.ingest.us.sentry.io`, and `sentry.io` of old DSNs).
DEFAULT_HOSTS = ("sentry.io", "*.sentry.io")

#: `GET http://devsentry.invalid/health` through the proxy is answered by this addon, so
#: `devsentry run --intercept` can tell a running `devsentry intercept` from any other proxy
#: on the port and learn its CA file. `.invalid` never resolves (RFC 2606).
PROBE_HOST = "devsentry.invalid"

CA_FILE = "mitmproxy-ca-cert.pem"


class DevSentry:
    """Records Sentry ingest requests passing through mitmproxy and answers them locally."""

    def __init__(self, pipeline: Pipeline | None = None, *, store: Path | None = None) -> None:
        # Embedded (`devsentry intercept`): the front end owns the pipeline and its sinks.
        self._shared = pipeline
        self._store = store
        # Standalone (`mitmdump -s`): our own writer and pipeline, from `devsentry_store`.
        self._writer: StoreWriter | None = None
        self._indexer: Indexer | None = None
        self._own: Pipeline | None = None
        self._hosts: tuple[str, ...] = DEFAULT_HOSTS
        self._running = False
        self._lazy_set = False

    # -- lifecycle ---------------------------------------------------------------------------

    def load(self, loader: Any) -> None:
        loader.add_option(
            "devsentry_store",
            str,
            "",
            "devsentry's SQLite store for recorded Sentry requests. Empty means devsentry's "
            "default (devsentry.db in the user data directory, as `devsentry serve` uses). "
            "Ignored under `devsentry intercept`, which passes its own --store.",
        )
        loader.add_option(
            "devsentry_hosts",
            Sequence[str],
            [],
            "More Sentry hosts to record, as host names or fnmatch patterns "
            "(sentry.example.com, *.sentry.internal), added to sentry.io and *.sentry.io. "
            "Requests carrying Sentry auth to an ingest route are recorded on any host.",
        )

    def configure(self, updated: set[str]) -> None:
        if "devsentry_hosts" in updated:
            self._hosts = DEFAULT_HOSTS + tuple(_check_hosts(ctx.options.devsentry_hosts))
        if "connection_strategy" in updated:
            self._ensure_lazy()
        if "devsentry_store" in updated and self._shared is None:
            self._open(ctx.options.devsentry_store)

    def running(self) -> None:
        self._ensure_lazy()
        if self._shared is None and self._own is None:  # never configured: use the default
            self._open("")
        self._running = True
        if self._indexer is not None:
            self._indexer.open()

    def done(self) -> None:
        self._running = False
        self._close()

    # -- the hook: recognize and hand off ------------------------------------------------------

    async def request(self, flow: http.HTTPFlow) -> None:
        if flow.response is not None:  # answered by another addon (replay, a mock): not ours
            return
        req = flow.request
        if req.pretty_host == PROBE_HOST:
            flow.response = _response(self._probe(req.path))
            return
        route = self._recognize(req)
        if route is None:
            return
        if req.method == "OPTIONS":
            flow.response = _response(routes.preflight())
            return
        flow.response = _response(await self._ingest(flow, route))

    def _recognize(self, req: http.Request) -> routes.Route | None:
        """The ingest route of a Sentry request, or None for traffic that passes through."""
        path, _, query = req.path.partition("?")
        route = routes.match(req.method, path, prefixed=True)
        if route is None or not route.ingest:
            return None
        host = req.pretty_host.lower()
        if any(fnmatch.fnmatchcase(host, pattern) for pattern in self._hosts):
            return route
        return route if routes.has_sentry_auth(req.headers, query) else None

    async def _ingest(self, flow: http.HTTPFlow, route: routes.Route) -> routes.Reply:
        pipeline = self._shared or self._own
        if pipeline is None:  # the store failed to open: refuse, never let it go upstream
            return routes.refused(503, "devsentry's store is not open; see mitmproxy's log")
        req = flow.request
        if req.raw_content is None:
            return routes.refused(
                413, "the body was streamed by mitmproxy (stream_large_bodies) and not kept"
            )
        path, _, query = req.path.partition("?")
        peer = flow.client_conn.peername
        request = Request(
            body=req.raw_content,  # as sent: the pipeline decompresses with its own bounds
            transport="proxy",
            kind=routes.body_kind(route, req.headers.get("Content-Type")),
            project=route.project,
            content_encoding=req.headers.get("Content-Encoding"),
            headers=req.headers,
            query=query,
            path=path,
            remote_addr=peer[0] if peer else None,
            url=req.pretty_url,
        )
        answer = await routes.ingest(pipeline, request)
        if answer.status == 200:
            log.info("devsentry: recorded %s %s, answered locally", req.method, req.pretty_url)
        else:
            log.warning(
                "devsentry: refused %s %s with %s: %s",
                req.method,
                req.pretty_url,
                answer.status,
                answer.body.decode("utf-8", "replace"),
            )
        return answer

    def _probe(self, path: str) -> routes.Reply:
        if path.partition("?")[0] != "/health":
            return routes.not_found("GET", path)
        confdir = Path(ctx.options.confdir).expanduser()
        store = self._store or (self._writer.path if self._writer else None)
        body = {
            "status": "ok",
            "version": __version__,
            "service": "devsentry-intercept",
            "store": str(store) if store else None,
            "ca_cert": str(confdir / CA_FILE),
        }
        return routes.Reply(200, msgspec.json.encode(body))

    # -- resources ---------------------------------------------------------------------------

    def _ensure_lazy(self) -> None:
        """Make mitmproxy finish the client's TLS handshake before connecting upstream.

        By default (`eager`) mitmproxy resolves and connects to o1.ingest.sentry.io before
        the request exists; offline that fails and the request never reaches this addon
        (mitmproxy's `connection_strategy` option). Set once when the addon starts; a later
        change is the user's choice.
        """
        if "connection_strategy" not in ctx.options:  # no proxy server in this master
            return
        if not self._lazy_set:
            self._lazy_set = True
            if ctx.options.connection_strategy != "lazy":
                log.info("devsentry: setting connection_strategy=lazy so Sentry needs no network")
                ctx.options.connection_strategy = "lazy"
        elif ctx.options.connection_strategy != "lazy":
            log.warning(
                "devsentry: connection_strategy=eager: Sentry requests need the network "
                "(DNS and a connection) before devsentry can answer them"
            )

    def _open(self, value: str) -> None:
        from devsentry.store.store import default_store_path

        path = Path(value).expanduser() if value else default_store_path()
        if self._writer is not None and self._writer.path == path:
            return
        if self._running:
            raise exceptions.OptionsError(
                "devsentry_store cannot change while mitmproxy runs; restart with "
                f"--set devsentry_store={value}"
            )
        self._close()
        try:
            writer = StoreWriter(path)
        except StoreError as exc:
            raise exceptions.OptionsError(f"devsentry_store: {exc}") from exc
        except (OSError, sqlite3.Error) as exc:
            raise exceptions.OptionsError(
                f"devsentry_store: cannot open the store {path}: {exc}"
            ) from exc
        self._writer = writer
        self._indexer = Indexer(writer)
        self._own = Pipeline(writer, listeners=[self._indexer.committed])
        log.info("devsentry: recording Sentry requests in %s", path)

    def _close(self) -> None:
        if self._indexer is not None:
            self._indexer.close()  # index what was acknowledged before closing
            self._indexer = None
        self._own = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def _check_hosts(values: Sequence[str]) -> list[str]:
    patterns = []
    for value in values:
        pattern = value.strip().lower()
        if not pattern or "/" in pattern or ":" in pattern:
            raise exceptions.OptionsError(
                f"devsentry_hosts: {value!r} is not a host name or pattern "
                "(give sentry.example.com, not a URL)"
            )
        patterns.append(pattern)
    return patterns


def _response(answer: routes.Reply) -> http.Response:
    return http.Response.make(answer.status, answer.body, answer.headers)


#: What `mitmdump -s` / `mitmproxy -s` load.
addons = [DevSentry()]
