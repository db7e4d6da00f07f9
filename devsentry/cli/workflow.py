"""`resolve`, `ignore` and `unresolve`: the issue workflow, beside a running `serve`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from devsentry.cli.app import cli
from devsentry.cli.options import (
    DurationParam,
    json_option,
    library_errors,
    print_json,
    resolve_store,
    store_option,
)
from devsentry.render.console import make_console

if TYPE_CHECKING:
    from devsentry.store.records import IssueRecord

_ISSUES = click.argument("issue_refs", metavar="DS-n...", nargs=-1, required=True)


def _done(verb: str, issues: list[IssueRecord], as_json: bool) -> None:
    from devsentry.browse.json import issue_json
    from devsentry.render.workflow import render_changed

    if as_json:
        print_json([issue_json(issue) for issue in issues])
    else:
        make_console().print(render_changed(verb, issues))


@cli.command()
@_ISSUES
@click.option(
    "--in-release",
    metavar="RELEASE",
    help="Resolved for this release and older ones: only an event from a newer release "
    "regresses it (versions compare as semver when both parse, else by first seen).",
)
@store_option
@json_option
def resolve(
    issue_refs: tuple[str, ...], in_release: str | None, store_path: Path | None, as_json: bool
) -> None:
    """Mark issues resolved: the next event of one regresses it, loudly.

    Works while `devsentry serve` runs. `devsentry resolve DS-4 DS-7`; `--in-release
    shop@2.1.0` when the fix ships after that release.
    """
    from devsentry.browse import workflow

    with library_errors(store_path):
        issues = workflow.resolve(resolve_store(store_path), issue_refs, in_release=in_release)
    _done("resolved", issues, as_json)


@cli.command()
@_ISSUES
@click.option(
    "--for",
    "for_seconds",
    type=DurationParam(),
    metavar="DURATION",
    help="Ignore for this long (30m, 1h, 2d); then it is unresolved again.",
)
@click.option(
    "--until-count",
    type=click.IntRange(1),
    metavar="N",
    help="Ignore until N more events arrive; the Nth brings it back.",
)
@store_option
@json_option
def ignore(
    issue_refs: tuple[str, ...],
    for_seconds: float | None,
    until_count: int | None,
    store_path: Path | None,
    as_json: bool,
) -> None:
    """Ignore issues: hidden from `issues`, no alerts, until --for or --until-count runs out
    (whichever comes first), or for good without either."""
    from devsentry.browse import workflow

    with library_errors(store_path):
        issues = workflow.ignore(
            resolve_store(store_path), issue_refs, for_seconds=for_seconds, until_count=until_count
        )
    _done("ignored", issues, as_json)


@cli.command()
@_ISSUES
@store_option
@json_option
def unresolve(issue_refs: tuple[str, ...], store_path: Path | None, as_json: bool) -> None:
    """Mark resolved or ignored issues unresolved again."""
    from devsentry.browse import workflow

    with library_errors(store_path):
        issues = workflow.unresolve(resolve_store(store_path), issue_refs)
    _done("unresolved", issues, as_json)
