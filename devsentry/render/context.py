"""The context of an event for `devsentry show`: breadcrumbs, request, user, tags, contexts,
app facts, SDK, extra and modules, each a section below the exception."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import RenderableType
from rich.text import Text

from devsentry.model import Breadcrumb, Event, Request, User
from devsentry.protocol.times import rfc3339
from devsentry.render.layout import Pad, bounded, join, pairs_table, plural, scalar, section
from devsentry.render.levels import level_text
from devsentry.render.lists import Col, ListTable
from devsentry.render.text import clean, safe

__all__ = ["breadcrumbs_section", "event_context", "relative"]

_CONTEXT_ORDER = ("trace", "runtime", "os", "browser", "device", "app", "culture", "cloud_resource")
#: Breadcrumbs shown, the newest: Relay keeps 100 (`max_breadcrumbs` in
#: `relay-event-normalization`), so Sentry never shows more.
CRUMBS = 100


def relative(seconds: float | None, to: float | None) -> str:
    """A breadcrumb's time relative to the event: `-2.3s`, `-150ms`, `-3m12s`."""
    if seconds is None or to is None:
        return ""
    delta = seconds - to
    sign = "-" if delta < 0 else "+"
    delta = abs(delta)
    if delta < 1:
        return f"{sign}{delta * 1000:.0f}ms"
    if delta < 60:
        return f"{sign}{delta:.1f}s"
    minutes, secs = divmod(int(delta), 60)
    if minutes < 60:
        return f"{sign}{minutes}m{secs:02d}s"
    return f"{sign}{minutes // 60}h{minutes % 60:02d}m"


def _crumb_message(crumb: Breadcrumb, data: Mapping[str, Any]) -> str:
    if crumb.message:
        return crumb.message
    if crumb.type == "http" or crumb.category in ("http", "fetch", "xhr"):
        parts = [data.get("method"), data.get("url"), data.get("status_code")]
        return " ".join(str(p) for p in parts if p not in (None, ""))
    return ""


def _breadcrumbs(crumbs: Sequence[Breadcrumb], at: float | None, full: bool) -> ListTable:
    columns = [
        Col(header="TIME", justify="right"),
        Col(header="CATEGORY", style="cyan", max_width=24, drop=2),
        Col(header="LEVEL", drop=3),
        Col(header="MESSAGE", flex=True),
        Col(header="DATA", style="dim", max_width=40, drop=1),
    ]
    rows = []
    for crumb in crumbs:
        data = crumb.data or {}
        when = crumb.timestamp_seconds
        message = _crumb_message(crumb, data)
        if not crumb.message:  # an http crumb's message is made of its data: not twice
            data = {k: v for k, v in data.items() if k not in ("method", "url", "status_code")}
        rows.append(
            [
                Text(relative(when, at) if at is not None else rfc3339(when) or ""),
                safe(crumb.category or crumb.type or "", single_line=True, limit=60),
                level_text(crumb.level) if crumb.level else Text(""),
                safe(message, single_line=True, limit=None if full else 300),
                safe(
                    " ".join(f"{k}={scalar(v)}" for k, v in data.items()),
                    single_line=True,
                    limit=300,
                ),
            ]
        )
    return ListTable(columns, rows)


def _request(request: Request, full: bool) -> list[RenderableType]:
    head = join(
        [
            safe(request.method or "", "bold", single_line=True),
            safe(request.url or "", "bold", single_line=True),
        ],
        sep=" ",
    )
    parts: list[RenderableType] = [head]
    for label, pairs in (
        ("Query", request.query_pairs),
        ("Headers", list(request.headers_dict.items())),
        ("Cookies", list(request.cookies_dict.items())),
        ("Environment", list(request.env_dict.items()) if full else []),
    ):
        if pairs:
            parts += [Text(label, "bold dim"), Pad(pairs_table(pairs, full), 2)]
    if request.data not in (None, "", {}):
        parts += [
            Text("Body", "bold dim"),
            Pad(safe(scalar(request.data), limit=None if full else 2000), 2),
        ]
    return parts


def _user(user: User) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = [
        ("id", user.id),
        ("username", user.username),
        ("email", user.email),
        ("ip_address", user.ip_address),
        ("name", user.name),
        ("segment", user.segment),
    ]
    if user.geo is not None:
        geo = ", ".join(x for x in (user.geo.city, user.geo.region, user.geo.country_code) if x)
        pairs.append(("geo", geo))
    pairs += list((user.data or {}).items())
    return pairs


