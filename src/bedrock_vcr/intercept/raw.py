"""The synchronous "raw adapter": what botocore reads a response body from.

botocore reads an ``AWSResponse.raw`` three ways: ``stream()`` for event streams and for every
error body, ``read(amt)`` through ``StreamingBody`` for ``InvokeModel``, and ``close()``.
:class:`ReplayRaw` serves recorded bytes that way; :class:`TeeRaw` wraps a live urllib3 response
while recording, passing each network chunk on as soon as it arrives and keeping a copy.
The async adapter (:mod:`bedrock_vcr.intercept.aio`) serves the same :class:`Pieces` its way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

from botocore.awsrequest import AWSResponse
from urllib3.exceptions import ProtocolError

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..cassettes.records import RecordedResponse, StreamEvent
from ..wire.eventstream import MessageDecoder


class Pieces(NamedTuple):
    """A body as recorded pieces: what :class:`ReplayRaw` serves (and the async adapter too)."""

    pieces: Sequence[bytes]
    delays: Sequence[float] | None = None
    dropped: bool = False


class ReplayRaw:
    """A response body made of recorded pieces, optionally paced.

    ``pieces`` are yielded one per ``stream()`` step (one event-stream frame each for streams);
    ``delays`` are the seconds to wait before each piece. ``dropped`` ends the body with
    urllib3's ``ProtocolError`` as a connection closed mid-response would.
    """

    def __init__(
        self,
        pieces: Sequence[bytes],
        delays: Sequence[float] | None = None,
        *,
        dropped: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._pieces = pieces
        self._delays = delays
        self._dropped = dropped
        self._sleep = sleep
        self._next = 0
        self._buffer = b""
        self.closed = False

    def _take(self) -> bytes | None:
        if self._next >= len(self._pieces):
            if self._dropped:
                self._dropped = False
                raise ProtocolError(
                    "Connection broken: IncompleteRead(the connection closed mid-stream)"
                )
            return None
        if self._delays is not None:
            delay = self._delays[self._next]
            if delay > 0:
                self._sleep(delay)
        piece = self._pieces[self._next]
        self._next += 1
        return piece

    def unread(self) -> Pieces:
        """What this body still has to serve, paced and ended as it would be here (the async
        adapter serves a replayed answer from it)."""
        pieces = list(self._pieces[self._next :])
        delays = None if self._delays is None else list(self._delays[self._next :])
        if self._buffer:
            pieces.insert(0, self._buffer)
            if delays is not None:
                delays.insert(0, 0.0)
        return Pieces(pieces, delays, self._dropped)

    def stream(self, amt: int | None = 2**16, decode_content: Any = None) -> Iterator[bytes]:
        if self._buffer:
            data, self._buffer = self._buffer, b""
            yield data
        if self._delays is None:  # unpaced: one piece per step, without the pacing checks
            pieces, end = self._pieces, len(self._pieces)
            while self._next < end:  # read anew at each step: read() may have taken some
                data = pieces[self._next]
                self._next += 1
                if data:
                    yield data
        while True:
            piece = self._take()
            if piece is None:
                return
            if piece:
                yield piece

    def read(self, amt: int | None = None, decode_content: Any = None) -> bytes:
        if amt is None or amt < 0:
            rest = [self._buffer]
            while (piece := self._take()) is not None:
                rest.append(piece)
            self._buffer = b""
            return b"".join(rest)
        while len(self._buffer) < amt:
            piece = self._take()
            if piece is None:
                break
            self._buffer += piece
        data, self._buffer = self._buffer[:amt], self._buffer[amt:]
        return data

    def close(self) -> None:
        self.closed = True

    def release_conn(self) -> None:
        self.closed = True


def replay_response(url: str, response: RecordedResponse, speed: float = 0.0) -> AWSResponse:
    """An ``AWSResponse`` that botocore parses exactly like the recorded one."""
    headers = dict(response.headers)
    pieces = response.frames() if response.status < 300 else None
    if pieces is not None:
        delays: list[float] | None = None
        if speed > 0:
            previous = response.latency
            delays = []
            for event in response.events or ():
                delays.append(max(0.0, event.offset - previous) * speed)
                previous = event.offset
            if delays:
                delays[0] += response.latency * speed
        raw = ReplayRaw(pieces, delays, dropped=response.stream_end == "dropped")
    else:
        body = response.body
        headers["content-length"] = str(len(body))
        raw = ReplayRaw([body], [response.latency * speed] if speed > 0 else None)
    return AWSResponse(url, response.status, headers, raw)


class StreamRecorder:
    """What both tees (sync here, async in :mod:`bedrock_vcr.intercept.aio`) share: decoding a live
    body into frames with their arrival offsets, and finishing the recording exactly once."""

    def __init__(
        self,
        real: Any,
        started: float,
        on_finish: Callable[[list[StreamEvent], str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._real = real
        self._started = started
        self._on_finish = on_finish
        self._clock = clock
        self._decoder = MessageDecoder()
        self._events: list[StreamEvent] = []
        self._finished = False

    def _feed(self, data: bytes) -> bool:
        """Decode ``data``; returns True when an exception/error frame arrived."""
        self._decoder.feed(data)
        now = self._clock() - self._started
        saw_exception = False
        for message, _frame in self._decoder.frames():
            self._events.append(StreamEvent(message, now))
            if message.header(":message-type", "event") != "event":
                saw_exception = True
        return saw_exception

    @property
    def finished(self) -> bool:
        """Whether the recording is done (complete, dropped or abandoned)."""
        return self._finished

    def _finish(self, end: str) -> None:
        if not self._finished:
            self._finished = True
            self._on_finish(self._events, end)


class TeeRaw(StreamRecorder):
    """Wraps a live event-stream body while recording.

    Each network chunk is passed on as soon as it arrives and decoded into frames with their
    arrival offset. When a frame is an exception (botocore raises at that frame and never reads
    on), the rest of the body is drained and the recording finished *before* the chunk is handed
    over, so the cassette never holds half a stream.
    """

    def __init__(
        self,
        real: Any,
        started: float,
        on_finish: Callable[[list[StreamEvent], str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(real, started, on_finish, clock)
        self._iterator: Iterator[bytes] | None = None

    def _chunks(self) -> Iterator[bytes]:
        if self._iterator is None:
            self._iterator = iter(self._real.stream())
        return self._iterator

    def drain(self) -> None:
        """Read and record whatever the caller did not read, then finish the recording."""
        if self._finished:
            return
        try:
            for data in self._chunks():
                self._feed(data)
        except Exception:
            self._finish("dropped")
            return
        self._finish("complete")

    def stream(self, amt: int | None = 2**16, decode_content: Any = None) -> Iterator[bytes]:
        chunks = self._chunks()
        while True:
            try:
                data = next(chunks)
            except StopIteration:
                self._finish("complete")
                return
            except Exception:
                self._finish("dropped")
                raise
            if self._feed(data):
                self.drain()
            yield data

    def read(self, amt: int | None = None, decode_content: Any = None) -> bytes:
        return b"".join(self.stream())

    def close(self) -> None:
        self.drain()
        self._real.close()

    def release_conn(self) -> None:
        self.close()
