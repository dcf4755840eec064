"""The ``application/vnd.amazon.eventstream`` codec.

Three independent references check it: botocore's own test vectors, vendored in ``vectors/``
(see its README for the source), a frame builder written here from the wire description
(prelude, headers, payload, CRC32s), and botocore's own decoder.
"""

from __future__ import annotations

import json
import re
import struct
import uuid
from pathlib import Path
from typing import Any
from zlib import crc32

import botocore.eventstream
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_vcr import errors
from bedrock_vcr.wire.eventstream import (
    MAX_HEADERS_LENGTH,
    MAX_PAYLOAD_LENGTH,
    TYPES_BY_NAME,
    Header,
    HeaderType,
    Message,
    MessageDecoder,
    decode_message,
    decode_stream,
    encode_headers,
    encode_message,
)

VECTORS_FILE = Path(__file__).parent / "vectors" / "botocore_eventstream_vectors.json"


def _vector_params(kind: str) -> list[Any]:
    data = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
    return [pytest.param(v, id=v["name"]) for v in data[kind]]


POSITIVE = _vector_params("positive")
NEGATIVE = _vector_params("negative")


# --- an independent frame builder, written from the wire description -----------------------


def frame(raw_headers: bytes, payload: bytes = b"", *, total: int | None = None) -> bytes:
    """Build a frame with correct CRCs around arbitrary header bytes (valid or not)."""
    total = 12 + len(raw_headers) + len(payload) + 4 if total is None else total
    prelude = struct.pack(">II", total, len(raw_headers))
    prelude += struct.pack(">I", crc32(prelude))
    body = prelude + raw_headers + payload
    return body + struct.pack(">I", crc32(body))


def raw_header(name: str, type_code: int, value: bytes = b"") -> bytes:
    encoded = name.encode("utf-8")
    return bytes([len(encoded)]) + encoded + bytes([type_code]) + value


# --- botocore's test vectors ----------------------------------------------------------------


def vector_headers(expected: dict[str, Any]) -> dict[str, Header]:
    """The vector's decoded headers with their wire types, in wire order."""
    out = {}
    for name, type_name in expected["header_wire_types"]:
        value = expected["headers"][name]
        if isinstance(value, dict):
            value = bytes.fromhex(value["bytes_hex"])
        out[name] = Header(TYPES_BY_NAME[type_name], value)
    return out


def vector_bytes(vector: dict[str, Any]) -> bytes:
    """The vector's frame; the oversized one is stored as a recipe and rebuilt here."""
    recipe = vector.get("encoded_recipe")
    if recipe is None:
        return bytes.fromhex(vector["encoded_hex"])
    described = re.search(r"\(0x([0-9a-fA-F]{2})\) repeated (\d+) times", recipe["payload"])
    assert described, f"unreadable recipe: {recipe['payload']!r}"
    payload = bytes.fromhex(described.group(1)) * int(described.group(2))
    data = bytes.fromhex(recipe["prelude_hex"]) + payload + bytes.fromhex(recipe["message_crc_hex"])
    assert len(data) == vector["encoded_total_bytes"]
    return data


@pytest.mark.skipif(not VECTORS_FILE.is_file(), reason=f"{VECTORS_FILE} not found")
def test_vector_file_holds_nine_valid_and_seven_invalid_frames() -> None:
    data = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
    assert (len(data["positive"]), len(data["negative"])) == (9, 7)


@pytest.mark.parametrize("vector", POSITIVE)
def test_encoding_a_valid_vector_from_its_decoded_form_gives_the_exact_bytes(
    vector: dict[str, Any],
) -> None:
    expected = vector["expected"]
    encoded = encode_message(vector_headers(expected), bytes.fromhex(expected["payload_hex"]))
    assert encoded.hex() == vector["encoded_hex"]
    total, headers_length, prelude_crc = struct.unpack_from(">III", encoded)
    (message_crc,) = struct.unpack_from(">I", encoded, len(encoded) - 4)
    assert (total, headers_length, prelude_crc, message_crc) == (
        expected["total_length"],
        expected["headers_length"],
        expected["prelude_crc"],
        expected["message_crc"],
    )


@pytest.mark.parametrize("vector", POSITIVE)
def test_decoding_a_valid_vector_gives_its_headers_types_and_payload(
    vector: dict[str, Any],
) -> None:
    expected = vector["expected"]
    message = decode_message(bytes.fromhex(vector["encoded_hex"]))
    assert message.headers == vector_headers(expected)
    assert list(message.headers) == [name for name, _ in expected["header_wire_types"]]
    assert message.payload.hex() == expected["payload_hex"]


