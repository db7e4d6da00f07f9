"""How the issue workflow reads: what a command changed, an issue's status line in `show`, and
the console's block for an issue that came back (regressed, or its ignore ran out)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.text import Text

from devsentry.render.layout import ItemMeta, block, clock, one_line
from devsentry.render.lists import ago
from devsentry.render.text import clean, safe
from devsentry.store.ids import short_id
from devsentry.store.records import CameBack, IssueRecord
from devsentry.store.workflow import effective

if TYPE_CHECKING:  # the alert sink imports the indexer and processing: only serve needs them
    from devsentry.sinks.alerts import AlertPolicy

__all__ = [
    "alerts_line",
    "came_back_block",
    "hidden_line",
    "render_changed",
    "status_line",
    "status_text",
]

_STYLES = {
    "new": "yellow",
    "ongoing": "",
    "regressed": "bold red",
    "resolved": "green",
    "ignored": "dim",
}


def status_text(issue: IssueRecord, now: float | None = None) -> Text:
    """One word for a list: the substatus while unresolved (new, ongoing, regressed), else the
    status (resolved, ignored)."""
    status, substatus = effective(issue, now)
    word = substatus if status == "unresolved" and substatus else status
    return Text(word, _STYLES.get(word, ""))


def _ignore_words(issue: IssueRecord, now: float) -> str:
    parts = []
    if issue.ignore_until is not None:
        parts.append(f"until {clock(issue.ignore_until)} ({ago(issue.ignore_until, now)})")
    if issue.ignore_count is not None:
        left = issue.ignore_count - (issue.count - (issue.ignore_count_base or 0))
        parts.append(f"until {max(left, 0):,} more event{'' if left == 1 else 's'}")
    return " or ".join(parts) if parts else "for good"


def status_line(issue: IssueRecord, now: float | None = None) -> Text | None:
    """`resolved 12m ago (in shop@2.1.0 and older)`, `regressed 3m ago · resolved 15m ago`,
    `ignored 1h ago, until 12:00 …`; None for an unresolved issue with no history."""
    now = time.time() if now is None else now
    status, substatus = effective(issue, now)
    line = Text()
    if status == "resolved" and issue.resolved_at is not None:
        line.append(f"resolved {ago(issue.resolved_at, now)}", "bold green")
        if issue.resolved_in_release:
            line.append(" in ", "green")
            line.append_text(safe(issue.resolved_in_release, "bold green", single_line=True))
            line.append(" (and older releases)", "green")
            line.append(" — an event from a newer release regresses it", "dim")
        else:
            line.append(" — its next event regresses it", "dim")
        return line
    if status == "ignored":
        line.append(f"ignored {ago(issue.ignored_at, now)} ", "bold")
        line.append(_ignore_words(issue, now))
        return line
    if issue.regressed_at is not None and (
        issue.resolved_at is None or issue.regressed_at >= issue.resolved_at
    ):
        style = "bold red" if substatus == "regressed" else "red"
        line.append(f"came back {ago(issue.regressed_at, now)} (regressed)", style)
        if issue.resolved_at is not None:
            line.append(f" · had been resolved {ago(issue.resolved_at, now)}", "dim")
            if issue.resolved_in_release:
                line.append(" in ", "dim")
                line.append_text(safe(issue.resolved_in_release, "dim", single_line=True))
        return line
    if issue.status == "ignored":  # an ignore that ran out, no event since
        line.append("unresolved: its ignore ran out", "yellow")
        return line
    return None


def hidden_line(hidden: Mapping[str, int], *, hint: str = "--status all lists them") -> Text | None:
    """`2 resolved and 1 ignored issue hidden — --status all lists them` (the ui's `hint`
    names its `is:all`), or None."""
    parts = [f"{n:,} {status}" for status, n in sorted(hidden.items()) if n]
    if not parts:
        return None
    words = " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)
    total = sum(hidden.values())
    return Text(f"{words} issue{'' if total == 1 else 's'} hidden — {hint}", "dim")


def render_changed(verb: str, issues: Sequence[IssueRecord], now: float | None = None) -> Group:
    """What `resolve`, `ignore` and `unresolve` did: one line per issue."""
    lines: list[RenderableType] = []
    for issue in issues:
        line = Text.assemble((f"{verb} ", "bold"), (issue.short_id, "bold"), "  ")
        line.append_text(safe(issue.title, single_line=True, limit=120))
        detail = status_line(issue, now)
        if detail is not None and verb != "unresolved":
            line.append("\n  ")
            line.append_text(detail)
        lines.append(line)
    return Group(*lines)


def alerts_line(policy: AlertPolicy) -> Text:
    """The banner's line: where alerts go, and on what."""
    from devsentry.sinks.alert_targets import webhook_host

    targets = []
    if policy.notify:
        targets.append("desktop notification")
    if policy.command is not None:
        targets.append("--on-issue " + clean(policy.command, single_line=True, limit=60))
    if policy.webhook is not None:
        targets.append("--webhook " + webhook_host(policy.webhook))
    line = Text.assemble(("Alerts     ", "bold"), (", ".join(targets), "magenta"))
    from devsentry.sinks.alerts import ALERT_KINDS

    kinds = [k for k in ALERT_KINDS if k in policy.kinds]
    line.append(f"  on {', '.join(kinds)}", "dim")
    return line


def came_back_block(meta: ItemMeta, back: CameBack, now: float | None = None) -> RenderableType:
    """`REGRESSED DS-4 KeyError: 'sku'` over `resolved 12m ago · …`: a block of its own before
    the event's view, so a regression is seen even in a busy console."""
    now = time.time() if now is None else now
    issue = short_id(meta.issue_id) if meta.issue_id is not None else "?"
    head = Text.assemble((issue, "bold red"), " ")
    head.append_text(safe(meta.title or "", "bold", single_line=True, limit=200))
    if back.kind == "regressed":
        tag = Text("REGRESSED", "bold red reverse")
        detail = Text(f"resolved {ago(back.since, now)}", "red")
        if back.release and meta.release and meta.release != back.release:
            detail.append(" in ", "red")
            detail.append_text(safe(back.release, "red", single_line=True, limit=60))
            detail.append(", back in ", "red")
            detail.append_text(safe(meta.release, "bold red", single_line=True, limit=60))
    else:
        tag = Text("UNIGNORED", "bold yellow reverse")
        detail = Text(f"ignored {ago(back.since, now)}; the ignore ran out", "yellow")
    detail.append(f"   devsentry show {issue}", "dim")
    return block(meta, tag, head, [one_line(detail)])
