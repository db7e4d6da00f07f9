"""Typed payloads, one module per family, decoded with msgspec; `kinds` is the item-type table.

`decode_item(item)` gives the struct of an item's payload (`Event`, `Transaction`,
`LogContainer`, …), tolerant of every shape Relay accepts; the raw bytes stay on the `Item`, so
nothing is lost. Every struct answers `headline()`: the facts the index keeps about it.
"""

from devsentry.model.attachments import Attachment, attachment_info
from devsentry.model.base import (
    Attribute,
    Attributes,
    Headline,
    Payload,
    Timestamp,
    attribute_values,
)
from devsentry.model.decode import ModelError, decode_item
from devsentry.model.events import (
    Breadcrumb,
    Event,
    ExceptionValue,
    Frame,
    Geo,
    LogEntry,
    Mechanism,
    Request,
    Sdk,
    SdkPackage,
    Stacktrace,
    Thread,
    TraceContext,
    TransactionInfo,
    User,
)
from devsentry.model.feedback import Feedback, FeedbackContext, UserReport
from devsentry.model.kinds import (
    ITEM_TYPES,
    KINDS,
    Kind,
    category_for,
    envelope_json,
    is_binary,
    kind_of,
    payload_view,
    primary_rank,
)
from devsentry.model.logs import (
    SDK_ATTRIBUTES,
    Log,
    LogContainer,
    TraceMetric,
    TraceMetricContainer,
    app_attributes,
)
from devsentry.model.profiles import Profile, ProfileChunk, ProfileData, ProfileTransaction
from devsentry.model.replays import ReplayEvent
from devsentry.model.sessions import (
    CheckIn,
    ClientReport,
    DiscardedEvent,
    MonitorConfig,
    MonitorSchedule,
    Session,
    SessionAggregate,
    SessionAggregates,
    SessionAttrs,
)
from devsentry.model.traces import (
    Measurement,
    Span,
    SpanContainer,
    SpanLink,
    SpanV2,
    Transaction,
)

#: Any decoded payload (the base of every struct).
Model = Payload

__all__ = [
    "ITEM_TYPES",
    "KINDS",
    "SDK_ATTRIBUTES",
    "Attachment",
    "Attribute",
    "Attributes",
    "Breadcrumb",
    "CheckIn",
    "ClientReport",
    "DiscardedEvent",
    "Event",
    "ExceptionValue",
    "Feedback",
    "FeedbackContext",
    "Frame",
    "Geo",
    "Headline",
    "Kind",
    "Log",
    "LogContainer",
    "LogEntry",
    "Measurement",
    "Mechanism",
    "Model",
    "ModelError",
    "MonitorConfig",
    "MonitorSchedule",
    "Payload",
    "Profile",
    "ProfileChunk",
    "ProfileData",
    "ProfileTransaction",
    "ReplayEvent",
    "Request",
    "Sdk",
    "SdkPackage",
    "Session",
    "SessionAggregate",
    "SessionAggregates",
    "SessionAttrs",
    "Span",
    "SpanContainer",
    "SpanLink",
    "SpanV2",
    "Stacktrace",
    "Thread",
    "Timestamp",
    "TraceContext",
    "TraceMetric",
    "TraceMetricContainer",
    "Transaction",
    "TransactionInfo",
    "User",
    "UserReport",
    "app_attributes",
    "attachment_info",
    "attribute_values",
    "category_for",
    "decode_item",
    "envelope_json",
    "is_binary",
    "kind_of",
    "payload_view",
    "primary_rank",
]
