"""Building a stream's events from the lines a cassette holds it in (see :mod:`.stream_text`).

A loaded cassette keeps each stream as its lines, checked (:mod:`.stream_check`), and builds the
events when a test first reads them. A stream's usual lines (known event types, one JSON value
each) are built in one go, by builtins that loop in C and one loop for the frames; any other
line is built on its own by :func:`.stream_text.event_of`, which says what is wrong with it.
A small cassette's streams are made into frames when it is first parsed (:func:`prebuild`),
so that the cache entry every later test process reads holds what replay sends.
"""

from __future__ import annotations

import binascii
import math
import operator
from collections.abc import Iterable
from functools import partial
from itertools import repeat
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..wire.eventstream import MAX_HEADERS_LENGTH, MAX_PAYLOAD_LENGTH, encode_frames
from . import stream_text
from .records import Interaction, Packed, StreamEvent, pack_event_list

#: Characters of stream lines up to which a first parse makes a cassette's streams into frames
#: (:func:`prebuild`): a test replays most streams of a small cassette, and building 50 events
#: in a test process costs about three times what it does in a loop (about 0.45 ms against
#: 0.16 ms), its code and data being out of the processor's caches by then. A larger cassette
#: keeps its lines, built when a test first reads them: a test replays few of its streams.
PREBUILT_UP_TO = 256 * 1024

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
    return from_text(text, _WHERE)


def frames_of(text: str) -> Packed:
    """The frames of a stream's checked lines with their offsets, as a cache entry keeps them
    (see :func:`.records.pack_events`), without making their events when the lines are usual."""
    built = _usual(stream_text.split_lines(text, _WHERE))
    if built is None:
        return pack_event_list(read_lines(text))
    seconds, _, _, frames = built
    return tuple(seconds), tuple(frames), None


def prebuild(interactions: Iterable[Interaction]) -> None:
    """Make the streams of a just-parsed cassette held in lines into frames, when they hold
    at most :data:`PREBUILT_UP_TO` characters in all (their lines were checked at load)."""
    held = [(i.response, lines) for i in interactions if i.response and (lines := i.response.lines)]
    if held and sum(len(lines) for _, lines in held) <= PREBUILT_UP_TO:
        for response, lines in held:
            response.set_packed_events(frames_of(lines))


_WHERE = "#/response/stream"


def _usual_events(lines: list[str]) -> list[StreamEvent] | None:
    """The events :func:`.stream_text.event_of` builds from each of ``lines``, when every line
    is a usual one (see :func:`_usual`): a fifth less than a call of ``event_of`` per line.
    ``None`` leaves the lines to ``event_of``, which builds them or says what is wrong with
    which."""
    built = _usual(lines)
    if built is None:
        return None
    seconds, headers, data, frames = built
    return list(map(stream_text.line_event, headers, data, frames, seconds))


def _usual(lines: list[str]) -> tuple[list[float], list[Any], list[bytes], list[bytes]] | None:
    """The offsets, headers, payloads and frames of ``lines`` when every line is a usual one
    (a known event type, a payload of one JSON value, within a frame's limits), made by
    builtins that loop in C and one loop for the frames; ``None`` otherwise."""
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
    return seconds, [h for h, _ in headers], data, frames
