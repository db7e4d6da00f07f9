"""Profiles: transaction profiles (sample format v1) and continuous-profiling chunks (v2).

develop.sentry.dev/sdk/telemetry/profiles/sample-format-v2/. Only what the views count is
decoded; the sample tables stay raw.
"""

from __future__ import annotations

import msgspec

from devsentry.model.base import Headline, Payload, Timestamp, event_id, plural
from devsentry.model.events import SdkPackage
from devsentry.protocol.times import epoch_seconds

__all__ = ["Profile", "ProfileChunk", "ProfileData", "ProfileTransaction"]


class ProfileData(Payload):
    """The sample tables. Entries stay undecoded (`msgspec.Raw`): we only count them."""

    samples: list[msgspec.Raw] | None = None
    stacks: list[msgspec.Raw] | None = None
    frames: list[msgspec.Raw] | None = None
    thread_metadata: dict[str, msgspec.Raw] | None = None


class _ProfileBase(Payload):
    version: str | int | None = None
    platform: str | None = None
    release: str | None = None
    environment: str | None = None
    profile: ProfileData | None = None

    @property
    def sample_count(self) -> int:
        return len(self.profile.samples or ()) if self.profile else 0

    @property
    def stack_count(self) -> int:
        return len(self.profile.stacks or ()) if self.profile else 0

    @property
    def frame_count(self) -> int:
        return len(self.profile.frames or ()) if self.profile else 0

    @property
    def thread_count(self) -> int:
        return len(self.profile.thread_metadata or ()) if self.profile else 0


class ProfileTransaction(Payload):
    id: str | None = None
    name: str | None = None
    trace_id: str | None = None
    active_thread_id: int | str | None = None


class Profile(_ProfileBase):
    """A transaction profile (sample format v1); it belongs to the envelope's transaction."""

    event_id: str | None = None
    timestamp: Timestamp = None
    transaction: ProfileTransaction | None = None
    transactions: list[ProfileTransaction] | None = None  # sentry-python's form

    @property
    def timestamp_seconds(self) -> float | None:
        return epoch_seconds(self.timestamp)

    @property
    def profiled_transaction(self) -> ProfileTransaction | None:
        """The transaction profiled: the spec's `transaction`, or python's `transactions[0]`."""
        return self.transaction or next(iter(self.transactions or ()), None)

    def headline(self) -> Headline:
        tx = self.profiled_transaction
        name = tx.name if tx is not None and tx.name else "?"
        return Headline(
            title=f"profile of {name}, {plural(self.sample_count, 'sample')}",
            event_id=event_id(self.event_id),
            timestamp=self.timestamp_seconds,
            release=self.release,
            environment=self.environment,
            platform=self.platform,
        )


class ProfileChunk(_ProfileBase):
    """A continuous-profiling chunk (sample format v2)."""

    profiler_id: str | None = None
    chunk_id: str | None = None
    client_sdk: SdkPackage | None = None

    def headline(self) -> Headline:
        return Headline(
            title=f"profile chunk, {plural(self.sample_count, 'sample')}",
            release=self.release,
            environment=self.environment,
            platform=self.platform,
        )
