"""The `devsentry show` page: an event as Sentry's issue page shows it, in the terminal.

`render_detail` picks the body by the decoded model: an error's exception chain with code and
locals (`exceptions.py`), a trace's waterfall, every log record of a container, or the compact
view (plus the payload) of anything else; events get their context below (`context.py`).
Every payload string enters through `safe()`/`clean()` into a `Text`, never markup.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from devsentry.browse.detail import Detail, SavedFile
from devsentry.model import (
    Event,
    Feedback,
    LogContainer,
    SpanContainer,
    Transaction,
    app_attributes,
    is_binary,
    payload_view,
)
from devsentry.protocol.envelope import Item
from devsentry.protocol.times import rfc3339
from devsentry.render.context import event_context
from devsentry.render.exceptions import render_event_body
from devsentry.render.facets import facet_rows
from devsentry.render.forwarding import forward_text
from devsentry.render.items import render_item
from devsentry.render.layout import (
    VALUE,
    Guarded,
    ItemMeta,
    bounded,
    clock,
    join,
    pairs_table,
    plural,
    scalar,
    section,
    size,
)
from devsentry.render.levels import level_text
from devsentry.render.lists import Col, ListTable, ago
from devsentry.render.problems import problem_rows
from devsentry.render.text import clean, safe, safe_json
from devsentry.render.trace import trace_command
from devsentry.render.verdict import verdict_rows
from devsentry.render.waterfall import WaterfallView, container_waterfall, transaction_waterfall
from devsentry.render.workflow import status_line

__all__ = ["heading", "log_rows", "render_detail", "render_saved"]


def render_detail(detail: Detail, *, full: bool = False, now: float | None = None) -> Group:
    """The whole `show` page for one stored item. A section that cannot draw this payload
    says so, followed by the payload as sent; the rest of the page is drawn as usual."""
    now = time.time() if now is None else now
    model, item = detail.model, detail.item
    meta = ItemMeta.stored(detail.record, detail.issue)
    parts: list[RenderableType] = [heading(detail, now)]
    if detail.record.trace_id:
        parts.append(
            Text.assemble(("its trace: ", "dim"), (trace_command(detail.record.trace_id), "cyan"))
        )
    if detail.issue is not None and detail.issue.category == "performance":
        parts += section("Performance problem", *problem_rows(detail.issue))
    if item is None or detail.error is not None:
        meta.error = detail.error or meta.error
        label = "invalid: " if item is not None else "could not show the payload: "
        parts.append(Text.assemble((label, "bold red"), safe(meta.error or "", "red")))
        if item is not None:
            parts += section(f"Payload as sent ({size(len(item.payload))})", _raw(item, full))
            parts += section("In Sentry", *verdict_rows(detail.in_sentry, full))
        return Group(*parts)

    def guarded(renderables: list[RenderableType]) -> list[RenderableType]:
        def fallback(exc: Exception) -> RenderableType:
            why = safe(f"devsentry could not draw this part of the page: {exc!r}", "red")
            return Group(why, _raw(item, full))

        return [Guarded(Group(*renderables), fallback)]

    if isinstance(model, Transaction):
        parts += guarded(section("Spans", WaterfallView(transaction_waterfall(model), full)))
    elif isinstance(model, SpanContainer):
        parts += guarded(section("Spans", WaterfallView(container_waterfall(model), full)))
    elif isinstance(model, LogContainer):
        parts += guarded(section("Logs", *log_rows(model, full)))
    elif isinstance(model, Feedback) or not isinstance(model, Event):
        parts += guarded(section("Item", render_item(item, model, meta)))
        if model is not None and not isinstance(model, Event) and not is_binary(item):
            parts += guarded(section("Payload", *_payload(payload_view(item), full)))
    else:
        parts += guarded(render_event_body(model, full))
    if isinstance(model, Event):
        parts += guarded(event_context(model, full))
    if detail.issue is not None and detail.facets:
        title = f"Tags of {detail.issue.short_id} ({plural(detail.issue.count, 'event')})"
        hint = Text(f"devsentry tags {detail.issue.short_id} [KEY] shows every value", "dim")
        parts += guarded(section(title, facet_rows(detail.facets), hint))
    parts += guarded(section("In Sentry", *verdict_rows(detail.in_sentry, full)))
    if detail.attachments:
        parts += guarded(section("Attachments", *_attachments(detail)))
    return Group(*parts)


#: Characters of a payload shown as sent (an invalid item's) before "--full shows all".
RAW_CHARS = 4000


def _raw(item: Item, full: bool) -> Text:
    """The payload bytes as text (invalid UTF-8 as escapes), escaped, cut unless `full`."""
    text = item.payload.decode("utf-8", "backslashreplace")
    return safe(text, "dim", limit=None if full else RAW_CHARS)


def render_saved(saved: Sequence[SavedFile]) -> Text:
    """What `--save-attachments` wrote."""
    out = Text()
    for n, f in enumerate(saved):
        out.append("\n" if n else "")
        out.append("saved ", "green")
        out.append_text(safe(str(f.path)))
        out.append(f" ({size(f.size)})", "dim")
    return out


# -- heading ------------------------------------------------------------------------------


PAYLOAD_LINES = 60  # lines of a payload's JSON shown before "--full shows all"


def _payload(data: Any, full: bool) -> list[RenderableType]:
    """The decoded payload as JSON, cut at `PAYLOAD_LINES` lines of at most `VALUE * 10`
    characters unless `full` (profiles are thousands of lines of samples, a value can be
    megabytes)."""
    text = safe_json(data)
    if full:
        return [text]
    lines = text.split("\n")
    shown = [_cut(line) for line in lines[:PAYLOAD_LINES]]
    out: list[RenderableType] = [Text("\n").join(shown)]
    if len(lines) > PAYLOAD_LINES:
        more = f"… {len(lines) - PAYLOAD_LINES:,} more lines (--full or --json shows all)"
        out.append(Text(more, "dim"))
    return out


def _cut(line: Text, limit: int = VALUE * 10) -> Text:
    if line.cell_len <= limit:
        return line
    cut = line[:limit]
    cut.append(f"… ({len(line.plain):,} characters in all)", "dim")
    return cut


def heading(detail: Detail, now: float, *, compact: bool = False) -> RenderableType:
    """The issue (if any) with its counts, then what this item is and where it came from;
    `compact` (the ui's, where the Events tab lists the others) leaves out the pointer to
    `devsentry events` and the blank line."""
    record, issue = detail.record, detail.issue
    lines: list[RenderableType] = []
    if issue is not None:
        lines.append(
            Text.assemble(
                (issue.short_id, "bold"),
                "  ",
                level_text(issue.level),
                "  ",
                safe(issue.title, "bold", single_line=True),
            )
        )
        if issue.culprit:
            lines.append(safe(issue.culprit, "italic", single_line=True))
        lines.append(
            join(
                [
                    plural(issue.count, "event"),
                    plural(issue.users, "user"),
                    f"first seen {ago(issue.first_seen, now)}",
                    f"last seen {ago(issue.last_seen, now)}",
                    f"project {clean(issue.project, single_line=True)}",
                ],
                style="",
            )
        )
        if (workflow := status_line(issue, now)) is not None:
            lines.append(workflow)
        if issue.first_release:
            releases = detail.releases
            lines.append(
                join(
                    [
                        Text.assemble(
                            "first seen in ", safe(issue.first_release, single_line=True)
                        ),
                        f"in {plural(len(releases), 'release')}" if len(releases) > 1 else None,
                    ],
                    style="",
                )
            )
        if issue.count > 1 and not compact:
            which = "the latest" if detail.latest else "one"
            lines.append(
                Text(
                    f"showing {which} of its events — devsentry events --issue {issue.short_id}"
                    " lists them",
                    "dim",
                )
            )
        if not compact:
            lines.append(Text())
    elif record.title:
        lines.append(safe(record.title, "bold", single_line=True))
    when = record.timestamp or record.received
    lines.append(
        join(
            [
                Text(f"#{record.id}", "bold"),
                Text.assemble(
                    (clean(record.type, single_line=True), "cyan"),
                    " ",
                    clean(record.event_id or "", single_line=True),
                ),
            ]
        )
    )
    lines.append(
        join(
            [
                f"{rfc3339(when)} ({ago(when, now)})",
                None if issue is not None else f"project {record.project}",
                size(record.size),
            ],
            style="dim",
        )
    )
    if detail.forward is not None:
        lines.append(forward_text(detail.forward))
    return Group(*lines)


# -- logs and attachments -----------------------------------------------------------------


#: Log records listed by `show` before "--full shows all".
LOG_ROWS = 1000


def log_rows(container: LogContainer, full: bool) -> list[RenderableType]:
    """Every record: time, level, body and the attributes the app set; the SDK's own
    attributes that differ between records dim beside them, those all share once below."""
    columns = [
        Col(header="TIME", style="dim"),
        Col(header="LEVEL"),
        Col(header="BODY", flex=True),
        Col(header="ATTRIBUTES", max_width=60 if full else 40, drop=1),
    ]
    logs = container.logs
    shown = bounded(logs, LOG_ROWS, full=full, keep="oldest")
    shared = _shared_sdk_attributes([log.attrs for log in shown])
    rows = []
    for log in shown:
        attrs = log.attrs
        own = app_attributes(attrs)
        sdk = {k: v for k, v in attrs.items() if k not in own and k not in shared}
        text = safe(" ".join(f"{k}={scalar(v)}" for k, v in own.items()), single_line=True)
        if sdk:
            text.append(" " if own else "")
            text.append_text(
                safe(" ".join(f"{k}={scalar(v)}" for k, v in sdk.items()), "dim", single_line=True)
            )
        rows.append(
            [
                Text(clock(log.timestamp_seconds, millis=True)),
                level_text((log.level or "info").lower()),
                safe(log.body or "", single_line=True, limit=None if full else 500),
                text,
            ]
        )
    out: list[RenderableType] = [ListTable(columns, rows)]
    if len(logs) > len(rows):
        out.append(Text(f"… {len(logs) - len(rows):,} more log records (--full shows them)", "dim"))
    if shared:
        label = "SDK attributes of every record" if len(rows) > 1 else "SDK attributes"
        out += section(label, pairs_table(shared.items(), full))
    return out


def _shared_sdk_attributes(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The SDK's attributes with one value in every record (`sentry.sdk.name`, …)."""
    if not records:
        return {}
    first = records[0]
    own = app_attributes(first)
    return {
        k: v
        for k, v in first.items()
        if k not in own and all(r.get(k, _MISSING) == v for r in records[1:])
    }


_MISSING = object()


def _attachments(detail: Detail) -> list[RenderableType]:
    columns = [
        Col(header="FILE", style="bold", flex=True),
        Col(header="CONTENT TYPE", style="dim", drop=2),
        Col(header="SIZE", justify="right"),
        Col(header="KIND", style="dim", drop=1),
    ]
    rows = []
    for a in detail.attachments:
        kind = a.info.attachment_type if a.info.attachment_type != "event.attachment" else ""
        rows.append(
            [
                safe(a.info.filename or f"attachment-{a.index}", single_line=True),
                safe(a.info.content_type or "", single_line=True),
                Text(size(a.info.size)),
                safe(kind or "", single_line=True),
            ]
        )
    return [ListTable(columns, rows), Text("--save-attachments DIR writes them to DIR", "dim")]
