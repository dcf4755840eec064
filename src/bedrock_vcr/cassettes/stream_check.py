"""Checking a cassette's stream lines without building their events.

A loaded cassette keeps each stream's lines as read and builds its events when a test first
replays it (:mod:`.stream_build`), but a bad line must still fail the load, located, with the
error building it would give. Most streams are told good in a dozen calls of builtins that
loop in C; a stream they are unsure of is checked line by line.
"""

from __future__ import annotations

import math
import operator
from itertools import repeat

from ..wire.eventstream import MAX_HEADERS_LENGTH, MAX_PAYLOAD_LENGTH
from .stream_text import (
    CHUNK_PREFIX,
    EXCEPTION_WORD,
    HEADERS,
    event_of,
    header_block,
    line_error,
    payload_end,
    scan,
    split_line,
    split_lines,
)

_END = operator.itemgetter(1)


def check_text(text: str, where: str) -> None:
    """The checks of :func:`.stream_build.from_text` (the same errors) without building the
    events: a cassette is checked whole when read, and each stream built when first replayed."""
    lines = split_lines(text, where)
    if _all_plainly_good(lines):
        return
    index = 0
    try:
        for index, line in enumerate(lines):  # noqa: B007 - the bad line's place
            if not _plainly_good(line):
                _checked(line)
    except ValueError as exc:
        raise line_error(exc, index, len(lines), where) from None


def _checked(line: str) -> None:
    _, key, payload = split_line(line)
    found = HEADERS.get(key)
    block = (found if found is not None else header_block(key))[1]
    payload_end(payload)
    # a frame's own limits: only a line near them (UTF-8 and base64 make at most 6 bytes of
    # a character) needs its frame built to know
    if len(block) > MAX_HEADERS_LENGTH or 6 * len(payload) + 16 > MAX_PAYLOAD_LENGTH:
        event_of(line)


def _plainly_good(line: str) -> bool:
    """Whether ``line`` is a usual event line that :func:`_checked` accepts, told in one call
    (a check of every line of a large cassette spent most of its time in calls); ``False``
    leaves the line to :func:`_checked`, which accepts it or says what is wrong."""
    parts = line.split(" ", 2)
    if len(parts) != 3 or parts[1] == EXCEPTION_WORD:
        return False
    offset_text, key, payload = parts
    found = HEADERS.get(key)
    if found is None or len(found[1]) > MAX_HEADERS_LENGTH:
        return False
    if not payload or 6 * len(payload) + 16 > MAX_PAYLOAD_LENGTH:
        return False
    try:
        if not 0.0 <= float(offset_text) < math.inf:
            return False
        if payload.startswith(CHUNK_PREFIX) and payload[9:10] in ("{", "["):
            return payload[scan(payload, 9)[1] :] == "}"
        return scan(payload, 0)[1] == len(payload)
    except Exception:  # noqa: BLE001 - any doubt is _checked's to settle
        return False


def _all_plainly_good(lines: list[str]) -> bool:
    """:func:`_plainly_good` of every line at once, by builtins that loop in C (a stream's
    lines in a dozen calls, not a few per line); ``False`` leaves them to the line-by-line
    check. A payload that is one JSON value as a whole passes :func:`.stream_text.payload_end`."""
    try:
        parts = list(map(str.split, lines, repeat(" "), repeat(2)))
        if set(map(len, parts)) != {3}:
            return False
        offsets, keys, payloads = zip(*parts, strict=True)
        for key in set(keys):
            found = HEADERS.get(key)  # (an exception's line has two words for its key)
            if found is None or key == EXCEPTION_WORD or len(found[1]) > MAX_HEADERS_LENGTH:
                return False
        seconds = list(map(float, offsets))
        if not all(map(math.isfinite, seconds)) or min(seconds) < 0.0:
            return False
        sizes = list(map(len, payloads))
        if min(sizes) == 0 or 6 * max(sizes) + 16 > MAX_PAYLOAD_LENGTH:
            return False
        # the scanner's StopIteration (a bad value) ends the list early: then it differs
        return list(map(_END, map(scan, payloads, repeat(0)))) == sizes
    except Exception:  # noqa: BLE001 - any doubt is the line-by-line check's to settle
        return False
