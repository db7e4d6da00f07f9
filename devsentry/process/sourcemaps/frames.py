"""Rewriting one JavaScript frame through its map: the original file, line, column and
function (the map's scopes and `names`), code context from `sourcesContent`, whether it is
app code; the generated frame is kept apart (`raw_stacktrace`) by the caller. As Sentry's
`processor_smcache.py` does it, with symbolic's `SourceMapCache` doing the lookup."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from devsentry.process.sourcemaps.locate import generate_module, is_library_path

if TYPE_CHECKING:
    from symbolic.sourcemapcache import SourceMapCache

__all__ = ["CONTEXT_LINES", "Loaded", "resolve_frame"]

CONTEXT_LINES = 5
_LINE = 400  # characters of a context line kept (minified code has no short lines)
_MAX_POS = 2**31  # lines and columns the lookup takes (32-bit)


class Loaded:
    """A map ready for lookups: symbolic's cache and where the map came from (`name`, a URL
    or a path: relative `sources` resolve against it)."""

    __slots__ = ("cache", "name")

    def __init__(self, cache: SourceMapCache, name: str) -> None:
        self.cache = cache
        self.name = name


def resolve_frame(frame: dict[str, Any], loaded: Loaded, path: str) -> dict[str, Any] | str:
    """The original frame, or why there is none (a short note). `path` is the generated
    file's URL or path: a map read from disk for a URL (by debug ID) resolves its `sources`
    as if it sat beside that URL, so the frame reads the same however its map was found."""
    lineno, colno = frame.get("lineno"), frame.get("colno")
    if not isinstance(lineno, int) or isinstance(lineno, bool) or not 0 < lineno < _MAX_POS:
        return "the frame has no line number"
    if not isinstance(colno, int) or isinstance(colno, bool) or not 0 < colno < _MAX_POS:
        colno = 1
    token = loaded.cache.lookup(lineno, colno, CONTEXT_LINES)
    if token is None or not token.src:
        return f"line {lineno}:{colno} is outside the map {_short(loaded.name)}"
    new = dict(frame)
    local_map = "://" not in loaded.name and not loaded.name.startswith("data:")
    base = path if local_map and path.startswith(("http://", "https://")) else loaded.name
    abs_path = _source_path(base, token.src)
    new["abs_path"] = abs_path
    new["filename"] = _filename(abs_path, token.src)
    new["lineno"] = token.line
    new["colno"] = token.col
    function = token.function_name or token.name
    if function:
        new["function"] = function
    new.pop("module", None)
    if module := generate_module(abs_path):
        new["module"] = module
    if token.context_line is not None:
        new["pre_context"] = [_trim(line) for line in token.pre_context]
        new["context_line"] = _trim(token.context_line)
        new["post_context"] = [_trim(line) for line in token.post_context]
    else:
        for key in ("pre_context", "context_line", "post_context"):
            new.pop(key, None)
    if is_library_path(abs_path) or is_library_path(token.src):
        new["in_app"] = False
    elif frame.get("in_app") is not False or is_library_path(str(frame.get("abs_path") or "")):
        new["in_app"] = True
    data = dict(frame["data"]) if isinstance(frame.get("data"), dict) else {}
    data["sourcemap"] = loaded.name
    data["symbolicated"] = True
    new["data"] = data
    return new


def _source_path(map_name: str, src: str) -> str:
    """A `sources` entry made absolute against the map's URL or directory (`webpack://…`
    and other schemes stay as they are)."""
    if "://" in src or src.startswith("/"):
        return src
    if "://" in map_name:
        return urljoin(map_name, src)
    return os.path.normpath(Path(map_name).parent / src)


def _filename(abs_path: str, src: str) -> str:
    """What the frame is called: a URL's path, a project-relative path for local files."""
    if "://" in abs_path:
        parts = urlsplit(abs_path)
        path = parts.path if parts.scheme in ("http", "https") else parts.netloc + parts.path
        path = posixpath.normpath(path) if path else src
        return path.lstrip("/") if parts.scheme == "webpack" else path
    try:
        relative = os.path.relpath(abs_path)
    except ValueError:
        return abs_path
    return abs_path if relative.startswith("..") else relative


def _trim(line: str | None) -> str:
    text = (line or "").rstrip("\r\n")
    return text if len(text) <= _LINE else text[:_LINE] + " {snip}"


def _short(name: str) -> str:
    return name if len(name) <= 80 else "…" + name[-79:]
