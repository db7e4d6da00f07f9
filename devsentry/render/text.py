"""Make untrusted payload strings safe for the terminal.

Everything an SDK sends is untrusted: a string could carry ANSI escapes that rewrite the
screen, or rich markup such as `[link=…]`. Payload text only ever reaches the console as a
`rich.text.Text` built by `safe`, never through a markup string.
"""

from __future__ import annotations

import json
import re

from rich.highlighter import JSONHighlighter
from rich.text import Text

# C0 controls except tab and newline, DEL, and the C1 range (which includes the 8-bit CSI).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_JSON_HIGHLIGHTER = JSONHighlighter()


def clean(value: object, *, single_line: bool = False, limit: int | None = None) -> str:
    """`value` as a printable string: control characters shown as `\\xNN`, optionally cut."""
    text = value if isinstance(value, str) else str(value)
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    if single_line:
        text = text.replace("\n", "⏎ ").replace("\t", " ")
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + "…"
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
