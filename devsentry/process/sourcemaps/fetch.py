"""Fetching generated files and their maps over HTTP, off the ingest path: aiohttp with
timeouts and a size limit, and a cache keyed by URL that revalidates with the validators the
server gave (ETag, Last-Modified), so a dev server's rebuild is seen and an unchanged file
costs a 304. Only URLs the policy allows are ever requested."""

from __future__ import annotations

import time
from collections import OrderedDict

import aiohttp
import msgspec

__all__ = ["FETCH_TIMEOUT", "MAX_FILE", "Fetched", "Fetcher"]

FETCH_TIMEOUT = 5.0  # seconds for one file, connect included
MAX_FILE = 64 * 1024 * 1024  # bytes: a generated file or a map larger than this is refused
FRESH = 2.0  # seconds a fetched file is used without asking the server again
_ENTRIES = 256


class Fetched(msgspec.Struct):
    """A file as fetched (`body` None when it failed, `error` saying why); `version` changes
    whenever the content does."""

    url: str
    body: bytes | None
    error: str | None = None
    headers: dict[str, str] = {}
    version: int = 0
    checked: float = 0.0


class Fetcher:
    """One aiohttp session and the cache; `get` never raises."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._cache: OrderedDict[str, Fetched] = OrderedDict()
        self._versions = 0

    async def get(self, url: str) -> Fetched:
        now = time.monotonic()
        cached = self._cache.get(url)
        if cached is not None and now - cached.checked < FRESH:
            return cached
        fetched = await self._fetch(url, cached)
        fetched.checked = now
        self._cache[url] = fetched
        self._cache.move_to_end(url)
        while len(self._cache) > _ENTRIES:
            self._cache.popitem(last=False)
        return fetched

    async def _fetch(self, url: str, cached: Fetched | None) -> Fetched:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=FETCH_TIMEOUT),
                auto_decompress=True,
            )
        headers: dict[str, str] = {}
        if cached is not None and cached.body is not None:
            if etag := cached.headers.get("etag"):
                headers["If-None-Match"] = etag
            if modified := cached.headers.get("last-modified"):
                headers["If-Modified-Since"] = modified
        try:
            async with self._session.get(url, headers=headers, allow_redirects=False) as resp:
                if resp.status == 304 and cached is not None:
                    return cached
                if resp.status != 200:
                    return Fetched(url, None, f"HTTP {resp.status}")
                if (resp.content_length or 0) > MAX_FILE:
                    return Fetched(url, None, f"larger than {MAX_FILE // 2**20} MiB")
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.content.iter_chunked(1 << 16):
                    size += len(chunk)
                    if size > MAX_FILE:
                        return Fetched(url, None, f"larger than {MAX_FILE // 2**20} MiB")
                    chunks.append(chunk)
                body = b"".join(chunks)
                kept = {
                    k.lower(): v
                    for k, v in resp.headers.items()
                    if k.lower() in ("etag", "last-modified", "sourcemap", "x-sourcemap")
                }
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            return Fetched(url, None, _why(exc))
        if cached is not None and cached.body == body:
            cached.headers = kept
            return cached
        self._versions += 1
        return Fetched(url, body, None, kept, self._versions)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {FETCH_TIMEOUT:.0f} s"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "connection refused" if "refused" in str(exc).lower() else "cannot connect"
    return type(exc).__name__
