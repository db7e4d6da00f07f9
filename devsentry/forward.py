"""Forwarding: a copy of each accepted envelope goes to a real Sentry, without slowing the app.

The pipeline marks an envelope for forwarding in the same transaction that stores it (the
`outbox` table), so an acknowledged envelope is never lost to a crash or an outage. The
`Forwarder` delivers from the outbox in the background, rewriting what must change for the
upstream (reference §4.5: auth, the envelope `dsn`, `trace.public_key`, a fresh `sent_at`)
and nothing else, and honours the upstream's answers the way SDKs do (§4.4): rate limits
pause the limited categories, 5xx and network errors retry with backoff, 400 and 413 are final.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gzip
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import aiohttp
import msgspec

from devsentry import __version__
from devsentry.dsn import Dsn
from devsentry.envelope import Envelope, parse, serialize
from devsentry.model import category_for
from devsentry.outbox import Delivery, Outbox
from devsentry.store import Forward

__all__ = ["ForwardPolicy", "Forwarder", "RateLimits", "rewrite_for"]

log = logging.getLogger(__name__)

_BACKOFF_START = 1.0  # seconds before the first retry; doubles up to _BACKOFF_MAX
_BACKOFF_MAX = 300.0
_DEFAULT_RETRY_AFTER = 60.0  # a 429 that says nothing else (reference §4.4)
_CONCURRENCY = 4
_POLL = 1.0  # seconds between looks at the outbox when nothing woke the forwarder
_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)


class ForwardPolicy(msgspec.Struct, frozen=True):
    """What to forward, and where. `dsn=None` sends each envelope on to its original URL."""

    dsn: str | None = None
    types: frozenset[str] = frozenset()  # empty: every item type
    sample: float = 1.0
    backoff: float = _BACKOFF_START  # first retry delay after a 5xx or network error

    def target(
        self,
        envelope: Envelope,
        original_url: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Forward | None:
        """The delivery for `envelope`, or None when filters leave it out."""
        if self.types and not any(item.type in self.types for item in envelope.items):
            return None
        if self.sample < 1.0 and random.random() >= self.sample:
            return None
        kept = {k: v for k, v in (headers or {}).items() if k.lower() in _KEPT_HEADERS}
        if self.dsn is not None:
            return Forward(self.dsn, kept or None)
        if original_url is None:
            return None
        return Forward(original_url, kept)


_KEPT_HEADERS = {"x-sentry-auth", "authorization", "user-agent", "content-type"}


class RateLimits:
    """Per-category "disabled until" times, read from upstream answers the way SDKs read them."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._until: dict[str, float] = {}  # "" means every category

    def update(self, status: int, headers: Mapping[str, str]) -> None:
        now = self.clock()
        header = headers.get("X-Sentry-Rate-Limits")
        if header:
            for limit in header.split(","):
                fields = limit.strip().split(":")
                if len(fields) < 2:
                    continue
                try:
                    seconds = float(fields[0])
                except ValueError:
                    continue
                categories = [c for c in fields[1].split(";") if c] or [""]
                for category in categories:
                    self._until[category] = max(self._until.get(category, 0.0), now + seconds)
        elif status == 429:
            seconds = _retry_after(headers.get("Retry-After"), now)
            self._until[""] = max(self._until.get("", 0.0), now + seconds)

    def blocked_until(self, categories: Iterable[str]) -> float:
        """When every item of an envelope may go: 0 if now. Client reports are never limited."""
        now = self.clock()
        until = self._until.get("", 0.0)
        for category in categories:
            if category == "internal":
                continue
            until = max(until, self._until.get(category, 0.0))
        return until if until > now else 0.0

    def active(self) -> dict[str, float]:
        now = self.clock()
        return {k or "all": v - now for k, v in self._until.items() if v > now}


def _retry_after(value: str | None, now: float) -> float:
    if not value:
        return _DEFAULT_RETRY_AFTER
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:  # an HTTP date
        when = dt.datetime.strptime(value, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=dt.UTC)
    except ValueError:
        return _DEFAULT_RETRY_AFTER
    return max(when.timestamp() - now, 0.0)


def _sent_at() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def rewrite_for(envelope: Envelope, dsn: Dsn | None) -> Envelope:
    """The envelope as the upstream must see it: its DSN, its key, the real send time."""
    changes: dict[str, Any] = {"sent_at": _sent_at()}
    if dsn is not None:
        if envelope.dsn is not None:
            changes["dsn"] = str(dsn)
        trace = envelope.header.get("trace")
        if isinstance(trace, dict) and "public_key" in trace:
            changes["trace"] = {**trace, "public_key": dsn.public_key}
    return envelope.with_header(**changes)


