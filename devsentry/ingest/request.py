"""What a transport hands the pipeline (`Request`), and what the pipeline refuses (`Refused`)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Literal

import msgspec

__all__ = ["BodyKind", "Refused", "Request", "Transport"]

#: The route (or tool) a request came in by, as the store records it.
Transport = Literal["envelope", "store", "stream", "security", "minidump", "proxy", "replay"]
#: What the body is: an envelope, one JSON event (`/store/`), a browser security report, or a
#: native crash upload.
BodyKind = Literal["envelope", "store", "security", "minidump"]


class Request(msgspec.Struct, kw_only=True):
    """What a transport received. `body` is exactly as it arrived (maybe compressed)."""

    body: bytes
    transport: Transport
    kind: BodyKind = "envelope"
    project: str | None = None  # from the URL, when the route has one
    content_encoding: str | None = None
    headers: Mapping[str, str] = msgspec.field(default_factory=dict)
    query: str = ""
    path: str | None = None
    remote_addr: str | None = None
    url: str | None = None  # where the SDK was sending it (proxy transport): forward target
    received: float = msgspec.field(default_factory=time.time)


class Refused(Exception):
    """The request is not accepted: `status` and `detail` are what Relay would answer, and
    `retry_after` the seconds a client should wait before sending again (503: cannot store
    now)."""

    def __init__(self, status: int, detail: str, *, retry_after: int | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.retry_after = retry_after
