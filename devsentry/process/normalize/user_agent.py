"""Browser, device and OS contexts from the User-Agent and client hints, as Relay derives them.

Follows `relay-event-normalization/src/normalize/user_agent.rs`:

- the sources are the event's own `request.headers` (names compared case-insensitively, the last
  occurrence wins); an event without request headers gets no contexts from them;
- client hints first (`Sec-CH-UA` for the browser, `Sec-CH-UA-Model` for the device,
  `Sec-CH-UA-Platform` and `-Platform-Version` for the OS), the User-Agent otherwise;
- a context the SDK sent is never replaced; the OS goes to `contexts.os` for `javascript` events
  and to `contexts.client_os` for every other platform (so a server's own OS context stays);
- a User-Agent family `Other` means unknown (no context); versions are `major.minor.patch`;
  Windows `10` and Mac OS X `10.15.7` are frozen by browsers and become `>=10` / `>=10.15.7`.

The User-Agent is parsed with `ua-parser`, which ships uap-core's rules (Relay's `relay-ua`
uses the same). Its global parser compiles those rules on first use (about 0.2 s) and caches
2,000 results.
"""

from __future__ import annotations

import re
from typing import Any

import ua_parser

from devsentry.process.normalize.fields import as_dict, as_list, as_str, lenient_str

__all__ = ["UserAgentInfo", "add_contexts", "info_from_headers", "normalize_user_agent"]

#: One `"brand";v="version"` item of `Sec-CH-UA`.
_BRAND = re.compile(r'"([^"]*)";v="([^"]*)"')
#: Brands that are not the browser: the GREASE brand and the engines.
_NOT_A_BROWSER = ("Brand", "Chromium", "Gecko", "WebKit")
#: Longest User-Agent handed to the parser. Real ones are a few hundred characters; the parser
#: caches what it parsed, so a megabyte header must not become a cache entry.
MAX_USER_AGENT = 1024

UserAgentInfo = dict[str, str]  # lower-case `user-agent` / `sec-ch-ua*` name → value
_FIELDS = ("user-agent", "sec-ch-ua", "sec-ch-ua-model", "sec-ch-ua-platform",
           "sec-ch-ua-platform-version")  # fmt: skip


def info_from_headers(headers: object) -> UserAgentInfo | None:
    """The User-Agent and client hints among request headers (a dict or a list of pairs);
    None when there are no headers at all."""
    if isinstance(headers, dict):
        items: Any = headers.items()
    elif isinstance(headers, list):
        items = (pair for pair in headers if isinstance(pair, list) and len(pair) == 2)
    else:
        return None
    info: UserAgentInfo = {}
    for key, value in items:
        name = key.lower() if isinstance(key, str) and len(key) < 64 else None
        if name in _FIELDS:
            text = _header_value(value)
            if text is None:
                info.pop(name, None)
            else:
                info[name] = text
    return info


def _header_value(value: object) -> str | None:
    if isinstance(value, list):  # Node sends repeated headers as arrays; Relay joins them
        return ",".join(t for v in value if (t := lenient_str(v)) is not None)
    return lenient_str(value)


def normalize_user_agent(event: dict[str, Any]) -> None:
    """Add the contexts the event's own request headers describe (`normalize_user_agent`)."""
    request = as_dict(event.get("request"))
    info = info_from_headers(request.get("headers")) if request else None
    if info is None:
        return
    add_contexts(event, info)


def add_contexts(event: dict[str, Any], info: UserAgentInfo) -> None:
    """Add browser, device and OS contexts from `info` where the event has none
    (`normalize_user_agent_info_generic`)."""
    contexts = event.get("contexts")
    if not isinstance(contexts, dict):
        contexts = {}
    os_key = "os" if event.get("platform") == "javascript" else "client_os"
    added = False
    for key, derive in (("browser", _browser), ("device", _device), (os_key, _os)):
        if contexts.get(key) is None and (context := derive(info)) is not None:
            contexts[key] = context
            added = True
    if added:
        event["contexts"] = contexts


def _parse(user_agent: str) -> ua_parser.Result:
    return ua_parser.parse(user_agent[:MAX_USER_AGENT])


