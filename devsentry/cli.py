"""The `devsentry` command line: a thin click edge over the library.

Each command parses its options, calls one library function and prints. Library errors
become `click.ClickException`s naming the value at fault; exit codes are `ExitStatus`.
"""

from __future__ import annotations

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


def main() -> None:
    """Console-script entry point: Ctrl-C exits 130 without a traceback."""
    try:
        cli.main(prog_name="devsentry", standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(ExitStatus.INTERRUPTED)
