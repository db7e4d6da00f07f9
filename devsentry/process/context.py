"""Source context for frames that arrive without it (the SDK's option off, a frame it skipped):
the lines around the frame's line, read from its file when the path exists on this machine,
as the SDKs would have sent them. Only absolute paths of source files, only files up to
`MAX_SOURCE`, read once per version (mtime and size) and kept in a small cache, so a flood
of events without context costs a dictionary look-up per frame."""

from __future__ import annotations

import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

__all__ = ["CONTEXT_LINES", "MAX_SOURCE", "add_source_context"]

CONTEXT_LINES = 5
MAX_SOURCE = 2 * 1024 * 1024  # bytes: bigger files are generated, not written by hand
_LINE = 400  # characters of a line kept
_SUFFIXES = (".py", ".pyw", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")
_FILES = 64
_RECHECK = 2.0  # seconds before a file is stat()ed again
_files: OrderedDict[str, tuple[float, tuple[int, int] | None, list[str] | None]] = OrderedDict()


def add_source_context(data: dict[str, Any]) -> None:
    """Fill `pre_context`/`context_line`/`post_context` of each frame that has none and whose
    `abs_path` is a source file here."""
    for frames in _stacks(data):
        for frame in frames:
            if not isinstance(frame, dict) or frame.get("context_line") is not None:
                continue
            path, lineno = frame.get("abs_path"), frame.get("lineno")
            if not isinstance(path, str) or not isinstance(lineno, int) or lineno < 1:
                continue
            if not path.endswith(_SUFFIXES) or not Path(path).is_absolute():
                continue
            lines = _lines(path)
            if lines is None or lineno > len(lines):
                continue
            n = lineno - 1
            frame["pre_context"] = lines[max(0, n - CONTEXT_LINES) : n]
            frame["context_line"] = lines[n]
            frame["post_context"] = lines[n + 1 : n + 1 + CONTEXT_LINES]


def _stacks(data: dict[str, Any]) -> list[list[Any]]:
    holders: list[Any] = [data]
    for key in ("exception", "threads"):
        box = data.get(key)
        values = box.get("values") if isinstance(box, dict) else None
        if isinstance(values, list):
            holders += values
    found = []
    for holder in holders:
        stack = holder.get("stacktrace") if isinstance(holder, dict) else None
        frames = stack.get("frames") if isinstance(stack, dict) else None
        if isinstance(frames, list):
            found.append(frames)
    return found


def _lines(path: str) -> list[str] | None:
    now = time.monotonic()
    cached = _files.get(path)
    if cached is not None and now - cached[0] < _RECHECK:
        return cached[2]
    try:
        st = Path(path).stat()
        stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = None
    if cached is not None and cached[1] == stamp:
        lines = cached[2]
    else:
        lines = _read(path) if stamp is not None and stamp[1] <= MAX_SOURCE else None
    _files[path] = (now, stamp, lines)
    _files.move_to_end(path)
    while len(_files) > _FILES:
        _files.popitem(last=False)
    return lines


def _read(path: str) -> list[str] | None:
    try:
        with Path(path).open("rb") as f:
            raw = f.read(MAX_SOURCE + 1)
    except OSError:
        return None
    if b"\0" in raw[:8192]:
        return None  # not text
    text = raw.decode("utf-8", "replace")
    return [line[:_LINE] for line in text.splitlines()]
