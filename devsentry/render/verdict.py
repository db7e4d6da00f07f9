"""What Sentry would do with an item, as the console line and the `show` section say it."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from devsentry.process.verdict import InSentry
from devsentry.render.lists import Col, ListTable
from devsentry.render.text import safe

__all__ = ["verdict_line", "verdict_rows"]

_STYLE = {"kept": "green", "trimmed": "yellow", "dropped": "red", "removed": "yellow"}
#: Notes a `show` page lists before "--full shows all".
NOTES = 20


def verdict_line(verdict: InSentry | None) -> Text | None:
    """One dim line for the console, when Sentry would not keep the item as it is."""
    if verdict is None or verdict.verdict == "kept":
        return None
    note = verdict.notes[0] if verdict.notes else None
    line = Text.assemble(
        ("in Sentry: ", "dim"), (verdict.verdict, f"dim {_STYLE[verdict.verdict]}")
    )
    if note is not None:
        line.append(" — ", "dim")
        if note.path:
            line.append_text(safe(note.path, "dim", single_line=True, limit=60))
            line.append(" ", "dim")
        line.append_text(safe(note.reason, "dim", single_line=True, limit=120))
    if len(verdict.notes) > 1:
        line.append(f" (+{len(verdict.notes) - 1} more: devsentry show)", "dim")
    return line


def verdict_rows(verdict: InSentry, full: bool) -> list[RenderableType]:
    """The `show` section's body: the verdict, then where and why, one row per note."""
    head = Text.assemble((verdict.verdict, f"bold {_STYLE[verdict.verdict]}"))
    if not verdict.notes:
        head.append(" — Relay would keep this item as it was sent", "dim")
        return [head]
    columns = [
        Col(header="ACTION"),
        Col(header="WHERE", style="cyan", max_width=50),
        Col(header="WHY", flex=True),
    ]
    notes = verdict.notes if full else verdict.notes[:NOTES]
    rows = [
        [
            Text(note.action, _STYLE.get(note.action, "")),
            safe(note.path or "(the whole item)", single_line=True),
            safe(note.reason, single_line=not full),
        ]
        for note in notes
    ]
    out: list[RenderableType] = [head, ListTable(columns, rows)]
    if len(verdict.notes) > len(notes):
        out.append(Text(f"… {len(verdict.notes) - len(notes):,} more (--full shows them)", "dim"))
    return out
