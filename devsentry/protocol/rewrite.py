"""What changes when an envelope is sent on to another Sentry: the sender, and the moment.

Relay checks that a `dsn` in the envelope header names the key and project the request is
authenticated for, and dynamic sampling finds the project by `trace.public_key`
(`relay-server/src/extractors/request_meta.rs`); it corrects clock drift from `sent_at`,
which must be the real send time (develop.sentry.dev/sdk/data-model/envelopes/). So forwarding
and replay rewrite exactly these headers and leave every item byte as it was.
"""

from __future__ import annotations

import time
from typing import Any

from devsentry.protocol.dsn import Dsn
from devsentry.protocol.envelope import Envelope
from devsentry.protocol.times import rfc3339

__all__ = ["rewrite_for"]


def rewrite_for(envelope: Envelope, dsn: Dsn | None, *, now: float | None = None) -> Envelope:
    """`envelope` as it must be sent to `dsn` (or, with None, to a URL that needs no key)."""
    moment = time.time() if now is None else now
    changes: dict[str, Any] = {"sent_at": rfc3339(moment, timespec="microseconds")}
    if dsn is not None:
        if envelope.dsn is not None:
            changes["dsn"] = str(dsn)
        trace = envelope.header.get("trace")
        if isinstance(trace, dict) and "public_key" in trace:
            changes["trace"] = {**trace, "public_key": dsn.public_key}
    return envelope.with_header(**changes)
