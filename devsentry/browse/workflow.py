"""Resolve, ignore and unresolve issues: the library under the commands, MCP and the UI.

Each call names issues by `DS-<n>` (or their numbers), checks that every one exists before
changing any, writes the change in one short transaction beside a running `serve` (the store
is in WAL mode; `store/workflow.py` owns the rules) and returns the issues as they are now.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from devsentry.browse.errors import BrowseError, NotFound, open_store
from devsentry.store import workflow
from devsentry.store.ids import parse_issue_id
from devsentry.store.records import IssueRecord
from devsentry.store.store import Store

__all__ = ["ignore", "issue_numbers", "resolve", "unresolve"]


def issue_numbers(refs: Iterable[str | int]) -> list[int]:
    """`DS-4`, `4` or 4 as issue numbers, in order, each once; a bad one raises BrowseError."""
    numbers: list[int] = []
    for ref in refs:
        try:
            number = ref if isinstance(ref, int) else parse_issue_id(ref)
        except ValueError as exc:
            raise BrowseError(str(exc)) from None
        if number not in numbers:
            numbers.append(number)
    if not numbers:
        raise BrowseError("name at least one issue (DS-<n>)")
    return numbers


def _change(
    store_path: Path,
    refs: Iterable[str | int],
    write: Callable[[Store, Sequence[int]], object],
) -> list[IssueRecord]:
    numbers = issue_numbers(refs)
    with open_store(store_path, writable=True) as store:
        missing = [n for n in numbers if store.issue(n) is None]
        if missing:
            names = ", ".join(f"DS-{n}" for n in missing)
            raise NotFound(f"not found: {names} (no such issue; nothing was changed)")
        write(store, numbers)
        return [issue for n in numbers if (issue := store.issue(n)) is not None]


def resolve(
    store_path: Path, issue_refs: Iterable[str | int], in_release: str | None = None
) -> list[IssueRecord]:
    """Mark issues resolved; with `in_release`, resolved for that release and older (an event
    from a newer release regresses them)."""
    release = in_release.strip() if in_release is not None else None
    if release == "":
        raise BrowseError("--in-release needs a release name (e.g. shop@2.1.0)")
    return _change(
        store_path,
        issue_refs,
        lambda store, ids: workflow.resolve(store.db, ids, in_release=release),
    )


def ignore(
    store_path: Path,
    issue_refs: Iterable[str | int],
    *,
    for_seconds: float | None = None,
    until_count: int | None = None,
) -> list[IssueRecord]:
    """Mark issues ignored: for a while, until `until_count` more events (whichever comes
    first), or for good when neither is given. Then they come back as unresolved."""
    if for_seconds is not None and for_seconds <= 0:
        raise BrowseError("--for must be a positive duration")
    if until_count is not None and until_count < 1:
        raise BrowseError("--until-count must be at least 1")
    until = time.time() + for_seconds if for_seconds is not None else None
    return _change(
        store_path,
        issue_refs,
        lambda store, ids: workflow.ignore(store.db, ids, until=until, count=until_count),
    )


def unresolve(store_path: Path, issue_refs: Iterable[str | int]) -> list[IssueRecord]:
    """Mark resolved or ignored issues unresolved again."""
    return _change(store_path, issue_refs, lambda store, ids: workflow.unresolve(store.db, ids))
