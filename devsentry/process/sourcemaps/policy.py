"""Where devsentry may read source maps from: which hosts it fetches from, which directories
it indexes by debug ID. A URL in a payload never widens this."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

__all__ = ["SourceMapPolicy", "host_allowed"]

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class SourceMapPolicy(msgspec.Struct, frozen=True):
    """`--fetch-from HOST` (besides loopback, always allowed) and `--sourcemaps DIR`."""

    fetch_from: tuple[str, ...] = ()
    dirs: tuple[Path, ...] = ()

    def allows(self, url: str) -> bool:
        """Whether devsentry may fetch `url`: http(s), on loopback or an allowed host."""
        return host_allowed(url, self.fetch_from)


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_allowed(url: str, extra: tuple[str, ...] = ()) -> bool:
    """`url` is http(s) and its host is loopback or one of `extra` (`name` or `name:port`)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return False
    if _is_loopback(host):
        return True
    for allowed in extra:
        name, _, want = allowed.lower().strip().rpartition(":")
        if not name or not want.isdigit():  # no port given: any port of that host
            name, want = allowed.lower().strip(), ""
        name = name.strip("[]")
        if name == host and (not want or (port or _default_port(parts.scheme)) == int(want)):
            return True
    return False


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80
