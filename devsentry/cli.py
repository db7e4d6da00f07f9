"""The `devsentry` command line: a thin click edge over the library.

Each command parses its options, calls one library function and prints. Library errors
become `click.ClickException`s naming the value at fault; exit codes are `ExitStatus`.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import msgspec

from devsentry import __version__
from devsentry.console import make_console
from devsentry.envelope import DEFAULT_MAX_SIZE, ENCODINGS, EnvelopeError, decompress, parse
from devsentry.envelope import sniff_encoding as sniff
from devsentry.status import ID_HELP, ExitStatus

if TYPE_CHECKING:
    from devsentry.store import Query, Store

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


def forward_options(*, dsn_optional: bool = False) -> Callable[[F], F]:
    """`--forward`, `--forward-types`, `--forward-sample`, shared by serve and intercept.

    For intercept the DSN is optional: a bare `--forward` sends each request on to the Sentry
    it was bound for.
    """

    def decorate(func: F) -> F:
        func = click.option(
            "--forward-sample",
            type=click.FloatRange(0.0, 1.0),
            default=1.0,
            show_default=True,
            envvar="DEVSENTRY_FORWARD_SAMPLE",
            show_envvar=True,
            help="Forward only this fraction of envelopes (chosen at random).",
        )(func)
        func = click.option(
            "--forward-types",
            metavar="TYPES",
            envvar="DEVSENTRY_FORWARD_TYPES",
            show_envvar=True,
            help="Forward only envelopes with these item types, e.g. event,transaction.",
        )(func)
        if dsn_optional:
            return click.option(
                "--forward",
                metavar="[DSN]",
                is_flag=False,
                flag_value="",
                envvar="DEVSENTRY_FORWARD",
                show_envvar=True,
                help="Also deliver each recorded request upstream, asynchronously (durable "
                "outbox): to the Sentry it was bound for, or to DSN when given.",
            )(func)
        return click.option(
            "--forward",
            metavar="DSN",
            envvar="DEVSENTRY_FORWARD",
            show_envvar=True,
            help="Also deliver every accepted envelope to this DSN, asynchronously (durable "
            "outbox).",
        )(func)

    return decorate


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
@forward_options()
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    envvar="DEVSENTRY_QUIET",
    help="Do not print items as they arrive.",
)
def serve(
    host: str,
    port: int,
    store_path: Path | None,
    keep: int,
    max_size: int,
    forward: str | None,
    forward_types: str | None,
    forward_sample: float,
    quiet: bool,
) -> None:
    """Run the local ingest server.

    Point an SDK at it with SENTRY_DSN=http://devsentry@127.0.0.1:8969/1 (any key and any
    numeric project id work; the project id is recorded), or turn on the SDK's Spotlight
    option. Every envelope is stored, grouped into issues and printed live.

    With --forward DSN, a copy of every accepted envelope also goes to that DSN (your team's
    Sentry, a staging Sentry or a Relay), in the background, through a durable outbox.
    """
    from devsentry.service import make_sinks, serving

    console = make_console()
    path = resolve_store(store_path)
    policy = forward_policy(forward, forward_types, forward_sample, need_dsn=True)

    import asyncio
    import signal

    async def run() -> None:
        sinks = make_sinks(None if quiet else console)
        async with serving(
            path,
            host=host,
            port=port,
            sinks=sinks,
            keep=keep,
            max_size=max_size * 1024 * 1024,
            forward=policy,
        ) as server:
            print_banner(console, server.base_url, server.dsn(), server.spotlight_url, path)
            if policy is not None:
                console.print(forward_line(policy), highlight=False)
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
    except KeyboardInterrupt:  # after a clean shutdown; click would make it "Aborted!", 1
        sys.exit(ExitStatus.INTERRUPTED)


def forward_policy(forward: str | None, types: str | None, sample: float, *, need_dsn: bool) -> Any:
    """The forwarding policy the options describe, or None; a bad DSN names the flag."""
    from devsentry.dsn import Dsn, DsnError
    from devsentry.forward import ForwardPolicy

    if forward is None:
        if types or sample < 1.0:
            raise click.UsageError("--forward-types and --forward-sample need --forward")
        return None
    dsn = None
    if forward or need_dsn:
        try:
            dsn = str(Dsn.parse(forward))
        except DsnError as exc:
            raise click.BadParameter(str(exc), param_hint="--forward") from None
    kinds = frozenset(t.strip() for t in (types or "").split(",") if t.strip())
    return ForwardPolicy(dsn=dsn, types=kinds, sample=sample)


def forward_line(policy: Any) -> Any:
    from rich.text import Text

    from devsentry.dsn import Dsn

    target = Dsn.parse(policy.dsn).envelope_url if policy.dsn else "each request's own Sentry"
    line = Text.assemble(("Forward    ", "bold"), (target, "magenta"))
    if policy.types:
        line.append(f"  only {', '.join(sorted(policy.types))}", style="dim")
    if policy.sample < 1.0:
        line.append(f"  sample {policy.sample:.0%}", style="dim")
    return line


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


# -- inspecting what arrived -----------------------------------------------------------------

#: Item types `--type` accepts (what current SDKs send; see reference §3).
ITEM_TYPES = (
    "event",
    "transaction",
    "span",
    "log",
    "trace_metric",
    "session",
    "sessions",
    "check_in",
    "attachment",
    "client_report",
    "feedback",
    "user_report",
    "profile",
    "profile_chunk",
    "profile_chunk_ui",
    "replay_event",
    "replay_recording",
    "replay_video",
    "raw_security",
    "statsd",
)
LEVELS = ("fatal", "error", "warning", "info", "debug", "trace")


class SinceParam(click.ParamType):
    """`--since 10m` / `--since 2026-01-31T14:00` as epoch seconds."""

    name = "when"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from devsentry.inspect import parse_since

        if isinstance(value, float):
            return value
        try:
            return parse_since(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class IssueParam(click.ParamType):
    """`--issue DS-12` (or `12`) as the issue's number."""

    name = "DS-n"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from devsentry.inspect import parse_issue_id

        if isinstance(value, int):
            return value
        try:
            return parse_issue_id(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def filter_options(func: F) -> F:
    """The filters `issues`, `events` and `tail` share, folded into one `query` argument."""

    @functools.wraps(func)
    def wrapper(
        *args: Any,
        project: str | None,
        release: str | None,
        environment: str | None,
        level: str | None,
        since: float | None,
        search: str | None,
        **kwargs: Any,
    ) -> Any:
        from devsentry.store import Query

        kwargs["query"] = Query(
            project=project,
            release=release,
            environment=environment,
            level=level.lower() if level else None,
            since=since,
            search=search,
            types=tuple(kwargs.pop("types", ())),
            issue_id=kwargs.pop("issue_id", None),
            limit=kwargs.pop("limit", None) or None,
        )
        return func(*args, **kwargs)

    options = [
        click.option("--project", help="Only this project id (the number in the DSN)."),
        click.option("--release", help="Only this release."),
        click.option("--environment", help="Only this environment."),
        click.option(
            "--level",
            type=click.Choice(LEVELS, case_sensitive=False),
            help="Only this level.",
        ),
        click.option(
            "--since",
            type=SinceParam(),
            help="Only what arrived (for issues: was last seen) since a duration ago (30s, 10m, "
            "2h, 1d, 1w) or an ISO date (local time unless it has a zone).",
        ),
        click.option(
            "--search", metavar="TEXT", help="Only titles (and culprits) containing TEXT."
        ),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]


def limit_option(func: F) -> F:
    return click.option(
        "--limit",
        default=50,
        show_default=True,
        type=click.IntRange(0),
        help="Show at most this many rows (0: all).",
    )(func)


def type_options(func: F) -> F:
    """`--type` (repeatable) and `--issue`, for the commands that list items."""
    func = click.option(
        "--issue", "issue_id", type=IssueParam(), help="Only the events of this issue."
    )(func)
    return click.option(
        "--type",
        "types",
        multiple=True,
        metavar="TYPE",
        type=click.Choice(ITEM_TYPES, case_sensitive=False),
        help="Only items of this type; repeat for several. One of: " + ", ".join(ITEM_TYPES) + ".",
    )(func)


class NotFoundError(click.ClickException):
    exit_code = ExitStatus.NOT_FOUND


@contextlib.contextmanager
def library_errors(store_path: Path | None) -> Iterator[None]:
    """Library errors as messages and exit codes: not found 3, anything else 1."""
    import sqlite3

    from devsentry.inspect import InspectError, NotFound

    try:
        yield
    except NotFound as exc:
        raise NotFoundError(str(exc)) from None
    except InspectError as exc:
        raise click.ClickException(str(exc)) from None
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(
            f"cannot read the store {resolve_store(store_path)}: {exc}"
        ) from None


@contextlib.contextmanager
def reading(store_path: Path | None) -> Iterator[Store]:
    """The store, read-only (never created), inside `library_errors`."""
    from devsentry.inspect import open_store

    with library_errors(store_path), open_store(resolve_store(store_path)) as store:
        yield store


def print_json(data: Any, *, pretty: bool = True) -> None:
    encoded = msgspec.json.encode(data)
    if pretty:
        encoded = msgspec.json.format(encoded, indent=2)
    sys.stdout.buffer.write(encoded + b"\n")
    sys.stdout.flush()


@cli.command()
@filter_options
@limit_option
@store_option
@json_option
def issues(query: Query, store_path: Path | None, as_json: bool) -> None:
    """List issues (events grouped as Sentry groups them), most recently seen first.

    Each row: the issue id (DS-<n>, for `devsentry show`), level, title with the culprit under
    it, events, distinct users, first and last seen, and the project when several are shown.
    """
    from devsentry.inspect import issue_json, issue_page
    from devsentry.render.lists import render_issues

    with reading(store_path) as store:
        page = issue_page(store, query)
    if as_json:
        print_json([issue_json(i) for i in page.rows])
    else:
        make_console().print(render_issues(page.rows, page.total))


@cli.command(help="Show one issue, event or item in full.\n\nID: " + ID_HELP)
@click.argument("ref", metavar="ID")
@click.option("--full", is_flag=True, help="Expand library frames, long values and modules.")
@click.option(
    "--save-attachments",
    "save_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the attachments sent with the event into this directory.",
)
@store_option
@json_option
def show(
    ref: str, full: bool, save_dir: Path | None, store_path: Path | None, as_json: bool
) -> None:
    from devsentry.inspect import InspectError, load_detail, parse_ref, save_attachments, show_json
    from devsentry.render.detail import render_detail, render_saved

    try:
        parsed = parse_ref(ref)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="ID") from None
    with reading(store_path) as store:
        detail = load_detail(store, parsed)
    saved = []
    if save_dir is not None:
        try:
            saved = save_attachments(detail, save_dir)
        except (InspectError, OSError) as exc:
            raise click.ClickException(f"--save-attachments {save_dir}: {exc}") from None
    if as_json:
        data = show_json(detail)
        if save_dir is not None:
            data["saved"] = [str(f.path) for f in saved]
        print_json(data)
        return
    console = make_console()
    console.print(render_detail(detail, full=full))
    if save_dir is not None:
        console.print(render_saved(saved) if saved else "no attachments to save")


