"""Tags as Sentry derives them from a normalized event: the SDK's own first, then the ones
Sentry adds (`browser`, `os`, `user`, `release`, …).

Sentry adds tags when it saves an event (`src/sentry/event_manager.py`):

- `_pull_out_data` sets `level`, `logger`, `environment` and `transaction` with `set_tag`, which
  replaces a tag of that name the SDK sent;
- `_get_event_user_many` sets `sentry:user` (`id:…`, `email:…`, `username:…` or `ip:…`),
  `_get_or_create_release_many` `sentry:release` and `sentry:dist` (shown without `sentry:`);
- `_derive_interface_tags_many` adds each interface's tags, also replacing the SDK's: contexts
  by their key and `context_to_tag_mapping` (`src/sentry/interfaces/contexts.py`: `browser` is
  `"{name} {version}"` and only exists when both do, `browser.name` is `"{name}"`, booleans are
  `yes`/`no`, so `client_os` gives `client_os` and `client_os.name`), and the exception's
  `mechanism` and `handled` from the last (main) exception (`src/sentry/interfaces/exception.py`);
- the `url` tag plugin (`src/sentry/plugins/sentry_urls`) adds `request.url` (which Relay
  stripped of its query string) unless the SDK set `url` — plugins never replace a tag.

Values are cut to 200 characters as `set_tag` trims them; `server_name` and `site` are already
among the SDK's tags because Relay moved them there. The order here is the SDK's tags, then the
derived ones in a fixed, readable order (Sentry itself shows tags sorted by key).
"""

from __future__ import annotations

from typing import Any

from devsentry.model import User
from devsentry.model.base import as_text

__all__ = ["event_tags"]

MAX_TAG_VALUE = 200

#: Context type → (tag suffix, fields joined by spaces), after `ContextType` subclasses.
_CONTEXT_TAGS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "browser": (("", ("name", "version")), ("name", ("name",))),
    "os": (("", ("name", "version")), ("name", ("name",)), ("rooted", ("rooted",))),
    "device": (("", ("model",)), ("family", ("family",))),
    "runtime": (("", ("name", "version")), ("name", ("name",))),
    "app": (("device", ("device_app_hash",)),),
    "gpu": (("name", ("name",)), ("vendor", ("vendor_name",))),
    "monitor": (("id", ("id",)), ("slug", ("slug",))),
}
#: Contexts whose tags come first, in this order; any others follow in the event's order.
_CONTEXT_ORDER = ("browser", "os", "client_os", "device", "runtime")


def event_tags(event: dict[str, Any]) -> list[tuple[str, str]]:
    """The event's tags, in Sentry's order, as `(key, value)` pairs (keys unique)."""
    derived = _derived(event)
    replaced = {key for key, _, replaces in derived if replaces}
    out: dict[str, str] = {}
    for key, value in _sent(event.get("tags")):
        if key not in out and key not in replaced:
            out[key] = value
    for key, value, replaces in derived:
        if replaces or key not in out:
            out.setdefault(key, value[:MAX_TAG_VALUE])
    return list(out.items())


def _sent(raw: object) -> list[tuple[str, str]]:
    """The SDK's tags (a pair list after normalization, an object before): text keys and
    values, nulls and empty values skipped."""
    items = raw.items() if isinstance(raw, dict) else raw if isinstance(raw, list) else ()
    out = []
    for pair in items:
        if not (isinstance(pair, list | tuple) and len(pair) == 2):
            continue
        key, value = pair
        if not isinstance(key, str) or not key or value is None or isinstance(value, dict):
            continue
        text = value if isinstance(value, str) else as_text(value)
        if text:
            out.append((key, text))
    return out


def _derived(event: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """Sentry's tags for the event as `(key, value, replaces the SDK's)`."""
    out: list[tuple[str, str, bool]] = [(k, v, True) for k, v in _context_tags(event)]
    request = event.get("request")
    url = request.get("url") if isinstance(request, dict) else None
    if isinstance(url, str) and url:
        out.append(("url", url, False))
    if (user := _user_key(event.get("user"))) is not None:
        out.append(("user", user, True))
    for field in ("level", "release", "dist", "environment", "transaction"):
        if (value := _text(event.get(field))) is not None:
            out.append((field, value, True))
    out.extend((k, v, True) for k, v in _exception_tags(event.get("exception")))
    server_name = _text(event.get("server_name"))  # only before normalization moved it
    if server_name is not None:
        out.append(("server_name", server_name, False))
    if (logger := _text(event.get("logger"))) is not None:
        out.append(("logger", logger, True))
    return out


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _context_tags(event: dict[str, Any]) -> list[tuple[str, str]]:
    contexts = event.get("contexts")
    if not isinstance(contexts, dict):
        return []
    first = [key for key in _CONTEXT_ORDER if key in contexts]
    rest = [key for key in contexts if key not in _CONTEXT_ORDER]
    out = []
    for alias in first + rest:
        context = contexts[alias]
        if not isinstance(context, dict) or not isinstance(alias, str):
            continue
        kind = context.get("type", alias)
        mapping = _CONTEXT_TAGS.get(kind) if isinstance(kind, str) else None
        for suffix, fields in mapping or ():
            parts = [_field(context.get(name)) for name in fields]
            if any(part is None for part in parts):
                continue  # a field the format names is missing: no tag
            value = " ".join(parts).strip()  # type: ignore[arg-type]
            if value:
                out.append((f"{alias}.{suffix}" if suffix else alias, value))
    return out


def _field(value: object) -> str | None:
    """A context field as Sentry formats it into a tag; None when absent (null or empty)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return None


def _user_key(user: object) -> str | None:
    """`User.key` (the one rule for who a user is) on the event's user object."""
    if not isinstance(user, dict):
        return None
    fields: dict[str, Any] = {}
    for name in ("id", "email", "username", "ip_address"):
        value = user.get(name)
        if isinstance(value, str) or (name == "id" and isinstance(value, int)):
            fields[name] = value
    return User(**fields).key


def _exception_tags(raw: object) -> list[tuple[str, str]]:
    values = raw.get("values") if isinstance(raw, dict) else raw
    if not isinstance(values, list) or not values or not isinstance(values[-1], dict):
        return []
    mechanism = values[-1].get("mechanism")
    if not isinstance(mechanism, dict):
        return []
    out = []
    if isinstance(handled := mechanism.get("handled"), bool):
        out.append(("handled", "yes" if handled else "no"))
    if isinstance(kind := mechanism.get("type"), str) and kind:
        out.append(("mechanism", kind))
    return out
