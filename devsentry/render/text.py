"""Make untrusted payload strings safe for the terminal.

Everything an SDK sends is untrusted: a string could carry ANSI escapes that rewrite the
screen, rich markup such as `[link=…]`, bidirectional overrides that make code read other than
it is (CVE-2021-42574, "Trojan Source"), or zero-width characters that hide text. Payload text
only ever reaches the console as a `rich.text.Text` built by `safe`, never through a markup
string, and every such character is shown as an escape (`\x1b`, `\u202e`).
"""

from __future__ import annotations

import json
import re

from rich.highlighter import JSONHighlighter
from rich.text import Text

# C0 controls except tab and newline, DEL, and the C1 range (which includes the 8-bit CSI).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Invisible formatting: zero-width spaces and joiners, the bidirectional marks, embeddings,
# overrides and isolates, the line and paragraph separators, the BOM, and lone surrogates.
_INVISIBLE = re.compile(
    "[\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
    "\ufff9-\ufffb\ud800-\udfff]"
)
_JSON_HIGHLIGHTER = JSONHighlighter()
#: Cuts that drop at least this many characters say how long the whole value was.
_SAY_SIZE = 1000


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(value: object, *, single_line: bool = False, limit: int | None = None) -> str:
    """`value` as a printable string: control and invisible characters shown as escapes
    (`\\x1b`, `\\u202e`), optionally cut at `limit` (saying the whole size of a long value)."""
    text = value if isinstance(value, str) else str(value)
    whole = len(text)
    if limit is not None and whole > 4 * limit + 16:
        text = text[: 4 * limit + 16]  # escaping only what can be shown: megabytes stay fast
    text = _CONTROL.sub(_escape, text)
    text = _INVISIBLE.sub(_escape, text)
    if single_line:
        text = text.replace("\n", "⏎ ").replace("\t", " ")
    if limit is not None and len(text) > limit:
        note = f" ({whole:,} characters in all)" if whole - limit >= _SAY_SIZE else ""
        text = text[: max(limit - 1 - len(note), 0)] + "…" + note
    return text


def safe(
    value: object, style: str = "", *, single_line: bool = False, limit: int | None = None
) -> Text:
    """A `Text` that shows `value` literally: no markup parsed, no escape sequence emitted."""
    return Text(clean(value, single_line=single_line, limit=limit), style=style)


def safe_json(data: object, *, indent: int | None = 2) -> Text:
    """Highlighted JSON of `data`, with control characters (C1 included) escaped."""
    dumped = json.dumps(data, indent=indent, ensure_ascii=False, default=repr, sort_keys=False)
    text = Text(clean(dumped), no_wrap=False)
    _JSON_HIGHLIGHTER.highlight(text)
    return text
