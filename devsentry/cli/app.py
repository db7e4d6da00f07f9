"""The `devsentry` command group; the command modules beside this one add to it."""

from __future__ import annotations

import sys

import click

from devsentry import __version__
from devsentry.cli.status import ExitStatus

__all__ = ["cli", "main"]


class _Group(click.Group):
    """The command group; Ctrl-C in any command exits 130 (click would say "Aborted!" and 1)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # what was running has shut down cleanly by now
            sys.exit(ExitStatus.INTERRUPTED)


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "-V", "--version", prog_name="devsentry")
def cli() -> None:
    """A local Sentry for development.

    Point an app's Sentry SDK at `devsentry serve` (or intercept its traffic with
    mitmproxy), see every error, trace and log live in the terminal, keep them in a
    local SQLite store, and turn them into test fixtures.
    """


def main() -> None:
    """Console-script entry point: Ctrl-C exits 130 without a traceback."""
    try:
        cli.main(prog_name="devsentry", standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(ExitStatus.INTERRUPTED)
