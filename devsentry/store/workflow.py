"""The issue workflow: resolve, ignore, unresolve, and when an event brings an issue back.

The one owner of the status rules, as Sentry has them:

- An issue is `unresolved`, `resolved` or `ignored` (Sentry's `GroupStatus`; "ignored" is what
  Sentry now calls archived). Its substatus (Sentry's `GroupSubStatus`, `src/sentry/types/
  group.py`) is `new`, `ongoing` or `regressed` while unresolved. Sentry moves new and
  regressed issues to ongoing after 7 days (`TRANSITION_AFTER_DAYS`, `src/sentry/tasks/
  auto_ongoing_issues.py`); here the substatus is worked out when read, with the same 7 days,
  so nothing has to run in the background. Ignored issues are `archived_forever` or
  `archived_until_condition_met`, as Sentry's API names them.
- Resolved: any event that arrives after the resolve brings it back as regressed
  (`_handle_regression`, `src/sentry/event_manager.py`). Events received before the resolve
  but indexed after it (a backlog) do not: they are not news.
- Resolved in a release: resolved for that release and older, so only an event from a newer
  release regresses it, and an event without a release does not. That is how Sentry's
  `GroupResolution.has_resolution` (`src/sentry/models/groupresolution.py`) treats a
  resolution "in the next release" made while RELEASE is current; newer is decided as it
  decides for "in release": by version when both releases parse as versions
  (`protocol/releases.py`), else by when each was first seen.
- Ignored for a time or until N more events: when that runs out the issue is unresolved again
  (Sentry's `clear_expired_snoozes` and `GroupSnooze.is_valid`, `src/sentry/tasks/
  clear_expired_snoozes.py`, `src/sentry/models/groupsnooze.py`). An ignore that ran out by
  time counts as unresolved at once, even before the next event.

Commands change a status in a short transaction of their own, beside a running `serve` (WAL
lets them; the writer's lock is about indexing, not these updates). The indexer calls
`came_back` inside its index transaction, so a status change and an event never cross.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from typing import Any, Literal

from devsentry.protocol.releases import compare_versions
from devsentry.store.records import CameBack, IssueRecord

__all__ = [
    "ONGOING_AFTER",
    "STATUSES",
    "STATUS_FILTERS",
    "SUBSTATUSES",
    "came_back",
    "effective",
    "ignore",
    "resolve",
    "status_clause",
    "unresolve",
]

Status = Literal["unresolved", "resolved", "ignored"]
STATUSES: tuple[str, ...] = ("unresolved", "resolved", "ignored")
#: What `issues --status` takes.
STATUS_FILTERS: tuple[str, ...] = (*STATUSES, "all")
SUBSTATUSES: tuple[str, ...] = ("new", "ongoing", "regressed")
#: New and regressed issues count as ongoing after this long, as in Sentry.
ONGOING_AFTER = 7 * 86400.0

# The columns `came_back` reads of an issue that is not unresolved.
_STATE = (
    "status, resolved_at, resolved_in_release, ignored_at, ignore_until, ignore_count,"
    " ignore_count_base, project"
)


def effective(issue: IssueRecord, now: float | None = None) -> tuple[str, str | None]:
    """The issue's status and substatus as they stand at `now`."""
    now = time.time() if now is None else now
    status = issue.status
    if status == "ignored" and issue.ignore_until is not None and issue.ignore_until <= now:
        return "unresolved", "ongoing"  # the ignore ran out
    if status == "resolved":
        return "resolved", None
    if status == "ignored":
        if issue.ignore_until is None and issue.ignore_count is None:
            return "ignored", "archived_forever"
        return "ignored", "archived_until_condition_met"
    if issue.substatus == "regressed":
        if issue.regressed_at is not None and now - issue.regressed_at < ONGOING_AFTER:
            return "unresolved", "regressed"
        return "unresolved", "ongoing"
    if issue.substatus == "ongoing" or now - issue.first_seen >= ONGOING_AFTER:
        return "unresolved", "ongoing"
    return "unresolved", "new"


def status_clause(status: str, now: float) -> tuple[str, list[Any]]:
    """SQL over `issues` for `--status`, an ignore that ran out counting as unresolved."""
    if status == "unresolved":
        return "(status = 'unresolved' OR (status = 'ignored' AND ignore_until <= ?))", [now]
    if status == "ignored":
        return "(status = 'ignored' AND (ignore_until IS NULL OR ignore_until > ?))", [now]
    if status == "resolved":
        return "status = 'resolved'", []
    return "", []  # all


