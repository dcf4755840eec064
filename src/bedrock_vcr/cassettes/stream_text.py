"""A stream written as text: one line per event, its payload as the service sent it.

Most recorded streams are plain events (``:event-type``, ``:content-type: application/json``,
``:message-type: event``, in that order) or exceptions, with a one-line JSON payload. Such a
stream is written as one block of lines, ``<offset> <event type> <payload>``, or
``<offset> exception <exception type> <payload>``::

    stream: |
      0.19 chunk {"bytes":{"generation":" replay","stop_reason":null},"p":"abcd"}
      0.8602 messageStart {"role":"assistant"}

A chunk's base64 ``bytes`` member is shown decoded (a JSON object or array in the place of the
string). The line is the payload's text verbatim otherwise, so reading gives back the recorded
bytes without re-encoding any JSON: the decoded member is cut out of the line where the JSON
decoder says it ends and base64-encoded again. A stream with any other event (other headers, a
payload that is not one line of JSON, a corrupted frame) keeps the list of event mappings.

Why: as YAML mappings, an event costs about 25 nodes to parse and to write; as a line, one
fiftieth of a node. A 50-event stream becomes one scalar, and reading or writing a cassette of
streams costs what its requests and headers cost.
"""

from __future__ import annotations

import binascii
import json
import math
import re
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..errors import CassetteFormatError, EventStreamError
from ..wire.eventstream import (
    Header,
    HeaderType,
    Message,
    encode_frame,
    encode_headers,
)
from .records import PackedEvent, StreamEvent

_EVENT = ":event-type"
_EXCEPTION = ":exception-type"
_CONTENT = ":content-type"
_MESSAGE = ":message-type"
#: The second word of an exception's line (an event named so keeps the mapping form).
EXCEPTION_WORD = "exception"
_JSON = "application/json"
#: An event or exception type a line can carry: one word.
_NAME = re.compile(r"[A-Za-z0-9_.:-]+\Z")
#: What a YAML block cannot hold as it is (line breaks, characters YAML does not print, the
#: BOM): a payload holding one is written as a mapping. The complement of YAML's printable set,
#: spelt out: the negated class compiles in about 4 ms, on every replaying process's first test.
_UNWRITABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u2028\u2029\ufeff]")
CHUNK_PREFIX = '{"bytes":'


def _writable(text: str) -> bool:
    # printable ASCII (most payloads) is decided without the pattern
    return (text.isascii() and text.isprintable()) or _UNWRITABLE.search(text) is None


_decoder = json.JSONDecoder()
#: The C scanner ``raw_decode`` wraps: ``(value, end)``, or an exception at a bad value.
scan: Callable[[str, int], tuple[Any, int]] = _decoder.scan_once  # type: ignore[attr-defined]


class StreamText(str):
    """The text of a stream in lines (written as a YAML literal block)."""

    __slots__ = ()


# --- writing -------------------------------------------------------------------------------------


def to_text(events: Sequence[StreamEvent]) -> StreamText | None:
    """The stream as lines, or ``None`` when an event has no line form (or there is none)."""
    lines = []
    for event in events:
        line = _line(event)
        if line is None:
            return None
        lines.append(line)
    return StreamText("\n".join(lines) + "\n") if lines else None


def _kind(headers: dict[str, Header]) -> str | None:
    """``"<type>"`` or ``"exception <type>"`` for the standard header blocks, else ``None``."""
    if len(headers) != 3:
        return None
    names = tuple(headers)
    if names == (_EVENT, _CONTENT, _MESSAGE):
        expected, prefix = "event", ""
    elif names == (_EXCEPTION, _CONTENT, _MESSAGE):
        expected, prefix = EXCEPTION_WORD, EXCEPTION_WORD + " "
    else:
        return None
    kind, content, message = headers.values()
    string = HeaderType.STRING
    if kind.type is not string or content.type is not string or message.type is not string:
        return None
    if content.value != _JSON or message.value != expected:
        return None
    name = kind.value
    if not isinstance(name, str) or _NAME.match(name) is None:
        return None
    if not prefix and name == EXCEPTION_WORD:
        return None
    return prefix + name


