"""devsentry's MCP server: the tools and resources a coding agent uses, over one store.

Built on the official `mcp` SDK's `MCPServer`: each tool's argument schema comes from its
signature (every argument described for the model), its description from its docstring. The
answers come from `browse.answers` — Markdown for the model as the text content, the CLI's
`--json` as the structured content — so stdio (`devsentry mcp`) and HTTP (`/mcp` on serve)
answer alike. Tools that read run in the SDK's worker threads, each on its own read-only
connection, so a long read never holds up the event loop (in serve: ingest).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from mcp_types import Resource as MCPResource
from pydantic import Field

from devsentry import __version__
from devsentry.browse import answers
from devsentry.browse.answers import Answer
from devsentry.browse.errors import Ambiguous, BrowseError, open_store
from devsentry.sinks.arrivals import Arrivals
from devsentry.store.query import Query
from devsentry.store.schema import StoreError
from devsentry.store.store import Store

__all__ = ["ISSUE_URI", "Opener", "make_server", "store_opener"]

#: How an issue is named as a resource.
ISSUE_URI = "devsentry://issue/DS-{number}"
#: Issues listed by `resources/list` (every other one is read by its URI).
LISTED_ISSUES = 50
#: `wait_for_events`: longest wait a call may ask for, and how often the store is looked at
#: when nothing wakes the waiter (stdio; in serve the indexer wakes it, this is a fallback).
MAX_WAIT = 300.0
POLL = 0.25
POLL_WOKEN = 2.0
#: Seconds between progress notifications while `wait_for_events` waits (clients that asked
#: for progress reset their request timeout on each).
PROGRESS_EVERY = 10.0

Opener = Callable[[], AbstractContextManager[Store]]

INSTRUCTIONS = """\
devsentry is a local Sentry: it keeps every error, trace and log the app's Sentry SDKs send \
while developing. Start with list_issues (the app's errors, grouped as Sentry groups them), \
then get_issue DS-<n> for the latest event in full: exception chain with the app's frames and \
code, breadcrumbs, request, user, tags. search_events and search_logs look through everything \
stored; get_event shows one item, get_trace a request across services. To check a fix: note \
the cursor wait_for_events hands back (or call it before running the app), run the app or its \
tests, then wait_for_events for what arrives; resolve_issue marks an issue fixed so its \
return shows as a regression.\
"""

_READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)


def store_opener(path: Path) -> Opener:
    """Opens the store read-only for one call; never creates it (a wrong path must not look
    like an empty store)."""

    def open_() -> AbstractContextManager[Store]:
        return open_store(path)

    return open_


@contextlib.contextmanager
def _tool_errors() -> Iterator[None]:
    """Library errors as `ToolError`s: one readable sentence for the model, no traceback."""
    try:
        yield
    except Ambiguous as exc:
        lines = [f"- {c.event_id} #{c.id} {c.type} {c.title or ''}" for c in exc.candidates]
        raise ToolError("\n".join([str(exc), *lines])) from None
    except (ValueError, BrowseError, StoreError) as exc:
        raise ToolError(str(exc)) from None
    except sqlite3.DatabaseError as exc:
        raise ToolError(f"cannot read the store: {exc}") from None


def _result(answer: Answer) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=answer.markdown)], structured_content=answer.data
    )


