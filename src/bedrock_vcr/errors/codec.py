"""Errors of the event-stream codec: frames that cannot be encoded or decoded."""

from __future__ import annotations

from .base import BedrockVCRError

# --- event-stream codec -----------------------------------------------------------------------


class EventStreamError(BedrockVCRError, ValueError):
    """A frame of ``application/vnd.amazon.eventstream`` could not be encoded or decoded."""

    def __init__(self, message: str, *, offset: int | None = None) -> None:
        self.offset = offset
        where = f" (at byte {offset} of the stream)" if offset is not None else ""
        super().__init__(message + where)


class ChecksumMismatch(EventStreamError):
    """A prelude or message CRC32 did not match the bytes it covers."""

    def __init__(self, part: str, expected: int, calculated: int, *, offset: int | None = None):
        self.part = part
        self.expected = expected
        self.calculated = calculated
        super().__init__(
            f"{part} CRC mismatch: frame says 0x{expected:08x}, calculated 0x{calculated:08x}; "
            "the frame is corrupt or truncated",
            offset=offset,
        )


class InvalidHeadersLength(EventStreamError):
    """The prelude declares a headers section that cannot be right."""

    def __init__(self, length: int, *, offset: int | None = None, total: int | None = None) -> None:
        self.length = length
        self.total = total
        if total is not None:
            problem = (
                f"headers length {length} does not fit in a frame of {total} bytes "
                "(prelude and CRCs take 16)"
            )
        else:
            problem = f"headers length {length} exceeds the 131072-byte limit"
        super().__init__(problem, offset=offset)


class InvalidPayloadLength(EventStreamError):
    """The prelude declares a payload longer than the protocol allows."""

    def __init__(self, length: int, *, offset: int | None = None) -> None:
        self.length = length
        super().__init__(f"payload length {length} exceeds the 25165824-byte limit", offset=offset)


class DuplicateHeader(EventStreamError):
    """A header name appears twice in one frame."""

    def __init__(self, name: str, *, offset: int | None = None) -> None:
        self.name = name
        super().__init__(f"header {name!r} appears more than once in one frame", offset=offset)


class TruncatedFrame(EventStreamError):
    """The stream ended in the middle of a frame."""

    def __init__(self, have: int, need: int, *, offset: int | None = None) -> None:
        self.have = have
        self.need = need
        super().__init__(
            f"stream ended inside a frame: {have} bytes left, the frame needs {need}",
            offset=offset,
        )


class InvalidHeader(EventStreamError):
    """A header could not be decoded or a header value cannot be encoded."""
