"""Size, shape and age limits: what devsentry accepts, Relay's own defaults, where they stand.

Relay's defaults are `impl Default for Limits` in `relay-config/src/config.rs`; how they apply to
each item is `check_envelope_size_limits` in `relay-server/src/utils/sizes.rs`. devsentry takes a
request and an envelope as large as Relay does (and answers a larger one as Relay does, 413
with a `detail`); the per-item limits below are what Relay would drop, which devsentry reports
but keeps.
"""

from __future__ import annotations

__all__ = [
    "CONTAINER_ITEM_LIMITS",
    "DAY",
    "DEFAULT_MAX_SIZE",
    "EVENT_RETENTION_DAYS",
    "ITEM_LIMITS",
    "MAX_JSON_DEPTH",
    "MAX_SECS_IN_FUTURE",
    "MAX_SESSION_SECS_IN_PAST",
    "METRICS_MAX_SECS_IN_PAST",
    "MIB",
    "MINIMUM_CLOCK_DRIFT",
]

MIB = 1024 * 1024
KIB = 1024
DAY = 24 * 3600

#: Relay's `max_envelope_size` (200 MiB): the largest request body on `/envelope/`, and the
#: largest envelope after decompression.
DEFAULT_MAX_SIZE = 200 * MIB

#: JSON nesting deeper than this is refused: serde_json's default recursion limit, with which
#: Relay parses every payload (and which Relay imposes on MessagePack too, relay PR #6212).
MAX_JSON_DEPTH = 128

#: Relay's limit on a whole item by item type (`max_event_size`, `max_check_in_size`, …): an
#: item over it makes Relay refuse the envelope. Container items (log, span v2, trace_metric)
#: are held to `max_container_size` here and, on average per contained item, to
#: `CONTAINER_ITEM_LIMITS`.
ITEM_LIMITS: dict[str, int] = {
    "event": 1 * MIB,
    "transaction": 1 * MIB,
    "feedback": 1 * MIB,
    "replay_event": 1 * MIB,
    "raw_security": 1 * MIB,
    "security": 1 * MIB,
    "form_data": 1 * MIB,
    "attachment": 200 * MIB,
    "unreal_report": 200 * MIB,
    "user_report": 200 * MIB,
    "session": 10 * MIB,  # max_sessions_size
    "sessions": 10 * MIB,
    "client_report": 100 * KIB,
    "check_in": 100 * KIB,
    "profile": 50 * MIB,
    "profile_chunk": 50 * MIB,
    "profile_chunk_ui": 50 * MIB,
    "trace_metric": 12 * MIB,  # max_container_size
    "log": 12 * MIB,  # max_container_size
    "span": 12 * MIB,  # max_container_size (a v1 span alone: max_span_size)
    "replay_recording": 10 * MIB,  # compressed (max_replay_compressed_size)
    "replay_video": 10 * MIB,
    "statsd": 1 * MIB,
    "metric_buckets": 1 * MIB,
}

#: The average size a container may give each item it holds (`Limit::apply` in `sizes.rs`
#: divides the container's length by its `item_count`): `max_log_size`, `max_span_size`
#: (also the limit of one v1 span item), `max_trace_metric_size`.
CONTAINER_ITEM_LIMITS: dict[str, int] = {
    "log": 2 * MIB,
    "span": 10 * MIB,
    "trace_metric": 1 * MIB,
}

#: How far past the time it was received a timestamp may lie (`default_max_secs_in_future`
#: in `relay-config/src/config.rs`): an event's is replaced, a session is dropped.
MAX_SECS_IN_FUTURE = 60

#: Sessions older than this are dropped (`default_max_session_secs_in_past`, 5 days).
MAX_SESSION_SECS_IN_PAST = 5 * DAY

#: The event retention Relay assumes when a project sets none (`DEFAULT_EVENT_RETENTION` in
#: `relay-server/src/constants.rs`): an event dated before it gets the time it was received,
#: and a client report older than it is ignored.
EVENT_RETENTION_DAYS = 90

#: A transaction must end within this many seconds before it is received: the metrics
#: aggregator's `max_secs_in_past` (5 days, `relay-metrics/src/aggregator/config.rs`), which
#: `EventValidationConfig::transaction_timestamp_range` is built from.
METRICS_MAX_SECS_IN_PAST = 5 * DAY

#: A sender's clock this far off (its envelope's `sent_at` against the time received) makes
#: Relay shift the item's timestamps by as much (`MINIMUM_CLOCK_DRIFT`, 55 minutes, in
#: `relay-server/src/services/processor.rs`); less is left alone.
MINIMUM_CLOCK_DRIFT = 55 * 60
