"""`mcp`: devsentry for coding agents, over stdio (serve answers the same tools at `/mcp`)."""

from __future__ import annotations

from pathlib import Path

import click

from devsentry.cli.app import cli
from devsentry.cli.options import resolve_store, store_option


@cli.command("mcp")
@store_option
def mcp_command(store_path: Path | None) -> None:
    """Speak MCP (Model Context Protocol) on stdin and stdout, for coding agents.

    An agent (Claude Code, Cursor, VS Code, Codex) starts it as a tool server; its tools
    list and show issues, search events and logs, and wait for new events after a fix.
    Nothing but the protocol goes to stdout. A running `devsentry serve` answers the same
    tools over HTTP at http://127.0.0.1:8969/mcp.
    """
    from devsentry.agents.stdio import SdkMissing, run_stdio

    try:
        run_stdio(resolve_store(store_path))
    except SdkMissing as exc:
        raise click.ClickException(str(exc)) from None