@pytest.mark.parametrize("vector", POSITIVE)
@pytest.mark.parametrize("part", ["prelude", "message"])
def test_decoder_computes_the_vectors_crcs(vector: dict[str, Any], part: str) -> None:
    """Overwrite a stored CRC: the error names the bogus value and the vector's true CRC."""
    expected = vector["expected"]
    data = bytearray.fromhex(vector["encoded_hex"])
    where = 8 if part == "prelude" else len(data) - 4
    true_crc = expected[f"{part}_crc"]
    data[where : where + 4] = struct.pack(">I", true_crc ^ 0xFFFFFFFF)
    with pytest.raises(errors.ChecksumMismatch, match=f"0x{true_crc:08x}") as caught:
        decode_stream(bytes(data))
    assert (caught.value.part, caught.value.calculated) == (part, true_crc)
    assert caught.value.expected == true_crc ^ 0xFFFFFFFF


@pytest.mark.parametrize("vector", NEGATIVE)
def test_invalid_vector_is_rejected_with_its_specific_error(vector: dict[str, Any]) -> None:
    data = vector_bytes(vector)
    error_class = getattr(errors, vector["expected_error"])
    with pytest.raises(error_class):
        decode_stream(data)
    # botocore's decoder, an independent reader, classifies the frame the same way.
    reader = botocore.eventstream.EventStreamBuffer()
    reader.add_data(data)
    with pytest.raises(getattr(botocore.eventstream, vector["expected_error"])):
        list(reader)


@pytest.mark.parametrize("vector", NEGATIVE)
def test_invalid_vector_error_carries_the_numbers(vector: dict[str, Any]) -> None:
    data = vector_bytes(vector)
    total, headers_length, prelude_crc = struct.unpack_from(">III", data)
    with pytest.raises(errors.EventStreamError) as caught:
        decode_stream(data)
    exc = caught.value
    text = str(exc)
    # Frame-level errors point at the frame; a duplicate header at its second occurrence.
    offset = data.rindex(b"\x04test") if isinstance(exc, errors.DuplicateHeader) else 0
    assert exc.offset == offset and f"at byte {offset} of the stream" in text
    if isinstance(exc, errors.ChecksumMismatch):
        if exc.part == "prelude":
            assert (exc.expected, exc.calculated) == (prelude_crc, crc32(data[:8]))
        else:
            assert exc.expected == struct.unpack_from(">I", data, len(data) - 4)[0]
            assert exc.calculated == crc32(data[:-4])
        assert f"0x{exc.expected:08x}" in text and f"0x{exc.calculated:08x}" in text
    elif isinstance(exc, errors.InvalidHeadersLength):
        assert exc.length == headers_length and str(headers_length) in text
    elif isinstance(exc, errors.InvalidPayloadLength):
        assert exc.length == total - headers_length - 16 and str(exc.length) in text
    else:
        assert isinstance(exc, errors.DuplicateHeader)
        assert exc.name == "test" and "'test'" in text


# --- header types: known answers written from the wire description ---------------------------

UUID_TEXT = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

HEADER_WIRE_CASES = [
    ("bool_true", Header(HeaderType.BOOL_TRUE, True), b"\x00"),
    ("bool_false", Header(HeaderType.BOOL_FALSE, False), b"\x01"),
    ("byte_min", Header(HeaderType.BYTE, -128), b"\x02\x80"),
    ("byte_max", Header(HeaderType.BYTE, 127), b"\x02\x7f"),
    ("short_min", Header(HeaderType.SHORT, -(2**15)), b"\x03\x80\x00"),
    ("short_max", Header(HeaderType.SHORT, 2**15 - 1), b"\x03\x7f\xff"),
    ("integer_min", Header(HeaderType.INTEGER, -(2**31)), b"\x04\x80\x00\x00\x00"),
    ("integer_one", Header(HeaderType.INTEGER, 1), b"\x04\x00\x00\x00\x01"),
    ("long_min", Header(HeaderType.LONG, -(2**63)), b"\x05\x80" + b"\x00" * 7),
    ("long_max", Header(HeaderType.LONG, 2**63 - 1), b"\x05\x7f" + b"\xff" * 7),
    ("byte_array_empty", Header(HeaderType.BYTE_ARRAY, b""), b"\x06\x00\x00"),
    ("byte_array", Header(HeaderType.BYTE_ARRAY, b"\x00\xff"), b"\x06\x00\x02\x00\xff"),
    ("string_utf8", Header(HeaderType.STRING, "é€"), b"\x07\x00\x05" + "é€".encode()),
    (
        "string_max_length",
        Header(HeaderType.STRING, "x" * 65535),
        b"\x07\xff\xff" + b"x" * 65535,
    ),
    (
        "timestamp_ms",
        Header(HeaderType.TIMESTAMP, 1_700_000_000_123),
        b"\x08" + (1_700_000_000_123).to_bytes(8, "big"),
    ),
    (
        "uuid",
        Header(HeaderType.UUID, uuid.UUID(UUID_TEXT).bytes),
        b"\x09" + uuid.UUID(UUID_TEXT).bytes,
    ),
]


