"""Writing what the store kept into files people asked for, never outside the directory.

`show --save-attachments` and `rejected --save` share this: a name that stays in its directory,
and a new file each time — an existing file is never overwritten and a planted symlink is never
followed (`O_CREAT | O_EXCL` refuses both; `O_NOFOLLOW` as well where the system has it).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import msgspec

from devsentry.browse.errors import BrowseError

__all__ = ["SavedFile", "safe_filename", "save_new", "saving_dir"]

_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f:*?\"<>|]")
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_TRIES = 1000


class SavedFile(msgspec.Struct):
    path: Path
    size: int


def safe_filename(name: str | None, fallback: str) -> str:
    """A file name that stays in its directory: no separators, no `..`, no control bytes."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE_CHARS.sub("_", base).strip().lstrip(".")
    return base[:200] or fallback


def saving_dir(directory: Path) -> Path:
    """`directory`, created if needed, as the resolved root every file is checked against."""
    directory.mkdir(parents=True, exist_ok=True)
    return directory.resolve()


def save_new(root: Path, name: str, data: bytes) -> SavedFile:
    """Write `data` to a new file `name` in `root` (from `saving_dir`); a clash gets `-1`,
    `-2`… before the extension."""
    stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
    for n in range(_TRIES):
        candidate = root / (name if n == 0 else f"{stem}-{n}{dot}{ext}")
        if candidate.parent != root:  # cannot happen after safe_filename; belt and braces
            raise BrowseError(f"refusing to write {candidate} outside {root}")
        try:
            fd = os.open(candidate, _NEW_FILE, 0o644)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        return SavedFile(candidate, len(data))
    raise BrowseError(f"could not find a free file name for {name} in {root}")
