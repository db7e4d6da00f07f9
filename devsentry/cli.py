"""The `devsentry` command line: a thin click edge over the library.

Each command parses its options, calls one library function and prints. Library errors
become `click.ClickException`s naming the value at fault; exit codes are `ExitStatus`.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import msgspec

from devsentry import __version__
from devsentry.console import make_console
from devsentry.envelope import DEFAULT_MAX_SIZE, ENCODINGS, EnvelopeError, decompress, parse
from devsentry.envelope import sniff_encoding as sniff
from devsentry.status import ExitStatus

F = TypeVar("F", bound=Callable[..., Any])


def store_option(func: F) -> F:
    """`--store PATH` (env DEVSENTRY_STORE), shared by every command that touches the store."""
    return click.option(
        "--store",
        "store_path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="DEVSENTRY_STORE",
        show_envvar=True,
        default=None,
        help="SQLite store file. [default: devsentry.db in the user data directory]",
    )(func)


def resolve_store(path: Path | None) -> Path:
    from devsentry.store import default_store_path

    return path if path is not None else default_store_path()


def json_option(func: F) -> F:
    """`--json`: machine-readable output, shared by every inspection command."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print JSON instead of the human view."
    )(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="devsentry")
def cli() -> None:
    """A local Sentry for development.

    Point an app's Sentry SDK at `devsentry serve` (or intercept its traffic with
    mitmproxy), see every error, trace and log live in the terminal, keep them in a
    local SQLite store, and turn them into test fixtures.
    """


@cli.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--encoding",
    type=click.Choice(["auto", *ENCODINGS]),
    default="auto",
    show_default=True,
    help="Compression of the files; auto recognises gzip, zstd, deflate and br by their bytes.",
)
@json_option
def decode(files: tuple[Path, ...], encoding: str, as_json: bool) -> None:
    """Print the envelopes in FILES (.envelope files, raw or compressed as sent).

    The human view shows the envelope header, then each item's header and decoded payload.
    With --json, one JSON document per file is printed, one per line:
    {"header": {...}, "items": [{"header": {...}, "payload": ...}]}; binary payloads
    are described by size and content type, not dumped.
    """
    console = make_console()
    failed = False
    for path in files:
        data = path.read_bytes()
        try:
            chosen = sniff(data) if encoding == "auto" else encoding
            envelope = parse(decompress(data, chosen, limit=DEFAULT_MAX_SIZE))
        except EnvelopeError as exc:
            click.secho(f"devsentry: {path}: {exc}", fg="red", err=True)
            failed = True
            continue
        if as_json:
            sys.stdout.buffer.write(msgspec.json.encode(envelope.to_dict()) + b"\n")
            sys.stdout.flush()
        else:
            from devsentry.render.decode import render_envelope

            console.print(render_envelope(envelope, str(path)))
    if failed:
        sys.exit(ExitStatus.ERROR)


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    envvar="DEVSENTRY_HOST",
    show_envvar=True,
    help="Address to listen on. Use 0.0.0.0 to accept other machines (e.g. containers).",
)
@click.option(
    "--port",
    default=8969,
    show_default=True,
    type=click.IntRange(0, 65535),
    envvar="DEVSENTRY_PORT",
    show_envvar=True,
    help="Port to listen on (8969 is Spotlight's, so spotlight=True finds it); 0 picks one.",
)
@store_option
@click.option(
    "--keep",
    default=100_000,
    show_default=True,
    type=click.IntRange(1),
    envvar="DEVSENTRY_KEEP",
    show_envvar=True,
    help="Retention: keep the newest N envelopes, prune older ones.",
)
@click.option(
    "--max-size",
    default=100,
    show_default=True,
    type=click.IntRange(1),
    envvar="DEVSENTRY_MAX_SIZE",
    show_envvar=True,
    help="Largest envelope accepted, in MiB, after decompression (bigger gets a 413).",
)
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    envvar="DEVSENTRY_QUIET",
    help="Do not print items as they arrive.",
)
def serve(
    host: str, port: int, store_path: Path | None, keep: int, max_size: int, quiet: bool
) -> None:
    """Run the local ingest server.

    Point an SDK at it with SENTRY_DSN=http://devsentry@127.0.0.1:8969/1 (any key and any
    numeric project id work; the project id is recorded), or turn on the SDK's Spotlight
    option. Every envelope is stored, grouped into issues and printed live.
    """
    from devsentry.service import make_sinks, serving

    console = make_console()
    path = resolve_store(store_path)

    async def run() -> None:
        sinks = make_sinks(None if quiet else console)
        async with serving(
            path, host=host, port=port, sinks=sinks, keep=keep, max_size=max_size * 1024 * 1024
        ) as server:
            print_banner(console, server.base_url, server.dsn(), server.spotlight_url, path)
            stop = asyncio.Event()
            # SIGTERM (service managers, `kill`) stops as cleanly as Ctrl-C.
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
            await stop.wait()

    try:
        asyncio.run(run())
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from None


def print_banner(console: Any, url: str, dsn: str, spotlight: str, store: Path) -> None:
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row(
        "DSN", Text.assemble((dsn, "green"), ("   any key, any numeric project id", "dim"))
    )
    grid.add_row("Spotlight", Text(spotlight))
    grid.add_row("Store", Text(str(store)))
    console.print(
        Text.assemble(
            ("devsentry ", "bold magenta"), (__version__, "dim"), " listening on ", (url, "bold")
        )
    )
    console.print(grid)
    console.print(Text("Try: SENTRY_DSN=" + dsn + " python app.py     Ctrl-C stops.", "dim"))


def main() -> None:
    """Console-script entry point: Ctrl-C exits 130 without a traceback."""
    try:
        cli.main(prog_name="devsentry", standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(ExitStatus.INTERRUPTED)
