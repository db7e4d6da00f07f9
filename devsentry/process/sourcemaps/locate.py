"""Pure facts about JavaScript frames and generated files: which frames are JavaScript, the
`sourceMappingURL` and `debugId` comments of a generated file, inline (`data:`) maps, the
debug IDs an event names, and Sentry's module names for JavaScript paths. No I/O."""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

__all__ = [
    "JS_PLATFORMS",
    "event_debug_ids",
    "generate_module",
    "inline_map",
    "is_library_path",
    "js_stacks",
    "mapping_comments",
    "resolve_map_url",
]

JS_PLATFORMS = frozenset({"javascript", "node"})
_TAIL = 4096  # the comments sit at the end of a generated file
# `//# sourceMappingURL=…` (or the old `//@`), and `/*# … */` in CSS-style comments.
_MAPPING_URL = re.compile(r"[#@]\s*sourceMappingURL=\s*(\S+?)\s*(?:\*/)?\s*$", re.M)
_DEBUG_ID = re.compile(r"[#@]\s*debugId=\s*([0-9a-fA-F-]{32,36})\s*(?:\*/)?\s*$", re.M)


def js_stacks(data: dict[str, Any]) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each (holder, frames) of an event whose frames are JavaScript: the exception values,
    the threads and the event's own `stacktrace` (`holder["stacktrace"]` is the list's
    stacktrace)."""
    platform = data.get("platform")
    holders: list[Any] = []
    for key in ("exception", "threads"):
        box = data.get(key)
        values = box.get("values") if isinstance(box, dict) else None
        if isinstance(values, list):
            holders += values
    holders.append(data)
    for holder in holders:
        if not isinstance(holder, dict):
            continue
        stack = holder.get("stacktrace")
        frames = stack.get("frames") if isinstance(stack, dict) else None
        if not isinstance(frames, list) or not frames:
            continue
        js = [f for f in frames if isinstance(f, dict) and _is_js(f, platform)]
        if js:
            yield holder, frames


def _is_js(frame: dict[str, Any], platform: Any) -> bool:
    own = frame.get("platform")
    return (own or platform) in JS_PLATFORMS


def event_debug_ids(data: dict[str, Any]) -> dict[str, str]:
    """`debug_meta.images` of type `sourcemap`: generated file URL or path → debug ID
    (lower case), as the JavaScript SDKs send them."""
    meta = data.get("debug_meta")
    images = meta.get("images") if isinstance(meta, dict) else None
    found: dict[str, str] = {}
    for image in images if isinstance(images, list) else ():
        if not isinstance(image, dict) or image.get("type") != "sourcemap":
            continue
        code_file, debug_id = image.get("code_file"), image.get("debug_id")
        if isinstance(code_file, str) and isinstance(debug_id, str):
            found[code_file] = debug_id.lower()
    return found


def mapping_comments(text: str) -> tuple[str | None, str | None]:
    """The last `sourceMappingURL` and `debugId` comments of a generated file's tail."""
    tail = text[-_TAIL:]
    urls = _MAPPING_URL.findall(tail)
    ids = _DEBUG_ID.findall(tail)
    return (urls[-1] if urls else None), (ids[-1].lower() if ids else None)


def inline_map(url: str) -> bytes | None:
    """The bytes of a `data:` URL (base64 or percent-encoded), or None if it is not one or
    does not decode."""
    if not url.startswith("data:"):
        return None
    head, sep, body = url[5:].partition(",")
    if not sep:
        return None
    if head.endswith(";base64"):
        try:
            return base64.b64decode(body, validate=False)
        except (binascii.Error, ValueError):
            return None
    return unquote_to_bytes(body)


def resolve_map_url(generated: str, map_url: str) -> str:
    """A `sourceMappingURL` relative to the generated file's URL or path."""
    if "://" in generated:
        return urljoin(generated, map_url)
    if "://" in map_url or map_url.startswith("/"):
        return map_url
    return posixpath.normpath(posixpath.join(posixpath.dirname(generated), map_url))


_LIBRARY_PARTS = ("/node_modules/", "webpack/bootstrap", "webpack/runtime", "(webpack)", "/~/")


def is_library_path(path: str) -> bool:
    """Code nobody in the app wrote: dependencies and the bundler's own runtime (Sentry's
    `is_in_app` rules for JavaScript frames in `processor_smcache.py`)."""
    return path.startswith(("node_modules/", "~/")) or any(part in path for part in _LIBRARY_PARTS)


# Sentry's `generate_module` (`src/sentry/lang/javascript/utils.py`): a module name made up
# from a URL's path, without the folders bundlers and CDNs add (`static/`, `js/`, versions,
# hashes) and without the extension, so a culprit reads `fn(app/cart)`, not the page URL.
_CLEAN_MODULE = re.compile(
    r"""^(?:/|(?:(?:java)?scripts?|js|build|static|node_modules|bower_components|[_.~].*?|
    v?(?:\d+\.)*\d+|[a-f0-9]{7,8}|[a-f0-9]{32}|[a-f0-9]{40})/)+|(?:[-.][a-f0-9]{7,}$)""",
    re.X | re.I,
)
_HASH_FOLDER = re.compile(r"^(?:[a-f0-9]{32}|[a-f0-9]{40})$", re.I)
_MODULE_SCHEMES = ("http:", "https:", "webpack:", "app:")


def generate_module(path: str | None) -> str | None:
    """The module name Sentry derives from a JavaScript frame's URL; None for paths Sentry
    leaves alone (local files: Node SDKs send their own module)."""
    if not path or not path.startswith(_MODULE_SCHEMES):
        return None
    name = urlsplit(path).path
    name, _ = posixpath.splitext(name)
    name = name.removesuffix(".min")
    parts = name.split("/")
    for n, part in enumerate(parts):
        if _HASH_FOLDER.match(part):
            return "/".join(parts[n + 1 :]) or None
    return _CLEAN_MODULE.sub("", name) or None
