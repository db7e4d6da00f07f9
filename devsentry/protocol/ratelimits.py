"""Rate limits as an upstream states them: `X-Sentry-Rate-Limits`, `Retry-After`, or a bare 429.

The header is `<seconds>:<categories>:<scope>[:<reason>[:<namespaces>]]`, limits joined by
commas, an empty category list meaning every category (`relay-server/src/utils/rate_limits.rs`;
develop.sentry.dev/sdk/foundations/transport/rate-limiting/). SDKs read it on every answer, fall
back to `Retry-After` on a 429, and to 60 seconds when a 429 says nothing; each category keeps its
own "disabled until", the longest winning. Client reports (`internal`) are never limited.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping

__all__ = ["DEFAULT_RETRY_AFTER", "RateLimits", "retry_after"]

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


class RateLimits:
    """Per-category "disabled until" times, read from upstream answers the way SDKs read them."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.until: dict[str, float] = {}  # "" means every category

    def update(self, status: int, headers: Mapping[str, str]) -> None:
        """Take in what one answer says (every answer, 200s included, may carry limits)."""
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
                    self.until[category] = max(self.until.get(category, 0.0), now + seconds)
        elif status == 429:
            seconds = retry_after(headers.get("Retry-After"), now)
            self.until[""] = max(self.until.get("", 0.0), now + seconds)

    def blocked_until(self, categories: Iterable[str]) -> float:
        """When every one of `categories` may go again: 0 if now."""
        now = self.clock()
        until = self.until.get("", 0.0)
        for category in categories:
            if category == "internal":
                continue
            until = max(until, self.until.get(category, 0.0))
        return until if until > now else 0.0
