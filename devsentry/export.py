"""Stored envelopes as `.envelope` files (`devsentry export`): test fixtures from real traffic.

The store keeps every envelope's decompressed bytes, so an exported file is exactly what the
SDK sent (reference §6: there is no other file format), and `devsentry replay`, sentry-cli's
`send-envelope` or any SDK's envelope parser read it back. File names say what is inside —
`20261125T233027-event-runtimeerror-checkout-failed-1e94380b.envelope` — so a fixtures
directory is readable in `ls`, and they are always safe: ASCII, no separators, never
overwriting a different file.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from devsentry.inspect import Ambiguous, NotFound, parse_ref
from devsentry.store import EnvelopeRecord, ItemRecord, Query, Store

__all__ = ["Exported", "export", "filename", "select", "slugify"]

#: Which item names an envelope when it holds several (an event and its attachments).
_PRIMARY = (
    "event",
    "transaction",
    "feedback",
    "user_report",
    "check_in",
    "replay_event",
    "log",
    "span",
    "trace_metric",
)
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_TITLE_CHARS = 40


class Exported(msgspec.Struct):
    """One written file and what it holds."""

    path: str
    envelope_id: int
    event_id: str | None
    type: str
    title: str | None
    items: list[str]
    received: str
    existing: bool = False  # an identical file was already there; nothing was written


def select(store: Store, ref: str | None, query: Query) -> list[int]:
    """The envelope ids to export, oldest first: those of one id (`DS-n`: all of the issue's
    events; `#n`: one item's envelope; hex: an event id or unique prefix), else of `query`.

    An id that names nothing raises `NotFound`; a prefix of several events `Ambiguous`.
    """
    if ref is None:
        return sorted(store.envelope_ids(query))
    parsed = parse_ref(ref)  # ValueError for text that is no id at all
    if parsed.kind == "issue":
        if store.issue(parsed.number) is None:
            raise NotFound(f"not found: {ref} (no issue DS-{parsed.number})")
        ids = store.envelope_ids(Query(issue_id=parsed.number, limit=None))
        if not ids:
            raise NotFound(f"not found: {ref} (its events were pruned from the store)")
        return sorted(ids)
    if parsed.kind == "item" and (record := store.item(parsed.number)) is not None:
        return [record.envelope_id]
    if not parsed.prefix:
        raise NotFound(f"not found: {ref} (no item #{parsed.number})")
    matches = store.items_by_event_id(parsed.prefix)
    if not matches:
        raise NotFound(f"not found: {ref} (no item or event id starts with it)")
    if len({m.event_id for m in matches}) > 1:
        raise Ambiguous(ref, matches)
    return sorted({m.envelope_id for m in matches})


def slugify(text: str, limit: int = _TITLE_CHARS) -> str:
    """`RuntimeError: checkout failed` → `runtimeerror-checkout-failed` (ASCII, ≤ limit)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    if len(slug) > limit:  # cut at a word boundary when one is not too far back
        slug = slug[: limit + 1]
        cut = slug.rfind("-")
        slug = slug[:cut] if cut > limit // 2 else slug[:limit]
    return slug.rstrip("-")


def _primary(items: Sequence[ItemRecord]) -> ItemRecord | None:
    ranked = sorted(
        items, key=lambda i: _PRIMARY.index(i.type) if i.type in _PRIMARY else len(_PRIMARY)
    )
    return ranked[0] if ranked else None


def filename(envelope: EnvelopeRecord, primary: ItemRecord | None) -> str:
    """`<received, UTC>-<type>-<title slug>-<short event id>.envelope`, parts left out when
    unknown; the envelope's row id stands in for a missing event id."""
    stamp = dt.datetime.fromtimestamp(envelope.received, dt.UTC).strftime("%Y%m%dT%H%M%S")
    parts = [stamp, slugify(primary.type if primary else "envelope", 20) or "item"]
    if primary is not None and primary.title and (slug := slugify(primary.title)):
        parts.append(slug)
    event_id = envelope.event_id or (primary.event_id if primary else None)
    parts.append(event_id.replace("-", "")[:8] if event_id else f"e{envelope.id}")
    return "-".join(parts) + ".envelope"


def _write_new(directory: Path, name: str, data: bytes) -> tuple[Path, bool]:
    """Write `data` under `name` (or `name-2`, `-3`… when a different file has it).

    Returns the path and whether an identical file was already there. O_EXCL: never
    overwrite, never follow a planted symlink.
    """
    stem = name.removesuffix(".envelope")
    for n in range(1, 1000):
        path = directory / (name if n == 1 else f"{stem}-{n}.envelope")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            if path.is_file() and not path.is_symlink() and path.read_bytes() == data:
                return path, True
            continue
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        return path, False
    raise OSError(f"no free file name for {name} in {directory}")


def export(store: Store, envelope_ids: Sequence[int], directory: Path) -> list[Exported]:
    """Write each envelope's stored bytes, byte for byte, into `directory` (created)."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Exported] = []
    for envelope_id in envelope_ids:
        envelope = store.envelope(envelope_id)
        if envelope is None:  # pruned between select and export
            continue
        items = store.envelope_items(envelope_id)
        primary = _primary(items)
        path, existing = _write_new(directory, filename(envelope, primary), envelope.raw)
        received = dt.datetime.fromtimestamp(envelope.received, dt.UTC)
        written.append(
            Exported(
                path=str(path),
                envelope_id=envelope_id,
                event_id=envelope.event_id or (primary.event_id if primary else None),
                type=primary.type if primary else "envelope",
                title=primary.title if primary else None,
                items=[i.type for i in items],
                received=received.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                existing=existing,
            )
        )
    return written


def to_json(exported: Sequence[Exported]) -> list[dict[str, Any]]:
    return [msgspec.structs.asdict(e) for e in exported]
