"""Maps on this machine: the build directories given with `--sourcemaps DIR`, indexed by the
debug IDs their bundles carry (`//# debugId=…`, as `sentry-cli sourcemaps inject` and Sentry's
bundler plugins write it, or the map's own `debug_id`), and files read from disk for Node
frames. Runs in a worker thread (`Resolver`), never on the loop."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from devsentry.process.sourcemaps.locate import mapping_comments, resolve_map_url

__all__ = ["MAX_LOCAL", "DebugIdIndex", "id_key", "read_local"]

MAX_LOCAL = 64 * 1024 * 1024  # bytes read of one local file at most
_GENERATED = (".js", ".mjs", ".cjs")
_SKIP_DIRS = frozenset({"node_modules", ".git", ".cache", ".chunks"})
_RESCAN_EVERY = 1.0  # seconds: an unknown debug ID rescans the directories at most this often
_MAP_DEBUG_ID = re.compile(rb'"debug_?[iI]d"\s*:\s*"([0-9a-fA-F-]{32,36})"')


def id_key(debug_id: str) -> str:
    """A debug ID as compared: lower case, without hyphens (SDKs and tools differ)."""
    return debug_id.lower().replace("-", "")


def read_local(path: str) -> bytes | None:
    """A local file's bytes, or None when it is missing, not a file or too large."""
    try:
        with Path(path).open("rb") as f:
            if os.fstat(f.fileno()).st_size > MAX_LOCAL:
                return None
            return f.read()
    except (OSError, ValueError):
        return None


class DebugIdIndex:
    """debug ID → (generated file, map file) over the `--sourcemaps` directories; rescanned
    when an ID is unknown (a rebuild wrote new bundles), reading only files that changed."""

    def __init__(self, dirs: tuple[Path, ...]) -> None:
        self.dirs = dirs
        self._ids: dict[str, tuple[str | None, str]] = {}
        self._seen: dict[str, tuple[float, int, str | None]] = {}  # path → mtime, size, id
        self._scanned = 0.0

    def add(self, debug_id: str, generated: str | None, map_path: str) -> None:
        """An uploaded bundle's map (`sentry-cli sourcemaps upload`)."""
        self._ids[id_key(debug_id)] = (generated, map_path)

    def find(self, debug_id: str) -> tuple[str | None, str] | None:
        key = id_key(debug_id)
        found = self._ids.get(key)
        if found is None and self.dirs and time.monotonic() - self._scanned >= _RESCAN_EVERY:
            self.scan()
            found = self._ids.get(key)
        return found

    def scan(self) -> None:
        self._scanned = time.monotonic()
        for root in self.dirs:
            for folder, subdirs, files in os.walk(root):
                subdirs[:] = [d for d in subdirs if d not in _SKIP_DIRS]
                for name in files:
                    if name.endswith(_GENERATED):
                        self._look_at(str(Path(folder, name)), name)
                    elif name.endswith(".map"):
                        self._look_at_map(str(Path(folder, name)))

    def _changed(self, path: str) -> tuple[float, int] | None:
        try:
            st = Path(path).stat()
        except OSError:
            return None
        seen = self._seen.get(path)
        if seen is not None and seen[:2] == (st.st_mtime, st.st_size):
            return None
        return st.st_mtime, st.st_size

    def _look_at(self, path: str, name: str) -> None:
        changed = self._changed(path)
        if changed is None:
            return
        try:
            with Path(path).open("rb") as f:
                f.seek(max(0, changed[1] - 4096))
                tail = f.read().decode("utf-8", "replace")
        except OSError:
            return
        url, debug_id = mapping_comments(tail)
        self._seen[path] = (*changed, debug_id)
        if debug_id is None:
            return
        if url is not None and not url.startswith("data:"):
            map_path = resolve_map_url(path, url)
        else:
            map_path = path + ".map" if url is None else path
        self._ids[id_key(debug_id)] = (path, map_path)

    def _look_at_map(self, path: str) -> None:
        """A map with its own debug ID (a map shipped without its bundle)."""
        changed = self._changed(path)
        if changed is None:
            return
        try:
            with Path(path).open("rb") as f:
                head = f.read(2048)
                f.seek(max(0, changed[1] - 2048))
                tail = f.read()
        except OSError:
            return
        match = _MAP_DEBUG_ID.search(tail) or _MAP_DEBUG_ID.search(head)
        debug_id = match.group(1).decode().lower() if match else None
        self._seen[path] = (*changed, debug_id)
        if debug_id is not None and id_key(debug_id) not in self._ids:
            generated = path.removesuffix(".map")
            self._ids[id_key(debug_id)] = (generated if Path(generated).exists() else None, path)