@pytest.mark.parametrize(
    ("header", "wire"), [c[1:] for c in HEADER_WIRE_CASES], ids=[c[0] for c in HEADER_WIRE_CASES]
)
def test_header_encodes_to_its_wire_form_and_back(header: Header, wire: bytes) -> None:
    assert encode_headers({"h": header}) == b"\x01h" + wire
    encoded = encode_message({"h": header}, b"payload")
    assert encoded == frame(b"\x01h" + wire, b"payload")
    assert decode_message(encoded).headers == {"h": header}


def test_every_header_type_has_a_wire_case() -> None:
    assert {case[1].type for case in HEADER_WIRE_CASES} == set(HeaderType)


def test_uuid_object_and_its_bytes_encode_alike() -> None:
    value = uuid.UUID(UUID_TEXT)
    assert encode_headers({"id": Header(HeaderType.UUID, value)}) == encode_headers(
        {"id": Header(HeaderType.UUID, value.bytes)}
    )


INFER_CASES = [
    ("true", True, Header(HeaderType.BOOL_TRUE, True)),
    ("false", False, Header(HeaderType.BOOL_FALSE, False)),
    ("str", "chunk", Header(HeaderType.STRING, "chunk")),
    ("bytes", b"\x01", Header(HeaderType.BYTE_ARRAY, b"\x01")),
    ("bytearray", bytearray(b"\x01"), Header(HeaderType.BYTE_ARRAY, b"\x01")),
    ("uuid", uuid.UUID(UUID_TEXT), Header(HeaderType.UUID, uuid.UUID(UUID_TEXT).bytes)),
    ("int_fits_integer", 2**31 - 1, Header(HeaderType.INTEGER, 2**31 - 1)),
    ("negative_integer", -(2**31), Header(HeaderType.INTEGER, -(2**31))),
    ("int_needs_long", 2**31, Header(HeaderType.LONG, 2**31)),
    ("header_kept", Header(HeaderType.SHORT, 5), Header(HeaderType.SHORT, 5)),
]


@pytest.mark.parametrize(
    ("value", "expected"), [c[1:] for c in INFER_CASES], ids=[c[0] for c in INFER_CASES]
)
def test_plain_values_get_a_wire_type(value: Any, expected: Header) -> None:
    assert Header.infer(value) == expected


BAD_HEADER_CASES = [
    ("byte_overflow", "h", Header(HeaderType.BYTE, 128), "value 128 does not fit BYTE"),
    ("short_overflow", "h", Header(HeaderType.SHORT, 2**15), "does not fit SHORT"),
    ("integer_overflow", "h", Header(HeaderType.INTEGER, 2**31), "does not fit INTEGER"),
    ("long_overflow", "h", Header(HeaderType.LONG, 2**63), "does not fit LONG"),
    ("string_too_long", "h", Header(HeaderType.STRING, "x" * 65536), "65536 bytes \\(max 65535\\)"),
    ("uuid_wrong_size", "h", Header(HeaderType.UUID, b"short"), "uuid must be 16 bytes, got 5"),
    ("empty_name", "", Header(HeaderType.BOOL_TRUE, True), "must be 1 to 255 bytes"),
    ("name_too_long", "n" * 256, Header(HeaderType.BOOL_TRUE, True), "must be 1 to 255 bytes"),
    ("float_value", "h", 1.5, "cannot encode a header value of type float"),
]


@pytest.mark.parametrize(
    ("name", "header", "message"),
    [c[1:] for c in BAD_HEADER_CASES],
    ids=[c[0] for c in BAD_HEADER_CASES],
)
def test_unencodable_header_is_refused(name: str, header: Any, message: str) -> None:
    with pytest.raises(errors.InvalidHeader, match=message):
        encode_message({name: header})


