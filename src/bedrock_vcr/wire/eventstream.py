"""Encoder and decoder for ``application/vnd.amazon.eventstream`` frames.

A frame is ``[total length u32][headers length u32][prelude CRC32]`` followed by the headers, the
payload and a CRC32 of everything before it; all integers big-endian, CRC32 as in zlib. botocore
ships only a decoder, so replay needs the encoder here; the decoder is used while recording (to
split a live stream into frames as they arrive) and to read imported cassettes.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any
from zlib import crc32

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..errors import (
    ChecksumMismatch,
    DuplicateHeader,
    InvalidHeader,
    InvalidHeadersLength,
    InvalidPayloadLength,
    TruncatedFrame,
)

PRELUDE_LENGTH = 12
CRC_LENGTH = 4
MAX_HEADERS_LENGTH = 128 * 1024
MAX_PAYLOAD_LENGTH = 24 * 1024 * 1024


class HeaderType(IntEnum):
    """Wire type codes of event-stream header values."""

    BOOL_TRUE = 0
    BOOL_FALSE = 1
    BYTE = 2
    SHORT = 3
    INTEGER = 4
    LONG = 5
    BYTE_ARRAY = 6
    STRING = 7
    TIMESTAMP = 8
    UUID = 9


#: Names used for header types in cassettes (and in botocore's own vocabulary).
TYPE_NAMES: dict[HeaderType, str] = {
    HeaderType.BOOL_TRUE: "bool_true",
    HeaderType.BOOL_FALSE: "bool_false",
    HeaderType.BYTE: "byte",
    HeaderType.SHORT: "short",
    HeaderType.INTEGER: "integer",
    HeaderType.LONG: "long",
    HeaderType.BYTE_ARRAY: "byte_array",
    HeaderType.STRING: "string",
    HeaderType.TIMESTAMP: "timestamp",
    HeaderType.UUID: "uuid",
}
TYPES_BY_NAME: dict[str, HeaderType] = {name: t for t, name in TYPE_NAMES.items()}

_INT_FORMATS = {
    HeaderType.BYTE: ">b",
    HeaderType.SHORT: ">h",
    HeaderType.INTEGER: ">i",
    HeaderType.LONG: ">q",
    HeaderType.TIMESTAMP: ">q",
}


@dataclass(frozen=True)
class Header:
    """One typed header value. Plain ``str`` values passed to the encoder mean ``STRING``."""

    type: HeaderType
    value: Any

    @classmethod
    def infer(cls, value: Any) -> Header:
        """Pick the wire type of a plain Python value (``int`` becomes INTEGER or LONG)."""
        if isinstance(value, Header):
            return value
        if isinstance(value, bool):
            return cls(HeaderType.BOOL_TRUE if value else HeaderType.BOOL_FALSE, value)
        if isinstance(value, str):
            return cls(HeaderType.STRING, value)
        if isinstance(value, (bytes, bytearray)):
            return cls(HeaderType.BYTE_ARRAY, bytes(value))
        if isinstance(value, uuid.UUID):
            return cls(HeaderType.UUID, value.bytes)
        if isinstance(value, int):
            kind = HeaderType.INTEGER if -(2**31) <= value < 2**31 else HeaderType.LONG
            return cls(kind, value)
        raise InvalidHeader(f"cannot encode a header value of type {type(value).__name__}")


@dataclass
class Message:
    """A decoded frame: headers in wire order (with their types) and the raw payload."""

    headers: dict[str, Header] = field(default_factory=dict)
    payload: bytes = b""

    @property
    def values(self) -> dict[str, Any]:
        """Header values without their types (botocore's view of the headers)."""
        return {name: h.value for name, h in self.headers.items()}

    def header(self, name: str, default: Any = None) -> Any:
        found = self.headers.get(name)
        return default if found is None else found.value

    def encode(self) -> bytes:
        return encode_message(self.headers, self.payload)


# --- encoding ------------------------------------------------------------------------------------


def _encode_header(name: str, header: Header) -> bytes:
    raw_name = name.encode("utf-8")
    if not 0 < len(raw_name) < 256:
        raise InvalidHeader(f"header name {name!r} must be 1 to 255 bytes of UTF-8")
    out = bytearray(struct.pack(">B", len(raw_name)))
    out += raw_name
    kind = header.type
    out += struct.pack(">B", int(kind))
    value = header.value
    try:
        if kind in (HeaderType.BOOL_TRUE, HeaderType.BOOL_FALSE):
            pass
        elif kind in _INT_FORMATS:
            out += struct.pack(_INT_FORMATS[kind], int(value))
        elif kind in (HeaderType.BYTE_ARRAY, HeaderType.STRING):
            data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
            if len(data) > 0xFFFF:
                raise InvalidHeader(f"header {name!r} value is {len(data)} bytes (max 65535)")
            out += struct.pack(">H", len(data)) + data
        elif kind == HeaderType.UUID:
            data = value.bytes if isinstance(value, uuid.UUID) else bytes(value)
            if len(data) != 16:
                raise InvalidHeader(f"header {name!r} uuid must be 16 bytes, got {len(data)}")
            out += data
        else:  # pragma: no cover - IntEnum covers every code
            raise InvalidHeader(f"unknown header type {kind!r}")
    except struct.error as exc:
        raise InvalidHeader(f"header {name!r} value {value!r} does not fit {kind.name}") from exc
    return bytes(out)


#: Encoded header blocks by their headers: a stream repeats the same few blocks (``:event-type
#: chunk``, ``:content-type``, ``:message-type``) in every frame.
_HEADER_BLOCKS: dict[tuple[tuple[str, Any], ...], bytes] = {}
_HEADER_BLOCKS_SIZE = 1024


def encode_headers(headers: Mapping[str, Any]) -> bytes:
    items = tuple(headers.items())
    key: tuple[tuple[str, Any], ...] = items
    for _, value in items:
        if not isinstance(value, Header):
            # a plain value keeps its type in the key: True and 1 are equal, not one header
            key = tuple((n, v if isinstance(v, Header) else (type(v), v)) for n, v in items)
            break
    try:
        found = _HEADER_BLOCKS.get(key)
    except TypeError:  # an unhashable value (a bytearray): not remembered
        return _encode_headers(headers)
    if found is None:
        found = _encode_headers(headers)
        if len(_HEADER_BLOCKS) >= _HEADER_BLOCKS_SIZE:
            _HEADER_BLOCKS.clear()
        _HEADER_BLOCKS[key] = found
    return found


def _encode_headers(headers: Mapping[str, Any]) -> bytes:
    return b"".join(_encode_header(name, Header.infer(v)) for name, v in headers.items())


def encode_message(headers: Mapping[str, Any], payload: bytes = b"") -> bytes:
    """Encode one frame. ``headers`` maps names to :class:`Header` or plain values."""
    return encode_frame(encode_headers(headers), payload)


def encode_frame(raw_headers: bytes, payload: bytes) -> bytes:
    """One frame of an encoded header block (:func:`encode_headers`) and ``payload``."""
    if len(raw_headers) > MAX_HEADERS_LENGTH:
        raise InvalidHeadersLength(len(raw_headers))
    if len(payload) > MAX_PAYLOAD_LENGTH:
        raise InvalidPayloadLength(len(payload))
    size = len(raw_headers)
    prelude = _PRELUDE(PRELUDE_LENGTH + size + len(payload) + CRC_LENGTH, size)
    body = prelude + _U32(crc32(prelude)) + raw_headers + payload
    return body + _U32(crc32(body))


def encode_frames(blocks: Iterable[bytes], payloads: Iterable[bytes]) -> list[bytes]:
    """:func:`encode_frame` of each header block and payload, in one loop (a stream's frames
    built at once, without a call for each)."""
    frames: list[bytes] = []
    append = frames.append
    for raw_headers, payload in zip(blocks, payloads, strict=True):
        size = len(raw_headers)
        if size > MAX_HEADERS_LENGTH:
            raise InvalidHeadersLength(size)
        if len(payload) > MAX_PAYLOAD_LENGTH:
            raise InvalidPayloadLength(len(payload))
        prelude = _PRELUDE(PRELUDE_LENGTH + size + len(payload) + CRC_LENGTH, size)
        body = prelude + _U32(crc32(prelude)) + raw_headers + payload
        append(body + _U32(crc32(body)))
    return frames


_PRELUDE = struct.Struct(">II").pack
_U32 = struct.Struct(">I").pack


# --- decoding ------------------------------------------------------------------------------------


def _decode_headers(data: bytes, offset: int) -> dict[str, Header]:
    headers: dict[str, Header] = {}
    pos = 0
    end = len(data)

    def need(n: int) -> None:
        if pos + n > end:
            raise InvalidHeader("header section ends inside a header", offset=offset + pos)

    while pos < end:
        start = pos
        need(1)
        name_len = data[pos]
        pos += 1
        need(name_len + 1)
        name = data[pos : pos + name_len].decode("utf-8", errors="replace")
        pos += name_len
        code = data[pos]
        pos += 1
        try:
            kind = HeaderType(code)
        except ValueError:
            raise InvalidHeader(
                f"header {name!r} has unknown type code {code}", offset=offset + pos - 1
            ) from None
        value: Any
        if kind == HeaderType.BOOL_TRUE:
            value = True
        elif kind == HeaderType.BOOL_FALSE:
            value = False
        elif kind in _INT_FORMATS:
            size = struct.calcsize(_INT_FORMATS[kind])
            need(size)
            (value,) = struct.unpack_from(_INT_FORMATS[kind], data, pos)
            pos += size
        elif kind in (HeaderType.BYTE_ARRAY, HeaderType.STRING):
            need(2)
            (length,) = struct.unpack_from(">H", data, pos)
            pos += 2
            need(length)
            raw = data[pos : pos + length]
            pos += length
            if kind == HeaderType.STRING:
                try:
                    value = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise InvalidHeader(
                        f"header {name!r} string value is not UTF-8", offset=offset + pos
                    ) from None
            else:
                value = bytes(raw)
        else:  # UUID
            need(16)
            value = bytes(data[pos : pos + 16])
            pos += 16
        if name in headers:
            raise DuplicateHeader(name, offset=offset + start)
        headers[name] = Header(kind, value)
    return headers


def _frame_length(buf: bytes | bytearray | memoryview, offset: int) -> int:
    """Validate the prelude at the start of ``buf`` and return the frame's total length."""
    total, headers_len, prelude_crc = struct.unpack_from(">III", buf, 0)
    calculated = crc32(bytes(buf[:8]))
    if calculated != prelude_crc:
        raise ChecksumMismatch("prelude", prelude_crc, calculated, offset=offset)
    if headers_len > MAX_HEADERS_LENGTH:
        raise InvalidHeadersLength(headers_len, offset=offset)
    payload_len = total - PRELUDE_LENGTH - headers_len - CRC_LENGTH
    if payload_len > MAX_PAYLOAD_LENGTH:
        raise InvalidPayloadLength(payload_len, offset=offset)
    if payload_len < 0:
        raise InvalidHeadersLength(headers_len, offset=offset, total=total)
    return int(total)


def _decode_frame(frame: bytes, offset: int) -> Message:
    total, headers_len, _ = struct.unpack_from(">III", frame, 0)
    (message_crc,) = struct.unpack_from(">I", frame, total - CRC_LENGTH)
    calculated = crc32(frame[: total - CRC_LENGTH])
    if calculated != message_crc:
        raise ChecksumMismatch("message", message_crc, calculated, offset=offset)
    headers_end = PRELUDE_LENGTH + headers_len
    block = bytes(frame[PRELUDE_LENGTH:headers_end])
    found = _DECODED_BLOCKS.get(block)
    if found is None:
        found = _decode_headers(block, offset + PRELUDE_LENGTH)
        if len(_DECODED_BLOCKS) >= _HEADER_BLOCKS_SIZE:
            _DECODED_BLOCKS.clear()
        _DECODED_BLOCKS[block] = found
    payload = bytes(frame[headers_end : total - CRC_LENGTH])
    return Message(headers=dict(found), payload=payload)


#: Decoded header blocks by their bytes (a stream repeats a few blocks in every frame); each
#: message gets its own dict of the (frozen) headers.
_DECODED_BLOCKS: dict[bytes, dict[str, Header]] = {}


class MessageDecoder:
    """Incremental decoder: feed bytes as they arrive, iterate complete frames.

    ``frames()`` also returns each frame's exact bytes, which the recorder keeps to check that
    re-encoding the stored form reproduces them.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._consumed = 0

    def feed(self, data: bytes) -> None:
        self._buf += data

    def frames(self) -> Iterator[tuple[Message, bytes]]:
        while len(self._buf) >= PRELUDE_LENGTH:
            total = _frame_length(self._buf, self._consumed)
            if len(self._buf) < total:
                return
            frame = bytes(self._buf[:total])
            message = _decode_frame(frame, self._consumed)
            del self._buf[:total]
            self._consumed += total
            yield message, frame

    def __iter__(self) -> Iterator[Message]:
        for message, _ in self.frames():
            yield message

    @property
    def pending(self) -> int:
        """Bytes received that do not yet form a whole frame."""
        return len(self._buf)

    def close(self) -> None:
        """Raise :class:`TruncatedFrame` if the stream stopped inside a frame."""
        if self._buf:
            need = PRELUDE_LENGTH
            if len(self._buf) >= PRELUDE_LENGTH:
                need = _frame_length(self._buf, self._consumed)
            raise TruncatedFrame(len(self._buf), need, offset=self._consumed)


def decode_stream(data: bytes) -> list[Message]:
    """Decode a whole event-stream body; a trailing partial frame raises :class:`TruncatedFrame`."""
    decoder = MessageDecoder()
    decoder.feed(data)
    messages = list(decoder)
    decoder.close()
    return messages


def decode_message(data: bytes) -> Message:
    """Decode exactly one frame."""
    messages = decode_stream(data)
    if not messages:  # decode_stream already rejected a partial frame: ``data`` is empty
        raise TruncatedFrame(len(data), PRELUDE_LENGTH + CRC_LENGTH, offset=0)
    if len(messages) != 1:
        raise InvalidHeader(f"expected one frame, found {len(messages)}")
    return messages[0]
