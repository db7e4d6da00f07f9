"""Session replay: the `replay_event` metadata item (its recording is an opaque item).

develop.sentry.dev/sdk/telemetry/replays/; Relay's `relay-event-schema/src/protocol/replay.rs`.
"""

from __future__ import annotations

import msgspec

from devsentry.model.base import Headline, Timestamp
from devsentry.model.events import Event
from devsentry.protocol.times import epoch_seconds

__all__ = ["ReplayEvent"]


class ReplayEvent(Event):
    """Metadata of one replay segment; the recording is a separate binary item."""

    replay_id: str | None = None
    replay_type: str | None = None
    segment_id: int | None = None
    replay_start_timestamp: Timestamp = None
    urls: list[str | None] | None = None
    trace_ids: list[str] | None = None
    error_ids: list[str] | None = None

    @property
    def replay_start_timestamp_seconds(self) -> float | None:
        return epoch_seconds(self.replay_start_timestamp)

    def headline(self) -> Headline:
        title = f"replay {self.replay_id or ''} segment {self.segment_id}".replace("  ", " ")
        return msgspec.structs.replace(super().headline(), title=title)
