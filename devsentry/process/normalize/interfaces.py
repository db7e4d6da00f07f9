"""The event's interfaces as Relay normalizes them: exception, breadcrumbs, threads, request and
user, with the IP address backfilled from the connection.

Sources: the `Values` wrapper of `relay-event-schema/src/protocol/types.rs` (a list, an object
with `values`, or one bare object); `normalize_exceptions` and `normalize_ip_addresses` in
`relay-event-normalization/src/event.rs`; the store normalizer's breadcrumb, exception and user
rules (`process_breadcrumb`, `process_exception`, `process_user`, formerly
`relay-general/src/store/normalize.rs`), and `sdk.settings.infer_ip` (getsentry/relay#4623;
https://develop.sentry.dev/sdk/data-model/event-payloads/sdk/).
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from typing import Any

from devsentry.process.normalize.fields import (
    Notes,
    as_dict,
    brief,
    lenient_str,
)
from devsentry.process.normalize.user_agent import has_header, hints_as_headers
from devsentry.process.sender import Sender
from devsentry.protocol.levels import EVENT_LEVELS, event_level, normalize_level

__all__ = [
    "normalize_breadcrumbs",
    "normalize_exceptions",
    "normalize_ip_addresses",
    "normalize_security_report",
    "normalize_user",
    "to_values",
    "valid_ip",
]

AUTO = "{{auto}}"
_TYPE_IN_VALUE = re.compile(r"(\w+):(.*)")
_USER_FIELDS = frozenset(
    {"id", "email", "ip_address", "username", "name", "sentry_user", "geo", "segment", "data"}
)
_SECURITY_REPORTS = ("csp", "expectct", "expectstaple", "hpkp")
_LEVELS = frozenset(EVENT_LEVELS)
#: Platforms whose SDKs predate `{{auto}}`: Relay infers their user's address unasked.
_LEGACY_INFER_PLATFORMS = frozenset({"javascript", "cocoa", "objc"})


def to_values(event: dict[str, Any], field: str, notes: Notes) -> list[Any] | None:
    """`event[field]` in Relay's `{"values": [...]}` form; its list, or None when there is none."""
    raw = event.get(field)
    if raw is None:
        return None
    if isinstance(raw, list):
        values: Any = raw
    elif isinstance(raw, dict) and "values" in raw:
        values = raw["values"]
        if values is not None and not isinstance(values, list):
            notes.removed(f"{field}.values", "not a list")
            values = None
    elif isinstance(raw, dict) and raw:
        values = [raw]  # one bare object counts as one value
    elif isinstance(raw, dict):
        values = None
    else:
        notes.removed(field, "neither a list nor an object with `values`")
        values = None
    if values is None:
        del event[field]
        return None
    if not (isinstance(raw, dict) and "values" in raw):
        event[field] = {"values": values}
    return values


def normalize_exceptions(event: dict[str, Any], notes: Notes) -> None:
    """Type parsed out of a `Type: value` string, empty exceptions removed, and a lone
    exception given the event's top-level stack trace."""
    values = to_values(event, "exception", notes)
    if values is None:
        return
    kept = []
    for i, exc in enumerate(values):
        path = f"exception.values.{i}"
        if not isinstance(exc, dict):
            if exc is not None:
                notes.removed(path, "an exception must be an object")
            continue
        _exception(exc, path, notes)
        if not exc.get("type") and not exc.get("value"):
            notes.removed(path, "an exception needs a type or a value")
            continue
        kept.append(exc)
    values[:] = kept
    if len(kept) == 1 and event.get("stacktrace") is not None:
        kept[0]["stacktrace"] = event.pop("stacktrace")


def _exception(exc: dict[str, Any], path: str, notes: Notes) -> None:
    for field in ("type", "module"):
        if exc.get(field) is not None and not isinstance(exc[field], str):
            del exc[field]
            notes.removed(f"{path}.{field}", "not a string")
    value = exc.get("value")
    if value is not None and not isinstance(value, str):
        text = lenient_str(value) if not isinstance(value, dict | list) else _json(value)
        if text is None:
            del exc["value"]
            notes.removed(f"{path}.value", "not a string")
        else:
            exc["value"] = text
    if exc.get("mechanism") is not None and not isinstance(exc["mechanism"], dict):
        del exc["mechanism"]
        notes.removed(f"{path}.mechanism", "not an object")
    value = exc.get("value")
    if not exc.get("type") and isinstance(value, str) and (m := _TYPE_IN_VALUE.fullmatch(value)):
        exc["type"], exc["value"] = m[1], m[2].strip()


