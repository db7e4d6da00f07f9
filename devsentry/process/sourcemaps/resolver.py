"""The `Resolver`: rewrites an event's JavaScript frames while it is processed (`apply`, quick
lookups only) with the maps it already has, and notes the files it has no fresh answer for;
`prepare` then finds those maps (async: fetches with aiohttp, reads and parses maps in a
worker thread, so the loop that answers SDKs never waits) and the event is processed again.
Events of other platforms never reach it.

Where a map comes from, in Sentry's order: the frame's debug ID (`debug_meta.images`, or the
bundle's `//# debugId=`) in the `--sourcemaps` directories or uploaded bundles; for a file
on this machine (Node), its `sourceMappingURL` or the `.map` beside it; for a URL, the
`SourceMap` header or `sourceMappingURL` comment of the file fetched from there — only from
loopback and the `--fetch-from` hosts. A frame that stays generated gets a short note saying
why (`data.sourcemap_note`)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from devsentry.process.sourcemaps.frames import Loaded, resolve_frame
from devsentry.process.sourcemaps.local import DebugIdIndex, read_local
from devsentry.process.sourcemaps.locate import (
    JS_PLATFORMS,
    event_debug_ids,
    generate_module,
    inline_map,
    js_stacks,
    mapping_comments,
    resolve_map_url,
)
from devsentry.process.sourcemaps.policy import SourceMapPolicy

if TYPE_CHECKING:
    from devsentry.process.sourcemaps.fetch import Fetcher

__all__ = ["Resolver"]

log = logging.getLogger(__name__)

_FOUND = 2048  # frames' files remembered between prepare and apply (and for the next event)
_PARSED = 32  # parsed maps kept (a big app's map is tens of MB once parsed)
_FILES_PER_ROUND = 64  # distinct generated files looked up per `prepare` at most
_RECHECK = 2.0  # seconds an answer holds before the file is looked at again (a rebuild)

Found = Loaded | str  # a map ready, or why there is none


class Resolver:
    """Source maps for the processing stage; one per server (`service.ingesting`)."""

    def __init__(self, policy: SourceMapPolicy | None = None) -> None:
        self.policy = policy or SourceMapPolicy()
        self.index = DebugIdIndex(self.policy.dirs)
        self._fetcher: Fetcher | None = None
        # (file, debug ID) → the answer, when it was found, the local file's mtime and size
        self._found: OrderedDict[
            tuple[str, str | None], tuple[Found, float, tuple[int, int] | None]
        ] = OrderedDict()
        #: (file, debug ID) pairs `apply` met with no fresh answer: `prepare` looks them up.
        self.missed: dict[tuple[str, str | None], None] = {}
        self.misses = 0  # counts every miss: the `Indexer` tells which events had one
        self._parsed: OrderedDict[tuple[Any, ...], Found] = OrderedDict()

    async def start(self) -> None:
        """Index the `--sourcemaps` directories (in a thread: a big `dist/` takes a moment)."""
        if self.policy.dirs:
            await asyncio.to_thread(self.index.scan)

    async def close(self) -> None:
        if self._fetcher is not None:
            await self._fetcher.close()

    # -- before processing: find, fetch, parse --------------------------------------------

    async def prepare(self) -> None:
        """Find, fetch and parse the maps `apply` missed (files it had no fresh answer for),
        so processing the events again resolves their frames; never raises."""
        keys = list(self.missed)[:_FILES_PER_ROUND]
        self.missed.clear()
        for key in keys:
            try:
                found = await self._locate(*key)
            except Exception as exc:  # a bug here costs the frame its map, never the event
                log.warning("looking up the source map of %s failed: %r", key[0], exc)
                found = f"devsentry failed looking up its map: {exc!r}"[:200]
            stamp = _stamp(local) if (local := _local_path(key[0])) is not None else None
            self._remember(self._found, key, (found, time.monotonic(), stamp), _FOUND)

    async def _locate(self, path: str, debug_id: str | None) -> Found:
        if debug_id is not None:
            hit = await asyncio.to_thread(self.index.find, debug_id)
            if hit is not None:
                return await self._by_debug_id(path, *hit)
        local = _local_path(path)
        if local is not None:
            return await asyncio.to_thread(self._load_file, local, debug_id)
        if not path.startswith(("http://", "https://")):
            return _no_map(path, debug_id)
        if not self.policy.allows(path):
            host = urlsplit(path).netloc
            why = f"{host} is not an allowed host (--fetch-from {urlsplit(path).hostname})"
            return _with_id(why, debug_id)
        fetcher = self._fetcher_()
        generated = await fetcher.get(path)
        if generated.body is None:
            return _with_id(f"cannot fetch {path}: {generated.error}", debug_id)
        text = generated.body.decode("utf-8", "replace")
        url, file_id = mapping_comments(text)
        if file_id is not None and debug_id is None:
            hit = await asyncio.to_thread(self.index.find, file_id)
            if hit is not None:
                return await asyncio.to_thread(self._load_local, hit[0], hit[1], generated.body)
        url = generated.headers.get("sourcemap") or generated.headers.get("x-sourcemap") or url
        if url is None:
            return _with_id(f"no sourceMappingURL in {path}", debug_id or file_id)
        inline = inline_map(url)
        if inline is not None:
            inline_key: tuple[Any, ...] = ("url", path, generated.version)
            return await self._parse(inline_key, generated.body, inline, path)
        map_url = resolve_map_url(path, url)
        if not self.policy.allows(map_url):
            return f"the map's host is not allowed: {map_url} (--fetch-from)"
        fetched = await fetcher.get(map_url)
        if fetched.body is None:
            return f"map not found at {map_url} ({fetched.error})"
        key = ("url", path, generated.version, map_url, fetched.version)
        return await self._parse(key, generated.body, fetched.body, map_url)

    async def _by_debug_id(self, path: str, generated: str | None, map_path: str) -> Found:
        """A map found by debug ID; when it came without its bundle, the bundle is read from
        the frame's file or URL (its scopes name the original functions)."""
        source: bytes | None = None
        if generated is None:
            local = _local_path(path)
            if local is not None:
                source = await asyncio.to_thread(read_local, local)
            elif self.policy.allows(path):
                source = (await self._fetcher_().get(path)).body
        return await asyncio.to_thread(self._load_local, generated, map_path, source)

    def _fetcher_(self) -> Fetcher:
        if self._fetcher is None:
            from devsentry.process.sourcemaps.fetch import Fetcher

            self._fetcher = Fetcher()
        return self._fetcher

    async def _parse(
        self, key: tuple[Any, ...], source: bytes, sourcemap: bytes, name: str
    ) -> Found:
        cached = self._parsed.get(key)
        if cached is None:
            cached = await asyncio.to_thread(_parse, source, sourcemap, name)
            self._remember(self._parsed, key, cached, _PARSED)
        return cached

    # -- in a worker thread: files on this machine ----------------------------------------

    def _load_local(
        self, generated: str | None, map_path: str, source: bytes | None = None
    ) -> Found:
        """A map from the `--sourcemaps` directories (or an upload), beside its bundle (or
        with the bundle's `source` as fetched)."""
        digest = hash(source) if source is not None else None
        key = ("file", generated, _stamp(generated), map_path, _stamp(map_path), digest)
        cached = self._parsed.get(key)
        if cached is not None:
            return cached
        sourcemap = read_local(map_path)
        if sourcemap is None:
            return f"the map {map_path} of this debug ID cannot be read"
        if source is None:
            source = (read_local(generated) if generated else None) or b""
        found = _parse(source, sourcemap, map_path)
        self._remember(self._parsed, key, found, _PARSED)
        return found

    def _load_file(self, path: str, debug_id: str | None) -> Found:
        """A Node frame's file: its inline map, its `sourceMappingURL`, or `file.map`."""
        source = read_local(path)
        if source is None:
            return _with_id(f"{path} is not on this machine", debug_id)
        url, file_id = mapping_comments(source.decode("utf-8", "replace"))
        if file_id is not None and debug_id is None:
            hit = self.index.find(file_id)
            if hit is not None:
                return self._load_local(hit[0], hit[1])
        if url is not None and (inline := inline_map(url)) is not None:
            key = ("inline", path, _stamp(path))
            cached = self._parsed.get(key)
            if cached is None:
                cached = _parse(source, inline, path)
                self._remember(self._parsed, key, cached, _PARSED)
            return cached
        map_path = resolve_map_url(path, url) if url is not None else path + ".map"
        if url is None and not Path(map_path).exists():
            return ""  # plain source, no map: nothing to resolve and nothing to say
        if "://" in map_path:
            return f"the map of {path} is a URL ({map_path}); only local maps are read"
        return self._load_local(path, map_path)

    @staticmethod
    def _remember(table: OrderedDict[Any, Any], key: Any, found: Any, size: int) -> None:
        table[key] = found
        table.move_to_end(key)
        while len(table) > size:
            table.popitem(last=False)

    # -- while processing: rewrite the frames ----------------------------------------------

    def apply(self, data: dict[str, Any]) -> None:
        """Rewrite the JavaScript frames `prepare` found maps for (quick lookups); keep the
        generated frames in `raw_stacktrace`; note why a frame stays generated; give every
        JavaScript URL frame Sentry's module name. Files with no fresh answer go to
        `missed` (the `Indexer` then awaits `prepare` and processes the event again)."""
        ids = event_debug_ids(data)
        platform = data.get("platform")
        now = time.monotonic()
        for holder, frames in js_stacks(data):
            out: list[Any] = []
            resolved = False
            for frame in frames:
                path = _path_of(frame, platform)
                if path is None:
                    out.append(frame)
                    continue
                key = (path, ids.get(path))
                entry = self._found.get(key)
                if entry is None or not _fresh(path, entry[1], entry[2], now):
                    self.missed[key] = None  # looked up by `prepare`, then processed again
                    self.misses += 1
                found = entry[0] if entry is not None else None
                result: dict[str, Any] | str
                if found is None or found == "":
                    result = frame
                elif isinstance(found, str):
                    result = found
                else:
                    try:
                        result = resolve_frame(frame, found, path)
                    except Exception as exc:  # a bug costs the frame its map, not the event
                        log.warning("resolving a frame of %s failed: %r", path, exc)
                        result = f"devsentry failed resolving it: {exc!r}"[:200]
                if isinstance(result, str):
                    result = _noted(frame, result)
                elif result is not frame:
                    resolved = True
                where = result.get("abs_path") or result.get("filename")
                if "module" not in result and (module := generate_module(where)):
                    result = {**result, "module": module}
                out.append(result)
            if resolved:
                holder["raw_stacktrace"] = {**holder["stacktrace"], "frames": frames}
            holder["stacktrace"] = {**holder["stacktrace"], "frames": out}


