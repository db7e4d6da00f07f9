"""Attachments: what the item header says about a file (the payload is never decoded).

develop.sentry.dev/sdk/telemetry/attachments/; a placeholder (`attachment-ref+json`) names the
size of the file it stands for.
"""

from __future__ import annotations

from devsentry.model.base import Payload
from devsentry.protocol.envelope import Item

__all__ = ["Attachment", "attachment_info"]


_ATTACHMENT_REF = "application/vnd.sentry.attachment-ref+json"


class Attachment(Payload):
    """What the item header says about an attachment; the payload is never decoded."""

    filename: str | None = None
    content_type: str | None = None
    attachment_type: str | None = None
    size: int = 0


def attachment_info(item: Item) -> Attachment:
    """Attachment metadata from the item header (a placeholder's size is the referenced one)."""
    attachment_type = item.header.get("attachment_type")
    size = item.header.get("attachment_length")
    if item.content_type != _ATTACHMENT_REF or not isinstance(size, int):
        size = len(item.payload)
    return Attachment(
        filename=item.filename,
        content_type=item.content_type,
        attachment_type=attachment_type if isinstance(attachment_type, str) else None,
        size=size,
    )
