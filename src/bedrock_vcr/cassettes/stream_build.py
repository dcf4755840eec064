"""Building a stream's events from the lines a cassette holds it in (see :mod:`.stream_text`).

A loaded cassette keeps each stream as its lines, checked (:mod:`.stream_check`), and builds the
events when a test first reads them. A stream's usual lines (known event types, one JSON value
each) are built in one go, by builtins that loop in C and one loop for the frames; any other
line is built on its own by :func:`.stream_text.event_of`, which says what is wrong with it.
"""

from __future__ import annotations

import binascii
import math
import operator
from functools import partial
from itertools import repeat

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..wire.eventstream import MAX_HEADERS_LENGTH, MAX_PAYLOAD_LENGTH, encode_frames
from . import stream_text
from .records import StreamEvent

_END = operator.itemgetter(1)
_B64 = partial(binascii.b2a_base64, newline=False)


def from_text(text: str, where: str) -> list[StreamEvent]:
    """The events of a stream's lines; a located
    :class:`~bedrock_vcr.errors.CassetteFormatError` for a bad line."""
    lines = stream_text.split_lines(text, where)
    events = _usual_events(lines)
    if events is not None:
        return events
    events = []
    try:
        events.extend(map(stream_text.event_of, lines))
    except ValueError as exc:
        raise stream_text.line_error(exc, len(events), len(lines), where) from None
    return events


def read_lines(text: str) -> list[StreamEvent]:
    """:func:`from_text` for lines already checked (a loaded cassette's, a cache entry's),
    read when a test first reads the stream's events."""
    return from_text(text, "#/response/stream")


def _usual_events(lines: list[str]) -> list[StreamEvent] | None:
    """The events :func:`.stream_text.event_of` builds from each of ``lines``, when every line
    is a usual one (a known event type, a payload of one JSON value, within a frame's limits),
    built by builtins that loop in C and one loop for the frames: a fifth less than a call of
    ``event_of`` per line. ``None`` leaves the lines to ``event_of``, which builds them or says
    what is wrong with which."""
    try:
        parts = list(map(str.split, lines, repeat(" "), repeat(2)))
        if set(map(len, parts)) != {3}:
            return None
        offsets, keys, payloads = zip(*parts, strict=True)
        known = {}
        for key in set(keys):
            if key == stream_text.EXCEPTION_WORD:  # (an exception's line has two words for its key)
                return None
            known[key] = found = stream_text.header_block(key)
            if len(found[1]) > MAX_HEADERS_LENGTH:
                return None
        seconds = list(map(float, offsets))
        if not all(map(math.isfinite, seconds)) or min(seconds) < 0.0 or not all(payloads):
            return None
        prefix = stream_text.CHUNK_PREFIX
        chunks = [p.startswith(prefix) and p[9:10] in ("{", "[") for p in payloads]
        # the scanner's StopIteration (a bad value) ends the list early: zip's strict refuses it
        ends = list(map(_END, map(stream_text.scan, payloads, [9 if c else 0 for c in chunks])))
        rests = [p[e:] if c else "}" for p, c, e in zip(payloads, chunks, ends, strict=True)]
        for p, c, e, rest in zip(payloads, chunks, ends, rests, strict=True):
            # a plain payload is one value; what follows a chunk's member closes its object
            if (
                (rest != "}" and stream_text.json_end('{"":0' + rest, 0) != len(rest) + 5)
                if c
                else (e != len(p))
            ):
                return None
        data = [
            b'{"bytes":"' + _B64(p[9:e].encode("utf-8")) + b'"' + r.encode("utf-8")
            if c
            else p.encode("utf-8")
            for p, c, e, r in zip(payloads, chunks, ends, rests, strict=True)
        ]
        if max(map(len, data)) > MAX_PAYLOAD_LENGTH:
            return None
        headers = [known[key] for key in keys]
        frames = encode_frames([block for _, block in headers], data)
    except Exception:  # noqa: BLE001 - any doubt is event_of's to settle, line by line
        return None
    return list(map(stream_text.line_event, [h for h, _ in headers], data, frames, seconds))
