"""Views of forwarding: the banner line, the console's line per delivery round, an item's
forwarding state in `show`, and the `devsentry outbox` table."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from devsentry.ingest.forward import ForwardPolicy
from devsentry.protocol.dsn import Dsn
from devsentry.render.layout import plural
from devsentry.render.lists import ago, duration_words
from devsentry.render.text import safe
from devsentry.store.outbox import Delivery

__all__ = ["forward_line", "forward_notice", "forward_text", "render_outbox"]


def forward_line(policy: ForwardPolicy) -> Text:
    """The banner's line: where copies go, and which."""
    target = Dsn.parse(policy.dsn).envelope_url if policy.dsn else "each request's own Sentry"
    line = Text.assemble(("Forward    ", "bold"), (target, "magenta"))
    if policy.types:
        line.append(f"  only {', '.join(sorted(policy.types))}", style="dim")
    if policy.sample < 1.0:
        line.append(f"  sample {policy.sample:.0%}", style="dim")
    return line


def forward_notice(deliveries: Sequence[Delivery]) -> Text:
    """One line per forwarding round: how many went upstream, and why others did not."""
    counts = Counter(d.state for d in deliveries)
    line = Text("↗ upstream ", style="magenta")
    parts = [f"{counts['delivered']} delivered"] if counts["delivered"] else []
    for state, label in (
        ("pending", "will retry"),
        ("rate_limited", "rate-limited"),
        ("failed", "failed"),
        ("dropped", "dropped"),
    ):
        if counts[state]:
            parts.append(f"{counts[state]} {label}")
    line.append(" · ".join(parts), style="bold" if counts["failed"] else "")
    problem = next((d for d in deliveries if d.state == "failed"), None) or next(
        (d for d in deliveries if d.state != "delivered"), None
    )
    if problem is not None:
        status = f"{problem.status}: " if problem.status else ""
        line.append("  ")
        line.append_text(safe(f"{status}{problem.detail or ''}", "dim", single_line=True, limit=80))
    if counts["failed"]:
        line.append("  devsentry outbox", style="dim")
    return line


def forward_text(delivery: Delivery) -> Text:
    """Where forwarding of this item's envelope stands: state, tries, the upstream's answer."""
    style = {"delivered": "green", "failed": "red", "dropped": "dim"}.get(delivery.state, "yellow")
    line = Text.assemble(("forwarded: ", "dim"), (delivery.state.replace("_", "-"), style))
    answer = f"{delivery.status} " if delivery.status else ""
    if answer or delivery.detail:
        line.append("  ")
        line.append_text(safe(f"{answer}{delivery.detail or ''}", "dim", single_line=True))
    line.append(f"  ({plural(delivery.attempts, 'attempt')})", "dim")
    return line


_STATE_STYLE = {
    "pending": "yellow",
    "rate_limited": "magenta",
    "delivered": "green",
    "failed": "bold red",
    "dropped": "dim",
}


def render_outbox(rows: Sequence[Delivery], counts: Mapping[str, int]) -> RenderableType:
    """The forwarding outbox: each envelope's state, attempts, last answer, next try."""
    table = Table(box=None, pad_edge=False, expand=True, header_style="bold")
    table.add_column("ENVELOPE", no_wrap=True, justify="right")
    table.add_column("STATE", no_wrap=True)
    table.add_column("TRIES", justify="right", no_wrap=True)
    table.add_column("ANSWER", ratio=1, overflow="ellipsis", no_wrap=True)
    table.add_column("NEXT", no_wrap=True)
    table.add_column("UPDATED", no_wrap=True)
    now = time.time()
    for row in rows:
        waiting = row.state in ("pending", "rate_limited")
        answer = f"{row.status} " if row.status else ""
        table.add_row(
            f"#{row.envelope_id}",
            Text(row.state.replace("_", "-"), style=_STATE_STYLE.get(row.state, "")),
            str(row.attempts),
            safe(f"{answer}{row.detail or ''}", single_line=True),
            _next_try(row.next_attempt - now) if waiting else "",
            ago(row.updated, now),
        )
    summary = " · ".join(f"{n:,} {state.replace('_', '-')}" for state, n in sorted(counts.items()))
    return Group(table, *_reasons(rows), Text(summary or "the outbox is empty", style="dim"))


def _reasons(rows: Sequence[Delivery]) -> list[Text]:
    """Why the listed envelopes were dropped or failed, each reason once and in full: the
    ANSWER column cuts them short, and a reason (a rate limit's header) is worth reading."""
    reasons = Counter(
        (row.state, row.detail) for row in rows if row.state in ("dropped", "failed") and row.detail
    )
    lines = []
    for (state, detail), n in reasons.most_common():
        line = Text(f"{n:,} {state}: ", style=_STATE_STYLE[state])
        line.append_text(safe(detail or "", single_line=True))
        lines.append(line)
    return lines


def _next_try(seconds: float) -> str:
    return f"in {duration_words(seconds)}" if seconds > 0.5 else "now"