def _types(value: list[str] | str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


# Argument types, each described once for the model.
Level = Annotated[
    str | None,
    Field(description="Only this level: debug, info, warning, error or fatal."),
]
Project = Annotated[str | None, Field(description="Only this project id (the number in the DSN).")]
Release = Annotated[str | None, Field(description="Only this release, e.g. shop@1.2.3.")]
Environment = Annotated[str | None, Field(description="Only this environment, e.g. development.")]
Since = Annotated[
    str | None,
    Field(
        description="Only what arrived since: a duration back from now (30s, 10m, 2h, 1d) "
        "or an ISO date (2026-01-31T14:00, local time unless it has a zone)."
    ),
]
Tags = Annotated[
    list[str] | None,
    Field(
        description="Only events with these tags, each KEY:VALUE (browser.name:Chrome, "
        "user:id:42, release:1.2); all must match."
    ),
]
Types = Annotated[
    list[str] | str | None,
    Field(
        description="Only items of these types: event (errors and messages), transaction, "
        "log, span, feedback, session, check_in, … Default: every type."
    ),
]
IssueFilter = Annotated[str | None, Field(description="Only the events of this issue (DS-<n>).")]


class DevsentryServer(MCPServer[Any]):
    """`MCPServer` whose resource list is the store's newest issues (one per
    `devsentry://issue/DS-<n>`), not a fixed list."""

    def __init__(self, opener: Opener, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._opener = opener

    async def list_resources(self) -> list[MCPResource]:
        def newest() -> list[MCPResource]:
            with _tool_errors(), self._opener() as store:
                issues = store.issues(Query(limit=LISTED_ISSUES))
            return [
                MCPResource(
                    uri=ISSUE_URI.format(number=i.id),
                    name=i.short_id,
                    title=f"{i.short_id}: {i.title}"[:200],
                    description=f"{i.level or 'error'} issue, {i.count} events; "
                    "its latest event in full",
                    mime_type="text/markdown",
                )
                for i in issues
            ]

        try:
            listed = await anyio.to_thread.run_sync(newest)
        except ToolError:
            listed = []  # no store yet: nothing to list
        return [*await super().list_resources(), *listed]


def make_server(store_path: Path, arrivals: Arrivals | None = None) -> MCPServer[Any]:
    """The MCP server over the store at `store_path` (read-only for every tool but
    `resolve_issue`); `arrivals` (in serve) wakes `wait_for_events` as soon as the indexer
    stored something."""
    opener = store_opener(store_path)
    server = DevsentryServer(
        opener,
        name="devsentry",
        title="devsentry",
        version=__version__,
        instructions=INSTRUCTIONS,
        log_level="WARNING",
    )

    def read(answer: Callable[[Store], Answer]) -> CallToolResult:
        with _tool_errors(), opener() as store:
            return _result(answer(store))

    @server.tool(annotations=_READ)
    def list_issues(
        status: Annotated[
            str,
            Field(
                description="unresolved (the default, as Sentry's issue stream), resolved, "
                "ignored, or all."
            ),
        ] = "unresolved",
        level: Level = None,
        project: Project = None,
        release: Release = None,
        since: Annotated[
            str | None,
            Field(description="Only issues last seen since: 30s, 10m, 2h, 1d or an ISO date."),
        ] = None,
        search: Annotated[
            str | None, Field(description="Only issues whose title or culprit contains this.")
        ] = None,
        tag: Tags = None,
        new_in: Annotated[
            str | None, Field(description="Only issues first seen in this release.")
        ] = None,
        limit: Annotated[int, Field(ge=1, le=200, description="At most this many.")] = 25,
    ) -> CallToolResult:
        """List the app's issues — errors grouped as Sentry groups them — most recently seen
        first: id (DS-<n>), level, title, culprit, status (new, ongoing, regressed, resolved,
        ignored), events, users, first and last seen, releases. Unresolved ones unless status
        says otherwise. get_issue shows one in full."""
        with _tool_errors():
            query = answers.query_of(
                level=level,
                project=project,
                release=release,
                since=since,
                search=search,
                tags=tag or (),
                new_in=new_in,
                status=status,
                limit=limit,
            )
        return read(lambda store: answers.issues_answer(store, query))

    @server.tool(annotations=_READ)
    def get_issue(
        issue: Annotated[str, Field(description="The issue id, DS-<n> (as list_issues shows).")],
    ) -> CallToolResult:
        """Show an issue with its latest event in full: the exception chain (oldest first)
        with the app's frames, their code lines and locals, the breadcrumbs before it, the
        request, user, release, trace id, the event's tags and the issue's tag facets (which
        browsers, releases, users it hit), and what Sentry would drop or trim."""
        return read(lambda store: answers.issue_answer(store, issue))

    @server.tool(annotations=_READ)
    def get_event(
        event_id: Annotated[
            str,
            Field(
                description="An event id or a unique prefix of one (6+ hex digits), an item "
                "id #<n> (as search_events shows), or DS-<n> for an issue's latest event."
            ),
        ],
    ) -> CallToolResult:
        """Show one stored item in full: an error as get_issue shows it, a transaction with
        its spans, a log container with its records, anything else with its payload."""
        return read(lambda store: answers.event_answer(store, event_id))

    @server.tool(annotations=_READ)
    def get_trace(
        trace_id: Annotated[
            str,
            Field(
                description="A trace id or a unique start of one (as items show it: trace <id>)."
            ),
        ],
    ) -> CallToolResult:
        """Show one trace across services as a waterfall: every transaction and span (op,
        name, start, duration, status, service) as one tree, with the errors and log records
        marked where they happened, then the trace's errors with their issues. Which request
        was slow, and where did it fail?"""
        from devsentry.agents.trace import trace_answer

        return read(lambda store: trace_answer(store, trace_id))

    @server.tool(annotations=_READ)
    def search_events(
        type: Types = None,
        level: Level = None,
        text: Annotated[
            str | None, Field(description="Only items whose title contains this text.")
        ] = None,
        since: Since = None,
        project: Project = None,
        release: Release = None,
        environment: Environment = None,
        tag: Tags = None,
        issue: IssueFilter = None,
        limit: Annotated[int, Field(ge=1, le=200, description="At most this many.")] = 20,
        cursor: Annotated[
            str | None,
            Field(description="next_cursor of the previous call, for the next (older) page."),
        ] = None,
    ) -> CallToolResult:
        """Search every stored item — errors, messages, transactions, logs, sessions,
        feedback — newest first, with a cursor for the next page."""
        with _tool_errors():
            query = answers.query_of(
                types=_types(type),
                level=level,
                search=text,
                since=since,
                project=project,
                release=release,
                environment=environment,
                tags=tag or (),
                issue=issue,
                limit=limit,
            )
        return read(lambda store: answers.search_answer(store, query, cursor))

    @server.tool(annotations=_READ)
    def search_logs(
        text: Annotated[
            str | None, Field(description="Only records whose message contains this (any case).")
        ] = None,
        level: Annotated[
            str | None,
            Field(
                description="Only records of this level: trace, debug, info, warning, error "
                "or fatal."
            ),
        ] = None,
        since: Since = None,
        project: Project = None,
        release: Release = None,
        limit: Annotated[int, Field(ge=1, le=500, description="At most this many.")] = 50,
        cursor: Annotated[
            str | None,
            Field(description="next_cursor of the previous call, to read further back."),
        ] = None,
    ) -> CallToolResult:
        """Search the log records the app sent through Sentry's logs (sentry_sdk.logger,
        Sentry.logger), newest first: time, level, message, the attributes the app set,
        trace id."""
        return read(
            lambda store: answers.logs_answer(
                store,
                text=text,
                level=level,
                since=since,
                project=project,
                release=release,
                limit=limit,
                cursor=cursor,
            )
        )

    @server.tool(annotations=_READ)
    async def wait_for_events(
        type: Types = None,
        level: Level = None,
        text: Annotated[
            str | None, Field(description="Only items whose title contains this text.")
        ] = None,
        project: Project = None,
        release: Release = None,
        environment: Environment = None,
        tag: Tags = None,
        issue: IssueFilter = None,
        cursor: Annotated[
            str | None,
            Field(
                description="Wait for what arrives after this cursor (handed back by an "
                "earlier wait_for_events); without it, for what arrives after this call."
            ),
        ] = None,
        timeout: Annotated[  # noqa: ASYNC109 (the model's name for it; the loop below keeps it)
            float,
            Field(ge=0, le=MAX_WAIT, description="Give up after this many seconds."),
        ] = 30.0,
        limit: Annotated[int, Field(ge=1, le=200, description="At most this many.")] = 50,
        *,
        ctx: Context,
    ) -> CallToolResult:
        """Wait until items matching the filter arrive, or the timeout passes, and return
        them (oldest first) with a cursor to wait from next. How to check a fix: call it
        once to get a cursor (timeout 0), run the app or its tests, then call it with that
        cursor and e.g. type event — an empty answer after the timeout means the error did
        not come back."""
        with _tool_errors():
            query = answers.query_of(
                types=_types(type),
                level=level,
                search=text,
                project=project,
                release=release,
                environment=environment,
                tags=tag or (),
                issue=issue,
                limit=limit,
            )
        started = time.monotonic()
        told = 0.0
        with _tool_errors():
            opened = opener()  # one read-only connection for the whole wait, used off the loop
            store = await anyio.to_thread.run_sync(opened.__enter__)
            try:
                after = await anyio.to_thread.run_sync(answers.wait_start, store, cursor)
                while True:
                    seen = arrivals.generation if arrivals is not None else 0
                    rows, after = await anyio.to_thread.run_sync(
                        answers.arrived, store, query, after
                    )
                    waited = time.monotonic() - started
                    left = timeout - waited
                    if rows or left <= 0:
                        break
                    if waited - told >= PROGRESS_EVERY:
                        told = waited
                        with contextlib.suppress(Exception):  # a client gone: the wait ends anyway
                            await ctx.report_progress(waited, timeout, "waiting for events")
                    if arrivals is not None:
                        await arrivals.wait(seen, min(left, POLL_WOKEN))
                    else:
                        await anyio.sleep(min(left, POLL))
                waited = time.monotonic() - started
                answer = await anyio.to_thread.run_sync(
                    lambda: answers.wait_answer(
                        store, rows, after, waited=waited, timed_out=not rows
                    )
                )
            finally:
                opened.__exit__(None, None, None)
        return _result(answer)

    @server.tool(
        annotations=ToolAnnotations(
            read_only_hint=False,
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=False,
        )
    )
    def resolve_issue(
        issue: Annotated[str, Field(description="The issue id, DS-<n>.")],
        in_release: Annotated[
            str | None,
            Field(
                description="Resolved in this release and older ones (e.g. shop@2.1.0): "
                "only an event from a newer release brings it back. Default: any next event does."
            ),
        ] = None,
    ) -> CallToolResult:
        """Mark an issue resolved once its fix is in, as `devsentry resolve` does. If its
        error happens again it comes back as regressed (list_issues shows it, serve prints
        it), so a fix that did not hold is seen at once."""
        with _tool_errors():
            return _result(answers.resolve_answer(store_path, issue, in_release))

    @server.resource(
        ISSUE_URI,
        name="issue",
        title="A devsentry issue",
        description="An issue (DS-<n>) with its latest event in full, as get_issue shows it.",
        mime_type="text/markdown",
    )
    def issue_resource(number: str) -> str:
        try:
            with _tool_errors(), opener() as store:
                return answers.issue_answer(store, f"DS-{number}").markdown
        except ToolError as exc:
            raise ResourceError(str(exc)) from None

    return server
