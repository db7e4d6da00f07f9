"""Which envelopes are queued for forwarding, decided as each is committed.

The outbox row is written in the same transaction as the envelope, so what an SDK was told is
stored is also queued upstream; `devsentry.sinks.forward` delivers it later.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

import msgspec

from devsentry.protocol.envelope import Envelope
from devsentry.store.records import Forward

__all__ = ["BACKOFF_START", "MAX_WAITING", "ForwardPolicy"]

#: Seconds before the first retry after a 5xx or network error; doubles up to 5 minutes.
BACKOFF_START = 1.0
#: Outbox rows waiting for an upstream at most; beyond it the oldest are dropped. Waiting
#: envelopes outlive retention, so an upstream that takes nothing would otherwise grow the store
#: without end. Ten thousand rides out hours of an outage at a dev app's pace, is about 100 MB of
#: raw envelopes of the usual ~10 KB, and counting it (on the `outbox_due` index) is cheap.
MAX_WAITING = 10_000
_KEPT_HEADERS = {"x-sentry-auth", "authorization", "user-agent", "content-type"}


class ForwardPolicy(msgspec.Struct, frozen=True):
    """What to forward, and where. `dsn=None` sends each envelope on to its original URL."""

    dsn: str | None = None
    types: frozenset[str] = frozenset()  # empty: every item type
    sample: float = 1.0
    backoff: float = BACKOFF_START  # first retry delay after a 5xx or network error
    max_waiting: int = MAX_WAITING  # outbox rows waiting at most; the oldest beyond are dropped

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
