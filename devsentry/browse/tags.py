"""An issue's tag distribution for `devsentry tags`: every key, or every value of one key."""

from __future__ import annotations

from devsentry.browse.errors import NotFound
from devsentry.store.ids import short_id
from devsentry.store.records import IssueRecord, TagFacet
from devsentry.store.store import Store

__all__ = ["issue_tags"]


def issue_tags(
    store: Store, issue_id: int, key: str | None = None
) -> tuple[IssueRecord, list[TagFacet]]:
    """The issue and its facets with all their values; raises `NotFound` for no such issue
    (or, with `key`, a key none of its events carry)."""
    issue = store.issue(issue_id)
    if issue is None:
        raise NotFound(f"not found: no issue {short_id(issue_id)}")
    facets = store.issue_tags(issue_id, key)
    if key is not None and not facets:
        keys = ", ".join(f.key for f in store.issue_tags(issue_id, top=0)) or "none"
        raise NotFound(
            f"not found: no event of {issue.short_id} has the tag {key!r} (its tags: {keys})"
        )
    return issue, facets
