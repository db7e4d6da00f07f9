"""Content-Encoding: the compressions SDKs use, undone with a bound on what comes out.

Relay accepts gzip (and x-gzip), deflate, br and zstd, and ignores an empty value or `UTF-8`
(`relay-server/src/middlewares/decompression.rs`; develop.sentry.dev/sdk/foundations/
transport/compression/). Every size limit counts decompressed bytes, so the bound is applied
while decompressing: a compression bomb costs at most `limit` bytes before it is refused.
"""

from __future__ import annotations

import zlib

import brotli
import zstandard

from devsentry.protocol.envelope import EnvelopeError, EnvelopeTooLarge
from devsentry.protocol.limits import DEFAULT_MAX_SIZE, MIB

__all__ = ["DEFAULT_MAX_SIZE", "ENCODINGS", "decompress", "normalize_encoding", "sniff_encoding"]

#: Content-Encoding values understood, after normalisation (see `decompress`).
ENCODINGS = ("identity", "gzip", "deflate", "br", "zstd")

_ALIASES = {
    "": "identity",
    "identity": "identity",
    "utf-8": "identity",  # old sentry-java sent this; Relay ignores it
    "gzip": "gzip",
    "x-gzip": "gzip",
    "deflate": "deflate",
    "br": "br",
    "zstd": "zstd",
}


def normalize_encoding(encoding: str | None) -> str:
    """Map a Content-Encoding header value to one of `ENCODINGS` or raise `EnvelopeError`."""
    key = (encoding or "").strip().lower()
    try:
        return _ALIASES[key]
    except KeyError:
        known = ", ".join(ENCODINGS)
        raise EnvelopeError(f"unsupported content encoding {encoding!r} (known: {known})") from None


def sniff_encoding(data: bytes) -> str:
    """Guess the compression of a file from its magic bytes (for `.envelope.gz` and friends)."""
    if data.startswith(b"\x1f\x8b"):
        return "gzip"
    if data.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    if data.lstrip().startswith(b"{"):
        return "identity"
    if len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0:
        return "deflate"
    # Brotli has no magic number: try it last, bounded like everything else.
    try:
        _brotli(data[:65536], DEFAULT_MAX_SIZE, partial_ok=True)
    except EnvelopeError:
        return "identity"
    return "br"


#: A body may expand this many times its own size once it has expanded to `BOMB_FLOOR`.
#: Real envelopes compress 2-6 times (the recorded sentry-python fixtures), repetitive log
#: batches about 60; a deflate bomb reaches 1,000 and brotli far more. Relay bounds only the
#: decompressed size, but decompressing 200 MiB takes Python a second or two: this bound keeps
#: refusing a bomb well under a second per megabyte sent.
BOMB_RATIO = 64
BOMB_FLOOR = 8 * MIB


def decompress(body: bytes, encoding: str | None, *, limit: int = DEFAULT_MAX_SIZE) -> bytes:
    """Undo a Content-Encoding, refusing to produce more than `limit` bytes, or more than
    `BOMB_RATIO` times the body beyond `BOMB_FLOOR`.

    The bound is enforced while decompressing, so a compression bomb costs at most that many
    bytes of memory and time before it is refused.
    """
    name = normalize_encoding(encoding)
    if name == "identity":
        if len(body) > limit:
            raise EnvelopeTooLarge(f"the envelope is over the {_size(limit)} limit")
        return body
    bound = min(limit, max(BOMB_FLOOR, BOMB_RATIO * len(body)))
    try:
        if name == "br":
            return _brotli(body, bound)
        if name == "zstd":
            return _zstd(body, bound)
        wbits = 16 + zlib.MAX_WBITS if name == "gzip" else zlib.MAX_WBITS
        return _zlib(body, bound, wbits, name)
    except _TooBig:
        if bound < limit:
            raise EnvelopeTooLarge(
                f"the {_size(len(body))} {name} body expands to more than {BOMB_RATIO} times "
                f"its size (over {_size(bound)}): refused as a compression bomb"
            ) from None
        raise EnvelopeTooLarge(
            f"the envelope is over the {_size(limit)} limit once decompressed"
        ) from None