@cli.command()
@type_options
@filter_options
@limit_option
@store_option
@json_option
def events(query: Query, store_path: Path | None, as_json: bool) -> None:
    """List every stored item (events, transactions, logs, sessions, …), newest first.

    The first column is the item's id: `devsentry show #<id>` shows it in full.
    """
    from devsentry.inspect import item_json, item_page
    from devsentry.outbox import Outbox
    from devsentry.render.lists import render_events

    with reading(store_path) as store:
        page = item_page(store, query)
        forwards = Outbox(store).states([i.envelope_id for i in page.rows])
    if as_json:
        print_json([item_json(i, forwards.get(i.envelope_id)) for i in page.rows])
    else:
        make_console().print(render_events(page.rows, page.total))


@cli.command()
@type_options
@filter_options
@click.option(
    "-n",
    "--lines",
    "count",
    type=click.IntRange(0),
    default=None,
    help="First show the last N matching items.",
)
@store_option
@json_option
def tail(query: Query, count: int | None, store_path: Path | None, as_json: bool) -> None:
    """Follow items as they arrive, from another terminal while `devsentry serve` runs.

    Prints the same views as serve's console (or, with --json, one JSON object per line).
    Starts at the newest item; --since or -n first shows what arrived before. Ctrl-C stops.
    """
    from devsentry.inspect import Loader, follow, item_json, tail_backlog
    from devsentry.outbox import Outbox
    from devsentry.render.lists import render_stored

    console = make_console()
    try:
        with reading(store_path) as store:
            backlog, after = tail_backlog(store, query, count=count, since=query.since)
            live = msgspec.structs.replace(query, since=None)
            loader = Loader(store)
            for record in itertools.chain(backlog, follow(store, live, after)):
                if as_json:
                    forward = Outbox(store).get(record.envelope_id)
                    print_json(item_json(record, forward), pretty=False)
                else:
                    console.print(render_stored(loader.load(record)))
    except KeyboardInterrupt:
        sys.exit(ExitStatus.INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from complaining.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(ExitStatus.OK)


@cli.command()
@store_option
@json_option
def stats(store_path: Path | None, as_json: bool) -> None:
    """Show what the store holds: items by type and project, issues, rejected requests, size."""
    from devsentry.inspect import store_stats
    from devsentry.render.lists import render_stats

    with reading(store_path) as store:
        data = store_stats(store)
    if as_json:
        print_json(data)
    else:
        make_console().print(render_stats(data))


@cli.command()
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@store_option
@json_option
def clear(yes: bool, store_path: Path | None, as_json: bool) -> None:
    """Delete everything in the store (the file stays). Asks first unless --yes."""
    from devsentry.inspect import clear_store

    def confirm(stats: dict[str, Any]) -> bool:
        return yes or click.confirm(
            f"Delete {stats['items']:,} items in {stats['envelopes']:,} envelopes and "
            f"{stats['issues']:,} issues from {stats['path']}?",
            default=False,
            err=True,
        )

    with library_errors(store_path):
        done = clear_store(resolve_store(store_path), confirm)
    if done is None:
        click.echo("nothing deleted", err=True)
        sys.exit(ExitStatus.ERROR)
    if as_json:
        print_json(done)
    else:
        deleted = done["deleted"]
        click.echo(
            f"deleted {deleted['items']:,} items, {deleted['envelopes']:,} envelopes and "
            f"{deleted['issues']:,} issues from {done['path']}"
        )


@cli.command()
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(["pending", "rate_limited", "delivered", "failed", "dropped"]),
    help="Only rows in this state (repeatable). Default: all.",
)
@click.option("--retry", "retry", is_flag=True, help="Make failed and waiting rows due now.")
@click.option("--drop", "drop", is_flag=True, help="Give up on waiting and failed rows.")
@click.argument("envelope_ids", nargs=-1, type=int, metavar="[ENVELOPE_ID]...")
@limit_option
@store_option
@json_option
def outbox(
    states: tuple[str, ...],
    retry: bool,
    drop: bool,
    envelope_ids: tuple[int, ...],
    limit: int,
    store_path: Path | None,
    as_json: bool,
) -> None:
    """List what is being forwarded upstream, or --retry / --drop it.

    With ENVELOPE_IDs, --retry and --drop act on those envelopes only. A running
    `devsentry serve --forward` picks retried rows up within a second.
    """
    from devsentry.outbox import Outbox
    from devsentry.render.lists import render_outbox

    if retry and drop:
        raise click.UsageError("choose one of --retry and --drop")
    with reading(store_path) as store:
        box = Outbox(store)
        if retry or drop:
            changed = box.retry(envelope_ids) if retry else box.drop(envelope_ids)
            if as_json:
                print_json({"retried" if retry else "dropped": changed})
            else:
                click.echo(f"{'retried' if retry else 'dropped'} {changed:,} envelope(s)")
            return
        rows = box.list(states, limit=limit or None)
        counts = box.counts()
    if as_json:
        # headers are left out: they hold the upstream's auth
        print_json(
            [{k: v for k, v in msgspec.structs.asdict(r).items() if k != "headers"} for r in rows]
        )
    else:
        make_console().print(render_outbox(rows, counts))


