"""What the MCP tools answer, over the store: each tool's filters read as the CLI reads them,
the browse library's pages and details, and the answer twice — compact Markdown for the model,
and the JSON the CLI's `--json` prints beside it (MCP structured content).

Nothing here knows MCP: `devsentry.agents` registers these functions as tools (stdio and the
HTTP endpoint alike) and turns `ValueError` and `BrowseError` into tool errors. Paging is by
item id, which grows in arrival order: `search_events` hands back the id to continue below,
`wait_for_events` the id everything up to which was looked at.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from devsentry.browse import workflow
from devsentry.browse.detail import Detail, load_detail
from devsentry.browse.event_markdown import detail_markdown
from devsentry.browse.follow import Loader
from devsentry.browse.json import issue_json, item_json, log_json, show_json
from devsentry.browse.lists import issue_page, item_page
from devsentry.browse.markdown import (
    hidden_words,
    inline,
    issue_lines,
    item_lines,
    log_lines,
    status_words,
)
from devsentry.browse.query import parse_since, parse_tag
from devsentry.model import Log, LogContainer
from devsentry.model.kinds import ITEM_TYPES
from devsentry.protocol.levels import LEVELS, normalize_level
from devsentry.store.ids import Ref, parse_issue_id, parse_ref
from devsentry.store.outbox import Outbox
from devsentry.store.query import Query
from devsentry.store.records import ItemRecord
from devsentry.store.store import Store
from devsentry.store.workflow import STATUS_FILTERS

__all__ = [
    "Answer",
    "arrived",
    "event_answer",
    "issue_answer",
    "issues_answer",
    "logs_answer",
    "plain",
    "query_of",
    "resolve_answer",
    "search_answer",
    "wait_answer",
    "wait_start",
]

#: Log containers `search_logs` reads in one call before it hands back a cursor.
LOG_SCAN = 500
_BATCH = 50


class Answer(msgspec.Struct, frozen=True):
    """One tool's answer: Markdown for the model, and the same facts as JSON."""

    markdown: str
    data: dict[str, Any]


def plain(data: Any) -> Any:
    """`data` as `--json` prints it (msgspec's encoding of structs, bytes and times)."""
    return msgspec.json.decode(msgspec.json.encode(data))


def query_of(
    *,
    types: Sequence[str] = (),
    level: str | None = None,
    project: str | None = None,
    release: str | None = None,
    environment: str | None = None,
    since: str | None = None,
    search: str | None = None,
    tags: Sequence[str] = (),
    issue: str | None = None,
    new_in: str | None = None,
    status: str | None = None,
    limit: int | None = 20,
) -> Query:
    """The `Query` tool arguments describe, read as the CLI reads its options; ValueError
    names the argument at fault."""
    kinds = tuple(t.strip().lower() for t in types if t.strip())
    if unknown := [t for t in kinds if t not in ITEM_TYPES]:
        raise ValueError(
            f"type: {unknown[0]!r} is not an item type; one of {', '.join(ITEM_TYPES)}"
        )
    level_name = None
    if level:
        level_name = normalize_level(level)
        if level_name is None:
            raise ValueError(f"level: {level!r} is not a level; one of {', '.join(LEVELS)}")
    try:
        when = parse_since(since) if since else None
    except ValueError as exc:
        raise ValueError(f"since: {exc}") from None
    try:
        pairs = tuple(parse_tag(t) for t in tags)
    except ValueError as exc:
        raise ValueError(f"tag: {exc}") from None
    try:
        issue_id = parse_issue_id(issue) if issue else None
    except ValueError as exc:
        raise ValueError(f"issue: {exc}") from None
    status_name = (status or "all").strip().lower()
    if status_name not in STATUS_FILTERS:
        raise ValueError(f"status: {status!r} is not a status; one of {', '.join(STATUS_FILTERS)}")
    if limit is not None and limit < 1:
        raise ValueError(f"limit: {limit} is not a positive number")
    return Query(
        types=kinds,
        level=level_name,
        project=project or None,
        release=release or None,
        environment=environment or None,
        since=when,
        search=search or None,
        tags=pairs,
        issue_id=issue_id,
        new_in=new_in or None,
        status=None if status_name == "all" else status_name,
        limit=limit,
    )


