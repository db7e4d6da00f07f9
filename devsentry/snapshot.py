"""Golden-file snapshots of events: compare what an SDK sent with a reviewed JSON file.

An event carries much that changes on every run or machine — ids, timestamps, durations, SDK
and runtime versions, absolute paths, ports, thread ids, `0x…` addresses in reprs — and much
that should not: exception types and values, frames and line numbers, tags, breadcrumbs,
messages. `normalize` replaces only the first kind with stable placeholders, so a snapshot
fails when the app's reporting changes and not when the clock or the machine does. Ids are
numbered by first appearance (`<trace_id:1>`), so a snapshot still shows which spans share a
trace or which event an attachment belongs to.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
import sysconfig
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["SnapshotMismatch", "check", "dumps", "normalize"]

#: Keys whose values are ids: replaced by `<key:n>`, the same value getting the same n.
_ID_KEYS = {
    "event_id": "event_id",
    "associated_event_id": "event_id",
    "trace_id": "trace_id",
    "span_id": "span_id",
    "parent_span_id": "span_id",
    "segment_id": "span_id",
    "sentry.trace.parent_span_id": "span_id",
    "sentry.segment.id": "span_id",
    "profile_id": "profile_id",
    "profiler_id": "profile_id",
    "replay_id": "replay_id",
    "sid": "session_id",
    "check_in_id": "check_in_id",
    "release_id": "release_id",
}
#: Keys whose values are points in time, durations, or otherwise per-run or per-machine.
_VOLATILE_KEYS = {
    "timestamp": "<timestamp>",
    "start_timestamp": "<timestamp>",
    "end_timestamp": "<timestamp>",
    "started": "<timestamp>",
    "sent_at": "<timestamp>",
    "received": "<timestamp>",
    "replay_start_timestamp": "<timestamp>",
    "app_start_time": "<timestamp>",
    "duration": "<duration>",
    "exclusive_time": "<duration>",
    "elapsed": "<duration>",
    "thread_id": "<thread_id>",
    "thread.id": "<thread_id>",
    "process.pid": "<pid>",
    "pid": "<pid>",
    "server_name": "<server_name>",
    "server.address": "<server_name>",
    "sys.argv": "<argv>",
    "modules": "<modules>",
    "sentry.sdk.version": "<version>",
}
#: Contexts describing the machine rather than the app.
_MACHINE_CONTEXTS = frozenset({"runtime", "os", "device", "culture", "cloud_resource"})

_UUID = re.compile(
    r"\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b", re.IGNORECASE
)
_DATETIME = re.compile(r"\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?")
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{4,}\b")
_SDK_VERSION = re.compile(r"\b(sentry[\w.-]*)/\d+(?:\.\d+)+[\w.+-]*")
_LOCAL_PORT = re.compile(r"\b(localhost|127\.0\.0\.1|\[::1\]):\d+")
_THREAD_NAME = re.compile(r"\b(Thread-|ThreadPoolExecutor-\d+_|Dummy-)(\d+)\b")


class SnapshotMismatch(AssertionError):
    """The normalized value differs from the golden file; the message holds the diff."""


def _roots(extra: Mapping[str, str]) -> list[tuple[str, str]]:
    """Path prefixes that differ between machines, longest first (so the venv's
    site-packages wins over the checkout that contains it)."""
    roots = dict(extra)
    paths = sysconfig.get_paths()
    for key, label in (("purelib", "<site-packages>"), ("platlib", "<site-packages>")):
        roots.setdefault(paths[key], label)
    roots.setdefault(paths["stdlib"], "<stdlib>")
    roots.setdefault(sys.prefix, "<prefix>")
    roots.setdefault(str(Path.cwd()), "<cwd>")
    roots.setdefault(tempfile.gettempdir(), "<tmp>")
    roots.setdefault(str(Path.home()), "~")
    return sorted(((k, v) for k, v in roots.items() if len(k) > 1), key=lambda kv: -len(kv[0]))


class _Normalizer:
    def __init__(self, replacements: Mapping[str, str]) -> None:
        self.roots = _roots(replacements)
        self.ids: dict[str, str] = {}
        self.counts: dict[str, int] = {}

    def id(self, value: str, kind: str) -> str:
        key = value.replace("-", "").lower()
        if key not in self.ids:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            self.ids[key] = f"<{kind}:{self.counts[kind]}>"
        return self.ids[key]

    def collect(self, value: Any, key: str | None = None) -> None:
        """First pass: number the ids in key order, so placeholders do not depend on where
        an id first shows up inside a string."""
        if isinstance(value, dict):
            for k in sorted(value):
                self.collect(value[k], k)
        elif isinstance(value, list):
            for v in value:
                self.collect(v, key)
        elif key in _ID_KEYS and isinstance(value, str) and value:
            self.id(value, _ID_KEYS[key])
        if key in _ID_KEYS and isinstance(value, dict) and isinstance(value.get("value"), str):
            self.id(value["value"], _ID_KEYS[key])  # a typed attribute: {"type", "value"}

    def string(self, text: str) -> str:
        for root, label in self.roots:
            text = text.replace(root, label)
        text = _DATETIME.sub("<datetime>", text)
        text = _UUID.sub(lambda m: self.id(m.group(), "id"), text)
        for key, placeholder in self.ids.items():
            if key in text:
                text = text.replace(key, placeholder)
        text = _ADDRESS.sub("0x<address>", text)
        text = _SDK_VERSION.sub(r"\1/<version>", text)
        text = _LOCAL_PORT.sub(r"\1:<port>", text)
        return _THREAD_NAME.sub(r"\1<n>", text)

    def value(self, value: Any, key: str | None = None, parent: str | None = None) -> Any:
        if (
            isinstance(value, dict)
            and "value" in value
            and (key in _VOLATILE_KEYS or key in _ID_KEYS)
        ):
            # a typed attribute (logs, spans v2): `{"type": "string", "value": …}`
            rest = {k: self.value(v, k, key) for k, v in value.items() if k != "value"}
            return {**rest, "value": self.value(value["value"], key, parent)}
        if key in _VOLATILE_KEYS and value is not None and not isinstance(value, dict | list):
            return _VOLATILE_KEYS[key]
        if key in ("modules", "sys.argv") and value:
            return _VOLATILE_KEYS[key]
        if key in _ID_KEYS and isinstance(value, str) and value:
            return self.id(value, _ID_KEYS[key])
        if parent == "contexts" and key in _MACHINE_CONTEXTS and isinstance(value, dict):
            return f"<{key}>"
        if parent in ("sdk", "packages") and key == "version" and isinstance(value, str):
            return "<version>"
        if parent == "sdk" and key == "integrations" and value:
            return "<integrations>"  # auto-enabled ones depend on what is installed
        if parent == "threads" and key == "id" and not isinstance(value, dict | list):
            return "<thread_id>"
        if isinstance(value, dict):
            return {k: self.value(v, k, key) for k, v in value.items()}
        if isinstance(value, list):
            # list elements have the list's key as their parent (`threads` → each thread), or
            # its owner's for `{"values": [...]}`
            owner = parent if key == "values" else key
            return [self._element(v, owner) for v in value]
        if isinstance(value, str):
            return self.string(value)
        return value

    def _element(self, value: Any, key: str | None) -> Any:
        if isinstance(value, dict):
            return {k: self.value(v, k, key) for k, v in value.items()}
        return self.value(value, None, key)


def normalize(value: Any, replacements: Mapping[str, str] | None = None) -> Any:
    """`value` (decoded JSON) with volatile parts replaced by placeholders.

    `replacements` maps extra strings to labels, e.g. a server's URL to `<devsentry>`; they
    are applied to every string, longest first, before the built-in rules.
    """
    normalizer = _Normalizer(replacements or {})
    normalizer.collect(value)
    return normalizer.value(value)


def dumps(value: Any) -> str:
    """The golden file's text: sorted keys and two-space indents, for readable diffs."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def check(path: Path, value: Any, *, update: bool = False, hint: str = "") -> None:
    """Compare normalized `value` with the golden file at `path`, or (`update`) rewrite it.

    A missing golden file is written and the check fails, so a new snapshot is always
    reviewed once instead of passing unseen in CI.
    """
    text = dumps(value)
    if update:
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        raise SnapshotMismatch(
            f"snapshot {path} did not exist: it has been written. Review it, commit it and "
            "run the test again."
        )
    golden = path.read_text(encoding="utf-8")
    if golden == text:
        return
    diff = list(
        difflib.unified_diff(
            golden.splitlines(),
            text.splitlines(),
            fromfile=f"{path.name} (golden)",
            tofile=f"{path.name} (this run)",
            lineterm="",
        )
    )
    shown = diff[:80] + ([f"… {len(diff) - 80} more diff lines"] if len(diff) > 80 else [])
    raise SnapshotMismatch(
        f"event does not match snapshot {path}:\n"
        + "\n".join(shown)
        + (f"\n{hint}" if hint else "")
    )