def test_encoder_refuses_a_payload_over_the_limit() -> None:
    with pytest.raises(errors.InvalidPayloadLength, match=f"{MAX_PAYLOAD_LENGTH + 1}"):
        encode_message({}, b"0" * (MAX_PAYLOAD_LENGTH + 1))


def test_encoder_refuses_headers_over_the_limit() -> None:
    headers = {f"h{i}": "x" * 60_000 for i in range(3)}
    length = len(encode_headers(headers))
    assert length > MAX_HEADERS_LENGTH
    with pytest.raises(errors.InvalidHeadersLength, match=f"headers length {length} exceeds"):
        encode_message(headers)


# --- decoding errors ------------------------------------------------------------------------

BAD_HEADER_BYTES = [
    ("unknown_type_code", raw_header("h", 10), errors.InvalidHeader, "unknown type code 10"),
    ("name_cut", b"\x05ab", errors.InvalidHeader, "ends inside a header"),
    ("value_cut", raw_header("h", 4, b"\x00\x01"), errors.InvalidHeader, "ends inside a header"),
    (
        "string_length_beyond_section",
        raw_header("h", 7, b"\x00\x09abc"),
        errors.InvalidHeader,
        "ends inside a header",
    ),
    ("string_not_utf8", raw_header("h", 7, b"\x00\x01\xff"), errors.InvalidHeader, "not UTF-8"),
    (
        "duplicate_of_another_type",
        raw_header("h", 0) + raw_header("h", 2, b"\x01"),
        errors.DuplicateHeader,
        "header 'h' appears more than once",
    ),
]


