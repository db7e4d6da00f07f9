"""Wire facts, no I/O: envelope framing, bounded decompression, DSN and auth, legacy bodies."""

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
