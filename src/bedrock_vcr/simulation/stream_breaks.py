"""Breaking a recorded stream at frame N: an exception frame, a dropped connection, a bad CRC.

The recorded frames before the break are kept byte for byte. Used by the stream fault specs of
:mod:`.faults` (on a simulated stream) and by :mod:`.mutate` (on a real recording).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..cassettes.records import RecordedResponse, StreamEvent
from ..errors import ConfigError
from .error_shapes import DEFAULT_MESSAGES


def check_after(after: int, name: str = "after") -> None:
    """Refuse a frame count that is not an int >= 0 (``name``: the argument, for the message)."""
    if not isinstance(after, int) or after < 0:
        raise ConfigError(f"{name} must be a frame count >= 0, got {after!r}")


def _events_of(response: RecordedResponse, limit: int, what: str) -> list[StreamEvent]:
    if response.events is None:
        raise ConfigError(f"{what} needs a streamed response; this one has a plain body")
    if limit > len(response.events):
        raise ConfigError(
            f"{what} at frame {limit}, but the stream has only {len(response.events)} frames"
        )
    return list(response.events)


def inject_stream_error(
    response: RecordedResponse,
    after: int,
    code: str,
    message: str | None = None,
    **fields: Any,
) -> RecordedResponse:
    """``response``'s first ``after`` frames, then an exception frame ``code`` (stream ends)."""
    check_after(after)
    events = _events_of(response, after, f"a {code} frame")
    offset = events[after - 1].offset if after else response.latency
    if after < len(events):
        offset = events[after].offset
    payload = {"message": message if message is not None else _default_stream_message(code)}
    payload.update(fields)
    frame = StreamEvent.exception(code, payload, offset)
    return replace(response, events=[*events[:after], frame], stream_end="complete")


def drop_connection(response: RecordedResponse, after: int) -> RecordedResponse:
    """``response``'s first ``after`` frames, then the connection closes mid-stream."""
    check_after(after)
    events = _events_of(response, after, "a dropped connection")
    return replace(response, events=events[:after], stream_end="dropped")


def corrupt_frame(response: RecordedResponse, at: int) -> RecordedResponse:
    """``response`` up to frame ``at``, whose payload has one byte flipped (its CRC fails)."""
    check_after(at, "at")
    events = _events_of(response, at + 1, "a corrupted frame")
    target = events[at]
    frame = bytearray(target.frame)
    frame[-5] ^= 0xFF  # last payload byte (the message CRC is the last 4 bytes)
    broken = StreamEvent(target.message, target.offset, frame_override=bytes(frame))
    return replace(response, events=[*events[:at], broken], stream_end="complete")


def _default_stream_message(code: str) -> str:
    upper = code[:1].upper() + code[1:]
    return DEFAULT_MESSAGES.get(upper, f"{code} while streaming the response.")
