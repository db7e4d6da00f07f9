"""`o`: the event's frames that point at files on this machine, and the editor command that
opens one at its line."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import msgspec

from devsentry.model import Event, Frame
from devsentry.process.crash import crash_frame, crash_stack

__all__ = ["LocalFrame", "editor_command", "local_frames"]

#: Editors that take `--goto FILE:LINE` rather than `+LINE FILE` (VS Code and its forks).
_GOTO = {"code", "code-insiders", "codium", "cursor", "windsurf"}


class LocalFrame(msgspec.Struct):
    """A frame whose file exists here."""

    path: Path
    line: int | None
    function: str | None
    crashed: bool  # the frame the issue is about (`process/crash.py` decides)


def _local_path(frame: Frame, root: Path) -> Path | None:
    for name in (frame.abs_path, frame.filename):
        if not name or "\x00" in name:
            continue
        path = Path(name)
        if not path.is_absolute():
            path = root / path
        try:
            if path.is_file():
                return path
        except OSError:  # a name too long or unreadable: not a file here
            continue
    return None


def local_frames(event: Event, root: Path | None = None) -> list[LocalFrame]:
    """The crash stack's frames whose file exists here (relative names under `root`, the
    working directory by default), newest first."""
    root = Path.cwd() if root is None else root
    crashed = crash_frame(event)
    out = []
    for frame in reversed(crash_stack(event)):
        if (path := _local_path(frame, root)) is not None:
            out.append(LocalFrame(path, frame.lineno, frame.function, frame is crashed))
    return out


def editor_command(frame: LocalFrame, editor: str | None = None) -> list[str]:
    """The command that opens `frame` at its line: `$VISUAL` or `$EDITOR` (vi without them),
    `+LINE FILE` for vi, nano, emacs and most others, `--goto FILE:LINE` for VS Code."""
    editor = editor or os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    argv = shlex.split(editor)
    if Path(argv[0]).name in _GOTO:
        where = f"{frame.path}:{frame.line}" if frame.line else str(frame.path)
        return [*argv, "--goto", where]
    return [*argv, *([f"+{frame.line}"] if frame.line else []), str(frame.path)]
