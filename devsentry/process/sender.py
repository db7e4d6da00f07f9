"""What the request that brought an envelope says about its sender.

Relay normalizes an event with facts from outside its payload: the client's address (for
`{{auto}}` and browser events), the request's `User-Agent` and client hints (for security
reports and events that carry no request headers of their own), when it was received and the
envelope header's `sent_at` (for clock drift). The store keeps them beside the raw envelope, so
processing it again later gives the same result.
"""

from __future__ import annotations

import msgspec

from devsentry.protocol.headers import CLIENT_HINTS

__all__ = ["CLIENT_HINTS", "Sender"]


class Sender(msgspec.Struct, frozen=True, kw_only=True):
    """The request's side of an envelope: who sent it, with what, and when."""

    received: float  # epoch seconds, when devsentry received the request
    remote_addr: str | None = None  # the client's IP address as the server saw it
    user_agent: str | None = None  # the request's User-Agent header
    client_hints: dict[str, str] = msgspec.field(default_factory=dict)  # CLIENT_HINTS → value
    sent_at: float | None = None  # the envelope header's `sent_at`, epoch seconds
