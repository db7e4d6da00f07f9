"""The event's message as Relay normalizes it (`relay-event-normalization/src/logentry.rs`).

A plain `message` string becomes `logentry.formatted` (Relay reads `message` as a legacy alias
of `logentry`). With `params` and no `formatted`, the template is formatted: `%`-style when it
holds a `%`, else `{}`/`{0}`/`{name}`-style when it holds a `{`. `message` then moves to
`formatted` when it is alone or equal to it. A log entry with neither is removed.

Formatting is our own and bounded: no field widths beyond `MAX_WIDTH`, no `*` widths, no
attribute access — a hostile template cannot make it allocate gigabytes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from devsentry.process.normalize.fields import Notes, lenient_str

__all__ = ["format_message", "normalize_logentry"]

MAX_WIDTH = 64
_PERCENT = re.compile(r"%(?:\((\w+)\))?([#0\- +]*)(\d*)(?:\.(\d*))?([diouxXeEfFgGcrsa%])")
_CURLY = re.compile(r"\{(\w*)\}")


def normalize_logentry(event: dict[str, Any], notes: Notes) -> None:
    """`logentry` from `message`, formatted, and with `message` folded into `formatted`."""
    entry = event.get("logentry")
    if isinstance(entry, str):
        entry = event["logentry"] = {"formatted": entry}
    if entry is None:
        return
    if not isinstance(entry, dict):
        del event["logentry"]
        notes.removed("logentry", "neither a string nor an object")
        return
    for field in ("message", "formatted"):
        value = entry.get(field)
        if value is not None and not isinstance(value, str):
            text = lenient_str(value)
            if text is None:
                del entry[field]
                notes.removed(f"logentry.{field}", "not a string")
            else:
                entry[field] = text
    if not any(v is not None for v in entry.values()):
        del event["logentry"]
        return
    message, formatted = entry.get("message"), entry.get("formatted")
    if message is None and formatted is None:
        del event["logentry"]
        notes.removed("logentry", "no message present")
        return
    params = entry.get("params")
    if params is not None and formatted is None and message is not None:
        formatted = format_message(message, params)
        if formatted is not None:
            entry["formatted"] = formatted
    if formatted is None or message == formatted:
        entry["formatted"] = entry.pop("message", None)
        if entry["formatted"] is None:
            del entry["formatted"]


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
