"""Message and exception-value normalization for grouping: the parts that change per event
(ids, numbers, dates, addresses) become placeholders, so one bug is one issue.

Sentry's `src/sentry/grouping/strategies/message.py` (and its parameterization of `<email>`,
`<url>`, `<ip>`, `<uuid>`, `<sha1>`, `<md5>`, `<date>`, `<hex>`, `<float>`, `<int>`, in that
order of precedence).
"""

from __future__ import annotations

import re
from itertools import islice

__all__ = ["normalize_message"]

_HEX4 = "[0-9a-fA-F]{1,4}"
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_IPV6 = "|".join(
    (
        rf"(?:{_HEX4}:){{7}}{_HEX4}",
        rf"(?:{_HEX4}:){{1,4}}:{_IPV4}",
        rf"::(?:ffff(?::0{{1,4}})?:)?{_IPV4}",
        rf"(?:{_HEX4}:){{1,6}}:{_HEX4}",
        rf"(?:{_HEX4}:){{1,5}}(?::{_HEX4}){{1,2}}",
        rf"(?:{_HEX4}:){{1,4}}(?::{_HEX4}){{1,3}}",
        rf"(?:{_HEX4}:){{1,3}}(?::{_HEX4}){{1,4}}",
        rf"(?:{_HEX4}:){{1,2}}(?::{_HEX4}){{1,5}}",
        rf"{_HEX4}:(?::{_HEX4}){{1,6}}",
        rf"(?:{_HEX4}:){{1,7}}:",
        rf":(?::{_HEX4}){{1,7}}",
    )
)
_DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_HMS = "[0-2][0-9]:[0-5][0-9]:[0-5][0-9]"
_DATE = "|".join(
    (
        # ISO 8601 / RFC 3339 date-time, then a bare date.
        r"[0-9]{4}-[01][0-9]-[0-3][0-9][T ][0-2][0-9]:[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]+)?)?"
        r"(?:Z|[+-][0-2][0-9]:?[0-5][0-9])?",
        r"[0-9]{4}-[01][0-9]-[0-3][0-9]",
        # RFC 2822: "Tue, 24 Nov 2026 19:37:41 +0000".
        rf"(?:{_DAY},\s+)?[0-3]?[0-9]\s+{_MONTH}\s+[0-9]{{2,4}}\s+[0-2]?[0-9]:[0-5][0-9]"
        r"(?::[0-5][0-9])?(?:\s+(?:[+-][0-9]{4}|UT|GMT|[ECMP][SD]T|[A-IK-Z])\b)?",
        # JS Date.toString ("Tue Nov 24 2026 19:37:41 GMT+0100 (CET)") and ctime.
        rf"{_DAY}\s+{_MONTH}\s+[0-3]?[0-9]\s+(?:[0-9]{{4}}\s+{_HMS}|{_HMS}\s+[0-9]{{4}})"
        r"(?:\s+GMT[+-][0-9]{4}(?:\s+\([^)]*\))?)?",
        rf"{_HMS}(?:\.[0-9]+)?",
    )
)
# Every placeholder but email and URL; a match can only start at one of the guard's characters
# (digits, hex letters, ":", "-", initials of day and month names), which makes the scan cheap.
_COMMON = "|".join(
    (
        rf"(?P<ip>(?<![\w:.])(?=[0-9a-fA-F]{{0,4}}:[0-9a-fA-F]{{0,4}}:)(?:{_IPV6})(?![\w:])"
        rf"|\b{_IPV4}\b)",
        r"(?P<uuid>\b[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\b)",
        r"(?P<sha1>\b[0-9a-fA-F]{40}\b)",
        r"(?P<md5>\b[0-9a-fA-F]{32}\b)",
        rf"(?P<date>\b(?:{_DATE}))",
        r"(?P<hex>\b0[xX][0-9a-fA-F]+\b"
        r"|\b(?=[a-f]*[0-9])(?=[0-9]*[a-f])(?:[0-9a-f]{16}|[0-9a-f]{8})\b)",
        r"(?P<float>(?:-|\b)[0-9]+\.[0-9]+\b)",
        r"(?P<int>(?:-|\b)[0-9]+\b)",
    )
)
_GUARDED = rf"(?=[-0-9a-fA-F:MTWSJNOD])(?:{_COMMON})"
#: One alternation, so the leftmost match wins and ties go to the earlier placeholder.
_PARAMETERS = re.compile(
    "|".join(
        (
            # The lookbehind starts a match only at the start of a local part: linear time.
            r"(?P<email>(?<![A-Za-z0-9.!#$%&'*+/=?^_`{|}~-])[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
            r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)",
            r"(?P<url>\b(?:wss?|https?|ftp)://[^\s/$.?#]\S+)",
            _GUARDED,
        )
    )
)
#: The same without email and URL, for the many texts with neither "@" nor "://" (faster).
_PARAMETERS_COMMON = re.compile(_GUARDED)
_PLACEHOLDERS = {name: f"<{name}>" for name in _PARAMETERS.groupindex}


def _placeholder(match: re.Match[str]) -> str:
    return _PLACEHOLDERS[match.lastgroup or ""]


def normalize_message(text: str) -> str:
    """A message or exception value with event-specific parts replaced by placeholders.

    Keeps the first two non-empty lines (adding `...` when that changed anything), then
    replaces emails, URLs, IPs, UUIDs, SHA1s, MD5s, dates, hex numbers, floats and ints.
    """
    kept = "\n".join(islice((line for line in text.splitlines() if line.strip()), 2))
    if kept != text:
        kept += "..."
    pattern = _PARAMETERS if "@" in kept or "://" in kept else _PARAMETERS_COMMON
    return pattern.sub(_placeholder, kept)