def _line(event: StreamEvent) -> str | None:
    if event.frame_override is not None:
        return None
    offset = event.offset
    if not math.isfinite(offset) or offset < 0:
        return None
    kind = _kind(event.message.headers)
    if kind is None:
        return None
    try:
        text = event.message.payload.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not (text.startswith("{") and text.endswith("}")) or not _writable(text):
        return None
    shown = _decoded_chunk(text)
    return None if shown is None else f"{round(offset, 4)!r} {kind} {shown}"


def _decoded_chunk(text: str) -> str | None:
    """``text`` with a leading base64 ``bytes`` member shown decoded; ``None`` when that
    member holds what a line cannot show (text, binary, JSON on several lines): the event is
    then written as a mapping, which shows it decoded. Other payloads are ``text``."""
    if not text.startswith('{"bytes":"'):
        return text
    end = text.find('"', 10)
    rest = text[end + 1 :]
    if end < 0 or not rest.startswith((",", "}")):
        return None
    encoded = text[10:end]
    try:
        # not validated here: only canonical base64 encodes back to itself (checked below)
        raw = binascii.a2b_base64(encoded)
        inner = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    if (
        not inner.startswith(("{", "["))
        or binascii.b2a_base64(raw, newline=False).decode("ascii") != encoded
        or not _writable(inner)
        or json_end(inner, 0) != len(inner)
    ):
        return None
    return CHUNK_PREFIX + inner + rest


def json_end(text: str, start: int) -> int | None:
    """Where the JSON value at ``start`` of ``text`` ends, or ``None`` when none starts there."""
    try:
        return _decoder.raw_decode(text, start)[1]
    except ValueError:
        return None


# --- reading -------------------------------------------------------------------------------------

#: Per event type (``"exception <type>"`` for an exception): its headers and their block.
HEADERS: dict[str, tuple[dict[str, Header], bytes]] = {}


def header_block(key: str) -> tuple[dict[str, Header], bytes]:
    """The headers of an event key and their encoded block (kept in :data:`HEADERS`)."""
    found = HEADERS.get(key)
    if found is not None:
        return found
    exception, _, name = key.rpartition(" ")
    if _NAME.match(name) is None:
        raise ValueError(f"{_shown(name)} is not an event type (one word)")
    headers = {
        (_EXCEPTION if exception else _EVENT): Header(HeaderType.STRING, name),
        _CONTENT: Header(HeaderType.STRING, _JSON),
        _MESSAGE: Header(HeaderType.STRING, EXCEPTION_WORD if exception else "event"),
    }
    found = (headers, encode_headers(headers))
    if len(HEADERS) < 4096:
        HEADERS[key] = found
    return found


class _LineEvent(PackedEvent):
    """A :class:`StreamEvent` read from a stream's line (see ``stream_text``): its message is
    built from the line's header block and payload when first read (replay sends the frame)."""

    @cached_property
    def message(self) -> Message:  # type: ignore[override]
        values = self.__dict__
        return Message(dict(values["_headers"]), values["_payload"])

    def _header(self, name: str) -> Any:
        # the line's headers until the message is built (which may then be changed)
        message = self.__dict__.get("message")
        found = (message.headers if message is not None else self.__dict__["_headers"]).get(name)
        return None if found is None else found.value

    @property
    def event_type(self) -> str | None:
        value = self._header(":event-type") or self._header(":exception-type")
        return str(value) if value is not None else None

    @property
    def message_type(self) -> str:
        value = self._header(":message-type")
        return str(value if value is not None else "event")


def line_event(
    headers: dict[str, Header], payload: bytes, frame: bytes, offset: float
) -> StreamEvent:
    """The event of a stream line: ``headers`` (shared, never changed), ``payload`` and its
    encoded ``frame``."""
    event = _LineEvent.__new__(_LineEvent)
    values = event.__dict__
    values["offset"] = offset
    values["frame_override"] = None
    values["frame"] = frame
    values["_headers"] = headers
    values["_payload"] = payload
    return event