def _json(value: object) -> str | None:
    """Objects as Relay's `JsonLenientString` writes them."""
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except (ValueError, RecursionError):
        return None


def normalize_breadcrumbs(event: dict[str, Any], notes: Notes) -> None:
    """Breadcrumbs in `{"values": [...]}` form, each with a `type` (default `default`) and a
    `level` (default `info`). Relay keeps their order and does not cap their number."""
    values = to_values(event, "breadcrumbs", notes)
    if values is None:
        return
    kept = []
    for i, crumb in enumerate(values):
        if not isinstance(crumb, dict):
            if crumb is not None:
                notes.removed(f"breadcrumbs.values.{i}", "a breadcrumb must be an object")
            continue
        _breadcrumb(crumb, i, notes)
        kept.append(crumb)
    if len(kept) != len(values):
        values[:] = kept


def _breadcrumb(crumb: dict[str, Any], i: int, notes: Notes) -> None:
    for field in ("type", "category", "message"):
        value = crumb.get(field)
        if value is not None and value.__class__ is not str:
            del crumb[field]
            notes.removed(f"breadcrumbs.values.{i}.{field}", "not a string")
    data = crumb.get("data")
    if data is not None and data.__class__ is not dict:
        del crumb["data"]
        notes.removed(f"breadcrumbs.values.{i}.data", "not an object")
    if not crumb.get("type"):
        crumb["type"] = "default"
    level = crumb.get("level")
    if not isinstance(level, str) or level not in _LEVELS:  # Relay's names pass as they are
        if level is not None and normalize_level(level) is None:
            notes.removed(f"breadcrumbs.values.{i}.level", f"{brief(level)} is not a level")
        crumb["level"] = event_level(level, "info")


def normalize_threads(event: dict[str, Any], notes: Notes) -> None:
    """Threads in `{"values": [...]}` form."""
    to_values(event, "threads", notes)