def _cursor(text: str | None, what: str) -> int | None:
    if not text:
        return None
    if not text.strip().isdigit():
        raise ValueError(f"cursor: {text!r} is not a cursor this tool handed out ({what})")
    return int(text)


def _items_json(store: Store, rows: Sequence[ItemRecord]) -> list[dict[str, Any]]:
    forwards = Outbox(store).states([r.envelope_id for r in rows])
    return [item_json(r, forwards.get(r.envelope_id)) for r in rows]


# -- issues and items ----------------------------------------------------------------------


def issues_answer(store: Store, query: Query) -> Answer:
    """`list_issues`: the issues `query` matches, most recently seen first."""
    page = issue_page(store, query)
    data = {
        "issues": [issue_json(i, page.releases.get(i.id)) for i in page.rows],
        "total": page.total,
        "hidden": page.hidden,
    }
    hidden = hidden_words(page.hidden)
    if not page.rows:
        return Answer(f"No issues match.{' ' + hidden if hidden else ''}\n", plain(data))
    which = f"{query.status} issues" if query.status else "issues"
    head = f"# {which.capitalize()}: {len(page.rows)} of {page.total:,}, most recently seen first"
    body = "\n".join(issue_lines(page.rows, page.releases))
    hints = [hidden] if hidden else []
    hints.append("get_issue with an id (DS-<n>) shows the latest event of one in full.")
    return Answer(f"{head}\n\n{body}\n\n" + "\n".join(hints) + "\n", plain(data))


def resolve_answer(store_path: Path, issue: str, in_release: str | None = None) -> Answer:
    """`resolve_issue`: the issue marked resolved (in `in_release` and older, when given),
    written beside a running serve as `devsentry resolve` does."""
    resolved = workflow.resolve(store_path, [issue], in_release=in_release)
    data = {"resolved": [issue_json(i) for i in resolved]}
    lines = [
        f"Resolved {i.short_id}: {inline(i.title, 160)} ({status_words(i)})." for i in resolved
    ]
    which = f"an event from a release newer than {in_release}" if in_release else "its next event"
    lines.append(
        f"If it comes back, {which} regresses it; wait_for_events with issue "
        f"{resolved[0].short_id} shows it arriving."
    )
    return Answer("\n".join(lines) + "\n", plain(data))


def _detail_answer(detail: Detail) -> Answer:
    return Answer(detail_markdown(detail), plain(show_json(detail)))


def issue_answer(store: Store, issue: str) -> Answer:
    """`get_issue`: the issue's latest event in full."""
    try:
        number = parse_issue_id(issue)
    except ValueError as exc:
        raise ValueError(f"issue: {exc}") from None
    return _detail_answer(load_detail(store, Ref("issue", issue.strip(), number=number)))


def event_answer(store: Store, event: str) -> Answer:
    """`get_event`: one item in full, by event id (or a unique prefix), `#<n>` or `DS-<n>`."""
    try:
        ref = parse_ref(event)
    except ValueError as exc:
        raise ValueError(f"event_id: {exc}") from None
    return _detail_answer(load_detail(store, ref))


def search_answer(store: Store, query: Query, cursor: str | None = None) -> Answer:
    """`search_events`: items newest first; `next_cursor` continues below the last one."""
    before = _cursor(cursor, "search_events hands one out as next_cursor")
    page = item_page(store, msgspec.structs.replace(query, before_id=before))
    more = len(page.rows) < page.total
    next_cursor = str(page.rows[-1].id) if more and page.rows else None
    data = {"items": _items_json(store, page.rows), "total": page.total, "next_cursor": next_cursor}
    if not page.rows:
        return Answer("No items match.\n", plain(data))
    where = " older than the cursor" if before is not None else ""
    head = f"# Items: {len(page.rows)} of {page.total:,}{where}, newest first"
    body = "\n".join(item_lines(page.rows))
    hints = ["get_event with an id (#<n> or the event id) shows one in full."]
    if next_cursor is not None:
        hints.insert(0, f'More: call search_events again with cursor "{next_cursor}".')
    return Answer(f"{head}\n\n{body}\n\n" + "\n".join(hints) + "\n", plain(data))


# -- logs ----------------------------------------------------------------------------------


