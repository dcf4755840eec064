"""Writing a response to a client, the same way for both HTTP versions.

:func:`deliver` turns a :class:`RecordedResponse` into calls on a :class:`Transport` (one HTTP/1.1
connection, or one HTTP/2 stream), frame by frame and paced. The error answers that the transport
layers themselves give (an oversized body, a broken request) are built here too. This sits below
:mod:`~bedrock_vcr.server.app`, :mod:`~bedrock_vcr.server.http1` and
:mod:`~bedrock_vcr.server.http2`, so they share it without importing each other.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Protocol

from ..bedrock.operations import STREAM_CONTENT_TYPE
from ..cassettes.records import RecordedResponse, error_response

#: Headers that belong to one HTTP connection, never copied from a recording.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "upgrade",
        "te",
        "content-length",
        "date",
        "server",
    }
)
#: The errors a vanished or stalled client causes while we read or write.
CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


def validation_error(message: str) -> RecordedResponse:
    """Bedrock's ``400 ValidationException`` with ``message``."""
    return error_response(400, "ValidationException", message)


def too_large(length: int, limit: int) -> RecordedResponse:
    """Bedrock's answer to a request body over ``limit`` bytes."""
    return validation_error(
        f"1 validation error detected: Value at 'body' failed to satisfy constraint: Member "
        f"must have length less than or equal to {limit} (the request body is {length} bytes)"
    )


class Transport(Protocol):
    """Where :func:`deliver` writes a response (one HTTP/1.1 connection or one HTTP/2 stream)."""

    def start(self, status: int, headers: list[tuple[str, str]], length: int | None) -> None:
        """Send the status line and headers; ``length`` ``None`` means a stream follows."""

    def write(self, data: bytes) -> None:
        """Send and flush one piece of the body."""

    def finish(self) -> None:
        """End the body normally."""

    def abort(self) -> None:
        """End the body as a dropped connection would (the client sees a broken read)."""


def response_headers(response: RecordedResponse) -> list[tuple[str, str]]:
    """The recorded headers minus the per-connection ones, plus a request id if none."""
    headers = [
        (name.lower(), str(value))
        for name, value in response.headers.items()
        if name.lower() not in HOP_BY_HOP
    ]
    names = {name for name, _ in headers}
    if "x-amzn-requestid" not in names:
        headers.append(("x-amzn-requestid", str(uuid.uuid4())))
    if response.events is not None and response.status < 300 and "content-type" not in names:
        headers.append(("content-type", STREAM_CONTENT_TYPE))
    return headers


def deliver(
    response: RecordedResponse,
    out: Transport,
    speed: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Write ``response`` to ``out``; a stream frame by frame, paced when ``speed`` > 0.

    ``speed`` scales the recorded delays (time to the headers, gaps between frames): 0 sends at
    once, 1 at the recorded pace, 0.5 twice as fast.
    """
    if speed > 0 and response.latency > 0:
        sleep(response.latency * speed)
    headers = response_headers(response)
    if response.events is None or response.status >= 300:
        out.start(response.status, headers, len(response.body))
        if response.body:
            out.write(response.body)
        out.finish()
        return
    out.start(response.status, headers, None)
    previous = response.latency
    for event in response.events:
        if speed > 0:
            gap = (event.offset - previous) * speed
            if gap > 0:
                sleep(gap)
            previous = event.offset
        out.write(event.frame)
    if response.stream_end == "dropped":
        out.abort()
    else:
        out.finish()


__all__ = [
    "CLIENT_GONE",
    "HOP_BY_HOP",
    "Transport",
    "deliver",
    "response_headers",
    "too_large",
    "validation_error",
]