def _version(major: str | None, minor: str | None, patch: str | None) -> str | None:
    """`major[.minor[.patch]]`; a patch without a minor is dropped (`get_version`)."""
    if major is None:
        return None
    if minor is None:
        return major
    return f"{major}.{minor}" if patch is None else f"{major}.{minor}.{patch}"


def _browser(info: UserAgentInfo) -> dict[str, Any] | None:
    hints = info.get("sec-ch-ua")
    if hints is not None and (found := browser_from_client_hints(hints)):
        return {"name": found[0], "version": found[1], "type": "browser"}
    ua = info.get("user-agent")
    agent = _parse(ua).user_agent if ua else None
    if agent is None or agent.family == "Other":
        return None
    context: dict[str, Any] = {"name": agent.family}
    if (version := _version(agent.major, agent.minor, agent.patch)) is not None:
        context["version"] = version
    context["type"] = "browser"
    return context


def browser_from_client_hints(value: str) -> tuple[str, str] | None:
    """The browser's brand and version in `Sec-CH-UA`: the first item that is neither the
    GREASE brand nor an engine. When that item is malformed or blank there is none — Relay does
    not look further (`browser_from_client_hints`)."""
    for item in value.split(","):
        if any(word in item for word in _NOT_A_BROWSER):
            continue
        match = _BRAND.search(item)
        if match is None or not match[1].strip() or not match[2].strip():
            return None
        return match[1], match[2]
    return None


def _device(info: UserAgentInfo) -> dict[str, Any] | None:
    model = info.get("sec-ch-ua-model")
    if model is not None and (model := model.strip().replace('"', "")):
        return {"model": model, "type": "device"}
    ua = info.get("user-agent")
    device = _parse(ua).device if ua else None
    if device is None or device.family == "Other":
        return None
    context: dict[str, Any] = {"family": device.family}
    if device.model is not None:
        context["model"] = device.model
    if device.brand is not None:
        context["brand"] = device.brand
    context["type"] = "device"
    return context


def _os(info: UserAgentInfo) -> dict[str, Any] | None:
    platform = info.get("sec-ch-ua-platform")
    if platform is not None and (platform := platform.strip().replace('"', "")):
        # An empty version is kept: it may mean the page must ask for the high-entropy hint.
        context: dict[str, Any] = {"name": platform}
        version = info.get("sec-ch-ua-platform-version")
        if version is not None:
            context["version"] = version.strip().replace('"', "")
        context["type"] = "os"
        return context
    ua = info.get("user-agent")
    os = _parse(ua).os if ua else None
    if os is None or os.family == "Other":
        return None
    version = _version(os.major, os.minor, os.patch)
    if (os.family, version) in (("Windows", "10"), ("Mac OS X", "10.15.7")):
        version = f">={version}"  # the versions browsers freeze their User-Agent at
    context = {"name": os.family}
    if version is not None:
        context["version"] = version
    context["type"] = "os"
    return context


def hints_as_headers(user_agent: str | None, client_hints: object) -> list[list[str]]:
    """The sender's User-Agent and client hints as header pairs, in the order and spelling
    Relay inserts them (`RawUserAgentInfo::populate_event_headers`)."""
    hints = as_dict(client_hints) or {}
    out: list[list[str]] = []
    for name, value in (
        ("User-Agent", user_agent),
        ("SEC-CH-UA-Platform", hints.get("sec-ch-ua-platform")),
        ("SEC-CH-UA-Platform-Version", hints.get("sec-ch-ua-platform-version")),
        ("SEC-CH-UA", hints.get("sec-ch-ua")),
        ("SEC-CH-UA-Model", hints.get("sec-ch-ua-model")),
    ):
        if (text := as_str(value)) is not None:
            out.append([name, text])
    return out


def has_header(headers: object, name: str) -> bool:
    """Whether request headers (a dict or a list of pairs) hold `name`, compared exactly as
    Relay's `Headers::contains` does after it normalized the names."""
    if isinstance(headers, dict):
        return name in headers
    return any(
        isinstance(pair, list) and pair and pair[0] == name for pair in as_list(headers) or ()
    )
