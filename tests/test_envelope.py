"""The envelope codec: framing rules, byte-exact round trips, bounded decompression, errors."""

from __future__ import annotations

import gzip
import os
import zlib

import brotli
import pytest
import zstandard
from hypothesis import given
from hypothesis import strategies as st

from devsentry.model import envelope_json
from devsentry.protocol import (
    Envelope,
    EnvelopeError,
    EnvelopeTooLarge,
    Item,
    decompress,
    normalize_encoding,
    parse,
    serialize,
    sniff_encoding,
)

# Edge cases that the develop docs and Relay's tests call valid.
VALID = {
    "header only, newline": b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n',
    "header only, no newline": b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}',
    "two empty attachments": b'{}\n{"type":"attachment","length":0}\n\n{"type":"attachment","length":0}\n\n',
    "two empty attachments, no final newline": (
        b'{}\n{"type":"attachment","length":0}\n\n{"type":"attachment","length":0}\n'
    ),
    "payload ending in CRLF counts both bytes": (
        b'{}\n{"type":"attachment","length":7,"filename":"a.txt"}\nhello\r\n\n'
    ),
    "implicit length, newline": b'{}\n{"type":"session"}\n{"started":"2020-02-07T14:16:00Z"}\n',
    "implicit length, EOF": b'{}\n{"type":"session"}\n{"started":"2020-02-07T14:16:00Z"}',
    "js style": (
        b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","sent_at":"2024-01-01T00:00:00.000Z"}\n'
        b'{"type":"event"}\n{"message":"hi"}\n'
        b'{"type":"attachment","length":4,"filename":"b.bin"}\n\x00\n\xff\x01'
    ),
    "unknown type and header keys": (
        b'{"event_id":"ab","x-future":{"a":[1,2]}}\n'
        b'{"type":"hologram","length":3,"frobnicate":true}\nxyz\n'
    ),
    "binary with newlines": b'{}\n{"type":"attachment","length":5}\n\n\n\n\n\n\n',
    "unicode header": '{"release":"café@1.0 ☕"}\n{"type":"event","length":2}\n{}\n'.encode(),
}


@pytest.mark.parametrize("name", list(VALID))
def test_valid_envelopes_round_trip_byte_for_byte(name: str) -> None:
    data = VALID[name]
    assert serialize(parse(data)) == data


def test_framing_details() -> None:
    env = parse(VALID["payload ending in CRLF counts both bytes"])
    assert env.items[0].payload == b"hello\r\n"
    env = parse(VALID["js style"])
    assert [i.type for i in env.items] == ["event", "attachment"]
    assert env.items[1].payload == b"\x00\n\xff\x01"
    assert env.trailing_newline is False
    env = parse(VALID["two empty attachments"])
    assert [i.payload for i in env.items] == [b"", b""]
    env = parse(b'{}\n{"type":"attachment"}')  # an item header at EOF: empty payload
    assert env.items[0].payload == b""
    assert parse(serialize(env)) == env
    assert parse(VALID["header only, no newline"]).items == ()


def test_unknown_keys_and_types_are_kept() -> None:
    env = parse(VALID["unknown type and header keys"])
    assert env.header["x-future"] == {"a": [1, 2]}
    (item,) = env.items
    assert item.type == "hologram"
    assert item.header["frobnicate"] is True
    assert item.payload == b"xyz"


def test_envelope_header_accessors() -> None:
    env = parse(b'{"event_id":"9EC79C33-EC99-42AB-8353-589FCB2E04DC","dsn":"https://k@h/1"}\n')
    assert env.event_id == "9ec79c33ec9942ab8353589fcb2e04dc"
    assert env.dsn == "https://k@h/1"


def test_with_header_rewrites_only_what_changed() -> None:
    data = (
        b'{"event_id":"ab","dsn":"https://a@h/1","sent_at":"x"}\n{"type":"event","length":2}\n{}\n'
    )
    env = parse(data).with_header(dsn="https://b@h/2", sent_at=None)
    out = serialize(env)
    assert out == b'{"event_id":"ab","dsn":"https://b@h/2"}\n{"type":"event","length":2}\n{}\n'


def test_serialize_gives_newline_payloads_a_length() -> None:
    item = Item(header={"type": "attachment"}, payload=b"a\nb", raw_header=b'{"type":"attachment"}')
    env = Envelope.make([item])
    again = parse(serialize(env))
    assert again.items[0].payload == b"a\nb"


def test_item_payload_view() -> None:
    env = parse(VALID["js style"])
    assert envelope_json(env)["items"] == [
        {"header": {"type": "event"}, "payload": {"message": "hi"}},
        {
            "header": {"type": "attachment", "length": 4, "filename": "b.bin"},
            "payload": {"size": 4, "filename": "b.bin"},
        },
    ]


# -- malformed input: one error type, a message that says what and where ---------------------

MALFORMED = [
    ("empty", b"", "empty envelope", None),
    ("whitespace", b"  \n", "empty envelope", None),
    ("non-JSON header", b"not json\n", "envelope header is not valid JSON", None),
    ("header is a list", b"[1,2]\n", "envelope header is not a JSON object", None),
    ("bad item header", b'{}\n{"type":\n', "item header is not valid JSON", 0),
    ("item without type", b'{}\n{"length":0}\n\n', "item header has no string 'type'", 0),
    ("truncated payload", b'{}\n{"type":"event","length":10}\n{}\n', "payload truncated", 0),
    ("bad length", b'{}\n{"type":"event","length":"2"}\n{}\n', "item length is not an integer", 0),
    ("negative length", b'{}\n{"type":"event","length":-1}\n{}\n', "item length is negative", 0),
    (
        "garbage after payload",
        b'{}\n{"type":"event","length":2}\n{}\n{"type":"event","length":2}\n{}xx\n',
        "garbage after payload",
        1,
    ),
]


