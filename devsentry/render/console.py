"""The one place that decides how devsentry writes to the terminal.

Colour follows rich's rules: off when the stream is not a TTY, off with `NO_COLOR`, forced
with `FORCE_COLOR`. Tests pass their own `Console(file=StringIO(), width=100)`.
"""

from __future__ import annotations

import sys

from rich.console import Console


def make_console(*, stderr: bool = False, width: int | None = None) -> Console:
    return Console(
        file=sys.stderr if stderr else sys.stdout,
        width=width,
        highlight=False,
        soft_wrap=False,
        emoji=False,
    )
