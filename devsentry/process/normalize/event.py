"""The event's own attributes as Relay normalizes them: legacy aliases, identifiers, platform and
level, release, dist and environment, tags, the event type, and unknown attributes.

Sources: the field declarations of `relay-event-schema/src/protocol/event.rs` (names, aliases,
`trim_whitespace`, `nonempty`, `allow_chars`), `VALID_PLATFORMS` in
`relay-event-schema/src/protocol/constants.rs`, `normalize_event` in
`relay-event-normalization/src/event.rs` (`normalize_release_dist`, `normalize_event_tags`,
`normalize_platform_and_level`), `validate_release`/`validate_environment` of
getsentry/sentry-release-parser, `TagEntry` in `relay-event-schema/src/protocol/tags.rs`,
`infer_event_type` of the store normalizer and `relay-event-normalization/src/remove_other.rs`.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from devsentry.process.normalize.fields import Notes, as_str, brief, lenient_str
from devsentry.protocol.levels import event_level, normalize_level

__all__ = [
    "VALID_PLATFORMS",
    "infer_type",
    "normalize_attributes",
    "normalize_tags",
    "remove_unknown",
    "resolve_aliases",
]

VALID_PLATFORMS = frozenset({
    "as3", "c", "cfml", "cocoa", "csharp", "elixir", "go", "groovy", "haskell", "java",
    "javascript", "native", "node", "objc", "other", "perl", "php", "python", "ruby",
})  # fmt: skip

#: Relay's attribute → the legacy names it also reads it from.
_ALIASES = {
    "logentry": ("sentry.interfaces.Message", "message"),
    "user": ("sentry.interfaces.User",),
    "request": ("sentry.interfaces.Http",),
    "contexts": ("sentry.interfaces.Contexts",),
    "breadcrumbs": ("sentry.interfaces.Breadcrumbs",),
    "exception": ("sentry.interfaces.Exception",),
    "stacktrace": ("sentry.interfaces.Stacktrace",),
    "template": ("sentry.interfaces.Template",),
    "csp": ("sentry.interfaces.Csp",),
    "hpkp": ("sentry.interfaces.Hpkp",),
    "expectct": ("sentry.interfaces.ExpectCT",),
    "expectstaple": ("sentry.interfaces.ExpectStaple",),
}
#: Every top-level attribute of Relay's `Event` (`_meta` is read as metadata, not a field).
EVENT_ATTRIBUTES = frozenset({
    "event_id", "level", "version", "type", "fingerprint", "culprit", "transaction",
    "transaction_info", "time_spent", "logentry", "logger", "modules", "platform", "timestamp",
    "start_timestamp", "received", "server_name", "release", "dist", "environment", "site",
    "user", "request", "contexts", "breadcrumbs", "exception", "stacktrace", "template",
    "threads", "tags", "extra", "debug_meta", "sdk", "ingest_path", "errors", "key_id",
    "project", "grouping_config", "checksum", "csp", "hpkp", "expectct", "expectstaple",
    "spans", "measurements", "breakdowns", "scraping_attempts", "_metrics", "_dsc",
    "_performance_issues_spans", "_meta",
})  # fmt: skip
#: Dropped without an error: Sentry's internal attributes and known legacy ones.
_LEGACY_ATTRIBUTES = frozenset(
    {"metadata", "hashes", "applecrashreport", "device", "repos", "query"}
)
_STRING_FIELDS = ("culprit", "transaction", "server_name", "site", "version", "checksum")
#: Characters the sentry-release-parser refuses in a release or an environment.
_BAD_NAME = re.compile(r"[\\/\r\n\t\x00-\x1f\x7f]")
_DIST = re.compile(r"[a-zA-Z0-9_.-]*")
_TAG_KEY = re.compile(r"[a-zA-Z0-9_.:-]*")
#: Tags Sentry sets itself when it saves the event; a client may not send them.
_INTERNAL_TAGS = frozenset({"release", "dist", "user", "filename", "function"})
MAX_TAG_CHARS = 200
MAX_DIST_CHARS = 64


def resolve_aliases(event: dict[str, Any]) -> None:
    """Legacy attribute names moved to Relay's names; the proper name wins over an alias."""
    for field, aliases in _ALIASES.items():
        for alias in aliases:
            if alias in event:
                value = event.pop(alias)
                if event.get(field) is None:
                    event[field] = value