# -- fixtures: export and replay ----------------------------------------------------------


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
    from devsentry.export import export, select, to_json
    from devsentry.store import Query

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

    from devsentry.replay import ReplayError, Target, find_files, load, parse_rate, replay

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

    async def run() -> Any:
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


# -- intercepting with mitmproxy -------------------------------------------------------------


def listen_options(func: F) -> F:
    """`--listen-host`, `--listen-port` and `--confdir` of the intercepting proxy."""
    func = click.option(
        "--confdir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("~/.mitmproxy"),
        show_default=True,
        envvar="DEVSENTRY_CONFDIR",
        show_envvar=True,
        help="mitmproxy's configuration directory; its CA, mitmproxy-ca-cert.pem, is created "
        "there on first start.",
    )(func)
    func = click.option(
        "--listen-port",
        default=8080,
        show_default=True,
        type=click.IntRange(0, 65535),
        envvar="DEVSENTRY_LISTEN_PORT",
        show_envvar=True,
        help="Port of the intercepting proxy; 0 picks one.",
    )(func)
    return click.option(
        "--listen-host",
        default="127.0.0.1",
        show_default=True,
        envvar="DEVSENTRY_LISTEN_HOST",
        show_envvar=True,
        help="Address of the intercepting proxy. Use 0.0.0.0 to accept other machines.",
    )(func)


