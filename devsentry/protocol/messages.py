"""A message template with its parameters applied, as Sentry formats a log entry
(`relay-event-normalization/src/logentry.rs`): `%`-style when the template holds a `%`, else
`{}`/`{0}`/`{name}`-style.

Formatting is our own and bounded: no field widths beyond `MAX_WIDTH`, no `*` widths, no
attribute access — a hostile template cannot make it allocate gigabytes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from devsentry.protocol.untrusted import lenient_str

__all__ = ["MAX_WIDTH", "format_message"]

MAX_WIDTH = 64
_PERCENT = re.compile(r"%(?:\((\w+)\))?([#0\- +]*)(\d*)(?:\.(\d*))?([diouxXeEfFgGcrsa%])")
_CURLY = re.compile(r"\{(\w*)\}")


def format_message(template: str, params: object) -> str | None:
    """`template` with `params` (a list or an object) applied; None when they do not fit."""
    if "%" in template:
        return _percent(template, params)
    if "{" in template:
        return _curly(template, params)
    return None


def _percent(template: str, params: object) -> str | None:
    out: list[str] = []
    position = 0
    end = 0
    for match in _PERCENT.finditer(template):
        out.append(template[end : match.start()])
        end = match.end()
        name, flags, width, precision, kind = match.groups()
        if kind == "%":
            if match[0] != "%%":  # `% %`, `%5%`: not the escape, and no value fits it
                return None
            out.append("%")
            continue
        if len(width) > 2 or len(precision or "") > 2 or int(width or 0) > MAX_WIDTH:
            return None
        if name is not None:
            value = params.get(name) if isinstance(params, dict) else None
            if not isinstance(params, dict) or name not in params:
                return None
        else:
            if not isinstance(params, list) or position >= len(params):
                return None
            value = params[position]
            position += 1
        spec = f"%{flags}{width}{'.' + precision if precision is not None else ''}{kind}"
        if kind in "rsa":
            arg: Any = value if isinstance(value, str) else _text(value)
            spec = spec[:-1] + "s"
        elif isinstance(value, int | float) and not isinstance(value, bool):
            arg = value
        else:
            return None
        try:
            out.append(spec % arg)
        except (TypeError, ValueError, OverflowError):
            return None
    out.append(template[end:])
    return "".join(out)


def _curly(template: str, params: object) -> str | None:
    position = 0
    out: list[str] = []
    end = 0
    for match in _CURLY.finditer(template):
        out.append(template[end : match.start()])
        end = match.end()
        key = match[1]
        if key == "":
            key, position = str(position), position + 1
        found, value = _lookup(params, key)
        if not found:
            return None
        out.append(value if isinstance(value, str) else _text(value))
    out.append(template[end:])
    return "".join(out)


def _lookup(params: object, key: str) -> tuple[bool, object]:
    """`params[key]`: by position in a list (`{0}`), by name in an object (`{name}`)."""
    if isinstance(params, list) and key.isdigit() and len(key) < 6 and int(key) < len(params):
        return True, params[int(key)]
    if isinstance(params, dict) and key in params:
        return True, params[key]
    return False, None


def _text(value: object) -> str:
    """A parameter that is not a string, as text: JSON for everything but numbers."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return lenient_str(value) or ""
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except (ValueError, RecursionError, TypeError):
        return ""
