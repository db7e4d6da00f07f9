"""`ui`: the terminal dashboard on the store (`serve --ui` runs it beside the server)."""

from __future__ import annotations

from pathlib import Path

from devsentry.cli.app import cli
from devsentry.cli.options import export_dir_option, library_errors, resolve_store, store_option


@cli.command()
@export_dir_option
@store_option
def ui(export_dir: Path, store_path: Path | None) -> None:
    """Browse the store in a keyboard-first dashboard that updates as items arrive.

    Issues (sort with s, filter with /: text, level:error, release:…, project:…, env:…,
    key:value tags), an issue's stack trace, breadcrumbs, tags and events in tabs, every
    event in full; Events and Logs lists (1 2 3). enter opens, esc goes back, o opens the
    selected frame in $EDITOR, e exports the event as a fixture, ? lists the keys, q quits.
    Run it in a second terminal beside `devsentry serve`, or use `devsentry serve --ui`.
    """
    from devsentry.ui.app import run_ui

    with library_errors(store_path):
        run_ui(resolve_store(store_path), export_dir=export_dir)
