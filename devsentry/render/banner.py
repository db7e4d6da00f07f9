"""What `serve` and `intercept` print when they start: where they listen, what to set."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from devsentry import __version__

__all__ = ["intercept_banner", "serve_banner", "sourcemaps_line"]


def sourcemaps_line(fetch_from: Sequence[str], dirs: Sequence[Path]) -> Text | None:
    """The banner's line when source-map options are given: where maps come from."""
    if not fetch_from and not dirs:
        return None
    line = Text("Maps       ", "bold")
    line.append("fetched from loopback" + "".join(f", {h}" for h in fetch_from))
    if dirs:
        line.append(" · by debug ID in " + ", ".join(str(d) for d in dirs))
    return line


def serve_banner(
    url: str, dsn: str, spotlight: str, store: Path, mcp: str | None = None
) -> RenderableType:
    """`devsentry 0.1 listening on …`, the DSN, Spotlight and MCP URLs, the store, a first
    command."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row(
        "DSN", Text.assemble((dsn, "green"), ("   any key, any numeric project id", "dim"))
    )
    grid.add_row("Spotlight", Text(spotlight))
    if mcp is not None:
        grid.add_row("MCP", Text.assemble(mcp, ("   for coding agents (Streamable HTTP)", "dim")))
    grid.add_row("Store", Text(str(store)))
    return Group(
        Text.assemble(
            ("devsentry ", "bold magenta"), (__version__, "dim"), " listening on ", (url, "bold")
        ),
        grid,
        Text("Try: SENTRY_DSN=" + dsn + " python app.py     Ctrl-C stops.", "dim"),
    )


def intercept_banner(
    url: str,
    env: dict[str, str],
    ca: Path,
    store: Path | None,
    hosts: Sequence[str],
    *,
    mitmproxy_version: str,
    forwarding: bool = False,
) -> RenderableType:
    """Where the proxy listens, and the exact variables that send an app through it."""
    ca_text = str(ca)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    recorded = ", ".join(hosts)
    grid.add_row(
        "Records",
        Text.assemble(
            f"Sentry ingest requests to {recorded}, or with Sentry auth to any host; ",
            ("answered here, a copy forwarded", "magenta")
            if forwarding
            else ("answered here, nothing is forwarded", "green"),
        ),
    )
    grid.add_row("CA", Text(ca_text))
    grid.add_row("Store", Text(str(store)))
    proxies = " ".join(f"{k}={env[k]}" for k in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY"))
    lines = [
        ("Send an app through it (its DSN stays as it is), in the app's shell:", "dim"),
        (f"  export {proxies} http_proxy={env['http_proxy']}", ""),
        ("  # Python (sentry-sdk, requests):", "dim"),
        (f"  export SSL_CERT_FILE={ca_text} REQUESTS_CA_BUNDLE={ca_text}", ""),
        ("  # Node (@sentry/node reads only the lowercase https_proxy):", "dim"),
        (f"  export NODE_EXTRA_CA_CERTS={ca_text}", ""),
        ("Or in code:", "dim"),
        (f'  sentry_sdk.init(..., https_proxy="{url}", ca_certs="{ca_text}")', ""),
        (f'  Sentry.init({{ ..., transportOptions: {{ proxy: "{url}" }} }})', ""),
        ("Or let devsentry set it all:  devsentry run --intercept -- python app.py", "dim"),
        ("Ctrl-C stops.", "dim"),
    ]
    head = Text.assemble(
        ("devsentry ", "bold magenta"),
        (__version__, "dim"),
        " intercepting on ",
        (url, "bold"),
        (f"  (mitmproxy {mitmproxy_version})", "dim"),
    )
    return Group(head, grid, *(Text(text, style=style) for text, style in lines))
