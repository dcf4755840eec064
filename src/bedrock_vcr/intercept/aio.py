"""The asynchronous "raw adapter": what aiobotocore reads a response body from.

aiobotocore expects an ``AioAWSResponse`` whose ``raw`` looks like ``aiohttp.ClientResponse``:
event streams are read with ``async for chunk, _ in raw.content.iter_chunks()``, ``InvokeModel``
bodies with ``await raw.content.read(n)`` / ``raw.content.at_eof()`` / ``raw.url``, every other
body with ``await raw.read()``; it closes with ``raw.close()`` or ``raw.release()``.

:class:`AioReplayRaw` serves the same recorded pieces (pre-encoded frames or one body) as
:class:`bedrock_vcr.intercept.raw.ReplayRaw`, pacing with ``asyncio.sleep``; :class:`AioTeeRaw`
wraps a live aiohttp response while recording, like :class:`bedrock_vcr.intercept.raw.TeeRaw`. The
cassette core is shared: handlers answer with the synchronous ``AWSResponse`` and
:func:`to_aio_response` converts it; only recording needs awaiting (:func:`record`).

This module imports aiobotocore and aiohttp; a handler imports it only when it answers an
aiobotocore client (``handle_async``), so both stay optional. It knows no handler: what it
records is reported through a callback.
"""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import aiohttp
from aiobotocore.awsrequest import AioAWSResponse
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.client import BaseClient

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..bedrock.operations import BY_NAME
from ..cassettes.records import RecordedRequest, RecordedResponse, StreamEvent
from ..errors import AsyncClientNotSupported, UnfinishedStreamWarning
from .capture import response_headers
from .clients import http_session
from .raw import ReplayRaw, StreamRecorder

if TYPE_CHECKING:
    from ..cassettes.cassette import Cassette

__all__ = [
    "AioReplayRaw",
    "AioTeeRaw",
    "UnfinishedStreamWarning",
    "record",
    "to_aio_response",
]


def _dropped_error() -> aiohttp.ClientPayloadError:
    # what aiohttp raises when the connection closes in the middle of a chunked body
    return aiohttp.ClientPayloadError(
        "Response payload is not completed: the connection closed mid-stream"
    )


