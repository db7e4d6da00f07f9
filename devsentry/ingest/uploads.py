"""The answers of Sentry's source-map upload API, so `sentry-cli sourcemaps upload --url
http://127.0.0.1:8969` (and Sentry's bundler plugins) upload here unchanged: the chunk-upload
options, chunks received, and artifact bundles assembled into `store.bundles`
(`src/sentry/api/endpoints/chunk.py`,
`src/sentry/api/endpoints/organization_artifactbundle_assemble.py`)."""

from __future__ import annotations

import re

import msgspec

from devsentry.ingest.routes import Reply, refused
from devsentry.store.bundles import CHUNK_SIZE, BundleError, Bundles

__all__ = [
    "ASSEMBLE",
    "CHUNK_UPLOAD",
    "MAX_REQUEST",
    "add_chunk",
    "assemble",
    "chunk_options",
    "match",
]

CHUNK_UPLOAD = re.compile(r"^/api/0/organizations/([^/]+)/chunk-upload/?$")
ASSEMBLE = re.compile(r"^/api/0/organizations/([^/]+)/artifactbundle/assemble/?$")
MAX_REQUEST = 32 * 1024 * 1024


class _Assemble(msgspec.Struct):
    checksum: str
    chunks: list[str] = []


def match(method: str, path: str) -> str | None:
    """`options`, `chunks` or `assemble` for an upload route, else None."""
    if CHUNK_UPLOAD.match(path):
        return "options" if method == "GET" else "chunks" if method == "POST" else None
    if ASSEMBLE.match(path) and method == "POST":
        return "assemble"
    return None


def chunk_options(chunk_url: str) -> Reply:
    """What the upload client may send: SHA-1 chunks, uncompressed, artifact bundles."""
    body = {
        "url": chunk_url,
        "chunkSize": CHUNK_SIZE,
        "chunksPerRequest": 4,
        "maxFileSize": 512 * 1024 * 1024,
        "maxRequestSize": MAX_REQUEST,
        "concurrency": 1,
        "hashAlgorithm": "sha1",
        "compression": [],
        "accept": ["artifact_bundles", "artifact_bundles_v2", "sources"],
    }
    return Reply(200, msgspec.json.encode(body))


def add_chunk(bundles: Bundles, checksum: str, data: bytes) -> Reply | None:
    """Keep one uploaded chunk; an answer only when it is refused."""
    try:
        bundles.add_chunk(checksum, data)
    except BundleError as exc:
        return refused(400, str(exc))
    return None


def assemble(bundles: Bundles, body: bytes) -> Reply:
    """`not_found` with the chunks still missing, else the bundle unpacked: `ok`."""
    try:
        request = msgspec.json.decode(body, type=_Assemble)
    except msgspec.DecodeError as exc:
        return refused(400, f"not an assemble request: {exc}")
    missing = bundles.missing(request.chunks)
    if missing or not request.chunks:
        answer = {"state": "not_found", "missingChunks": missing, "detail": None}
        return Reply(200, msgspec.json.encode(answer))
    try:
        bundles.assemble(request.checksum, request.chunks)
    except (BundleError, OSError) as exc:
        answer = {"state": "error", "missingChunks": [], "detail": str(exc)}
        return Reply(200, msgspec.json.encode(answer))
    return Reply(200, msgspec.json.encode({"state": "ok", "missingChunks": [], "detail": None}))