def _path_of(frame: Any, platform: Any) -> str | None:
    if not isinstance(frame, dict) or (frame.get("platform") or platform) not in JS_PLATFORMS:
        return None
    path = frame.get("abs_path") or frame.get("filename")
    if not isinstance(path, str) or not path or path.startswith(("node:", "<", "[")):
        return None
    return path


def _fresh(path: str, checked: float, stamp: tuple[int, int] | None, now: float) -> bool:
    """Whether an answer still holds: a local file unchanged since (a rebuild changes it),
    a URL looked at less than `_RECHECK` seconds ago (then revalidated with the server)."""
    local = _local_path(path)
    if local is not None:
        return _stamp(local) == stamp
    return now - checked <= _RECHECK


def _local_path(path: str) -> str | None:
    if path.startswith("file://"):
        return unquote(urlsplit(path).path) or None
    if path.startswith("/") or (len(path) > 2 and path[1] == ":" and path[2] in "\\/"):
        return path
    return None


def _stamp(path: str | None) -> tuple[int, int] | None:
    if path is None:
        return None
    try:
        st = Path(path).stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _parse(source: bytes, sourcemap: bytes, name: str) -> Found:
    """symbolic's `SourceMapCache` of a generated file and its map (CPU: in a thread)."""
    from symbolic.exceptions import SymbolicError
    from symbolic.sourcemapcache import SourceMapCache

    try:
        return Loaded(SourceMapCache.from_bytes(source, sourcemap), name)
    except (SymbolicError, ValueError, TypeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"the map {name} does not parse ({first[:100]})"


def _with_id(why: str, debug_id: str | None) -> str:
    if debug_id is None:
        return why
    return f"debug ID {debug_id} is not in any --sourcemaps directory or upload; {why}"


def _no_map(path: str, debug_id: str | None) -> str:
    if debug_id is not None:
        return f"debug ID {debug_id} is not in any --sourcemaps directory or upload"
    return f"no map for {path}: neither a URL nor a file on this machine"


def _noted(frame: dict[str, Any], note: str) -> dict[str, Any]:
    data = dict(frame["data"]) if isinstance(frame.get("data"), dict) else {}
    data["sourcemap_note"] = note
    data["symbolicated"] = False
    return {**frame, "data": data}
