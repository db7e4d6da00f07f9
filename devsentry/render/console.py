"""The one place that decides how devsentry writes to the terminal.

Colour follows rich's rules: off when the stream is not a TTY, off with `NO_COLOR`, forced
with `FORCE_COLOR`. Tests pass their own `Console(file=StringIO(), width=100)`. rich is
imported here on first use, so commands that print no rich output start without it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["make_console"]


def make_console(*, stderr: bool = False, width: int | None = None) -> Console:
    from rich.console import Console

    return Console(
        file=sys.stderr if stderr else sys.stdout,
        width=width,
        highlight=False,
        soft_wrap=False,
        emoji=False,
    )
