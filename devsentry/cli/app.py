"""The `devsentry` command group; the command modules beside this one add to it."""

from __future__ import annotations

import sys

import click

from devsentry import __version__
from devsentry.cli.status import ExitStatus

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
