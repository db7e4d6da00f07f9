"""The console's lines about the store itself: when it stops taking writes, and when it takes
them again (`StoreWriter.notify`)."""

from __future__ import annotations

from rich.text import Text

from devsentry.render.text import safe
from devsentry.store.faults import StoreUnavailable

__all__ = ["store_notice"]


def store_notice(fault: StoreUnavailable | None) -> Text:
    """`✖ devsentry's store is full …, SDKs get 503` once, then `✔ … takes writes again`."""
    if fault is None:
        return Text.assemble(
            ("✔ ", "green"),
            ("devsentry's store takes writes again", "bold green"),
            ": accepting envelopes",
        )
    line = Text("✖ ", "bold red")
    line.append_text(safe(fault.detail, "red", single_line=True, limit=300))
    line.append(f"  (SDKs get 503, Retry-After {fault.retry_after}s)", "dim")
    return line