def normalize_attributes(event: dict[str, Any], notes: Notes) -> None:
    """Identifiers and strings checked, release, dist and environment validated."""
    _event_id(event, notes)
    for field in _STRING_FIELDS:
        value = event.get(field)
        if value is not None and not isinstance(value, str):
            del event[field]
            notes.removed(field, "not a string")
    if isinstance(event.get("transaction"), str):
        event["transaction"] = event["transaction"].strip()
    logger = event.get("logger")
    if logger is not None and (not isinstance(logger, str) or "\r" in logger or "\n" in logger):
        del event["logger"]
        notes.removed("logger", "not a single line of text")
    _named(event, "release", 200, ("latest",), notes)
    _named(event, "environment", 64, ("none",), notes)
    _dist(event, notes)
    time_spent = event.get("time_spent")
    if time_spent is not None and not (
        isinstance(time_spent, int) and not isinstance(time_spent, bool)
    ):
        del event["time_spent"]
        notes.removed("time_spent", "not an integer")
    elif isinstance(time_spent, int) and not 0 <= time_spent < 2_147_483_647:
        del event["time_spent"]  # `validate_bounded_integer_field`: removed without an error


def _event_id(event: dict[str, Any], notes: Notes) -> None:
    value = event.get("event_id")
    if value is None:
        return
    try:
        if not isinstance(value, str) or len(value) > 64:
            raise ValueError
        event["event_id"] = uuid.UUID(value).hex
    except ValueError:
        del event["event_id"]
        notes.removed("event_id", "not a UUID")


def _named(event: dict[str, Any], field: str, limit: int, restricted: tuple[str, ...],
           notes: Notes) -> None:  # fmt: skip
    """A release or environment: trimmed, non-empty, at most `limit` bytes, not `.`/`..` or a
    restricted name, no slashes or control characters."""
    value = event.get(field)
    if value is None:
        return
    text = lenient_str(value) if field == "release" else as_str(value)
    if text is None:
        del event[field]
        notes.removed(field, "not a string")
        return
    text = text.strip()
    if not text:
        del event[field]
        notes.removed(field, "empty")
        return
    if len(text.encode("utf-8", "surrogatepass")) > limit:
        reason = f"longer than {limit} bytes"
    elif text in (".", "..") or text.lower() in restricted:
        reason = f"{text!r} is a restricted name"
    elif _BAD_NAME.search(text):
        reason = "it holds a slash, a backslash or a control character"
    else:
        event[field] = text
        return
    del event[field]
    notes.removed(field, f"not a valid {field}: {reason}")


def _dist(event: dict[str, Any], notes: Notes) -> None:
    value = event.get("dist")
    if value is None:
        return
    text = as_str(value)
    reason = None
    if text is None:
        reason = "not a string"
    elif not (text := text.strip()):
        del event["dist"]  # Relay deletes an empty dist without an error
        return
    elif len(text) > MAX_DIST_CHARS:
        reason = f"longer than {MAX_DIST_CHARS} characters"
    elif not _DIST.fullmatch(text):
        reason = "only letters, digits, `_`, `.` and `-` are allowed"
    if reason is None:
        event["dist"] = text
    else:
        del event["dist"]
        notes.removed("dist", reason)