def _log_cursor(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    item, dot, index = text.partition(".")
    if dot and item.isdigit() and index.isdigit():
        return int(item), int(index)
    raise ValueError(
        f"cursor: {text!r} is not a cursor search_logs handed out (it looks like 12.3)"
    )


def logs_answer(
    store: Store,
    *,
    text: str | None = None,
    level: str | None = None,
    since: str | None = None,
    project: str | None = None,
    release: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Answer:
    """`search_logs`: log records (of the `log` items SDKs send in containers), newest
    first, whose body holds `text` (any case) at `level`; at most `LOG_SCAN` containers are
    read a call, and `next_cursor` continues where it stopped."""
    query = query_of(types=("log",), project=project, release=release, since=since, limit=_BATCH)
    wanted = query_of(level=level).level
    needle = (text or "").casefold()
    start = _log_cursor(cursor)
    loader = Loader(store)
    found: list[tuple[ItemRecord, int, Log]] = []
    before = start[0] + 1 if start is not None else None
    scanned = 0
    next_cursor: str | None = None
    while len(found) < limit and scanned < LOG_SCAN:
        rows = store.items(msgspec.structs.replace(query, before_id=before))
        if not rows:
            break
        for row in rows:
            scanned += 1
            before = row.id
            model = loader.load(row).model
            logs = model.logs if isinstance(model, LogContainer) else []
            top = len(logs)
            if start is not None and row.id == start[0]:
                top = min(top, start[1])
            for index in range(top - 1, -1, -1):
                log = logs[index]
                if wanted is not None and (normalize_level(log.level) or "info") != wanted:
                    continue
                if needle and needle not in (log.body or "").casefold():
                    continue
                found.append((row, index, log))
                if len(found) == limit:
                    next_cursor = f"{row.id}.{index}"
                    break
            if len(found) == limit or scanned >= LOG_SCAN:
                break
    if next_cursor is None and scanned >= LOG_SCAN and before is not None:
        next_cursor = f"{before}.0"
    data = {
        "logs": [log_json(r, i, log) for r, i, log in found],
        "next_cursor": next_cursor,
    }
    hint = (
        f'More (or further back): call search_logs again with cursor "{next_cursor}".'
        if next_cursor
        else ""
    )
    if not found:
        return Answer(f"No log records match.\n{hint}\n", plain(data))
    head = f"# Log records: {len(found)}, newest first"
    body = "\n".join(log_lines(found))
    return Answer(f"{head}\n\n{body}\n\n{hint}\n", plain(data))


# -- waiting -------------------------------------------------------------------------------


def wait_start(store: Store, cursor: str | None) -> int:
    """The item id `wait_for_events` waits past: the cursor given, else the newest now."""
    after = _cursor(cursor, "wait_for_events hands one out as cursor")
    return store.last_item_id() if after is None else after


def arrived(store: Store, query: Query, after: int) -> tuple[list[ItemRecord], int]:
    """Items matching `query` stored after item `after`, oldest first, and the cursor to
    wait from next: every item up to it was looked at. The newest id is read first, so an
    item committed meanwhile is left for the next look rather than skipped; a store cleared
    meanwhile (ids start again) is read from its beginning."""
    top = store.last_item_id()
    if top < after:
        after = 0
    window = msgspec.structs.replace(query, after_id=after, before_id=top + 1)
    rows = store.items(window, oldest_first=True)
    full = query.limit is not None and len(rows) >= query.limit
    return rows, rows[-1].id if full and rows else top


def wait_answer(
    store: Store, rows: Sequence[ItemRecord], cursor: int, *, waited: float, timed_out: bool
) -> Answer:
    """`wait_for_events`: what arrived (oldest first), and the cursor to wait from next."""
    data = {
        "items": _items_json(store, rows),
        "cursor": str(cursor),
        "timed_out": timed_out,
        "waited_seconds": round(waited, 3),
    }
    again = f'Call wait_for_events with cursor "{cursor}" to wait for what comes next.'
    if not rows:
        return Answer(f"Nothing matching arrived within {waited:.0f} s.\n\n{again}\n", plain(data))
    head = f"# Arrived: {len(rows)} item{'s' if len(rows) != 1 else ''}, oldest first"
    body = "\n".join(item_lines(rows))
    hint = "get_event (#<n>) or get_issue (DS-<n>) shows one in full."
    return Answer(f"{head}\n\n{body}\n\n{hint}\n{again}\n", plain(data))