def _size(n: int) -> str:
    return f"{n / MIB:,.1f} MiB" if n >= MIB else f"{n / 1024:,.1f} KiB"


class _TooBig(EnvelopeTooLarge):
    """The output passed the bound (turned into `EnvelopeTooLarge` with the reason)."""


def _too_big(limit: int) -> Exception:
    return _TooBig(f"over {limit} bytes")


def _zlib(body: bytes, limit: int, wbits: int, name: str) -> bytes:
    if name == "gzip" and not body.startswith(b"\x1f\x8b"):
        raise EnvelopeError(
            "body is not valid gzip data: it does not start with gzip's magic bytes"
        )
    out = bytearray()
    data = body
    try:
        while data:
            d = zlib.decompressobj(wbits)
            out += d.decompress(data, limit + 1 - len(out))
            while d.unconsumed_tail and len(out) <= limit:
                out += d.decompress(d.unconsumed_tail, limit + 1 - len(out))
            if len(out) > limit:
                raise _too_big(limit)
            if not d.eof:
                raise EnvelopeError(f"{name} stream is truncated")
            data = d.unused_data  # gzip allows several members back to back
            if name != "gzip" or not data.strip(b"\x00"):
                break
    except zlib.error as exc:
        if name == "deflate" and not out:
            try:  # some clients send raw deflate without the zlib wrapper
                return _zlib_raw(body, limit)
            except zlib.error:
                pass
        raise EnvelopeError(f"body is not valid {name} data: {exc}") from None
    return bytes(out)


def _zlib_raw(body: bytes, limit: int) -> bytes:
    d = zlib.decompressobj(-zlib.MAX_WBITS)
    out = d.decompress(body, limit + 1)
    if len(out) > limit:
        raise _too_big(limit)
    return out


#: Brotli 1.2 can cap each call's output; 1.1 (what mitmproxy 11 pins on Python 3.11) cannot.
_BROTLI_CAPS_OUTPUT = hasattr(brotli.Decompressor(), "can_accept_more_data")
#: Most output one input byte can produce: a brotli meta-block holds at most 16 MiB, and a
#: byte can close at most two. Without an output cap, input is fed in slices this keeps safe.
_BROTLI_MAX_PER_BYTE = 32 * 1024 * 1024


def _brotli(body: bytes, limit: int, partial_ok: bool = False) -> bytes:
    d = brotli.Decompressor()
    out = bytearray()
    view = memoryview(body)
    start = 0
    try:
        while start < len(body):
            if _BROTLI_CAPS_OUTPUT:
                step = 65536
                out += d.process(
                    bytes(view[start : start + step]), output_buffer_limit=limit + 1 - len(out)
                )
                while len(out) <= limit and not d.can_accept_more_data():
                    out += d.process(b"", output_buffer_limit=limit + 1 - len(out))
            else:  # feed only as much as cannot overshoot the limit by more than one slice
                step = min(max((limit - len(out)) // _BROTLI_MAX_PER_BYTE, 1), 65536)
                out += d.process(bytes(view[start : start + step]))
            start += step
            if len(out) > limit:
                raise _too_big(limit)
    except brotli.error as exc:
        raise EnvelopeError(f"body is not valid br data: {exc}") from None
    if not d.is_finished() and not partial_ok:
        raise EnvelopeError("br stream is truncated")
    return bytes(out)


def _zstd(body: bytes, limit: int) -> bytes:
    out = bytearray()
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(body, read_across_frames=True)
        with reader:
            while chunk := reader.read(65536):
                out += chunk
                if len(out) > limit:
                    raise _too_big(limit)
    except zstandard.ZstdError as exc:
        raise EnvelopeError(f"body is not valid zstd data: {exc}") from None
    return bytes(out)
