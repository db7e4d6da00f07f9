"""Request headers Relay reads besides auth and encoding: the sender's user-agent hints."""

from __future__ import annotations

__all__ = ["CLIENT_HINTS"]

#: The user-agent client hints Relay reads beside `User-Agent`, lower-case
#: (`relay-event-normalization/src/user_agent.rs`, `RawUserAgentInfo::set_ua_field_from_header`).
CLIENT_HINTS = (
    "sec-ch-ua",
    "sec-ch-ua-model",
    "sec-ch-ua-platform",
    "sec-ch-ua-platform-version",
)
