"""Compact Markdown of what the store holds, for a coding agent (MCP) to read: the text rules
every answer follows, and the lists (issues, items, log records) and statuses.

The same facts as the list commands, without colour or box drawing, and bounded: a model reads
every character, so values are cut and long lists keep their newest end. `event_markdown.py`
is one item in full, as `show` has it.

Payload text is untrusted: control characters are dropped, text set inline is one line, and
code sits in fences longer than any backtick run inside it, so a payload cannot close a fence
or forge a heading.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec

from devsentry.model import Log, app_attributes
from devsentry.protocol.levels import normalize_level
from devsentry.protocol.times import rfc3339
from devsentry.store.ids import short_id
from devsentry.store.records import IssueRecord, ItemRecord
from devsentry.store.workflow import effective

__all__ = [
    "VALUE",
    "code",
    "code_block",
    "code_line",
    "hidden_words",
    "inline",
    "issue_lines",
    "item_lines",
    "log_lines",
    "pairs",
    "status_words",
    "when",
]


#: Characters of a value in one answer (a model's context is the budget).
VALUE = 200

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")
_BACKTICKS = re.compile(r"`+")


def inline(value: object, limit: int | None = VALUE) -> str:
    """`value` as one line of plain text: control characters dropped, whitespace collapsed,
    cut to `limit` characters."""
    text = value if isinstance(value, str) else _scalar(value)
    text = _SPACES.sub(" ", _CONTROL.sub("", text)).strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def code(value: object, limit: int | None = VALUE) -> str:
    """`value` as inline code, with enough backticks around it that it cannot close early."""
    text = inline(value, limit)
    if not text:
        return "``"
    fence = "`" * (max((len(m) for m in _BACKTICKS.findall(text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def code_block(text: str, language: str = "") -> str:
    """A fenced block longer than any backtick run in `text` (control characters dropped)."""
    body = "\n".join(_CONTROL.sub("", line.expandtabs(4)) for line in text.split("\n"))
    fence = "`" * max(3, max((len(m) for m in _BACKTICKS.findall(body)), default=0) + 1)
    return f"{fence}{language}\n{body}\n{fence}"


def _scalar(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    try:
        return msgspec.json.encode(value).decode()
    except (TypeError, msgspec.EncodeError):
        return repr(value)


def when(seconds: float | None) -> str:
    return rfc3339(seconds) or "unknown time"


def pairs(pairs: Iterable[tuple[str, Any]], limit: int = VALUE) -> list[str]:
    return [
        f"- {inline(k, 80)}: {inline(v, limit)}" for k, v in pairs if v not in (None, "", [], {})
    ]


# -- statuses ------------------------------------------------------------------------------


def status_words(issue: IssueRecord, now: float | None = None) -> str:
    """`new`, `ongoing`, `regressed 2026-…` (the substatus, while unresolved), `resolved
    2026-… in shop@2.1.0 and older`, `ignored until …`: the status as `store.workflow` has
    it at `now`, in the words `issues` uses."""
    status, substatus = effective(issue, now)
    if status == "unresolved":
        if substatus == "regressed" and issue.regressed_at is not None:
            return f"regressed {when(issue.regressed_at)}"
        return substatus or "unresolved"
    if status == "resolved":
        words = "resolved"
        if issue.resolved_at is not None:
            words += f" {when(issue.resolved_at)}"
        if issue.resolved_in_release:
            words += f" in {inline(issue.resolved_in_release, 60)} and older"
        return words
    limits = []
    if issue.ignore_until is not None:
        limits.append(f"until {when(issue.ignore_until)}")
    if issue.ignore_count is not None:
        left = max(issue.ignore_count - (issue.count - (issue.ignore_count_base or 0)), 0)
        limits.append(f"until {left:,} more event{'s' if left != 1 else ''}")
    return "ignored " + (" or ".join(limits) if limits else "for good")


def hidden_words(hidden: Mapping[str, int]) -> str:
    """`2 resolved and 1 ignored issue not listed (status "all" lists them).`, or ""."""
    parts = [f"{n:,} {status}" for status, n in sorted(hidden.items()) if n]
    if not parts:
        return ""
    words = " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)
    total = sum(hidden.values())
    return f'{words} issue{"" if total == 1 else "s"} not listed (status "all" lists them).'


# -- lists ---------------------------------------------------------------------------------


def issue_lines(rows: Sequence[IssueRecord], releases: Mapping[int, list[str]]) -> list[str]:
    """One bullet an issue: id, level, title, culprit, status, counts, when, releases."""
    out = []
    for issue in rows:
        facts = [
            f"status {status_words(issue)}",
            f"{issue.count:,} event{'s' if issue.count != 1 else ''}",
            f"{issue.users:,} user{'s' if issue.users != 1 else ''}",
            f"first seen {when(issue.first_seen)}",
            f"last seen {when(issue.last_seen)}",
            f"project {inline(issue.project, 40)}",
        ]
        if seen := releases.get(issue.id):
            facts.append("releases " + ", ".join(inline(r, 60) for r in seen[-5:]))
        culprit = f" — in {code(issue.culprit, 120)}" if issue.culprit else ""
        out.append(
            f"- **{issue.short_id}** {issue.level or 'error'}: {inline(issue.title, 160)}"
            f"{culprit} ({'; '.join(facts)})"
        )
    return out


def item_lines(rows: Sequence[ItemRecord]) -> list[str]:
    """One bullet an item: row id, type, level, title, when, event id, issue, trace, release."""
    out = []
    for r in rows:
        facts = [when(r.timestamp or r.received)]
        if r.event_id:
            facts.append(f"event {r.event_id}")
        if r.issue_id is not None:
            facts.append(short_id(r.issue_id))
        if r.trace_id:
            facts.append(f"trace {inline(r.trace_id, 40)}")
        if r.release:
            facts.append(f"release {inline(r.release, 60)}")
        if r.error:
            facts.append(f"invalid: {inline(r.error, 120)}")
        level = f" {r.level}" if r.level else ""
        out.append(
            f"- **#{r.id}** {r.type}{level}: {inline(r.title or '', 160)} ({'; '.join(facts)})"
        )
    return out


def log_lines(records: Sequence[tuple[ItemRecord, int, Log]]) -> list[str]:
    """One bullet a log record: time, level, body, the attributes the app set, its trace."""
    out = []
    for item, index, log in records:
        attrs = app_attributes(log.attrs)
        extra = " ".join(f"{inline(k, 60)}={inline(v, 80)}" for k, v in list(attrs.items())[:8])
        facts = [when(log.timestamp_seconds or item.received), f"#{item.id}.{index}"]
        if log.trace_id:
            facts.append(f"trace {inline(log.trace_id, 40)}")
        level = normalize_level(log.level) or "info"
        tail = f" — {extra}" if extra else ""
        out.append(f"- {level}: {inline(log.body or '', 300)}{tail} ({'; '.join(facts)})")
    return out


def code_line(line: str, limit: int = 240) -> str:
    """One line of code as it reads: tabs expanded, control characters dropped, the end cut."""
    text = _CONTROL.sub("", line.expandtabs(4)).rstrip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
