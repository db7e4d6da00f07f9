"""Forwarding: a copy of each accepted envelope goes to a real Sentry, without slowing the app.

The pipeline marks an envelope for forwarding in the same transaction that stores it (the
`outbox` table), so an acknowledged envelope is never lost to a crash or an outage. The
`Forwarder` delivers from the outbox in the background, rewriting only what must change for the
upstream (`devsentry.protocol.rewrite`), and honours the upstream's answers the way SDKs do
(develop.sentry.dev/sdk/foundations/transport/rate-limiting/): rate limits pause the limited
categories, 5xx and network errors retry with backoff, 400 and 413 are final.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import logging
import time
from collections.abc import Callable

import aiohttp
import msgspec

from devsentry import __version__
from devsentry.ingest.forward import BACKOFF_START
from devsentry.ingest.pipeline import Committed
from devsentry.model import category_for
from devsentry.protocol.dsn import Dsn
from devsentry.protocol.envelope import Envelope, parse, serialize
from devsentry.protocol.ratelimits import DEFAULT_RETRY_AFTER, RateLimits
from devsentry.protocol.rewrite import rewrite_for
from devsentry.store.outbox import Delivery, Outbox
from devsentry.tasks import supervise

__all__ = ["Forwarder"]

log = logging.getLogger(__name__)

_BACKOFF_MAX = 300.0  # seconds: the longest wait between retries
_CONCURRENCY = 4
_POLL = 1.0  # seconds between looks at the outbox when nothing woke the forwarder
_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)


class Forwarder:
    """Delivers the outbox upstream in the background; `committed` wakes it for new rows."""

    def __init__(
        self,
        outbox: Outbox,
        *,
        backoff: float = BACKOFF_START,
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

    def committed(self, committed: Committed) -> None:
        """The pipeline's listener: a new outbox row is due."""
        if committed.record.forward is not None:
            self._wake.set()

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=_TIMEOUT,
            auto_decompress=True,
            headers={"User-Agent": f"devsentry/{__version__}"},
        )
        self._wake.set()
        self._task = supervise(self._run, name="devsentry forwarder")

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
            until = self.limits.blocked_until(categories) or self.clock() + DEFAULT_RETRY_AFTER
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
