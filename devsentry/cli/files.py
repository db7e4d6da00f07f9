"""`decode`, `export` and `replay`: stored traffic as `.envelope` files, and back."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
import msgspec

from devsentry.cli.app import cli
from devsentry.cli.options import (
    NotFoundError,
    filter_options,
    json_option,
    print_json,
    reading,
    resolve_store,
    store_option,
    type_options,
)
from devsentry.cli.status import ExitStatus
from devsentry.protocol.compression import ENCODINGS
from devsentry.render.console import make_console

if TYPE_CHECKING:
    from devsentry.fixtures.replay import Summary
    from devsentry.store.query import Query


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
    from devsentry.fixtures.files import read_envelope
    from devsentry.model import envelope_json
    from devsentry.protocol.envelope import EnvelopeError

    console = make_console()
    failed = False
    for path in files:
        try:
            envelope = read_envelope(path, encoding)
        except (OSError, EnvelopeError) as exc:
            click.secho(f"devsentry: {path}: {exc}", fg="red", err=True)
            failed = True
            continue
        if as_json:
            print_json(envelope_json(envelope), pretty=False)
        else:
            from devsentry.render.decode import render_envelope

            console.print(render_envelope(envelope, str(path)))
    if failed:
        sys.exit(ExitStatus.ERROR)


@cli.command(
    "export",
    help="Write stored envelopes as .envelope files (the wire format, byte for byte).\n\n"
    "Give an ID or filters; with neither, everything is exported. ID is DS-<n> (every event "
    "of the issue), #<n> (the envelope of the item with that row id) or 6 or more hex digits "
    "of an event id (its envelopes: the event and what was sent for it later, such as a user "
    "report).\n\nFiles are named <received>-<type>-<title>-<event id>.envelope; an existing "
    "file is never overwritten. Replay them with `devsentry replay` or `sentry-cli "
    "send-envelope`.",
)
@click.argument("ref", metavar="[ID]", required=False)
@click.option(
    "-o",
    "--output",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Directory to write into (created if missing).",
)
@type_options
@filter_options
@click.option(
    "--limit",
    default=0,
    show_default=True,
    type=click.IntRange(0),
    help="Export at most this many envelopes, the newest (0: all).",
)
@store_option
@json_option
def export_command(
    ref: str | None, directory: Path, query: Query, store_path: Path | None, as_json: bool
) -> None:
    from devsentry.fixtures.export import export, select, to_json
    from devsentry.store.query import Query

    if ref is not None and msgspec.structs.replace(query, limit=None) != Query(limit=None):
        raise click.UsageError("give an ID or filters, not both")
    with reading(store_path) as store:
        try:
            ids = select(store, ref, query)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="ID") from None
        try:
            written = export(store, ids, directory)
        except OSError as exc:
            raise click.ClickException(f"--output {directory}: {exc}") from None
    if as_json:
        print_json(to_json(written))
        return
    for exported in written:
        click.echo(
            exported.path + ("  (identical file already there)" if exported.existing else "")
        )
    noun = "envelope" if len(written) == 1 else "envelopes"
    message = f"exported {len(written)} {noun} to {directory}" if written else "nothing to export"
    click.echo(message, err=True)


@cli.command("replay")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--to",
    "to",
    metavar="DSN_OR_URL",
    help="A DSN (auth and the envelope's dsn, trace.public_key and sent_at are rewritten for "
    "it) or a URL posted to as is, without auth (Spotlight's http://localhost:8969/stream).",
)
@click.option(
    "--to-store",
    is_flag=True,
    help="Ingest into the store (--store) directly, through the same pipeline as serve.",
)
@click.option(
    "--project",
    help="With --to-store: the project id to file envelopes under. "
    "[default: the envelope header's dsn, else 1]",
)
@click.option(
    "--refresh",
    is_flag=True,
    help="Give events fresh ids and move every timestamp so the newest is now.",
)
@click.option(
    "--concurrency",
    default=1,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Envelopes in flight at once (1 keeps the files' order).",
)
@click.option("--rate", metavar="N/s", help="At most N envelopes per second (N/s, N/m, N/h).")
@store_option
@json_option
def replay_command(
    paths: tuple[str, ...],
    to: str | None,
    to_store: bool,
    project: str | None,
    refresh: bool,
    concurrency: int,
    rate: str | None,
    store_path: Path | None,
    as_json: bool,
) -> None:
    """Send .envelope files to a DSN, a Spotlight URL or the store.

    PATH is a file (compressed ones are recognised), a directory (its *.envelope files,
    recursively) or a glob pattern. Prints a summary of the answers by status and exits 1
    when any file was refused or is not a valid envelope.
    """
    import sqlite3

    from devsentry.fixtures.files import ReplayError, find_files, load
    from devsentry.fixtures.replay import Target, parse_rate, replay
    from devsentry.store.schema import StoreError

    if (to is None) == (not to_store):
        raise click.UsageError("give either --to DSN_OR_URL or --to-store")
    try:
        target = (
            Target.for_store(resolve_store(store_path), project)
            if to_store
            else Target.parse(to or "")
        )
    except ReplayError as exc:
        raise click.BadParameter(str(exc), param_hint="--to") from None
    try:
        per_second = parse_rate(rate) if rate else None
    except ReplayError as exc:
        raise click.BadParameter(str(exc), param_hint="--rate") from None
    try:
        files = find_files(paths)
    except ReplayError as exc:
        raise NotFoundError(str(exc)) from None
    fixtures = load(files)

    err = make_console(stderr=True)

    import asyncio

    async def run() -> Summary:
        if not err.is_terminal:
            return await replay(
                fixtures, target, refresh_ids=refresh, concurrency=concurrency, rate=per_second
            )
        from rich.progress import Progress

        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("replaying", total=len(fixtures))
            return await replay(
                fixtures,
                target,
                refresh_ids=refresh,
                concurrency=concurrency,
                rate=per_second,
                on_answer=lambda _: progress.advance(task),
            )

    try:
        summary = asyncio.run(run())
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    except (OSError, sqlite3.Error) as exc:
        raise click.ClickException(f"cannot replay into {target}: {exc}") from None
    if as_json:
        print_json(summary.to_json())
    else:
        for answer in summary.answers:
            if not answer.ok:
                why = f": {answer.detail}" if answer.detail else ""
                click.secho(f"devsentry: {answer.path}: {answer.outcome}{why}", fg="red", err=True)
        click.echo(summary.line())
    if not summary.ok:
        sys.exit(ExitStatus.ERROR)