def _flat(value: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested context objects as dotted keys, so each fact gets its own row."""
    out: list[tuple[str, Any]] = []
    for key, item in value.items():
        if not prefix and key == "type":
            continue
        name = f"{prefix}{key}"
        if isinstance(item, dict) and item:
            out += _flat(item, name + ".")
        else:
            out.append((name, item))
    return out


def _contexts(contexts: Mapping[str, Any], full: bool) -> list[RenderableType]:
    names = sorted(
        (n for n, c in contexts.items() if isinstance(c, dict) and c),
        key=lambda n: (_CONTEXT_ORDER.index(n) if n in _CONTEXT_ORDER else len(_CONTEXT_ORDER), n),
    )
    out: list[RenderableType] = []
    for name in names:
        out += [
            safe(name, "bold", single_line=True),
            Pad(pairs_table(_flat(contexts[name]), full), 2),
        ]
    return out


def breadcrumbs_section(event: Event, full: bool) -> list[RenderableType]:
    """The event's breadcrumbs (the newest `CRUMBS` unless `full`), times relative to it."""
    crumbs = event.breadcrumb_list
    if not crumbs:
        return []
    title = f"Breadcrumbs ({len(crumbs):,})"
    shown = bounded(crumbs, CRUMBS, full=full)
    body: list[RenderableType] = [_breadcrumbs(shown, event.timestamp_seconds, full)]
    if len(crumbs) > len(shown):
        older = f"… {len(crumbs) - len(shown):,} older breadcrumbs (--full shows them)"
        body.insert(0, Text(older, "dim"))
    return section(title, *body)


def event_context(event: Event, full: bool, *, breadcrumbs: bool = True) -> list[RenderableType]:
    """Every section below the exception; the ui shows the breadcrumbs in a tab of their own."""
    parts: list[RenderableType] = breadcrumbs_section(event, full) if breadcrumbs else []
    if event.request is not None:
        parts += section("Request", *_request(event.request, full))
    if event.user is not None and (
        pairs := [p for p in _user(event.user) if p[1] not in (None, "")]
    ):
        parts += section("User", pairs_table(pairs, full))
    if tags := event.tags_dict:
        parts += section("Tags", pairs_table(tags.items(), full))
    if (contexts := event.contexts or {}) and any(
        isinstance(c, dict) and c for c in contexts.values()
    ):
        parts += section("Contexts", *_contexts(contexts, full))
    parts += section("App", pairs_table(_app(event), full))
    if event.sdk is not None:
        parts += section("SDK", *_sdk(event))
    if extra := event.extra or {}:
        parts += section("Extra", pairs_table(extra.items(), full))
    if modules := event.modules or {}:
        if full:
            parts += section(
                f"Modules ({len(modules)})", pairs_table(sorted(modules.items()), full)
            )
        else:
            parts += section(
                f"Modules ({len(modules)})",
                Text(f"{plural(len(modules), 'package')} — --full lists them", "dim"),
            )
    return parts


def _app(event: Event) -> list[tuple[str, Any]]:
    return [
        ("release", event.release),
        ("dist", event.dist),
        ("environment", event.environment),
        ("level", event.level_name),
        ("platform", event.platform),
        ("logger", event.logger),
        ("transaction", event.transaction),
        ("server_name", event.server_name),
        ("fingerprint", event.fingerprint),
    ]


def _sdk(event: Event) -> list[RenderableType]:
    sdk = event.sdk
    assert sdk is not None
    out: list[RenderableType] = [
        join([safe(sdk.name or "unknown SDK", "bold", single_line=True), sdk.version])
    ]
    if sdk.integrations:
        names = Text(", ".join(clean(i, single_line=True) for i in sdk.integrations))
        out.append(
            Text.assemble((f"{plural(len(sdk.integrations), 'integration')}: ", "dim"), names)
        )
    if sdk.packages:
        packages = ", ".join(
            clean(f"{p.name or '?'} {p.version or ''}".strip(), single_line=True)
            for p in sdk.packages
        )
        out.append(Text.assemble(("packages: ", "dim"), packages))
    return out
