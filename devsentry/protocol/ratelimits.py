"""Rate limits as an upstream states them: `X-Sentry-Rate-Limits`, `Retry-After`, or a bare 429.

The header is `<seconds>:<categories>:<scope>[:<reason>[:<namespaces>]]`, limits joined by
commas, an empty category list meaning every category (`relay-server/src/utils/rate_limits.rs`;
develop.sentry.dev/sdk/foundations/transport/rate-limiting/). SDKs read it on every answer, fall
back to `Retry-After` on a 429, and to 60 seconds when a 429 says nothing; each category keeps its
own "disabled until", the longest winning. Client reports (`internal`) are never limited.

Each limit also keeps what the upstream said (its stated length and the header text), so a
forwarder can record why it gave up, and the set round-trips through JSON to survive a restart.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping

import msgspec

__all__ = ["DEFAULT_RETRY_AFTER", "Limit", "RateLimits", "retry_after"]

#: What a 429 without either header means (the develop docs' default).
DEFAULT_RETRY_AFTER = 60.0


def retry_after(value: str | None, now: float) -> float:
    """Seconds from `now` that a `Retry-After` value (seconds or an HTTP date) asks for."""
    if not value:
        return DEFAULT_RETRY_AFTER
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = dt.datetime.strptime(value, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=dt.UTC)
    except ValueError:
        return DEFAULT_RETRY_AFTER
    return max(when.timestamp() - now, 0.0)


class Limit(msgspec.Struct, frozen=True):
    """One limit as stated: until when, for how long, on which categories, in which words."""

    until: float
    seconds: float
    categories: tuple[str, ...] = ()  # as stated; () means every category
    source: str = ""  # e.g. "X-Sentry-Rate-Limits 60:transaction:key" or "Retry-After 30"

    def describe(self) -> str:
        """Why an envelope was not sent, in words a person can check against the upstream."""
        what = f"no {', '.join(self.categories)}" if self.categories else "nothing"
        said = f" ({self.source})" if self.source else ""
        return f"the upstream takes {what} for {span(self.seconds)}{said}"


def span(seconds: float) -> str:
    """A limit's length the way people say it: `30 s`, `5 min`, `24 h`."""
    if seconds >= 3600:
        return f"{round(seconds / 3600, 1):g} h"
    if seconds >= 60:
        return f"{round(seconds / 60, 1):g} min"
    return f"{round(seconds):g} s"


class RateLimits:
    """Per-category "disabled until" times, read from upstream answers the way SDKs read them."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.limits: dict[str, Limit] = {}  # by category; "" means every category

    def update(self, status: int, headers: Mapping[str, str]) -> bool:
        """Take in what one answer says (every answer, 200s included, may carry limits);
        True when a limit was set or extended."""
        now = self.clock()
        header = headers.get("X-Sentry-Rate-Limits")
        changed = False
        if header:
            for text in header.split(","):
                fields = text.strip().split(":")
                if len(fields) < 2:
                    continue
                try:
                    seconds = float(fields[0])
                except ValueError:
                    continue
                categories = tuple(c for c in fields[1].split(";") if c)
                source = f"X-Sentry-Rate-Limits {text.strip()[:200]}"
                limit = Limit(now + seconds, seconds, categories, source)
                changed |= self._extend(categories or ("",), limit)
        elif status == 429:
            value = headers.get("Retry-After")
            seconds = retry_after(value, now)
            source = f"Retry-After {value[:60]}" if value else "429 without a limit"
            changed |= self._extend(("",), Limit(now + seconds, seconds, (), source))
        return changed

    def _extend(self, categories: Iterable[str], limit: Limit) -> bool:
        changed = False
        for category in categories:
            current = self.limits.get(category)
            if current is None or limit.until > current.until:
                self.limits[category] = limit
                changed = True
        return changed

    def limiting(self, categories: Iterable[str]) -> Limit | None:
        """The active limit on any of `categories` that ends last; None if all may go now."""
        now = self.clock()
        keys = [""] + [c for c in categories if c != "internal"]
        active = [lim for k in keys if (lim := self.limits.get(k)) and lim.until > now]
        return max(active, key=lambda lim: lim.until, default=None)

    def blocked_until(self, categories: Iterable[str]) -> float:
        """When every one of `categories` may go again: 0 if now."""
        limit = self.limiting(categories)
        return limit.until if limit is not None else 0.0

    def encode(self) -> bytes | None:
        """The active limits as JSON, to keep across restarts; None when there are none."""
        now = self.clock()
        active = {k: lim for k, lim in self.limits.items() if lim.until > now}
        return msgspec.json.encode(active) if active else None

    @classmethod
    def decode(cls, data: bytes | str, clock: Callable[[], float] = time.time) -> RateLimits:
        """Limits saved by `encode`; what cannot be read is forgotten (the next answer
        states the limits again)."""
        limits = cls(clock)
        with contextlib.suppress(msgspec.DecodeError):  # ValidationError included
            limits.limits = msgspec.json.decode(data, type=dict[str, Limit])
        return limits
