"""Contexts as Relay writes them: a `type` on each known context, the OS and runtime read from a
raw description, and the computed `os.os`, `runtime.runtime` and `browser.browser` fields.

Follows `relay-event-normalization/src/normalize/contexts.rs` (`normalize_context`) and the
context types of `relay-event-schema/src/protocol/contexts/` (each known context is serialized
with its `type`; a context's type is its `type` field, else its key).
"""

from __future__ import annotations

import re
from typing import Any

from devsentry.process.normalize.fields import Notes, as_str

__all__ = ["KNOWN_CONTEXTS", "normalize_contexts"]

#: Context types Relay parses into its own structs (and so writes with a `type`).
KNOWN_CONTEXTS = frozenset({
    "app", "browser", "cloud_resource", "device", "flags", "gpu", "monitor", "nel", "os",
    "otel", "performance_score", "profile", "replay", "response", "runtime", "trace",
})  # fmt: skip

# Raw OS descriptions, as .NET, Unity and Unreal SDKs send them.
_WINDOWS = re.compile(r"(?:Microsoft\s+)?Windows\s+(?:NT\s+)?(\d+\.\d+\.(\d+)).*")
_WINDOWS_BUILD_FIRST = re.compile(r"Windows\s+\d+\s+\((\d+\.\d+\.(\d+)).*")
_MACOS = re.compile(r"Mac OS X (\d+\.\d+\.\d+)(?: \(([a-fA-F0-9]+)\))?")
_IOS = re.compile(r"(iOS|iPadOS) (\d+\.\d+(?:\.\d+)?)")
_LINUX_DISTRO = re.compile(
    r"Linux (\d+\.\d+(?:\.\d+(?:\.[1-9]+)?)?) ([a-zA-Z]+) (\d+(?:\.\d+){0,2})"
)
_UNAME = re.compile(r"([a-zA-Z]+) (\d+\.\d+(?:\.\d+(?:\.[1-9]+)?)?)")
_ANDROID = re.compile(r"Android (?:OS )?(\d+(?:\.\d+){0,2}) / API-\d+")
_RUNTIME = re.compile(r"(.*) (\d+\.\d+(?:\.\d+){0,2}).*")
#: Longest raw description read (they are one line of an OS or runtime banner).
_MAX_DESCRIPTION = 512


def normalize_contexts(event: dict[str, Any], notes: Notes) -> None:
    """Give known contexts their `type` and computed fields; drop contexts that are not objects."""
    contexts = event.get("contexts")
    if contexts is None:
        return
    if not isinstance(contexts, dict):
        del event["contexts"]
        notes.removed("contexts", "not an object")
        return
    for key in list(contexts):
        context = contexts[key]
        if context is None:
            continue
        if not isinstance(context, dict):
            del contexts[key]
            notes.removed(f"contexts.{key}", "a context must be an object")
            continue
        kind = as_str(context.get("type")) or key
        if kind not in KNOWN_CONTEXTS:
            continue
        if kind == "os":
            _os(context)
        elif kind == "runtime":
            _runtime(context)
        elif kind == "browser":
            _computed(context, "browser")
        elif kind == "trace" and context.get("status") is None:
            context["status"] = "unknown"
        context["type"] = kind


def _computed(context: dict[str, Any], field: str) -> None:
    """`name version` (or `name`) into `field`, unless the SDK sent one (`compute_os_context`)."""
    if context.get(field) is not None:
        return
    name, version = as_str(context.get("name")), as_str(context.get("version"))
    if name is not None:
        context[field] = f"{name} {version}" if version is not None else name


def _os(context: dict[str, Any]) -> None:
    raw = as_str(context.get("raw_description"))
    if context.get("name") is None and context.get("version") is None and raw:
        _os_from_description(context, raw[:_MAX_DESCRIPTION])
    _computed(context, "os")


def _os_from_description(context: dict[str, Any], raw: str) -> None:
    """Name, version, build or kernel from a raw OS description (`normalize_os_context`)."""
    if match := _WINDOWS.fullmatch(raw) or _WINDOWS_BUILD_FIRST.fullmatch(raw):
        context["name"] = "Windows"
        context["version"] = _windows_name(int(match[2]), match[1])
        context.setdefault("build", match[2])
    elif match := _MACOS.fullmatch(raw):
        context["name"], context["version"] = "macOS", match[1]
        if match[2]:
            context["build"] = match[2]
    elif match := _IOS.match(raw):
        context["name"], context["version"] = match[1], match[2]
    elif match := _LINUX_DISTRO.match(raw):
        context["name"], context["version"] = match[2], match[3]
        context["kernel_version"] = match[1]
    elif match := _UNAME.match(raw):
        context["name"], context["kernel_version"] = match[1], match[2]
    elif match := _ANDROID.match(raw):
        context["name"], context["version"] = "Android", match[1]
    elif raw == "Nintendo Switch":
        context["name"] = "Nintendo OS"
    elif (marketing := _marketing_name(raw)) is not None:
        context["name"], context["version"] = marketing


def _windows_name(build: int, version: str) -> str:
    """Windows' marketing version from its build number; the raw version when unknown."""
    if 2600 <= build <= 3790:
        return "XP"
    if 10240 <= build <= 19044:
        return "10"
    if 22000 <= build <= 22999:
        return "11"
    return {6002: "Vista", 7601: "7", 9200: "8", 9600: "8.1"}.get(build, version)


def _marketing_name(raw: str) -> tuple[str, str] | None:
    """`<letters> <digits, dots, dashes>`, e.g. `HarmonyOS 4.0` (`get_marketing_name`)."""
    name, sep, version = raw.partition(" ")
    name, version = name.strip(), version.strip()
    if not sep or not name.isascii() or not name.isalpha():
        return None
    if any(c not in "0123456789.-" for c in version):
        return None
    return name, version


def _runtime(context: dict[str, Any]) -> None:
    raw = as_str(context.get("raw_description"))
    bare = not context.get("name") and not context.get("version")
    if bare and raw and (match := _RUNTIME.fullmatch(raw[:_MAX_DESCRIPTION])):
        context["name"], context["version"] = match[1], match[2]
    if context.get("runtime") is None:
        name, version = as_str(context.get("name")), as_str(context.get("version"))
        if name is not None and version is not None:
            context["runtime"] = f"{name} {version}"
