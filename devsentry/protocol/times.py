"""Protocol timestamps: float epoch seconds or RFC 3339 strings in, RFC 3339 UTC out.

SDKs write either form (sentry-javascript floats, sentry-python RFC 3339 with microseconds; a
string without a zone is UTC, as Relay reads it in `relay-event-schema/src/protocol/types.rs`).
Both functions take any value an SDK might send and never raise: a timestamp that cannot be
read is None, as Relay would drop it.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

__all__ = ["epoch_seconds", "rfc3339"]

#: Latest moment a `datetime` can hold, in epoch seconds (9999-12-31).
_MAX = 253_402_300_799.0
_MIN = -62_135_596_800.0  # 0001-01-01


def epoch_seconds(value: object) -> float | None:
    """Any protocol timestamp as float epoch seconds; None when missing or unreadable.

    Strings are RFC 3339 (a missing zone means UTC) or, leniently, a number in a string.
    Booleans, infinities, NaN and moments no calendar holds are None.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:  # an integer beyond a double's range
            return None
    elif isinstance(value, str):
        if value[4:5] == "-":  # a date first: no float looks like one, and raising costs
            parsed = _parse_rfc3339(value)
            if parsed is not None:
                return parsed
        try:
            seconds = float(value)
        except ValueError:
            return _parse_rfc3339(value)
    else:
        return None
    return seconds if math.isfinite(seconds) and _MIN <= seconds <= _MAX else None


def _parse_rfc3339(text: str) -> float | None:
    try:
        parsed = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def rfc3339(
    seconds: float | None, *, timespec: Literal["milliseconds", "microseconds"] = "milliseconds"
) -> str | None:
    """Epoch seconds as RFC 3339 UTC (`2026-01-31T14:00:00.123Z`); None when there is none.

    The one formatter for `--json` times, file names aside, `sent_at` and exports.
    """
    if seconds is None or not math.isfinite(seconds) or not _MIN <= seconds <= _MAX:
        return None
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return moment.isoformat(timespec=timespec).replace("+00:00", "Z")
