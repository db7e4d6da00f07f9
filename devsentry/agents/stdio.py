"""`devsentry mcp`: the MCP server over stdin and stdout, for agents that start their tools.

stdout carries nothing but the protocol; the SDK logs warnings to stderr. The store is opened
per call, read-only, so `devsentry serve` (or a test run) may write it meanwhile; one that
does not exist yet answers each tool with the sentence that says so, not a crash.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["run_stdio"]


def run_stdio(store: Path) -> None:
    """Serve MCP on stdio over the store at `store` until stdin closes."""
    import anyio

    from devsentry.agents.tools import make_server, store_opener

    anyio.run(make_server(store_opener(store)).run_stdio_async)
