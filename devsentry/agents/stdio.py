"""`devsentry mcp`: the MCP server over stdin and stdout, for agents that start their tools.

stdout carries nothing but the protocol; the SDK logs warnings to stderr. The store is opened
per call, read-only, so `devsentry serve` (or a test run) may write it meanwhile; one that
does not exist yet answers each tool with the sentence that says so, not a crash.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["MISSING_SDK", "SdkMissing", "run_stdio"]

#: Why there is no MCP where the SDK is not installed (devsentry depends on it on 3.12+).
MISSING_SDK = (
    "MCP needs the mcp package (pip install 'mcp>=2.3'), which installs on Python 3.12 and "
    "newer: on 3.11 it cannot share an environment with mitmproxy 11"
)


class SdkMissing(RuntimeError):
    """The mcp SDK is not installed here."""


def run_stdio(store: Path) -> None:
    """Serve MCP on stdio over the store at `store` until stdin closes; `SdkMissing`
    without the SDK."""
    import anyio

    try:
        from devsentry.agents.tools import make_server
    except ImportError as exc:
        raise SdkMissing(f"{MISSING_SDK} ({exc})") from None

    anyio.run(make_server(store).run_stdio_async)