class _ReplayContent:
    """The ``aiohttp.StreamReader`` side of :class:`AioReplayRaw`."""

    def __init__(
        self,
        pieces: Sequence[bytes],
        delays: Sequence[float] | None,
        dropped: bool,
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self._pieces = pieces
        self._delays = delays
        self._dropped = dropped
        self._sleep = sleep
        self._next = 0
        self._buffer = b""

    async def _take(self) -> bytes | None:
        if self._next >= len(self._pieces):
            if self._dropped:
                self._dropped = False
                raise _dropped_error()
            return None
        if self._delays is not None:
            delay = self._delays[self._next]
            if delay > 0:
                await self._sleep(delay)
        piece = self._pieces[self._next]
        self._next += 1
        return piece

    def at_eof(self) -> bool:
        return not self._buffer and self._next >= len(self._pieces) and not self._dropped

    async def iter_chunks(self) -> AsyncIterator[tuple[bytes, bool]]:
        if self._buffer:
            data, self._buffer = self._buffer, b""
            yield data, True
        while (piece := await self._take()) is not None:
            if piece:
                yield piece, True

    async def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            rest = [self._buffer]
            while (piece := await self._take()) is not None:
                rest.append(piece)
            self._buffer = b""
            return b"".join(rest)
        if not self._buffer:  # like aiohttp: at most what one arrival brings
            while (piece := await self._take()) is not None and not piece:
                pass
            self._buffer = piece or b""
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data


class AioReplayRaw:
    """Recorded pieces served as aiobotocore reads an ``aiohttp.ClientResponse``.

    ``pieces``, ``delays`` and ``dropped`` mean what they mean for
    :class:`bedrock_vcr.intercept.raw.ReplayRaw`; a dropped body ends with
    ``aiohttp.ClientPayloadError`` as a connection closed mid-response does.
    """

    def __init__(
        self,
        pieces: Sequence[bytes],
        delays: Sequence[float] | None = None,
        *,
        dropped: bool = False,
        url: str = "",
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.content = _ReplayContent(pieces, delays, dropped, sleep)
        self.url = url
        self.closed = False

    async def read(self) -> bytes:
        return await self.content.read()

    def close(self) -> None:
        self.closed = True

    def release(self) -> None:
        self.closed = True


def to_aio_response(response: AWSResponse) -> AioAWSResponse:
    """The ``AioAWSResponse`` aiobotocore parses exactly as botocore parses ``response``."""
    if isinstance(response, AioAWSResponse):
        return response
    raw = response.raw
    if isinstance(raw, ReplayRaw):
        # the same recorded pieces and pacing, served without blocking the event loop
        rest = raw.unread()
        aio_raw = AioReplayRaw(rest.pieces, rest.delays, dropped=rest.dropped, url=response.url)
    else:  # a handler's own raw: take its whole body
        aio_raw = AioReplayRaw([response.content], url=response.url)
    return AioAWSResponse(response.url, response.status_code, response.headers, aio_raw)


class _TeeContent:
    """The ``aiohttp.StreamReader`` side of :class:`AioTeeRaw`."""

    def __init__(self, tee: AioTeeRaw) -> None:
        self._tee = tee

    def at_eof(self) -> bool:
        return self._tee.finished

    def iter_chunks(self) -> AsyncIterator[tuple[bytes, bool]]:
        return self._tee._stream()

    async def read(self, n: int = -1) -> bytes:
        return b"".join([chunk async for chunk, _ in self._tee._stream()])


class AioTeeRaw(StreamRecorder):
    """Wraps a live aiohttp event-stream response while recording.

    As :class:`bedrock_vcr.intercept.raw.TeeRaw`: each network chunk is passed on as soon as it
    arrives and decoded into frames with their arrival offset; when a frame is an exception, the
    rest of the body is read and the recording finished before that chunk is handed over (the
    caller raises there and never reads on). The recording also finishes on ``close()`` when
    the body was read to its end.
    """

    def __init__(
        self,
        real: Any,
        started: float,
        on_finish: Callable[[list[StreamEvent], str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(real, started, on_finish, clock)
        self._iterator: AsyncIterator[bytes] | None = None
        self.content = _TeeContent(self)
        self.url = getattr(real, "url", "")

    def _chunks(self) -> AsyncIterator[bytes]:
        if self._iterator is None:
            self._iterator = _live_chunks(self._real)
        return self._iterator

    async def drain(self) -> None:
        """Read and record whatever the caller did not read, then finish the recording."""
        if self._finished:
            return
        try:
            async for data in self._chunks():
                self._feed(data)
        except Exception:
            self._real.close()  # a broken connection is not reused
            self._finish("dropped")
            return
        self._finish("complete")

    async def _stream(self) -> AsyncIterator[tuple[bytes, bool]]:
        chunks = self._chunks()
        while True:
            try:
                data = await chunks.__anext__()
            except StopAsyncIteration:
                self._finish("complete")
                return
            except Exception:
                self._real.close()  # a broken connection is not reused
                self._finish("dropped")
                raise
            if self._feed(data):
                await self.drain()
            yield data, True

    async def read(self) -> bytes:
        return await self.content.read()

    def close(self) -> None:
        self._real.close()

    def release(self) -> None:
        self._real.release()

    def abandon(self) -> None:
        """Called when the cassette is saved: a stream nobody read to its end is not recorded.

        Reading on would need the event loop, which a synchronous save cannot drive.
        """
        if not self._finished:
            self._finished = True
            warnings.warn(
                UnfinishedStreamWarning(
                    f"a stream recorded through an async client ({self.url}) was not read to "
                    f"its end ({len(self._events)} event(s) received) before the cassette "
                    "closed, so it was not recorded. Read the whole stream (async for) inside "
                    "the cassette."
                ),
                stacklevel=2,
            )


async def _live_chunks(real: Any) -> AsyncIterator[bytes]:
    """Chunks of a live response as they arrive (aiohttp, or httpx with aiobotocore[httpx])."""
    content = getattr(real, "content", None)
    if content is not None and hasattr(content, "iter_chunks"):
        async for data, _ in content.iter_chunks():
            yield data
    elif hasattr(real, "aiter_raw"):
        async for data in real.aiter_raw():
            yield data
    else:
        raise AsyncClientNotSupported(
            f"cannot record a stream from a {type(real).__name__} response: bedrock-vcr records "
            "aiobotocore clients using its aiohttp or httpx backend"
        )


async def record(
    cassette: Cassette,
    client: BaseClient,
    request: AWSPreparedRequest,
    recorded: RecordedRequest,
    on_recorded: Callable[[RecordedRequest, RecordedResponse], None],
) -> AioAWSResponse:
    """Send ``request`` through the async client's own http session and record the answer in
    ``cassette``; ``on_recorded`` gets the request and its answer once the answer is complete."""
    interaction = cassette.reserve(recorded)
    started = time.monotonic()
    live = await http_session(client).send(request)  # connection errors propagate to retries
    headers = response_headers(live.headers)
    op = BY_NAME.get(recorded.operation)
    if op is not None and op.streaming and live.status_code < 300:
        latency = time.monotonic() - started

        def finish(events: list[StreamEvent], end: str) -> None:
            response = RecordedResponse(
                live.status_code, headers, events=events, latency=latency, stream_end=end
            )
            cassette.complete(interaction, response)
            on_recorded(recorded, response)

        tee = AioTeeRaw(live.raw, started, finish)
        cassette.add_pending(tee.abandon)
        return AioAWSResponse(request.url, live.status_code, live.headers, tee)
    body = await live.content
    latency = time.monotonic() - started
    response = RecordedResponse(live.status_code, headers, body=body, latency=latency)
    cassette.complete(interaction, response)
    on_recorded(recorded, response)
    raw = AioReplayRaw([body], url=request.url)
    return AioAWSResponse(request.url, live.status_code, live.headers, raw)