# -- what the commands write -----------------------------------------------------------------


def _update(db: sqlite3.Connection, ids: Sequence[int], assignments: str, args: list[Any]) -> int:
    """One short transaction over the issues `ids`: how many there were."""
    if not ids:
        return 0
    marks = ",".join("?" * len(ids))
    db.execute("BEGIN IMMEDIATE")
    try:
        changed = db.execute(
            f"UPDATE issues SET {assignments} WHERE id IN ({marks})", [*args, *ids]
        ).rowcount
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return int(changed)


_NO_IGNORE = "ignored_at = NULL, ignore_until = NULL, ignore_count = NULL, ignore_count_base = NULL"


def resolve(
    db: sqlite3.Connection,
    ids: Sequence[int],
    *,
    in_release: str | None = None,
    now: float | None = None,
) -> int:
    """Mark issues resolved (for `in_release` and older releases, when given)."""
    now = time.time() if now is None else now
    return _update(
        db,
        ids,
        f"status = 'resolved', substatus = NULL, resolved_at = ?, resolved_in_release = ?,"
        f" {_NO_IGNORE}",
        [now, in_release],
    )


def ignore(
    db: sqlite3.Connection,
    ids: Sequence[int],
    *,
    until: float | None = None,
    count: int | None = None,
    now: float | None = None,
) -> int:
    """Mark issues ignored: until `until` (epoch seconds), until `count` more events (whichever
    comes first), or for good when neither is given."""
    now = time.time() if now is None else now
    return _update(
        db,
        ids,
        "status = 'ignored', substatus = NULL, ignored_at = ?, ignore_until = ?,"
        " ignore_count = ?, ignore_count_base = count",
        [now, until, count],
    )


def unresolve(db: sqlite3.Connection, ids: Sequence[int]) -> int:
    """Mark issues unresolved again by hand (Sentry's manual unresolve: ongoing)."""
    return _update(db, ids, f"status = 'unresolved', substatus = 'ongoing', {_NO_IGNORE}", [])


# -- what the indexer asks ---------------------------------------------------------------------


def came_back(
    db: sqlite3.Connection,
    issue_id: int,
    events: Sequence[tuple[float, str | None]],
    final_count: int,
) -> tuple[int, CameBack] | None:
    """Whether one of a batch's `events` (received, release), in order, brings the issue
    back; if so, the issue is written unresolved and this says which event (its index in
    `events`) and why. Called inside the index transaction, for issues not unresolved."""
    row = db.execute(f"SELECT {_STATE} FROM issues WHERE id = ?", (issue_id,)).fetchone()
    if row is None:
        return None
    status, resolved_at, resolved_in, ignored_at, until, count, base, project = row
    first_count = final_count - len(events)  # the issue's count before this batch
    for index, (received, release) in enumerate(events):
        if status == "resolved" and resolved_at is not None and received >= resolved_at:
            if resolved_in is not None and not _newer(
                db, project, release, resolved_in, resolved_at
            ):
                continue
            db.execute(
                "UPDATE issues SET status = 'unresolved', substatus = 'regressed',"
                " regressed_at = ? WHERE id = ?",
                (received, issue_id),
            )
            return index, CameBack("regressed", resolved_at, resolved_in or release)
        if status == "ignored":
            timed_out = until is not None and received >= until
            counted = count is not None and first_count + index + 1 - (base or 0) >= count
            if timed_out or counted:
                db.execute(
                    f"UPDATE issues SET status = 'unresolved', substatus = 'ongoing', {_NO_IGNORE}"
                    " WHERE id = ?",
                    (issue_id,),
                )
                return index, CameBack("unignored", ignored_at or received)
    return None


def _newer(
    db: sqlite3.Connection, project: str, release: str | None, resolved_in: str, resolved_at: float
) -> bool:
    """Whether an event's `release` is newer than the one the issue was resolved in."""
    if release is None or release == resolved_in:
        return False  # no release, or the same one: the resolution holds
    by_version = compare_versions(release, resolved_in)
    if by_version is not None:
        return by_version > 0
    first = dict(
        db.execute(
            "SELECT release, first_seen FROM releases WHERE project = ? AND release IN (?, ?)",
            (project, release, resolved_in),
        ).fetchall()
    )
    # A release not seen before this batch is the newest; one never seen at all was named by
    # the resolve itself, so it counts as first seen then.
    return bool(first.get(release, float("inf")) > first.get(resolved_in, resolved_at))
