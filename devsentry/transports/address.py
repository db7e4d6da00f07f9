"""Where a listening socket can be reached: the wildcard-to-loopback rule, and its URL.

A server bound to `0.0.0.0` or `::` listens on every interface, but a client cannot connect to
a wildcard; DSNs, proxy URLs and probes use loopback instead.
"""

from __future__ import annotations

__all__ = ["DEFAULT_PORT", "DEFAULT_PROXY_PORT", "connect_host", "http_url"]

#: `serve`'s port: Spotlight's, so an SDK with `spotlight=True` finds devsentry.
DEFAULT_PORT = 8969
#: `intercept`'s proxy port: mitmproxy's.
DEFAULT_PROXY_PORT = 8080

_WILDCARDS = frozenset({"", "0.0.0.0", "::", "[::]"})


def connect_host(host: str) -> str:
    """The host a local client connects to for a server bound to `host`."""
    return "127.0.0.1" if host in _WILDCARDS else host


def http_url(host: str, port: int) -> str:
    """`http://host:port` for a server bound to `host` (IPv6 literals bracketed)."""
    target = connect_host(host)
    if ":" in target and not target.startswith("["):
        target = f"[{target}]"
    return f"http://{target}:{port}"