@pytest.mark.parametrize(
    ("name", "data", "message", "item"), MALFORMED, ids=[m[0] for m in MALFORMED]
)
def test_malformed_envelopes_raise_envelope_error(
    name: str, data: bytes, message: str, item: int | None
) -> None:
    with pytest.raises(EnvelopeError) as info:
        parse(data)
    assert message in str(info.value)
    assert info.value.item == item
    if item is not None:
        assert f"item {item}" in str(info.value)
        assert info.value.offset is not None and 0 < info.value.offset <= len(data)


def test_garbage_offset_points_at_the_garbage() -> None:
    data = b'{}\n{"type":"event","length":2}\n{}xx\n'
    with pytest.raises(EnvelopeError) as info:
        parse(data)
    assert info.value.offset == data.index(b"xx")


# -- Content-Encoding -----------------------------------------------------------------------

BODY = VALID["js style"] * 1
COMPRESSORS = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
    "zstd": zstandard.ZstdCompressor().compress,
}


@pytest.mark.parametrize("encoding", list(COMPRESSORS))
def test_decompress_each_encoding(encoding: str) -> None:
    assert decompress(COMPRESSORS[encoding](BODY), encoding) == BODY


@pytest.mark.parametrize("encoding", ["", None, "identity", "UTF-8", " GZIP "])
def test_identity_aliases_and_case(encoding: str | None) -> None:
    data = gzip.compress(BODY) if encoding == " GZIP " else BODY
    assert decompress(data, encoding) == BODY


def test_raw_deflate_without_zlib_wrapper() -> None:
    c = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw = c.compress(BODY) + c.flush()
    assert decompress(raw, "deflate") == BODY


def test_concatenated_gzip_members() -> None:
    assert decompress(gzip.compress(b"ab") + gzip.compress(b"cd"), "gzip") == b"abcd"


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_a_body_over_the_limit_once_decompressed_is_refused(encoding: str) -> None:
    body = COMPRESSORS[encoding](os.urandom(600_000) * 2)  # compresses about 2:1
    with pytest.raises(EnvelopeTooLarge, match=r"over the 976\.6 KiB limit once decompressed"):
        decompress(body, encoding, limit=1_000_000)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_compression_bomb_is_refused_without_expanding(encoding: str) -> None:
    bomb = COMPRESSORS[encoding](b"\0" * 200_000_000)
    assert len(bomb) < 300_000
    with pytest.raises(EnvelopeTooLarge, match=r"more than 64 times its size.*compression bomb"):
        decompress(bomb, encoding)


def test_a_body_that_compresses_well_but_stays_small_is_fine() -> None:
    logs = b'{"items": [' + b", ".join(b'{"body": "request served"}' for _ in range(20_000)) + b"]}"
    body = brotli.compress(logs)
    assert len(logs) / len(body) > 64  # far beyond the ratio, but only a few MiB
    assert decompress(body, "br") == logs


def test_identity_body_over_limit() -> None:
    with pytest.raises(EnvelopeError, match=r"over the 0\.0 KiB limit"):
        decompress(b"x" * 11, "identity", limit=10)


@pytest.mark.parametrize(
    ("encoding", "data", "message"),
    [
        ("gzip", b"definitely not gzip", "not valid gzip data"),
        ("br", b"\xff\xff\xff\xff not brotli", "not valid br data"),
        ("zstd", b"not zstd at all", "not valid zstd data"),
        ("deflate", b"\xff\xfe nope", "not valid deflate data"),
        ("gzip", gzip.compress(BODY)[:-12], "truncated"),
        ("br", brotli.compress(BODY * 50)[:-5], "truncated"),
        ("compress", b"x", "unsupported content encoding 'compress'"),
    ],
)
def test_wrong_encoding_is_a_clear_error(encoding: str, data: bytes, message: str) -> None:
    with pytest.raises(EnvelopeError, match=message):
        decompress(data, encoding)


def test_normalize_encoding() -> None:
    assert normalize_encoding("X-GZIP") == "gzip"
    assert normalize_encoding(None) == "identity"


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_sniff_encoding(encoding: str) -> None:
    assert sniff_encoding(COMPRESSORS[encoding](BODY)) == encoding
    assert sniff_encoding(BODY) == "identity"


# -- properties -----------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
header_dicts = st.dictionaries(st.text(max_size=10), json_values, max_size=4)


@st.composite
def items(draw: st.DrawFn) -> Item:
    kind = draw(st.sampled_from(["event", "attachment", "log", "made_up"]))
    extra = draw(header_dicts)
    extra = {k: v for k, v in extra.items() if k not in ("type", "length")}
    payload = draw(st.binary(max_size=64))
    if draw(st.booleans()) and b"\n" not in payload:
        # newline framing, as sentry-javascript writes it
        return Item.make(kind, payload, **extra).with_header(length=None)
    return Item.make(kind, payload, **extra)


@st.composite
def envelopes(draw: st.DrawFn) -> Envelope:
    env = Envelope.make(draw(st.lists(items(), max_size=5)), **draw(header_dicts))
    return Envelope(env.header, env.items, env.raw_header, draw(st.booleans()))


@given(envelopes())
def test_parse_serialize_round_trip(env: Envelope) -> None:
    assert parse(serialize(env)) == env


@given(envelopes())
def test_serialize_parse_serialize_is_stable(env: Envelope) -> None:
    data = serialize(env)
    assert serialize(parse(data)) == data


@given(st.binary(max_size=200))
def test_arbitrary_bytes_parse_or_raise_envelope_error(data: bytes) -> None:
    try:
        env = parse(data)
    except EnvelopeError:
        return
    assert isinstance(env, Envelope)
