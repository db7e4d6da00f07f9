"""Forwarding: a copy of each accepted envelope goes to a real Sentry, without slowing the app.

The pipeline marks an envelope for forwarding in the same transaction that stores it (the
`outbox` table), so an acknowledged envelope is never lost to a crash or an outage. The
`Forwarder` delivers from the outbox in the background, rewriting only what must change for the
upstream (`devsentry.protocol.rewrite`), and honours the upstream's answers the way SDKs do
(develop.sentry.dev/sdk/foundations/transport/rate-limiting/): short rate limits hold back the
limited categories, long ones drop them (as SDKs drop them), 5xx and network errors retry with
backoff, 400 and 413 are final. Each upstream's limits are kept in the store, so a restart
remembers them, and the outbox is bounded, so an upstream that takes nothing cannot fill the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import logging
import time
from collections.abc import Callable, Mapping

import aiohttp
import msgspec

from devsentry import __version__
from devsentry.ingest.forward import BACKOFF_START, MAX_WAITING
from devsentry.ingest.pipeline import Committed
from devsentry.model import category_for
from devsentry.protocol.dsn import Dsn
from devsentry.protocol.envelope import Envelope, parse, serialize
from devsentry.protocol.ratelimits import DEFAULT_RETRY_AFTER, Limit, RateLimits
from devsentry.protocol.rewrite import rewrite_for
from devsentry.store.outbox import Delivery, Outbox
from devsentry.tasks import supervise

__all__ = ["Forwarder"]

log = logging.getLogger(__name__)

_BACKOFF_MAX = 300.0  # seconds: the longest wait between retries
_CONCURRENCY = 4
_POLL = 1.0  # seconds between looks at the outbox when nothing woke the forwarder
_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)

#: Seconds a rate limit may still have to run for its envelopes to wait; longer, and they are
#: dropped. SDKs never wait: sentry-python (`sentry_sdk/transport.py`) and sentry-javascript
#: (`packages/core/src/transports/base.ts`) drop a rate-limited item at once and record
#: `ratelimit_backoff`. The outbox waits out short limits (a bare 429's 60 s, spike protection)
#: so a burst loses nothing; five minutes, our longest retry backoff too, is past any burst: a
#: longer limit is a quota spent for the hour, the day or for good (Bugsink answers every
#: envelope with `86400:transaction;span:organization`), and waiting only grows the outbox.
LONG_LIMIT = 300.0


class Forwarder:
    """Delivers the outbox upstream in the background; `committed` wakes it for new rows."""

    def __init__(
        self,
        outbox: Outbox,
        *,
        backoff: float = BACKOFF_START,
        max_waiting: int = MAX_WAITING,
        notify: Callable[[list[Delivery]], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.outbox = outbox
        self.backoff = backoff
        self.max_waiting = max_waiting
        self.notify = notify
        self.clock = clock
        self.limits: dict[str, RateLimits] = {}  # by target: each upstream states its own
        self._unsaved: set[str] = set()  # targets whose limits changed since the last save
        self._added = True  # rows were added since the last trim (at start: maybe, last run)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._slots = asyncio.Semaphore(_CONCURRENCY)

    def committed(self, committed: Committed) -> None:
        """The pipeline's listener: a new outbox row is due."""
        if committed.record.forward is not None:
            self._added = True
            self._wake.set()

    def poke(self) -> None:
        """Rows may have been added by another process (the ingest process, for the worker)."""
        self._added = True
        self._wake.set()

    async def start(self) -> None:
        self._load_limits()
        # rows held under the last run's limits are judged again against those known now
        self.outbox.release_held(self.clock())
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
        self._save_limits()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        while True:
            if self._added:
                self._added = False
                self._trim()
            due = self.outbox.due(self.clock(), limit=64)
            if due:
                done = await asyncio.gather(*(self._deliver_limited(d) for d in due))
                self._save_limits()
                self._tell(list(done))
                continue
            # Sleep until the next row is due, a new one is committed, or at most a second:
            # `devsentry outbox --retry` from another process only shows in the store.
            next_due = self.outbox.next_due()
            wait = _POLL if next_due is None else min(max(next_due - self.clock(), 0.05), _POLL)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    def _trim(self) -> None:
        """Keep at most `max_waiting` rows waiting; checked in this loop only when rows were
        added, so the ingest path never counts the outbox."""
        dropped = self.outbox.trim(self.max_waiting)
        if dropped:
            log.warning("outbox full: dropped the %d oldest waiting envelope(s)", len(dropped))
            self._tell(dropped)

    def _tell(self, deliveries: list[Delivery]) -> None:
        if self.notify is not None and deliveries:
            self.notify(deliveries)

    # -- rate limits: one set per target, kept in the store ------------------------------------

    def _limits_for(self, target: str) -> RateLimits:
        limits = self.limits.get(target)
        if limits is None:
            limits = self.limits[target] = RateLimits(self.clock)
        return limits

    def _load_limits(self) -> None:
        """What the last run learned: a restart must not send what a long limit refuses."""
        for target, saved in self.outbox.saved_limits().items():
            self.limits[target] = RateLimits.decode(saved, self.clock)
            self._unsaved.add(target)  # ended ones are forgotten at the next save

    def _save_limits(self) -> None:
        for target in sorted(self._unsaved):
            self.outbox.save_limits(target, self._limits_for(target).encode())
        self._unsaved.clear()

    def _learn(self, target: str, status: int, headers: Mapping[str, str]) -> None:
        if self._limits_for(target).update(status, headers):
            self._unsaved.add(target)

    def _limited(self, delivery: Delivery, limit: Limit, status: int | None, text: str) -> Delivery:
        """Hold the envelope back until a short limit ends; drop it under a long one."""
        if limit.until - self.clock() > LONG_LIMIT:
            return self.outbox.update(delivery, "dropped", status, limit.describe())
        detail = _detail(text) if text.strip() else f"held back: {limit.describe()}"
        return self.outbox.update(delivery, "rate_limited", status, detail, retry_at=limit.until)

    # -- one delivery --------------------------------------------------------------------------

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
        limits = self._limits_for(delivery.target)
        if limit := limits.limiting(categories):
            return self._limited(delivery, limit, None, "")
        try:
            url, headers, body = self._request(delivery, envelope)
        except ValueError as exc:
            return self.outbox.update(delivery, "failed", None, str(exc))
        assert self._session is not None
        try:
            async with self._session.post(url, data=body, headers=headers) as response:
                status = response.status
                text = await response.text(errors="replace")
                self._learn(delivery.target, status, response.headers)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return self._retry(delivery, None, detail)
        if 200 <= status < 300:
            return self.outbox.update(delivery, "delivered", status, None)
        if status == 429:  # limits that name none of its categories: the default wait
            default = Limit(self.clock() + DEFAULT_RETRY_AFTER, DEFAULT_RETRY_AFTER)
            return self._limited(delivery, limits.limiting(categories) or default, status, text)
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
