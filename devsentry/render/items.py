"""One compact view per item kind, for the live console and `devsentry tail`.

`render_item(item, model, meta)` picks the view from the decoded model. Each view is a pure
function of typed structs returning a rich renderable: an error is a small block
(`render/events.py`), a log is one line, every other kind one line or two. Payload strings
reach the output only through `safe()`, so escapes and markup sent by an SDK are shown, never
obeyed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import msgspec
from rich.console import Group, RenderableType
from rich.text import Text

from devsentry.model import (
    Attachment,
    CheckIn,
    ClientReport,
    Event,
    Feedback,
    LogContainer,
    Model,
    Profile,
    ProfileChunk,
    ReplayEvent,
    Session,
    SessionAggregates,
    Span,
    SpanContainer,
    TraceMetricContainer,
    Transaction,
    UserReport,
    app_attributes,
    attachment_info,
)
from devsentry.protocol.envelope import Item
from devsentry.protocol.times import epoch_seconds
from devsentry.render.events import (
    render_event,
    render_span,
    render_span_container,
    render_transaction,
)
from devsentry.render.layout import (
    LIMIT,
    Guarded,
    ItemMeta,
    Row,
    badge,
    block,
    clock,
    join,
    ms,
    one_line,
    origin,
    plural,
    size,
    status,
)
from devsentry.render.levels import log_label
from devsentry.render.text import clean, safe

__all__ = [
    "ItemMeta",
    "render_attachment",
    "render_check_in",
    "render_client_report",
    "render_feedback",
    "render_invalid",
    "render_item",
    "render_logs",
    "render_metrics",
    "render_profile",
    "render_replay_event",
    "render_session",
    "render_sessions",
    "render_unknown",
    "render_user_report",
    "shown_attributes",
]

log = logging.getLogger(__name__)

_ATTRIBUTES = 4  # attributes shown on a log or metric line
_METRICS = 20  # metric lines per container
_LOGS = 20  # log lines per container (the rest: `devsentry show`)
# -- logs and metrics: one line per record -------------------------------------------------


def _attribute_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return msgspec.json.encode(value).decode()


def shown_attributes(attrs: Mapping[str, Any], n: int = _ATTRIBUTES) -> Text:
    """A few ` key=value` pairs that say what this record is about, `+N` for the rest."""
    pairs = list(app_attributes(dict(attrs)).items())
    out = Text()
    for key, value in pairs[:n]:
        out.append(" ")
        out.append_text(safe(key, "dim", single_line=True, limit=40))
        out.append("=", "dim")
        out.append_text(safe(_attribute_text(value), "cyan", single_line=True, limit=60))
    if len(pairs) > n:
        out.append(f" +{len(pairs) - n}", "dim")
    return out


def render_logs(container: LogContainer, meta: ItemMeta) -> RenderableType:
    """One line per log: time, level, body, a few attributes; cut at the right edge."""
    rows = []
    logs = container.logs
    for log in logs[:_LOGS]:
        label, style = log_label(log.level or "info")
        line = safe(log.body or "", single_line=True, limit=LIMIT)
        line.append_text(shown_attributes(log.attrs))
        when = clock(epoch_seconds(log.timestamp) or meta.received)
        rows.append(Row(when, Text.assemble((f" {label}", style)), one_line(line)))
    if len(logs) > _LOGS:
        more = Text(f"… {plural(len(logs) - _LOGS, 'more log record')}", "dim")
        rows.append(Row("", Text(), more))
    if not rows:
        rows.append(Row(clock(meta.when), Text(" LOG", "dim"), Text("no log records", "dim")))
    return Group(*rows)


def render_metrics(container: TraceMetricContainer, meta: ItemMeta) -> RenderableType:
    """One line per metric: name, kind, value and unit, a few attributes."""
    rows = []
    metrics = container.metrics
    for metric in metrics[:_METRICS]:
        line = join(
            [
                safe(metric.name or "<unnamed>", "bold", single_line=True, limit=80),
                safe(metric.type or "metric", "dim", single_line=True, limit=20),
            ]
        )
        line.append("  ")
        line.append("?" if metric.value is None else f"{metric.value:,.6g}", "cyan")
        if metric.unit and metric.unit != "none":
            line.append(" ")
            line.append_text(safe(metric.unit, "cyan", single_line=True, limit=20))
        line.append_text(shown_attributes(metric.attrs))
        when = clock(epoch_seconds(metric.timestamp) or meta.received)
        rows.append(Row(when, Text.assemble((" METRIC", "blue")), one_line(line)))
    if len(metrics) > _METRICS:
        more = Text(f"… {plural(len(metrics) - _METRICS, 'more metric')}", "dim")
        rows.append(Row("", Text(), more))
    if not rows:
        rows.append(Row(clock(meta.when), Text(" METRIC", "dim"), Text("no metrics", "dim")))
    return Group(*rows)


# -- everything else: one line, sometimes two -------------------------------------------------


def _one_line(meta: ItemMeta, tag: Text, head: Text) -> RenderableType:
    return block(meta, tag, one_line(head))


def render_session(session: Session, meta: ItemMeta) -> RenderableType:
    errors = Text(plural(session.errors, "error"), "red") if session.errors else None
    mechanism = session.abnormal_mechanism
    head = join([status(session.status or "ok"), errors, mechanism, origin(meta, sdk=False)])
    return _one_line(meta, badge("SESSION", "cyan"), head)


_AGGREGATE_STYLES = {
    "exited": "green",
    "errored": "yellow",
    "abnormal": "red",
    "crashed": "bold red",
}


def render_sessions(aggregates: SessionAggregates, meta: ItemMeta) -> RenderableType:
    totals = dict.fromkeys(_AGGREGATE_STYLES, 0)
    for agg in aggregates.aggregates or ():
        for key in totals:
            totals[key] += getattr(agg, key) or 0
    counts = [Text(f"{n:,} {key}", _AGGREGATE_STYLES[key]) for key, n in totals.items() if n]
    head = join([*counts, origin(meta, sdk=False)]) if counts else Text("no sessions", "dim")
    return _one_line(meta, badge("SESSIONS", "cyan"), head)


def render_check_in(check_in: CheckIn, meta: ItemMeta) -> RenderableType:
    schedule = check_in.monitor_config.schedule if check_in.monitor_config else None
    every = None
    if schedule is not None and schedule.value is not None:
        kind = "cron" if schedule.type == "crontab" else "every"
        every = f"{kind} {schedule.value} {schedule.unit or ''}".strip()
    head = join(
        [
            safe(check_in.monitor_slug or "<no monitor>", "bold", single_line=True, limit=80),
            status(check_in.status or "?"),
            ms(check_in.duration) if check_in.duration is not None else None,
            safe(every, "dim", single_line=True, limit=60) if every else None,
        ]
    )
    return _one_line(meta, badge("CHECK-IN", "magenta"), head)


def render_client_report(report: ClientReport, meta: ItemMeta) -> RenderableType:
    """What the SDK dropped before sending, and why: data loss the developer would never see."""
    totals: dict[tuple[str, str], int] = {}
    for d in report.discarded:
        key = (d.category or "?", d.reason or "?")
        totals[key] = totals.get(key, 0) + (d.quantity or 0)
    dropped = sum(totals.values())
    if not dropped:
        return _one_line(
            meta, badge("REPORT", "dim"), Text("client report: nothing dropped", "dim")
        )
    head = Text.assemble(("the SDK dropped ", "yellow"), (plural(dropped, "item"), "bold yellow"))
    head.append(": ")
    parts = []
    for (category, reason), n in sorted(totals.items(), key=lambda kv: -kv[1]):
        parts.append(
            Text.assemble(
                (f"{n:,} ", "bold"),
                safe(category, single_line=True, limit=40),
                (" (", "dim"),
                safe(reason, "dim", single_line=True, limit=40),
                (")", "dim"),
            )
        )
    head.append_text(join(parts, ", "))
    return block(meta, badge("DROPPED", "bold yellow"), head)


def render_attachment(info: Attachment, meta: ItemMeta) -> RenderableType:
    kind = info.attachment_type if info.attachment_type != "event.attachment" else None
    head = join(
        [
            safe(info.filename or "<unnamed>", "bold", single_line=True, limit=160),
            safe(info.content_type, "dim", single_line=True, limit=60)
            if info.content_type
            else None,
            size(info.size),
            safe(kind, "dim", single_line=True, limit=40) if kind else None,
        ]
    )
    return _one_line(meta, badge("ATTACH", "cyan"), head)


def render_profile(profile: Profile | ProfileChunk, meta: ItemMeta) -> RenderableType:
    tx = profile.profiled_transaction if isinstance(profile, Profile) else None
    if tx is not None and tx.name:
        name = safe(tx.name, "bold", single_line=True, limit=160)
    else:
        name = Text("continuous profile" if isinstance(profile, ProfileChunk) else "profile")
    threads = profile.thread_count
    head = join(
        [
            name,
            plural(profile.sample_count, "sample"),
            plural(threads, "thread") if threads else None,
            safe(profile.platform, "dim", single_line=True, limit=20) if profile.platform else None,
        ]
    )
    return _one_line(meta, badge("PROFILE", "magenta"), head)


def _said(message: str | None) -> Text:
    return Text.assemble(
        ("“", "dim"), safe(message or "", "bold", single_line=True, limit=LIMIT), ("”", "dim")
    )


def _who(name: str | None, contact: str | None) -> Text | None:
    who = " ".join(x for x in (name, f"<{contact}>" if contact else None) if x)
    return Text.assemble(("— ", "dim"), safe(who, single_line=True, limit=120)) if who else None


def _about(event_id: str | None) -> str | None:
    return f"about event {clean(event_id)[:8]}" if event_id else None


def _nonempty(line: Text) -> list[Text]:
    return [one_line(line)] if line else []


def render_feedback(feedback: Feedback, meta: ItemMeta) -> RenderableType:
    """What the user wrote (wrapped: it is the point), then who, where and about which event."""
    ctx = feedback.feedback
    if ctx is None:
        return block(meta, badge("FEEDBACK", "bold cyan"), Text("(empty feedback)", "dim"))
    url = safe(ctx.url, "dim", single_line=True, limit=160) if ctx.url else None
    details = join([_who(ctx.name, ctx.contact_email), url, _about(ctx.associated_event_id)])
    return block(meta, badge("FEEDBACK", "bold cyan"), _said(ctx.message), _nonempty(details))


def render_user_report(report: UserReport, meta: ItemMeta) -> RenderableType:
    details = join([_who(report.name, report.email), _about(report.event_id)])
    return block(meta, badge("FEEDBACK", "bold cyan"), _said(report.comments), _nonempty(details))


def render_replay_event(replay: ReplayEvent, meta: ItemMeta) -> RenderableType:
    url = next((u for u in replay.urls or () if u), None)
    head = join(
        [
            Text(f"replay {clean(replay.replay_id or '?')[:8]}", "bold"),
            f"segment {replay.segment_id}" if replay.segment_id is not None else None,
            safe(replay.replay_type, "dim", single_line=True, limit=20)
            if replay.replay_type
            else None,
            safe(url, "dim", single_line=True, limit=160) if url else None,
        ]
    )
    return _one_line(meta, badge("REPLAY", "magenta"), head)


def render_unknown(item: Item, meta: ItemMeta) -> RenderableType:
    """An item type devsentry has no view for (it is stored and forwarded all the same)."""
    head = join(
        [
            safe(item.type or "<no type>", "bold", single_line=True, limit=60),
            size(len(item.payload)),
        ]
    )
    return _one_line(meta, badge("ITEM", "dim"), head)


def render_invalid(item: Item, meta: ItemMeta, *, failed: str = "decode") -> RenderableType:
    """An item whose payload did not decode (or `failed` otherwise): kept as sent, shown in
    red, never fatal."""
    head = Text.assemble(
        (f"could not {failed} ", "red"),
        safe(item.type or "item", "bold red", single_line=True, limit=60),
        (f" ({size(len(item.payload))}): ", "red"),
        safe(meta.error or "unknown error", "red", single_line=True, limit=LIMIT),
    )
    return block(meta, badge("INVALID", "bold white on red"), head)


_VIEWS: dict[type[Any], Callable[[Any, ItemMeta], RenderableType]] = {
    Event: render_event,
    Transaction: render_transaction,
    Feedback: render_feedback,
    ReplayEvent: render_replay_event,
    LogContainer: render_logs,
    SpanContainer: render_span_container,
    Span: render_span,
    TraceMetricContainer: render_metrics,
    Session: render_session,
    SessionAggregates: render_sessions,
    CheckIn: render_check_in,
    ClientReport: render_client_report,
    Profile: render_profile,
    ProfileChunk: render_profile,
    UserReport: render_user_report,
}


def render_item(item: Item, model: Model | None, meta: ItemMeta) -> RenderableType:
    """The view of one item, chosen by its decoded model (or its lack of one). A view that
    cannot draw this payload, now or when printed, shows the item as invalid instead: a view
    bug costs one item, never the console or the page."""
    try:
        view = _view(item, model, meta)
    except Exception as exc:
        log.warning("could not draw a %s item", item.type, exc_info=True)
        return _undrawable(item, meta, exc)
    return Guarded(view, lambda exc: _undrawable(item, meta, exc))


def _undrawable(item: Item, meta: ItemMeta, exc: Exception) -> RenderableType:
    failed = msgspec.structs.replace(
        meta, error=f"{exc!r} (a devsentry bug: the item is stored as sent)"
    )
    return render_invalid(item, failed, failed="show")


def _view(item: Item, model: Model | None, meta: ItemMeta) -> RenderableType:
    if meta.error is not None:
        return render_invalid(item, meta)
    if model is None:
        if item.type == "attachment":
            return render_attachment(attachment_info(item), meta)
        return render_unknown(item, meta)
    view = _VIEWS.get(type(model))
    return view(model, meta) if view is not None else render_unknown(item, meta)
