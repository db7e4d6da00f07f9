"""Size limits: how much devsentry accepts, and where Relay's own defaults stand."""

from __future__ import annotations

__all__ = ["DEFAULT_MAX_SIZE", "MIB"]

MIB = 1024 * 1024

#: Bound on the decompressed size of one envelope (Relay's `max_envelope_size` is 200 MiB;
#: a development tool has no business expanding more than this).
DEFAULT_MAX_SIZE = 100 * MIB