@cli.command()
@listen_options
@click.option(
    "--sentry-host",
    "sentry_hosts",
    multiple=True,
    metavar="PATTERN",
    help="Also record the ingest routes of this host (a self-hosted Sentry), a name or an "
    "fnmatch pattern; repeatable. sentry.io and *.sentry.io always are, and so is any host "
    "when the request carries Sentry auth.",
)
@store_option
@forward_options(dsn_optional=True)
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    envvar="DEVSENTRY_QUIET",
    help="Do not print items as they arrive.",
)
def intercept(
    listen_host: str,
    listen_port: int,
    confdir: Path,
    sentry_hosts: tuple[str, ...],
    store_path: Path | None,
    forward: str | None,
    forward_types: str | None,
    forward_sample: float,
    quiet: bool,
) -> None:
    """Record an app's Sentry traffic through mitmproxy, without changing its DSN.

    Runs mitmproxy as an HTTP(S) proxy. Requests to Sentry's ingest routes are stored and
    answered here, as Sentry would answer them, so nothing leaves the machine and no
    network is needed; all other traffic passes through untouched. The app needs the proxy
    variables and mitmproxy's CA, which this prints (or use `devsentry run --intercept`).
    """
    from rich.text import Text

    from devsentry.intercept import InterceptError, intercepting
    from devsentry.service import make_sinks

    console = make_console()
    path = resolve_store(store_path)
    policy = forward_policy(forward, forward_types, forward_sample, need_dsn=False)

    def warn(message: str) -> None:
        console.print(Text("mitmproxy: " + message, style="yellow"))

    import asyncio
    import signal

    async def run() -> None:
        async with intercepting(
            path,
            host=listen_host,
            port=listen_port,
            confdir=confdir,
            sinks=make_sinks(None if quiet else console),
            hosts=sentry_hosts,
            on_warning=warn,
            forward=policy,
        ) as proxy:
            print_intercept_banner(console, proxy, sentry_hosts, forwarding=policy is not None)
            if policy is not None:
                console.print(forward_line(policy), highlight=False)
            stop = asyncio.Event()
            # SIGTERM stops as cleanly as Ctrl-C, as for `serve`.
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
            await stop.wait()

    try:
        asyncio.run(run())
    except InterceptError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:  # after a clean shutdown; click would make it "Aborted!", 1
        sys.exit(ExitStatus.INTERRUPTED)


