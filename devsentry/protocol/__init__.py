"""Wire facts, no I/O: envelope framing, bounded decompression, DSN and auth, legacy bodies.

The names below are imported on first use, so that importing one small module of this package
(`protocol.times`, `protocol.levels`) does not load the codecs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devsentry.protocol.compression import (
        DEFAULT_MAX_SIZE,
        ENCODINGS,
        decompress,
        normalize_encoding,
        sniff_encoding,
    )
    from devsentry.protocol.dsn import Auth, AuthError, Dsn, DsnError, auth_from_request
    from devsentry.protocol.envelope import (
        Envelope,
        EnvelopeError,
        EnvelopeTooLarge,
        Item,
        parse,
        serialize,
    )

_HOMES = {
    "DEFAULT_MAX_SIZE": "compression",
    "ENCODINGS": "compression",
    "decompress": "compression",
    "normalize_encoding": "compression",
    "sniff_encoding": "compression",
    "Auth": "dsn",
    "AuthError": "dsn",
    "Dsn": "dsn",
    "DsnError": "dsn",
    "auth_from_request": "dsn",
    "Envelope": "envelope",
    "EnvelopeError": "envelope",
    "EnvelopeTooLarge": "envelope",
    "Item": "envelope",
    "parse": "envelope",
    "serialize": "envelope",
}

__all__ = [
    "DEFAULT_MAX_SIZE",
    "ENCODINGS",
    "Auth",
    "AuthError",
    "Dsn",
    "DsnError",
    "Envelope",
    "EnvelopeError",
    "EnvelopeTooLarge",
    "Item",
    "auth_from_request",
    "decompress",
    "normalize_encoding",
    "parse",
    "serialize",
    "sniff_encoding",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
