"""`devsentry decode`: an envelope as a person reads it, header first, then each item."""

from __future__ import annotations

import msgspec
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from devsentry.model import is_binary
from devsentry.protocol.envelope import Envelope, Item
from devsentry.render.text import safe, safe_json


def _fields(mapping: dict[str, object]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in mapping.items():
        shown = safe(value) if isinstance(value, str) else safe_json(value, indent=None)
        table.add_row(safe(key), shown)
    return table


def _item(index: int, item: Item) -> RenderableType:
    title = Text.assemble(
        (f"item {index} ", "dim"),
        safe(item.type or "?", "bold"),
        (f"  {len(item.payload):,} bytes", "dim"),
    )
    header = {k: v for k, v in item.header.items() if k != "type"}
    parts: list[RenderableType] = [_fields(header)] if header else []
    size = f"{len(item.payload):,} bytes"
    if is_binary(item):
        parts.append(Text(f"<{size} of {item.content_type or 'binary data'}>", "dim"))
    else:
        try:
            parts.append(safe_json(item.json()))
        except msgspec.DecodeError as exc:  # invalid, or nested too deeply
            parts.append(Text(f"<{size}, not valid JSON: {exc}>", "red"))
    return Panel(Group(*parts), title=title, title_align="left", border_style="blue")


def render_envelope(envelope: Envelope, source: str) -> RenderableType:
    """Everything in one envelope: its header as fields, then one panel per item."""
    count = len(envelope.items)
    heading = Text.assemble(
        ("envelope ", "bold"),
        safe(source),
        (f"  {count} item{'s' if count != 1 else ''}", "dim"),
    )
    return Group(
        heading, _fields(envelope.header), *(_item(i, it) for i, it in enumerate(envelope.items))
    )
