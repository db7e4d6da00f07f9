"""DSNs and client auth: where an SDK sends, and who it says it is.

Sources: develop.sentry.dev/sdk/foundations/transport/authentication/, sentry-types'
`dsn.rs` and `auth.rs`, Relay's `relay-server/src/extractors/request_meta.rs`.

A DSN is `{scheme}://{public_key}[:{secret_key}]@{host}[:{port}]{path}/{project_id}`; every
ingest URL derives from it. Clients prove who they are with `X-Sentry-Auth`, an
`Authorization: Sentry …` header, `sentry_key=` in the query string, or (tunnels, browser
SDKs) the `dsn` in the envelope header.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

import msgspec

__all__ = ["Auth", "AuthError", "Dsn", "DsnError", "auth_from_request", "parse_auth_header"]

_ORG_HOST = re.compile(r"^o(\d+)\.")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class DsnError(ValueError):
    """A DSN that cannot be used; the message names the part at fault."""


class AuthError(ValueError):
    """Client auth that cannot be read (malformed header, several sources, no key)."""


class Dsn(msgspec.Struct, frozen=True):
    """A parsed DSN. `path` is the prefix before the project id, with leading and trailing `/`."""

    scheme: str
    public_key: str
    host: str
    project_id: str
    port: int | None = None
    path: str = "/"
    secret_key: str | None = None

    @classmethod
    def parse(cls, value: str) -> Dsn:
        """Parse a DSN string, raising `DsnError` with what is wrong."""
        text = value.strip()
        if not text:
            raise DsnError("DSN is empty")
        try:
            parts = urlsplit(text)
            port = parts.port
        except ValueError as exc:
            raise DsnError(f"invalid DSN {value!r}: {exc}") from None
        if parts.scheme not in _DEFAULT_PORTS:
            raise DsnError(f"invalid DSN {value!r}: scheme must be http or https")
        if not parts.username:
            raise DsnError(f"invalid DSN {value!r}: missing public key (the part before @)")
        if not parts.hostname:
            raise DsnError(f"invalid DSN {value!r}: missing host")
        prefix, _, project = parts.path.rstrip("/").rpartition("/")
        if not project:
            raise DsnError(f"invalid DSN {value!r}: missing project id at the end of the path")
        if not project.isdigit():
            raise DsnError(f"invalid DSN {value!r}: project id {project!r} is not a number")
        if parts.query or parts.fragment:
            raise DsnError(f"invalid DSN {value!r}: a DSN has no query string or fragment")
        host = parts.hostname
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        return cls(
            scheme=parts.scheme,
            public_key=parts.username,
            secret_key=parts.password or None,
            host=host,
            port=None if port == _DEFAULT_PORTS[parts.scheme] else port,
            path=f"{prefix}/",
            project_id=project,
        )

    @property
    def org_id(self) -> int | None:
        """The organization id of SaaS hosts like `o123.ingest.us.sentry.io`."""
        match = _ORG_HOST.match(self.host)
        return int(match.group(1)) if match else None

    @property
    def netloc(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """Scheme, host, port and path prefix, ending in `/`."""
        return f"{self.scheme}://{self.netloc}{self.path}"

    def api_url(self, endpoint: str) -> str:
        """The ingest URL for an endpoint such as `envelope` or `store`."""
        return f"{self.base_url}api/{self.project_id}/{endpoint}/"

    @property
    def envelope_url(self) -> str:
        return self.api_url("envelope")

    @property
    def store_url(self) -> str:
        return self.api_url("store")

    def auth_header(self, client: str | None = None) -> str:
        """An `X-Sentry-Auth` value for this DSN's key, as SDKs send it."""
        parts = [f"sentry_key={self.public_key}", "sentry_version=7"]
        if client:
            parts.append(f"sentry_client={client}")
        if self.secret_key:
            parts.append(f"sentry_secret={self.secret_key}")
        return "Sentry " + ", ".join(parts)

    def __str__(self) -> str:
        secret = f":{self.secret_key}" if self.secret_key else ""
        return (
            f"{self.scheme}://{self.public_key}{secret}@{self.netloc}{self.path}{self.project_id}"
        )


AuthSource = Literal["x-sentry-auth", "authorization", "query", "envelope"]


class Auth(msgspec.Struct, frozen=True):
    """What a client said about itself: its key, protocol version and SDK (`name/version`)."""

    public_key: str
    source: AuthSource
    version: str | None = None
    client: str | None = None
    secret_key: str | None = None
    project_id: str | None = None  # only known for envelope-header auth (from its DSN)


def parse_auth_header(value: str, source: AuthSource = "x-sentry-auth") -> Auth:
    """Parse `Sentry sentry_key=…, sentry_version=7[, sentry_client=…]` (the prefix is optional
    for `X-Sentry-Auth`, as Relay accepts it)."""
    text = value.strip()
    if text[:7].lower() == "sentry ":
        text = text[7:]
    fields: dict[str, str] = {}
    for pair in text.split(","):
        key, sep, val = pair.partition("=")
        if not sep:
            if pair.strip():
                raise AuthError(f"malformed auth header {value!r}: {pair.strip()!r} has no '='")
            continue
        fields[key.strip().lower()] = val.strip()
    return _auth_from_fields(fields, source, value)


def _auth_from_fields(fields: Mapping[str, str], source: AuthSource, what: str) -> Auth:
    key = fields.get("sentry_key")
    if not key:
        raise AuthError(f"missing sentry_key in {source} auth {what!r}")
    version = fields.get("sentry_version") or None
    if version and not version.split(".")[0].isdigit():
        raise AuthError(f"bad sentry_version {version!r} in {source} auth")
    return Auth(
        public_key=key,
        source=source,
        version=version,
        client=fields.get("sentry_client") or None,
        secret_key=fields.get("sentry_secret") or None,
    )


def auth_from_request(
    headers: Mapping[str, str],
    query: str | Mapping[str, str] = "",
    envelope_dsn: str | None = None,
) -> Auth | None:
    """Read client auth the way Relay's `request_meta.rs` does, or None when there is none.

    `headers` must be case-insensitive (aiohttp's and mitmproxy's are). Several sources at
    once is an error, like in Relay, except that an envelope `dsn` may accompany any of them.
    """
    found: list[Auth] = []
    if value := headers.get("X-Sentry-Auth"):
        found.append(parse_auth_header(value, "x-sentry-auth"))
    if (value := headers.get("Authorization")) and value[:7].lower() == "sentry ":
        found.append(parse_auth_header(value, "authorization"))
    elif value and value[:6].lower() == "basic ":
        try:
            user = base64.b64decode(value[6:].strip(), validate=True).decode().partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            raise AuthError("malformed Authorization: Basic header") from None
        found.append(Auth(public_key=user, source="authorization"))
    params = dict(parse_qsl(query)) if isinstance(query, str) else dict(query)
    if any(k.startswith("sentry_") for k in params):
        found.append(_auth_from_fields(params, "query", "?" + "&".join(params)))
    if len(found) > 1:
        sources = ", ".join(a.source for a in found)
        raise AuthError(f"multiple authorization payloads detected ({sources})")
    if found:
        return found[0]
    if envelope_dsn:
        try:
            dsn = Dsn.parse(envelope_dsn)
        except DsnError as exc:
            raise AuthError(f"bad envelope authentication header: {exc}") from None
        return Auth(
            public_key=dsn.public_key,
            source="envelope",
            secret_key=dsn.secret_key,
            project_id=dsn.project_id,
        )
    return None
