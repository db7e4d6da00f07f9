"""The `devsentry` command line: click commands by area over the library, options defined once.

Each command parses its options, calls one library function and prints; library errors become
messages and exit codes (`status.ExitStatus`) at the edge. Modules import the library lazily,
inside the commands, so `devsentry --help` and every command start fast.
"""

from devsentry.cli import (  # noqa: F401  (they add their commands)
    agents,
    browse,
    dashboard,
    files,
    serving,
    traces,
    workflow,
)
from devsentry.cli.app import cli, main

__all__ = ["cli", "main"]