def normalize_tags(event: dict[str, Any], notes: Notes) -> None:
    """Tags as Relay stores them: a list of `[key, value]` text pairs (an object's keys sorted),
    keys with spaces as dashes, an `environment` tag moved to the attribute, internal tags and
    repeated keys dropped, invalid keys and values removed, `server_name` and `site` moved in."""
    raw = event.get("tags")
    if isinstance(raw, dict):
        items: list[Any] = [[k, raw[k]] for k in sorted(raw)]
    elif isinstance(raw, list):
        items = raw
    else:
        if raw is not None:
            notes.removed("tags", "neither an object nor a list of pairs")
        items = []
    pairs: list[list[str | None]] = []
    for i, item in enumerate(items):
        pair = _tag(item, f"tags.{i}", notes)
        if pair is not None:
            pairs.append(pair)
    env_tag = next((i for i, p in enumerate(pairs) if p[0] == "environment"), None)
    if env_tag is not None:
        value = pairs.pop(env_tag)[1]
        if event.get("environment") is None and value is not None:
            event["environment"] = value  # legacy SDKs sent the environment as a tag
    seen: set[str | None] = set()
    kept: list[list[str | None]] = []
    for pair in pairs:
        if pair[0] in _INTERNAL_TAGS:
            notes.removed(f"tags.{pair[0]}", "Sentry sets this tag itself")
        elif pair[0] in seen:
            notes.removed(f"tags.{pair[0]}", "a repeated tag (the first one counts)")
        else:
            seen.add(pair[0])
            kept.append(pair)
    for field in ("server_name", "site"):
        value = event.pop(field, None)
        if isinstance(value, str):
            index = next((i for i, p in enumerate(kept) if p[0] == field), None)
            if index is None:
                kept.append([field, value])
            else:
                kept[index][1] = value
    if kept or raw is not None:
        event["tags"] = kept


def _tag(item: object, path: str, notes: Notes) -> list[str | None] | None:
    """One `[key, value]` pair, or None when its key is unusable."""
    if not (isinstance(item, list) and len(item) == 2):
        if item is not None:
            notes.removed(path, "not a [key, value] pair")
        return None
    key = lenient_str(item[0])
    if key is not None:
        key = key.replace(" ", "-").strip()
    if not key:
        notes.removed(path, "the tag has no key")
        return None
    if len(key) > MAX_TAG_CHARS:
        notes.removed(path, f"the key is longer than {MAX_TAG_CHARS} characters")
        return None
    if not _TAG_KEY.fullmatch(key):
        notes.removed(path, f"{key!r}: only letters, digits, `_.:-` are allowed in tag keys")
        return None
    value = item[1]
    if value is None:
        return [key, None]
    text = lenient_str(value)
    if text is not None:
        text = text.strip()
    if text is None:
        reason = "the value is not text"
    elif not text:
        reason = "the value is empty"
    elif len(text) > MAX_TAG_CHARS:
        reason = f"the value is longer than {MAX_TAG_CHARS} characters"
    elif "\n" in text:
        reason = "the value holds a line break"
    else:
        return [key, text]
    notes.removed(f"tags.{key}", reason)
    return [key, None]


def normalize_platform_and_level(event: dict[str, Any], notes: Notes) -> None:
    """An unknown platform becomes `other`; the level is Relay's (error, info for transactions)."""
    platform = event.get("platform")
    if platform is not None and not (isinstance(platform, str) and platform in VALID_PLATFORMS):
        notes.removed("platform", f"{brief(platform)} is not one of Relay's platforms")
        platform = None
    event["platform"] = platform or "other"
    level = event.get("level")
    if level is not None and normalize_level(level) is None:
        notes.removed("level", f"{brief(level)} is not a level")
    default = "info" if event.get("type") == "transaction" else "error"
    event["level"] = event_level(level, default)


def infer_type(event: dict[str, Any], notes: Notes) -> None:
    """`transaction` and `feedback` as sent; otherwise `error` with exceptions, the security
    report's type, or `default` (`infer_event_type`)."""
    sent = event.get("type")
    if sent in ("transaction", "feedback"):
        return
    if sent is not None and sent not in ("error", "default", "csp", "hpkp", "expectct",
                                         "expectstaple", "nel", "generic"):  # fmt: skip
        notes.removed("type", f"{brief(sent)} is not an event type")
    exception = event.get("exception")
    if isinstance(exception, dict) and exception.get("values"):
        event["type"] = "error"
        return
    for report in ("csp", "hpkp", "expectct", "expectstaple"):
        if event.get(report) is not None:
            event["type"] = report
            return
    event["type"] = "default"


def remove_unknown(event: dict[str, Any], notes: Notes) -> None:
    """Attributes Relay's event has no field for are removed; Relay lists them in the event's
    `errors` as `invalid_attribute` (`RemoveOtherProcessor`)."""
    for key in [key for key in event if key not in EVENT_ATTRIBUTES]:
        del event[key]
        if key in _LEGACY_ATTRIBUTES:
            notes.removed(key, "a legacy or internal attribute Relay drops")
        else:
            notes.removed(key, "not an attribute of Sentry's event (invalid_attribute)")