def valid_ip(value: object) -> str | None:
    """`value` when Relay's `IpAddr` accepts it (an IPv4 or IPv6 address, or `{{auto}}`); Relay
    keeps the text as sent."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    return _valid_ip(value)


@functools.lru_cache(maxsize=256)
def _valid_ip(value: str) -> str | None:
    if value == AUTO:
        return value
    if "%" in value:  # an IPv6 zone: Rust's `IpAddr` has none
        return None
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return None
    return value


def normalize_user(event: dict[str, Any], notes: Notes) -> None:
    """Unknown user fields moved into `user.data`, `id` as text, invalid values removed."""
    user = event.get("user")
    if user is None:
        return
    if not isinstance(user, dict):
        del event["user"]
        notes.removed("user", "not an object")
        return
    extra = {k: user.pop(k) for k in [k for k in user if k not in _USER_FIELDS]}
    if extra:
        data = user.get("data")
        user["data"] = {**data, **extra} if isinstance(data, dict) else extra
    if user.get("id") is not None:
        if (text := lenient_str(user["id"])) is None:
            del user["id"]
            notes.removed("user.id", "not a string or number")
        else:
            user["id"] = text
    for field in ("email", "username", "name", "segment", "sentry_user"):
        if user.get(field) is not None and not isinstance(user[field], str):
            del user[field]
            notes.removed(f"user.{field}", "not a string")
    for field in ("geo", "data"):
        if user.get(field) is not None and not isinstance(user[field], dict):
            del user[field]
            notes.removed(f"user.{field}", "not an object")
    ip = user.get("ip_address")
    if ip is not None and valid_ip(ip) is None:
        del user["ip_address"]
        notes.removed("user.ip_address", f"{brief(ip)} is not an IP address")


def _infer_ip(event: dict[str, Any]) -> str:
    """`sdk.settings.infer_ip`: `auto`, `never`, or `legacy` when absent; an unknown value
    counts as `never` (`ClientSdkSettings::infer_ip` in `relay-event-schema`)."""
    sdk = as_dict(event.get("sdk"))
    settings = as_dict(sdk.get("settings")) if sdk else None
    if settings is None or settings.get("infer_ip") is None:
        return "legacy"
    value = settings["infer_ip"]
    return value if value in ("auto", "never", "legacy") else "never"


def normalize_ip_addresses(event: dict[str, Any], sender: Sender) -> None:
    """The user's IP address from the connection: for `{{auto}}`, for `REMOTE_ADDR`, and —
    unasked — for javascript, cocoa and objc events (`normalize_ip_addresses`)."""
    client_ip = valid_ip(sender.remote_addr)
    if client_ip == AUTO:
        client_ip = None
    user = as_dict(event.get("user"))
    mode = _infer_ip(event)
    if mode == "never":
        if user is not None and user.get("ip_address") == AUTO:
            del user["ip_address"]
        return
    if mode == "auto":
        if client_ip is not None and valid_ip(user and user.get("ip_address")) in (None, AUTO):
            _set_user_ip(event, user, client_ip)
        return
    request = as_dict(event.get("request"))
    env = as_dict(request.get("env")) if request else None
    if client_ip is not None:
        if env is not None and env.get("REMOTE_ADDR") == AUTO:
            env["REMOTE_ADDR"] = client_ip
        if user is not None and user.get("ip_address") == AUTO:
            user["ip_address"] = client_ip
    http_ip = valid_ip(env.get("REMOTE_ADDR")) if env else None
    if http_ip is not None and http_ip != AUTO:
        if user is None or user.get("ip_address") is None:
            _set_user_ip(event, user, http_ip)
    elif (
        client_ip is not None
        and (user is None or user.get("ip_address") is None)
        and isinstance(platform := event.get("platform"), str)
        and platform in _LEGACY_INFER_PLATFORMS
    ):
        _set_user_ip(event, user, client_ip)


def _set_user_ip(event: dict[str, Any], user: dict[str, Any] | None, ip: str) -> None:
    """`user.ip_address = ip`, making the user when there is none (or only a null)."""
    if user is None:
        event["user"] = {"ip_address": ip}
    else:
        user["ip_address"] = ip


def normalize_security_report(event: dict[str, Any], sender: Sender) -> None:
    """A browser security report (CSP, Expect-CT, Expect-Staple, HPKP) gets logger `csp`, the
    sender's address as the user's, and the sender's User-Agent and client hints as request
    headers where the event has none of that name (`normalize_security_report`). Reports are
    the only events Relay gives the submitting request's User-Agent."""
    if not any(event.get(name) is not None for name in _SECURITY_REPORTS):
        return
    if event.get("logger") is None:
        event["logger"] = "csp"
    client_ip = valid_ip(sender.remote_addr)
    if client_ip is not None and client_ip != AUTO:
        user = event.get("user") if isinstance(event.get("user"), dict) else None
        event["user"] = {**(user or {}), "ip_address": client_ip}
    extra = hints_as_headers(sender.user_agent, sender.client_hints)
    if not extra:
        return
    request = event.get("request") if isinstance(event.get("request"), dict) else None
    request = event["request"] = request if request is not None else {}
    headers = request.get("headers")
    if not isinstance(headers, list):
        headers = request["headers"] = []
    for pair in extra:
        if not has_header(headers, pair[0]):
            headers.append(pair)


def normalize_nel_report(event: dict[str, Any], sender: Sender) -> None:
    """A network error report (a `nel` context) takes the sender's address as the user's
    (`normalize_nel_report`)."""
    contexts = as_dict(event.get("contexts"))
    if contexts is None or contexts.get("nel") is None:
        return
    client_ip = valid_ip(sender.remote_addr)
    if client_ip in (None, AUTO):
        return
    user = event.get("user") if isinstance(event.get("user"), dict) else None
    event["user"] = {**(user or {}), "ip_address": client_ip}