def print_intercept_banner(
    console: Any, proxy: Any, hosts: tuple[str, ...], *, forwarding: bool = False
) -> None:
    """Where the proxy listens, and the exact variables that send an app through it."""
    from mitmproxy.version import VERSION
    from rich.table import Table
    from rich.text import Text

    from devsentry.addon import DEFAULT_HOSTS

    env = proxy.env()
    ca = str(proxy.ca_cert)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    recorded = ", ".join((*DEFAULT_HOSTS, *hosts))
    grid.add_row(
        "Records",
        Text.assemble(
            f"Sentry ingest requests to {recorded}, or with Sentry auth to any host; ",
            ("answered here, a copy forwarded", "magenta")
            if forwarding
            else ("answered here, nothing is forwarded", "green"),
        ),
    )
    grid.add_row("CA", Text(ca))
    grid.add_row("Store", Text(str(proxy.store)))
    console.print(
        Text.assemble(
            ("devsentry ", "bold magenta"),
            (__version__, "dim"),
            " intercepting on ",
            (proxy.url, "bold"),
            (f"  (mitmproxy {VERSION})", "dim"),
        )
    )
    console.print(grid)
    proxies = " ".join(f"{k}={env[k]}" for k in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY"))
    lines = [
        ("Send an app through it (its DSN stays as it is), in the app's shell:", "dim"),
        (f"  export {proxies} http_proxy={env['http_proxy']}", ""),
        ("  # Python (sentry-sdk, requests):", "dim"),
        (f"  export SSL_CERT_FILE={ca} REQUESTS_CA_BUNDLE={ca}", ""),
        ("  # Node (@sentry/node reads only the lowercase https_proxy):", "dim"),
        (f"  export NODE_EXTRA_CA_CERTS={ca}", ""),
        ("Or in code:", "dim"),
        (f'  sentry_sdk.init(..., https_proxy="{proxy.url}", ca_certs="{ca}")', ""),
        (f'  Sentry.init({{ ..., transportOptions: {{ proxy: "{proxy.url}" }} }})', ""),
        ("Or let devsentry set it all:  devsentry run --intercept -- python app.py", "dim"),
        ("Ctrl-C stops.", "dim"),
    ]
    for text, style in lines:
        console.print(Text(text, style=style), soft_wrap=True)


@cli.command("addon-path")
def addon_path() -> None:
    """Print the path of devsentry's mitmproxy addon, for your own mitmproxy.

    mitmdump -s "$(devsentry addon-path)" records Sentry requests into the default store
    (--set devsentry_store=PATH for another, --set devsentry_hosts=HOST for a self-hosted
    Sentry) and answers them locally. Use the mitmdump or mitmproxy installed with
    devsentry, so the addon can import it.
    """
    import importlib.util

    spec = importlib.util.find_spec("devsentry.addon")
    assert spec is not None and spec.origin is not None
    click.echo(spec.origin)


@cli.command(
    "run",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.option(
    "--intercept",
    "use_proxy",
    is_flag=True,
    help="Send the command through `devsentry intercept` (proxy and CA variables) instead of "
    "setting its DSN, so the app keeps its own.",
)
@click.option(
    "--spotlight",
    is_flag=True,
    help="Set SENTRY_SPOTLIGHT instead of SENTRY_DSN: the app keeps its DSN and also sends "
    "a copy here.",
)
@click.option(
    "--port",
    default=8969,
    show_default=True,
    type=click.IntRange(0, 65535),
    envvar="DEVSENTRY_PORT",
    show_envvar=True,
    help="Port of `devsentry serve`: used if one answers there, else one is started there for "
    "the command; 0 always starts one, on a free port.",
)
@listen_options
@store_option
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    envvar="DEVSENTRY_QUIET",
    help="Do not print items as they arrive.",
)
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def run_command(
    use_proxy: bool,
    spotlight: bool,
    port: int,
    listen_host: str,
    listen_port: int,
    confdir: Path,
    store_path: Path | None,
    quiet: bool,
    command: tuple[str, ...],
) -> None:
    """Run COMMAND with its Sentry traffic going to devsentry: devsentry run -- npm start.

    Sets SENTRY_DSN to a running `devsentry serve` (or one started for the command's
    lifetime); with --intercept, the proxy and CA variables of a running `devsentry
    intercept` (or one started for the command). Items are printed on stderr as they
    arrive. Exits with the command's exit status; Ctrl-C goes to the command first.
    """
    from rich.text import Text

    from devsentry.runner import RunError, intercept_target, serve_target
    from devsentry.runner import run_command as run_child

    if use_proxy and spotlight:
        raise click.UsageError("--spotlight and --intercept are two different routes; pick one")
    console = make_console(stderr=True)
    sink_console = None if quiet else console
    path = resolve_store(store_path)

    def warn(message: str) -> None:
        console.print(Text("mitmproxy: " + message, style="yellow"))

    try:
        if use_proxy:
            target = intercept_target(listen_host, listen_port, confdir, path, sink_console, warn)
        else:
            target = serve_target(port, path, sink_console, spotlight=spotlight)
    except RunError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:  # before the command started
        sys.exit(ExitStatus.INTERRUPTED)
    console.print(Text("devsentry run: " + target.description, style="dim"), soft_wrap=True)
    try:
        code = run_child(command, {**os.environ, **target.env})
    except RunError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if target.started is not None:
            target.started.stop()
    sys.exit(code)


def main() -> None:
    """Console-script entry point: Ctrl-C exits 130 without a traceback."""
    try:
        cli.main(prog_name="devsentry", standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(ExitStatus.INTERRUPTED)