class Forwarder:
    """Delivers the outbox upstream in the background; `wake()` after new rows are committed."""

    def __init__(
        self,
        outbox: Outbox,
        *,
        backoff: float = _BACKOFF_START,
        notify: Callable[[list[Delivery]], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.outbox = outbox
        self.backoff = backoff
        self.notify = notify
        self.clock = clock
        self.limits = RateLimits(clock)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._slots = asyncio.Semaphore(_CONCURRENCY)

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=_TIMEOUT,
            auto_decompress=True,
            headers={"User-Agent": f"devsentry/{__version__}"},
        )
        self._wake.set()
        self._task = asyncio.create_task(self._run(), name="devsentry-forwarder")
        self._task.add_done_callback(_log_failure)

    async def stop(self) -> None:
        """Stop delivering; what is not delivered stays in the outbox for the next run."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        while True:
            due = self.outbox.due(self.clock(), limit=64)
            if due:
                done = await asyncio.gather(*(self._deliver_limited(d) for d in due))
                if self.notify is not None:
                    self.notify(list(done))
                continue
            # Sleep until the next row is due, a new one is committed, or at most a second:
            # `devsentry outbox --retry` from another process only shows in the store.
            next_due = self.outbox.next_due()
            wait = _POLL if next_due is None else min(max(next_due - self.clock(), 0.05), _POLL)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _deliver_limited(self, delivery: Delivery) -> Delivery:
        async with self._slots:
            return await self._deliver(delivery)

    async def _deliver(self, delivery: Delivery) -> Delivery:
        """One attempt; returns the row as it now stands."""
        raw = self.outbox.raw(delivery.envelope_id)
        if raw is None:
            return self.outbox.update(
                delivery, "failed", None, "the envelope is no longer in the store"
            )
        envelope = parse(raw)
        categories = {c for item in envelope.items if (c := category_for(item.type))}
        if until := self.limits.blocked_until(categories):
            detail = "held back by the upstream's rate limit"
            return self.outbox.update(delivery, "rate_limited", None, detail, retry_at=until)
        try:
            url, headers, body = self._request(delivery, envelope)
        except ValueError as exc:
            return self.outbox.update(delivery, "failed", None, str(exc))
        assert self._session is not None
        try:
            async with self._session.post(url, data=body, headers=headers) as response:
                status = response.status
                text = await response.text(errors="replace")
                self.limits.update(status, response.headers)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return self._retry(delivery, None, detail)
        if 200 <= status < 300:
            return self.outbox.update(delivery, "delivered", status, None)
        if status == 429:
            until = self.limits.blocked_until(categories) or self.clock() + _DEFAULT_RETRY_AFTER
            return self.outbox.update(
                delivery, "rate_limited", status, _detail(text), retry_at=until
            )
        if status >= 500 or status == 408:
            return self._retry(delivery, status, _detail(text))
        # 400, 401, 403, 413…: the upstream will never take it
        return self.outbox.update(delivery, "failed", status, _detail(text))

    def _request(self, delivery: Delivery, envelope: Envelope) -> tuple[str, dict[str, str], bytes]:
        headers = dict(delivery.headers or {})
        try:  # a DSN target (`serve --forward DSN`): a DSN always names a key, a URL never does
            dsn: Dsn | None = Dsn.parse(delivery.target)
        except ValueError:
            dsn = None
        if dsn is not None:
            headers = {k: v for k, v in headers.items() if k.lower() == "user-agent"}
            headers["X-Sentry-Auth"] = dsn.auth_header(f"devsentry/{__version__}")
            url = dsn.envelope_url
        else:  # the URL the SDK was sending to (intercept --forward), with its own auth
            url = delivery.target
        body = serialize(rewrite_for(envelope, dsn))
        headers["Content-Type"] = "application/x-sentry-envelope"
        headers["Content-Encoding"] = "gzip"
        return url, headers, gzip.compress(body, compresslevel=6)

    def _retry(self, delivery: Delivery, status: int | None, detail: str) -> Delivery:
        delay = min(self.backoff * 2**delivery.attempts, _BACKOFF_MAX)
        return self.outbox.update(
            delivery, "pending", status, detail, retry_at=self.clock() + delay
        )


def _detail(text: str) -> str:
    """Relay's `{"detail": …}` when the body has one, else the start of the body."""
    try:
        body = msgspec.json.decode(text)
    except msgspec.DecodeError:
        return text.strip()[:300]
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return body["detail"]
    return text.strip()[:300]


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the forwarder stopped", exc_info=task.exception())
