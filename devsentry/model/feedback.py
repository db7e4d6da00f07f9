"""User feedback: the `feedback` event (`contexts.feedback`) and the deprecated `user_report`.

develop.sentry.dev/sdk/telemetry/feedbacks/; Relay's `contexts/user_report_v2.rs` and
`user_report.rs`.
"""

from __future__ import annotations

import msgspec

from devsentry.model.base import Headline, Payload, event_id, typed_context
from devsentry.model.events import Event

__all__ = ["Feedback", "FeedbackContext", "UserReport"]


class FeedbackContext(Payload):
    message: str | None = None
    contact_email: str | None = None
    name: str | None = None
    url: str | None = None
    associated_event_id: str | None = None
    replay_id: str | None = None
    source: str | None = None


class Feedback(Event):
    """A `feedback` item: an event whose `contexts.feedback` holds what the user wrote."""

    @property
    def feedback(self) -> FeedbackContext | None:
        return typed_context(self.contexts, "feedback", FeedbackContext)

    def headline(self) -> Headline:
        feedback = self.feedback
        title = (feedback.message if feedback is not None else None) or "user feedback"
        return msgspec.structs.replace(super().headline(), title=title, level="info")


class UserReport(Payload):
    """The deprecated user feedback item."""

    event_id: str | None = None
    email: str | None = None
    name: str | None = None
    comments: str | None = None

    def headline(self) -> Headline:
        return Headline(
            title=self.comments or "user report",
            event_id=event_id(self.event_id),
            user=f"email:{self.email}" if self.email else None,
        )
