"""`issues`, `show`, `events`, `tail`, `stats`, `clear`, `outbox` and `rejected`: what the
store holds."""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
import msgspec

from devsentry.cli.app import cli
from devsentry.cli.options import (
    IssueParam,
    filter_options,
    json_option,
    library_errors,
    limit_option,
    print_json,
    reading,
    resolve_store,
    since_option,
    status_option,
    store_option,
    type_options,
)
from devsentry.cli.status import ExitStatus
from devsentry.render.console import make_console
from devsentry.store.ids import ID_HELP
from devsentry.store.outbox import STATES

if TYPE_CHECKING:
    from devsentry.store.query import Query


@cli.command()
@filter_options
@click.option("--new-in", metavar="RELEASE", help="Only issues first seen in this release.")
@status_option
@limit_option
@store_option
@json_option
def issues(query: Query, store_path: Path | None, as_json: bool) -> None:
    """List issues (events grouped as Sentry groups them), most recently seen first.

    Each row: the issue id (DS-<n>, for `devsentry show`), level, title with the culprit under
    it, status (new, ongoing, regressed), events, distinct users, first and last seen, and the
    project when several are shown. Only unresolved issues unless --status; the footer says
    how many resolved and ignored ones are hidden. `--new-in shop@2.1.0` lists the issues
    that release brought.
    """
    from devsentry.browse.json import issue_json
    from devsentry.browse.lists import issue_page
    from devsentry.render.lists import render_issues

    with reading(store_path) as store:
        page = issue_page(store, query)
    if as_json:
        print_json([issue_json(i, page.releases.get(i.id)) for i in page.rows])
    else:
        make_console().print(render_issues(page.rows, page.total, hidden=page.hidden))


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
    from devsentry.browse.detail import load_detail, save_attachments
    from devsentry.browse.errors import BrowseError
    from devsentry.browse.json import show_json
    from devsentry.render.show import render_detail, render_saved
    from devsentry.store.ids import parse_ref

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
        except (BrowseError, OSError) as exc:
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
    from devsentry.browse.json import item_json
    from devsentry.browse.lists import item_page
    from devsentry.render.lists import render_events
    from devsentry.store.outbox import Outbox

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
    from devsentry.browse.follow import Loader, follow, tail_backlog
    from devsentry.browse.json import item_json
    from devsentry.render.lists import render_stored
    from devsentry.store.outbox import Outbox

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
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from complaining.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(ExitStatus.OK)


@cli.command()
@click.argument("issue_id", metavar="DS-n", type=IssueParam())
@click.argument("key", required=False)
@store_option
@json_option
def tags(issue_id: int, key: str | None, store_path: Path | None, as_json: bool) -> None:
    """Show how an issue's tags are distributed: each KEY, its values, their events and share.

    Counted over every event of the issue as it was indexed (pruned ones too, as Sentry's tag
    counts are). `devsentry tags DS-4 browser.name` lists one key's values.
    """
    from devsentry.browse.json import facets_json
    from devsentry.browse.tags import issue_tags
    from devsentry.render.facets import render_tags

    with reading(store_path) as store:
        issue, facets = issue_tags(store, issue_id, key)
    if as_json:
        print_json({"issue": issue.short_id, "count": issue.count, "tags": facets_json(facets)})
    else:
        make_console().print(render_tags(issue, facets))


@cli.command()
@store_option
@json_option
def stats(store_path: Path | None, as_json: bool) -> None:
    """Show what the store holds: items by type and project, issues, rejected requests, size."""
    from devsentry.browse.lists import store_stats
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
    from devsentry.browse.lists import clear_store

    def confirm(stats: dict[str, object]) -> bool:
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
    type=click.Choice(STATES),
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
    from devsentry.render.forwarding import render_outbox
    from devsentry.store.outbox import Outbox

    if retry and drop:
        raise click.UsageError("choose one of --retry and --drop")
    with reading(store_path, writable=retry or drop) as store:
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


@cli.command()
@since_option("Only what was refused")
@limit_option
@click.option(
    "--save",
    "save_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write each listed request's raw body, as it arrived, to its own file in this "
    "directory (rejected-<id>-<status>.body; existing files are never overwritten).",
)
@store_option
@json_option
def rejected(
    since: float | None, limit: int, save_dir: Path | None, store_path: Path | None, as_json: bool
) -> None:
    """List the requests devsentry refused, newest first.

    Each row: id, when it was received, the status answered, the reason, the path, the size of
    the body, the client (its sentry_client or User-Agent) and the address it came from. The
    bodies are kept as they arrived: --save writes them out for a bug report, or to replay
    with `devsentry replay` once the cause is fixed.
    """
    from devsentry.browse.errors import BrowseError
    from devsentry.browse.rejected import rejected_json, rejected_page, save_bodies
    from devsentry.render.lists import render_rejected
    from devsentry.render.show import render_saved

    with reading(store_path) as store:
        page = rejected_page(store, since=since, limit=limit or None)
        saved = {}
        if save_dir is not None:
            try:
                saved = save_bodies(store, page.rows, save_dir)
            except (BrowseError, OSError) as exc:
                raise click.ClickException(f"--save {save_dir}: {exc}") from None
    if as_json:
        print_json([rejected_json(row, saved.get(row.id)) for row in page.rows])
        return
    console = make_console()
    console.print(render_rejected(page.rows, page.total))
    if save_dir is not None:
        console.print(render_saved(list(saved.values())) if saved else "no bodies to save")