@pytest.mark.parametrize(
    ("raw", "error", "message"),
    [c[1:] for c in BAD_HEADER_BYTES],
    ids=[c[0] for c in BAD_HEADER_BYTES],
)
def test_malformed_headers_are_rejected(raw: bytes, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        decode_stream(frame(raw))


def test_total_length_shorter_than_its_parts_is_rejected() -> None:
    with pytest.raises(errors.EventStreamError):
        decode_stream(frame(raw_header("h", 0), total=12))


def test_checksum_error_names_both_crcs_and_the_frame_offset() -> None:
    first = encode_message({":event-type": "chunk"}, b'{"a":1}')
    second = bytearray(encode_message({":event-type": "chunk"}, b'{"a":2}'))
    stored = struct.unpack_from(">I", second, len(second) - 4)[0]
    second[-6] ^= 0x01  # flip one payload bit
    calculated = crc32(bytes(second[:-4]))
    pattern = (
        f"message CRC mismatch: frame says 0x{stored:08x}, calculated 0x{calculated:08x}.*"
        f"at byte {len(first)} of the stream"
    )
    with pytest.raises(errors.ChecksumMismatch, match=pattern) as caught:
        decode_stream(first + bytes(second))
    assert caught.value.offset == len(first)


def two_frames() -> tuple[bytes, bytes]:
    return (
        encode_message({":message-type": "event"}, b"first"),
        encode_message({":message-type": "event", "n": Header(HeaderType.LONG, 2)}, b"second"),
    )


@pytest.mark.parametrize("cut", ["inside_prelude", "inside_headers", "before_crc", "one_short"])
def test_truncated_frame_is_reported_with_sizes_and_offset(cut: str) -> None:
    first, second = two_frames()
    keep = {"inside_prelude": 5, "inside_headers": 20, "before_crc": len(second) - 4}.get(
        cut, len(second) - 1
    )
    need = 12 if keep < 12 else len(second)
    with pytest.raises(
        errors.TruncatedFrame,
        match=rf"{keep} bytes left, the frame needs {need} \(at byte {len(first)} of the stream\)",
    ) as caught:
        decode_stream(first + second[:keep])
    assert (caught.value.have, caught.value.need, caught.value.offset) == (keep, need, len(first))


def test_every_cut_of_a_stream_is_truncated_and_never_silently_shorter() -> None:
    first, second = two_frames()
    data = first + second
    for end in range(1, len(data)):
        if end == len(first):
            assert len(decode_stream(data[:end])) == 1
            continue
        with pytest.raises(errors.TruncatedFrame):
            decode_stream(data[:end])


def test_decode_message_wants_exactly_one_frame() -> None:
    first, second = two_frames()
    with pytest.raises(errors.TruncatedFrame, match="0 bytes left, the frame needs 16"):
        decode_message(b"")
    with pytest.raises(errors.EventStreamError, match="expected one frame, found 2"):
        decode_message(first + second)


# --- incremental decoding -------------------------------------------------------------------


def test_decoder_yields_each_frame_as_soon_as_its_last_byte_arrives() -> None:
    first, second = two_frames()
    decoder = MessageDecoder()
    seen: list[tuple[int, bytes]] = []
    for position, byte in enumerate(first + second, 1):
        decoder.feed(bytes([byte]))
        seen.extend((position, raw) for _, raw in decoder.frames())
    assert seen == [(len(first), first), (len(first) + len(second), second)]
    assert decoder.pending == 0
    decoder.close()


def test_decoder_close_reports_a_partial_frame() -> None:
    first, _ = two_frames()
    decoder = MessageDecoder()
    decoder.feed(first[:-3])
    assert list(decoder) == []
    assert decoder.pending == len(first) - 3
    with pytest.raises(errors.TruncatedFrame, match=f"needs {len(first)}"):
        decoder.close()


def test_message_views() -> None:
    message = Message(
        {"n": Header(HeaderType.SHORT, 7), ":event-type": Header(HeaderType.STRING, "x")}
    )
    assert message.values == {"n": 7, ":event-type": "x"}
    assert message.header("n") == 7
    assert message.header("missing", "default") == "default"
    assert decode_message(message.encode()) == message


# --- properties: round trips, and botocore's decoder as an independent reader ---------------

HEADER_VALUES = st.one_of(
    st.just(Header(HeaderType.BOOL_TRUE, True)),
    st.just(Header(HeaderType.BOOL_FALSE, False)),
    st.integers(-(2**7), 2**7 - 1).map(lambda v: Header(HeaderType.BYTE, v)),
    st.integers(-(2**15), 2**15 - 1).map(lambda v: Header(HeaderType.SHORT, v)),
    st.integers(-(2**31), 2**31 - 1).map(lambda v: Header(HeaderType.INTEGER, v)),
    st.integers(-(2**63), 2**63 - 1).map(lambda v: Header(HeaderType.LONG, v)),
    st.binary(max_size=40).map(lambda v: Header(HeaderType.BYTE_ARRAY, v)),
    st.text(max_size=40).map(lambda v: Header(HeaderType.STRING, v)),
    st.integers(-(2**63), 2**63 - 1).map(lambda v: Header(HeaderType.TIMESTAMP, v)),
    st.binary(min_size=16, max_size=16).map(lambda v: Header(HeaderType.UUID, v)),
)
HEADERS = st.dictionaries(
    st.text(min_size=1, max_size=12).filter(lambda n: len(n.encode("utf-8")) < 256),
    HEADER_VALUES,
    max_size=10,
)
MESSAGES = st.builds(Message, HEADERS, st.binary(max_size=200))


@settings(max_examples=60, deadline=None)
@given(message=MESSAGES)
def test_round_trip_and_botocore_reads_our_frames(message: Message) -> None:
    encoded = message.encode()
    assert decode_message(encoded) == message
    reader = botocore.eventstream.EventStreamBuffer()
    reader.add_data(encoded)
    (parsed,) = list(reader)
    assert parsed.headers == message.values
    assert parsed.payload == message.payload
    assert parsed.prelude.total_length == len(encoded)
    assert parsed.crc == struct.unpack_from(">I", encoded, len(encoded) - 4)[0]


@settings(max_examples=30, deadline=None)
@given(messages=st.lists(MESSAGES, min_size=1, max_size=4), data=st.data())
def test_any_split_of_a_stream_decodes_to_the_same_frames(
    messages: list[Message], data: st.DataObject
) -> None:
    stream = b"".join(m.encode() for m in messages)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    decoder = MessageDecoder()
    decoded: list[Message] = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        decoder.feed(stream[start:end])
        decoded.extend(decoder)
    decoder.close()
    assert decoded == messages


def test_remembered_header_blocks_keep_each_value_its_own_type() -> None:
    # True and 1 are equal in Python but are different headers on the wire
    for headers in ({"flag": True}, {"flag": 1}, {"flag": True}, {"flag": 1}):
        decoded = decode_message(encode_message(headers, b"{}"))
        assert decoded.values == headers
        assert type(decoded.values["flag"]) is type(headers["flag"])


def test_remembered_header_blocks_give_what_a_fresh_encoding_gives() -> None:
    headers = {
        ":event-type": "chunk",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    first = encode_message(headers, b'{"a":1}')
    assert encode_message(dict(headers), b'{"a":1}') == first
    assert decode_message(first).values == headers
    unhashable = {"raw": Header(HeaderType.BYTE_ARRAY, bytearray(b"\x01\x02"))}
    assert decode_message(encode_message(unhashable)).values == {"raw": b"\x01\x02"}
