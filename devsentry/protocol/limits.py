"""Size and shape limits: what devsentry accepts, with Relay's own defaults and where they stand.

Relay's defaults are `impl Default for Limits` in `relay-config/src/config.rs`. devsentry takes a
request and an envelope as large as Relay does (and answers a larger one as Relay does, 413
with a `detail`); the per-item limits below are what Relay would drop, which devsentry reports
but keeps.
"""

from __future__ import annotations

__all__ = ["DEFAULT_MAX_SIZE", "ITEM_LIMITS", "MAX_JSON_DEPTH", "MIB"]

MIB = 1024 * 1024
KIB = 1024

#: Relay's `max_envelope_size` (200 MiB): the largest request body on `/envelope/`, and the
#: largest envelope after decompression.
DEFAULT_MAX_SIZE = 200 * MIB

#: JSON nesting deeper than this is refused: serde_json's default recursion limit, with which
#: Relay parses every payload (and which Relay imposes on MessagePack too, relay PR #6212).
MAX_JSON_DEPTH = 128

#: Relay's per-item limits by item type (`max_event_size`, `max_check_in_size`, …).
ITEM_LIMITS: dict[str, int] = {
    "event": 1 * MIB,
    "transaction": 1 * MIB,
    "feedback": 1 * MIB,
    "replay_event": 1 * MIB,
    "raw_security": 1 * MIB,
    "attachment": 200 * MIB,
    "user_report": 200 * MIB,
    "client_report": 100 * KIB,
    "check_in": 100 * KIB,
    "profile": 50 * MIB,
    "profile_chunk": 50 * MIB,
    "profile_chunk_ui": 50 * MIB,
    "trace_metric": 1 * MIB,
    "log": 12 * MIB,  # a container: max_container_size (each log: max_log_size, 2 MiB)
    "span": 12 * MIB,  # a v2 container; one v1 span: max_span_size, 10 MiB
    "replay_recording": 10 * MIB,  # compressed (max_replay_compressed_size)
    "replay_video": 10 * MIB,
    "statsd": 1 * MIB,
}
