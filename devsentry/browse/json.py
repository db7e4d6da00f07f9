"""What every `--json` prints: items, issues, forwarding state and the `show` document.

Times are RFC 3339 UTC with milliseconds; issue ids are `DS-<n>`.
"""

from __future__ import annotations

from typing import Any

import msgspec

from devsentry.browse.detail import Detail
from devsentry.model import Log, payload_view
from devsentry.protocol.levels import normalize_level
from devsentry.protocol.times import rfc3339
from devsentry.store.ids import short_id
from devsentry.store.outbox import Delivery
from devsentry.store.records import IssueRecord, ItemRecord, TagFacet
from devsentry.store.workflow import effective

__all__ = [
    "evidence_of",
    "facets_json",
    "forward_json",
    "issue_json",
    "item_json",
    "log_json",
    "show_json",
]


def forward_json(delivery: Delivery | None) -> dict[str, Any] | None:
    """An envelope's forwarding state, for `--json` (None when it was not forwarded)."""
    if delivery is None:
        return None
    return {
        "state": delivery.state,
        "attempts": delivery.attempts,
        "status": delivery.status,
        "detail": delivery.detail,
        "next_attempt": rfc3339(delivery.next_attempt)
        if delivery.state in ("pending", "rate_limited")
        else None,
        "updated": rfc3339(delivery.updated),
    }


def item_json(r: ItemRecord, forward: Delivery | None = None) -> dict[str, Any]:
    """One stored item as `events --json` and `tail --json` print it."""
    return {
        "id": r.id,
        "event_id": r.event_id,
        "type": r.type,
        "project": r.project,
        "timestamp": rfc3339(r.timestamp),
        "received": rfc3339(r.received),
        "title": r.title,
        "level": r.level,
        "release": r.release,
        "environment": r.environment,
        "platform": r.platform,
        "sdk": r.sdk,
        "user": r.user,
        "trace_id": r.trace_id,
        "size": r.size,
        "issue": short_id(r.issue_id) if r.issue_id is not None else None,
        "envelope_id": r.envelope_id,
        "error": r.error,
        "forward": forward_json(forward),
    }


def log_json(r: ItemRecord, index: int, log: Log) -> dict[str, Any]:
    """One log record of a stored `log` container: `#<item>.<index>` names it."""
    return {
        "item": r.id,
        "index": index,
        "timestamp": rfc3339(log.timestamp_seconds),
        "received": rfc3339(r.received),
        "level": normalize_level(log.level) or "info",
        "body": log.body,
        "trace_id": log.trace_id,
        "span_id": log.span_id,
        "attributes": log.attrs,
        "project": r.project,
        "release": r.release,
        "environment": r.environment,
    }


def issue_json(r: IssueRecord, releases: list[str] | None = None) -> dict[str, Any]:
    """One issue as `issues --json` prints it; `releases` it occurred in, oldest first."""
    status, substatus = effective(r)
    return {
        "id": r.short_id,
        "title": r.title,
        "culprit": r.culprit,
        "level": r.level,
        "type": r.type,
        "value": r.value,
        "platform": r.platform,
        "count": r.count,
        "users": r.users,
        "first_seen": rfc3339(r.first_seen),
        "last_seen": rfc3339(r.last_seen),
        "first_release": r.first_release,
        "releases": releases or [],
        "project": r.project,
        "status": status,
        "substatus": substatus,
        "category": r.category,
        **workflow_json(r),
    }


def workflow_json(r: IssueRecord) -> dict[str, Any]:
    """When an issue was resolved (and in which release), ignored until when, regressed."""
    left = None
    if r.ignore_count is not None:
        left = max(r.ignore_count - (r.count - (r.ignore_count_base or 0)), 0)
    return {
        "resolved_at": rfc3339(r.resolved_at),
        "resolved_in_release": r.resolved_in_release,
        "ignored_at": rfc3339(r.ignored_at) if r.status == "ignored" else None,
        "ignore_until": rfc3339(r.ignore_until) if r.status == "ignored" else None,
        "ignore_events_left": left if r.status == "ignored" else None,
        "regressed_at": rfc3339(r.regressed_at),
    }


def evidence_of(issue: IssueRecord) -> dict[str, Any] | None:
    """A performance issue's evidence (the statement, its parent span, how many times it ran)."""
    if not issue.evidence:
        return None
    try:
        data = msgspec.json.decode(issue.evidence)
    except msgspec.DecodeError:  # devsentry's own JSON: a damaged store
        return None
    return data if isinstance(data, dict) else None


def facets_json(facets: list[TagFacet]) -> list[dict[str, Any]]:
    """An issue's tag facets, as Sentry's tag API has them: most common first."""
    return [
        {
            "key": f.key,
            "total": f.total,
            "distinct": f.distinct,
            "values": [{"value": v.value, "count": v.count} for v in f.values],
        }
        for f in facets
    ]


def show_json(detail: Detail) -> dict[str, Any]:
    """`show --json`: the payload as sent (decoded JSON) and as Sentry sees it (`normalized`),
    its tags and what Sentry would keep of it, with the item, issue (and its facets) and
    envelope."""
    issue = None
    if detail.issue is not None:
        issue = issue_json(detail.issue, detail.releases)
        issue["tags"] = facets_json(detail.facets)
        issue["evidence"] = evidence_of(detail.issue)
    return {
        "item": item_json(detail.record, detail.forward),
        "issue": issue,
        "envelope": detail.parsed.header if detail.parsed is not None else None,
        "payload": payload_view(detail.item) if detail.item is not None else None,
        "normalized": detail.normalized,
        "tags": [[key, value] for key, value in detail.tags],
        "in_sentry": msgspec.to_builtins(detail.in_sentry),
        "attachments": [
            {
                "index": a.index,
                "filename": a.info.filename,
                "content_type": a.info.content_type,
                "attachment_type": a.info.attachment_type,
                "size": a.info.size,
            }
            for a in detail.attachments
        ],
        "error": detail.error,
    }
