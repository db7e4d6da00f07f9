"""Artifact bundles uploaded by `sentry-cli sourcemaps upload` (and Sentry's bundler plugins),
kept as files on disk beside the store so the source-map resolver finds them by debug ID.

Sentry's chunked upload (`src/sentry/api/endpoints/chunk.py`,
`src/sentry/api/endpoints/organization_artifactbundle_assemble.py`): the client asks for the
upload options, sends the bundle in SHA-1-named chunks, then asks to assemble the chunks
into a bundle, learning which chunks are still missing. A bundle is symbolic's source bundle
(`SYSB`, a version, then a zip) whose `manifest.json` lists each file with its `debug-id`.
Only files with a debug ID are kept, under `<root>/<debug id>/`, named by their base name.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path

import msgspec

__all__ = ["CHUNK_SIZE", "MAX_BUNDLE", "BundleError", "Bundles"]

CHUNK_SIZE = 8 * 1024 * 1024
MAX_BUNDLE = 512 * 1024 * 1024  # bytes of one assembled bundle at most
_SHA1 = re.compile(r"^[0-9a-f]{40}$")
_DEBUG_ID = re.compile(r"^[0-9a-fA-F-]{32,36}$")
_MAGIC = b"SYSB"


class BundleError(ValueError):
    """An upload that cannot be kept (a bad checksum, not a bundle); the message says why."""


class _Entry(msgspec.Struct):
    url: str = ""
    type: str = ""
    headers: dict[str, str] = {}


class _Manifest(msgspec.Struct):
    files: dict[str, _Entry] = {}


class Bundles:
    """The chunks and bundles of one store (`root` is created on first use)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._chunks = root / ".chunks"

    def add_chunk(self, checksum: str, data: bytes) -> None:
        if hashlib.sha1(data).hexdigest() != checksum:
            raise BundleError(f"chunk {checksum[:40]!r} does not match its SHA-1")
        self._chunks.mkdir(parents=True, exist_ok=True)
        (self._chunks / checksum).write_bytes(data)

    def missing(self, chunks: list[str]) -> list[str]:
        return [c for c in chunks if not _SHA1.match(c) or not (self._chunks / c).exists()]

    def assemble(self, checksum: str, chunks: list[str]) -> list[str]:
        """Unpack the bundle the chunks make; the debug IDs it held."""
        whole = hashlib.sha1()
        parts = []
        size = 0
        for chunk in chunks:
            data = (self._chunks / chunk).read_bytes()
            size += len(data)
            if size > MAX_BUNDLE:
                raise BundleError(f"bundle larger than {MAX_BUNDLE // 2**20} MiB")
            whole.update(data)
            parts.append(data)
        if whole.hexdigest() != checksum:
            raise BundleError("the chunks do not make the bundle's checksum")
        ids = self._unpack(b"".join(parts))
        for chunk in chunks:
            (self._chunks / chunk).unlink(missing_ok=True)
        return ids

    def _unpack(self, bundle: bytes) -> list[str]:
        if bundle[:4] == _MAGIC:
            bundle = bundle[8:]  # magic and a 32-bit version, then the zip
        try:
            archive = zipfile.ZipFile(io.BytesIO(bundle))
            manifest = msgspec.json.decode(archive.read("manifest.json"), type=_Manifest)
        except (zipfile.BadZipFile, KeyError, msgspec.DecodeError) as exc:
            raise BundleError(f"not an artifact bundle: {exc}") from None
        ids: set[str] = set()
        for name, entry in manifest.files.items():
            headers = {k.lower(): v for k, v in entry.headers.items()}
            debug_id = headers.get("debug-id", "")
            if not _DEBUG_ID.match(debug_id):
                continue
            base = Path(entry.url or name).name
            if not base or base in (".", ".."):
                continue
            folder = self.root / debug_id.lower()
            folder.mkdir(parents=True, exist_ok=True)
            try:
                if archive.getinfo(name).file_size > MAX_BUNDLE:
                    continue  # a zip bomb, or a file no map is
                data = archive.read(name)
            except (KeyError, zipfile.BadZipFile):
                continue
            (folder / base).write_bytes(data)
            ids.add(debug_id.lower())
        return sorted(ids)