def split_lines(text: str, where: str) -> list[str]:
    """A stream's lines (its last line break ends the last line)."""
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    if not lines:  # never written so (a stream of no events is `stream: []`)
        raise CassetteFormatError(
            "the response's stream has no lines (was the file cut short?)",
            json_path=where,
            fix="restore the cassette from version control, or re-record it",
        )
    return lines


def line_error(exc: ValueError, index: int, count: int, where: str) -> CassetteFormatError:
    """The located error of line ``index`` (of ``count``) of the stream at ``where``."""
    cut = " (was the file cut short?)" if index == count - 1 else ""
    return CassetteFormatError(
        f"line {index + 1} of the stream cannot be read{cut}: {exc}",
        json_path=f"{where}/{index}",
        fix="a stream line is '<offset> <event type> <JSON payload>' or '<offset> "
        "exception <exception type> <JSON payload>' (README section 'Cassette "
        "format'); correct it, or re-record the cassette",
    )


def last_event(text: str) -> StreamEvent | None:
    """The event of the last of checked lines (the one an end check reads), or ``None`` for a
    line :func:`.stream_check.check_text` would refuse."""
    try:
        return event_of(last_line(text))
    except ValueError:
        return None


def last_line(text: str) -> str:
    """The last of a stream's lines (``""`` for none)."""
    return text[text.rstrip("\n").rfind("\n") + 1 :].rstrip("\n")


def split_line(line: str) -> tuple[float, str, str]:
    """A line's offset, event key (see :func:`header_block`) and payload text."""
    parts = line.split(" ", 2)
    if len(parts) != 3 or not parts[2]:
        raise ValueError(f"expected an offset, an event type and a payload, found {_shown(line)}")
    offset_text, key, payload = parts
    if key == EXCEPTION_WORD:
        name, _, payload = payload.partition(" ")
        key = f"{EXCEPTION_WORD} {name}"
        if not payload:
            raise ValueError(
                f"expected an offset, an event type and a payload, found {_shown(line)}"
            )
    try:
        offset = float(offset_text)
    except ValueError:
        offset = math.nan
    if not 0.0 <= offset < math.inf:
        raise ValueError(f"the offset {_shown(offset_text)} is not a number of seconds >= 0")
    return offset, key, payload


def event_of(line: str) -> StreamEvent:
    """The event of one line, its frame built; a ``ValueError`` saying what is wrong."""
    offset, key, payload = split_line(line)
    found = HEADERS.get(key)
    headers, block = found if found is not None else header_block(key)
    data = _payload(payload)
    try:
        frame = encode_frame(block, data)  # at load, not at replay
    except EventStreamError as exc:
        raise ValueError(f"the event cannot be encoded as a frame: {exc}") from None
    return line_event(headers, data, frame, offset)


def _payload(text: str) -> bytes:
    """The payload of a line's JSON: checked, a decoded ``bytes`` member (an object or an
    array in its place) base64-encoded again."""
    end = payload_end(text)
    if not end:
        return text.encode("utf-8")
    encoded = binascii.b2a_base64(text[9:end].encode("utf-8"), newline=False)
    return b'{"bytes":"' + encoded + b'"' + text[end:].encode("utf-8")


def payload_end(text: str) -> int:
    """Where a line's decoded ``bytes`` member ends, or 0 for a payload that is plain JSON; a
    ``ValueError`` for a payload that is not one JSON value."""
    if text.startswith(CHUNK_PREFIX) and text[9:10] in ("{", "["):
        end = json_end(text, 9)
        rest = text[end:] if end is not None else ""
        # what follows the member closes the object: checked on its own (a few bytes)
        if end is not None and (rest == "}" or json_end('{"":0' + rest, 0) == len(rest) + 5):
            return end
    elif json_end(text, 0) == len(text):
        return 0
    raise ValueError(f"the payload is not one JSON value: {_shown(text)}")


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 60 else repr(text[:57] + "...")
