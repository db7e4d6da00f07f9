"""One row of facts per item: what the index keeps and the lists show.

`summarize` reads the typed model of an item (never its raw JSON): the payload's own
`headline()`, the envelope header's SDK and trace context where the payload says nothing, and
for error and message events the issue grouping puts them in.
"""

from __future__ import annotations

from devsentry.model import (
    Event,
    Payload,
    SpanContainer,
    Transaction,
    attachment_info,
    kind_of,
)
from devsentry.model.base import sdk_label
from devsentry.process.grouping import group_event
from devsentry.process.performance import (
    container_timing,
    detect,
    detect_segment,
    problem_issue,
    timing,
)
from devsentry.protocol.envelope import Envelope, Item
from devsentry.store.records import NewIssue, NewItem, storable

__all__ = ["summarize"]


def summarize(
    index: int, item: Item, model: Payload | None, envelope: Envelope, error: str | None = None
) -> NewItem:
    """The stored facts about `item`, the `index`-th item of `envelope`."""
    header_sdk = envelope.header.get("sdk")
    trace = envelope.header.get("trace")
    trace = trace if isinstance(trace, dict) else {}
    record = NewItem(
        index=index,
        type=item.type,
        size=len(item.payload),
        error=error,
        sdk=sdk_label(header_sdk.get("name"), header_sdk.get("version"))
        if isinstance(header_sdk, dict)
        else None,
        trace_id=_text(trace.get("trace_id")),
        release=_text(trace.get("release")),
        environment=_text(trace.get("environment")),
    )
    if model is not None:
        headline = model.headline()
        for name in headline.__struct_fields__:
            value = getattr(headline, name)
            if value is not None and value != "":
                setattr(record, name, value)
        if isinstance(model, Event):
            # The envelope header's event id wins over the payload's, as in Relay.
            record.event_id = envelope.event_id or record.event_id
            if kind_of(item.type).groups:
                _group(record, model)
            elif isinstance(model, Transaction):
                _performance(record, model)
        elif isinstance(model, SpanContainer):
            _segment_performance(record, model)
    elif item.type == "attachment":
        info = attachment_info(item)
        record.title = f"{info.filename or 'attachment'} ({info.size:,} bytes)"
        record.event_id = envelope.event_id
    else:
        record.title = error or f"{item.type or 'unknown'} item ({len(item.payload):,} bytes)"
        if kind_of(item.type).primary is not None:  # an invalid event is still that event
            record.event_id = envelope.event_id
    return _storable(record)


_TEXT_FIELDS = (
    *("type", "event_id", "level", "release", "environment", "platform", "sdk", "title"),
    *("user", "trace_id", "error"),
)


def _storable(record: NewItem) -> NewItem:
    """The record as the index can hold it (long titles cut, no lone surrogates)."""
    for name in _TEXT_FIELDS:
        value = getattr(record, name)
        if value is not None:
            setattr(record, name, storable(value))
    if record.issue is not None:
        issue = record.issue
        issue.title = storable(issue.title) or ""
        issue.culprit = storable(issue.culprit)
        issue.value = storable(issue.value)
        issue.type = storable(issue.type)
    return record


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _group(record: NewItem, event: Event) -> None:
    grouping = group_event(event)
    record.level = record.level or "error"
    record.title = grouping.title
    record.issue = NewIssue(
        hash=grouping.hash,
        title=grouping.title,
        culprit=grouping.culprit,
        level=record.level,
        type=grouping.type,
        value=grouping.value,
        platform=event.platform,
        basis=grouping.basis,
    )


def _performance(record: NewItem, tx: Transaction) -> None:
    """A transaction's timing row, and the issue of the first performance problem its spans
    show (a transaction is one item: it counts in one issue, as its first problem)."""
    record.transaction = timing(tx)
    problems = detect(tx)
    if problems:
        record.issue = problem_issue(problems[0], tx.transaction, tx.platform)


def _segment_performance(record: NewItem, container: SpanContainer) -> None:
    """The same for streamed spans: the segment's row and its first problem."""
    record.transaction = container_timing(container)
    problems = detect_segment(container)
    if problems:
        name = record.transaction.name if record.transaction is not None else None
        record.issue = problem_issue(problems[0], name, record.platform)
