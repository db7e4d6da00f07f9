"""Which web pages may send to `devsentry serve`: loopback origins, and the ones allowed by name.

A browser sends a `text/plain` POST to any host, from any page, without a CORS preflight (a
"simple request": https://fetch.spec.whatwg.org/#cors-safelisted-request-header), and it reaches
`127.0.0.1:8969` however the answer's CORS headers read. Without this rule any website the
developer visits could write events into the local store — and, with `--forward`, into the
team's Sentry. As Spotlight's sidecar does (`packages/spotlight/src/server/utils/cors.ts` in
getsentry/spotlight), a request that carries an `Origin` is accepted from loopback origins
(`http://localhost[:port]`, `http://127.x.x.x[:port]`, `http://[::1][:port]`, https too) and
from the origins named with `--allow-origin` (`*`: any). SDKs outside a browser send no
`Origin` and are not affected. `Origin: null` (sandboxed frames, `file:` pages) is no loopback.

Only the HTTP server applies this. The mitmproxy addon must not: what it intercepts is real SDK
traffic from real web apps, bound for a real Sentry host.

MCP (`/mcp`) reads the whole store and changes issues, so its rule is stricter
(`OriginPolicy.allows_agent`, `agent_refusal`): a page may drive it only from a loopback origin
or one named with `--allow-origin` — `*` opens ingest, never MCP — and, while the server listens
on loopback only, the request's `Host` must name loopback too. That is what stops DNS
rebinding (a page on `evil.example` whose name now resolves to 127.0.0.1 sends
`Host: evil.example:8969`), as the MCP specification asks of Streamable HTTP servers
(modelcontextprotocol.io, "Transports", "Security Warning").
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

import msgspec

__all__ = [
    "ANY",
    "OriginPolicy",
    "agent_refusal",
    "is_loopback",
    "is_loopback_host",
    "is_loopback_name",
    "normalize",
]

#: `--allow-origin *`: accept every origin (Relay's own policy, for a server you expose).
ANY = "*"
#: Ports an origin leaves out when it uses its scheme's default (RFC 6454 §6.1).
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SEPARATORS = re.compile(r"[\s,]+")
_DETAIL_LIMIT = 200  # an origin is untrusted text: the answer quotes at most this much


def normalize(text: str) -> str | None:
    """`text` serialized as a browser sends it in `Origin` (`scheme://host[:port]`, lowercase,
    no default port), or None when it is no origin (a path, a query, user info, no host).

    The literal `null` stays `null`: a sandboxed page's origin, which may be allowed by name.
    """
    value = text.strip()
    if value.lower() == "null":
        return "null"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:  # a bad port, an unclosed IPv6 bracket
        return None
    host = parts.hostname
    if not parts.scheme or not host or "@" in parts.netloc:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    scheme = parts.scheme.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def is_loopback(origin: str) -> bool:
    """Whether `origin` is a page served from this machine: http(s) on `localhost`,
    127.0.0.0/8 or `[::1]`, on any port."""
    normalized = normalize(origin)
    if normalized is None or normalized == "null":
        return False
    parts = urlsplit(normalized)
    host = parts.hostname or ""
    if parts.scheme not in _DEFAULT_PORTS:
        return False
    return is_loopback_name(host)


def is_loopback_name(host: str) -> bool:
    """Whether a host name or address (no brackets, no port) is this machine's loopback:
    `localhost`, 127.0.0.0/8, `::1`."""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if address.version == 6:
        return address == ipaddress.IPv6Address("::1")  # not IPv4-mapped forms
    return address.is_loopback


def is_loopback_host(host: str | None) -> bool:
    """Whether a `Host` header (`127.0.0.1:8969`, `localhost`, `[::1]:8969`) names this
    machine's loopback interface."""
    if not host:
        return False
    try:
        name = urlsplit(f"//{host.strip()}").hostname
    except ValueError:
        return False
    return name is not None and is_loopback_name(name)


class OriginPolicy(msgspec.Struct, frozen=True):
    """The origins a server accepts browser requests from, beyond loopback (always accepted).

    The default accepts loopback only; `parse` reads `--allow-origin` values.
    """

    allowed: frozenset[str] = frozenset()  # normalized origins
    any_origin: bool = False

    @classmethod
    def parse(cls, values: Iterable[str]) -> OriginPolicy:
        """The policy `--allow-origin` values describe; each may hold several origins
        separated by spaces or commas (`DEVSENTRY_ALLOW_ORIGIN`). Raises ValueError naming a
        value that is no origin."""
        allowed: set[str] = set()
        any_origin = False
        for value in values:
            for text in filter(None, _SEPARATORS.split(value)):
                if text == ANY:
                    any_origin = True
                    continue
                origin = normalize(text)
                if origin is None:
                    raise ValueError(
                        f"{text!r} is not an origin: give scheme://host[:port] "
                        "(e.g. https://app.example.com), null, or * for any"
                    )
                allowed.add(origin)
        return cls(frozenset(allowed), any_origin)

    def allows(self, origin: str | None) -> bool:
        """Whether a request with this `Origin` header (None: none) may send here."""
        if origin is None or self.any_origin or is_loopback(origin):
            return True
        return normalize(origin) in self.allowed

    def allows_agent(self, origin: str | None) -> bool:
        """Whether a request with this `Origin` may use MCP: none (not a browser), a
        loopback page, or one named with `--allow-origin` (`*` does not count here)."""
        if origin is None or is_loopback(origin):
            return True
        return normalize(origin) in self.allowed

    def refusal(self, origin: str) -> str:
        """The `detail` of the 403: which origin, and the option that would accept it."""
        shown = origin if len(origin) <= _DETAIL_LIMIT else origin[: _DETAIL_LIMIT - 1] + "…"
        return (
            f"origin {shown} is not allowed to send to devsentry; start devsentry serve with "
            f"--allow-origin {shown} to accept it"
        )


def agent_refusal(
    policy: OriginPolicy, origin: str | None, host: str | None, *, loopback_only: bool
) -> tuple[int, str] | None:
    """Why an MCP request is refused, as (status, detail), or None when it may go on: 403
    for a page `policy` does not let drive MCP, 421 for a `Host` that is not loopback while
    the server listens on loopback only (`loopback_only`)."""
    if not policy.allows_agent(origin):
        assert origin is not None
        shown = origin if len(origin) <= _DETAIL_LIMIT else origin[: _DETAIL_LIMIT - 1] + "…"
        return 403, (
            f"origin {shown} may not use devsentry's MCP endpoint: only pages on localhost, "
            f"127.0.0.1 and [::1] may, and those named with --allow-origin {shown}"
        )
    if loopback_only and not is_loopback_host(host):
        shown = (host or "")[:_DETAIL_LIMIT]
        return 421, (
            f"Host {shown!r} is not this machine's loopback address; devsentry's MCP endpoint "
            "answers http://127.0.0.1 and http://localhost (serve --host widens it)"
        )
    return None
