"""One HTTP/1.1 connection on the server's event loop: read requests, write answers.

:class:`H1Connection` is the :class:`asyncio.Protocol` of every accepted connection. It reads
requests (:mod:`~bedrock_vcr.server.request_body`), asks the
:class:`~bedrock_vcr.server.app.App` and writes the answer: a stream one event-stream frame per
HTTP chunk, each handed to the socket as it is written (``TCP_NODELAY`` on), waiting only when
the client reads slower than we write. An unpaced stream's frames are all due at once: the head
and first frame go in one write, the rest in a second; a paced stream writes what is due before
each wait. An answer's bytes are built once and kept (:mod:`~bedrock_vcr.server.h1_writing`),
and a request head that arrives whole is parsed at once, so replaying a cassette costs little
per request.

Sources that answer at once (cassettes, simulated routes: ``nonblocking``) are asked on the
loop; any other source (a function may wait on anything) is asked on the server's worker pool,
which then writes through the loop (:class:`~bedrock_vcr.server.h1_writing.ThreadOut`), frame
by frame as well. A connection that opens with the HTTP/2 preface is handed to
:mod:`~bedrock_vcr.server.h2_handoff`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..cassettes.records import RecordedResponse
from .h1_writing import ThreadOut, encoded
from .request_body import (
    MAX_LINE,
    SLOW,
    BadRequest,
    Headers,
    buffered_head,
    http_error,
    parse_request_line,
    read_body,
    read_headers,
)
from .transport import CLIENT_GONE, deliver

if TYPE_CHECKING:
    from .listener import Listener

#: Bytes buffered from a client before reading pauses (a body larger than this streams in).
_READ_HIGH = 1 << 20
_METHODS = frozenset({"POST", "GET", "PUT", "DELETE", "PATCH", "OPTIONS"})
_H2_LINE = b"PRI * HTTP/2.0\r\n"


class H1Connection(asyncio.Protocol):
    """One client connection: requests in order, answers frame by frame."""

    def __init__(self, listener: Listener) -> None:
        self.listener = listener
        self.app = listener.app
        self.timeout = listener.idle_timeout
        self.loop = asyncio.get_running_loop()
        self.buffer = bytearray()
        self.transport: Any = None
        self.eof = False
        self.closed = False
        self.busy = False
        self.handed_off = False
        self.reading_paused = False
        self.writing_paused = False
        self.waiter: asyncio.Future[None] | None = None
        self.drainer: asyncio.Future[None] | None = None
        self.deadline = 0.0  # when the wait in progress gives up (see _watch)
        self.watchdog: asyncio.TimerHandle | None = None
        self.peer = "-"
        self.task: asyncio.Task[None] | None = None

    # --- asyncio callbacks ------------------------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = str(peer[0]) if peer else "-"
        self.listener.track(self)
        self.task = self.loop.create_task(self._serve())

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > _READ_HIGH and not self.reading_paused:
            self.reading_paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return True  # keep writing: the answer may still be on its way

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = self.eof = True
        if self.watchdog is not None:
            self.watchdog.cancel()
        self._wake()
        if self.drainer is not None and not self.drainer.done():
            self.drainer.set_exception(ConnectionResetError("the client went away"))
        self.listener.untrack(self)
        if not self.handed_off:
            self.listener.release()

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        if self.drainer is not None and not self.drainer.done():
            self.drainer.set_result(None)

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    # --- reading (the request_body.Reader protocol) -----------------------------------------

    async def _more(self) -> bool:
        """Wait for more bytes; ``False`` at the end of input. A silent client is dropped."""
        if self.eof:
            return False
        if self.reading_paused:
            self.reading_paused = False
            self.transport.resume_reading()
        self.waiter = self.loop.create_future()
        self._watch()
        try:
            await self.waiter
        finally:
            self.waiter = None
        return True

    async def readline(self, limit: int) -> bytes:
        while True:
            end = self.buffer.find(b"\n", 0, limit)
            if end >= 0 or len(self.buffer) >= limit:
                size = end + 1 if end >= 0 else limit
                line = bytes(self.buffer[:size])
                del self.buffer[:size]
                return line
            if not await self._more():
                line = bytes(self.buffer)
                self.buffer.clear()
                return line

    async def read(self, size: int) -> bytes:
        while len(self.buffer) < size and await self._more():
            pass
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    # --- writing ----------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if self.closed:
            raise ConnectionResetError("the client went away")
        self.transport.write(data)

    async def drained(self) -> None:
        """Return once the socket takes more (a client that stops reading is dropped)."""
        if self.closed:
            raise ConnectionResetError("the client went away")
        if not self.writing_paused:
            return
        self.drainer = self.loop.create_future()
        self._watch()
        try:
            await self.drainer
        finally:
            self.drainer = None

    def _watch(self) -> None:
        """A wait starts: drop the client if it lasts ``timeout`` seconds. One timer serves
        every wait; it moves on when it fires early instead of being cancelled each time."""
        self.deadline = self.loop.time() + self.timeout
        if self.watchdog is None:
            self.watchdog = self.loop.call_at(self.deadline, self._expire)

    def _expire(self) -> None:
        self.watchdog = None
        if self.waiter is None and self.drainer is None:
            return  # no wait in progress: the next one sets the timer again
        if self.loop.time() >= self.deadline:
            self.transport.abort()
        else:
            self.watchdog = self.loop.call_at(self.deadline, self._expire)

    # --- the listener's controls ------------------------------------------------------------

    def close_if_idle(self) -> None:
        if not self.busy and not self.handed_off and self.transport is not None:
            self.transport.close()

    def force_close(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    # --- serving ----------------------------------------------------------------------------

    async def _serve(self) -> None:
        try:
            while not self.closed:
                head = await self._head()
                if head is None:
                    line = await self.readline(MAX_LINE + 1)
                    if not line.strip():
                        break
                    if line == _H2_LINE:
                        from .h2_handoff import hand_off

                        await hand_off(self, line)
                        return
                    self.busy = True
                    keep = await self._request(line, None)
                else:
                    self.busy = True
                    keep = await self._request(*head)
                self.busy = False
                if not keep or self.listener.stopping.is_set():
                    break
        except CLIENT_GONE:
            pass
        except Exception as exc:  # a bug here must not take the server down
            print(f"bedrock-vcr server: error while serving {self.peer}: {exc!r}", file=sys.stderr)
        finally:
            self.busy = False
            if not self.handed_off and self.transport is not None:
                self.transport.close()

    async def _head(self) -> tuple[bytes, Headers] | None:
        """The next request's line and headers when they come whole and plain (parsed at
        once); ``None``: read them line by line."""
        if not self.buffer and not await self._more():
            return None
        while True:
            head = buffered_head(self.buffer)
            if head is SLOW or (head is None and not await self._more()):
                return None
            if isinstance(head, tuple):
                line, headers, size = head
                del self.buffer[:size]
                return line, headers

    async def _request(self, line: bytes, parsed: Headers | None) -> bool:
        """Answer one request (``parsed``: its headers when already read); whether the
        connection stays open for the next."""
        method, close = "", True
        try:
            method, target, version = parse_request_line(line)
            headers = await read_headers(self) if parsed is None else parsed
            close = _closes(version, headers)
            if method not in _METHODS:
                raise http_error(501, f"Unsupported method ({method!r})")
            last = headers.last
            if version == "HTTP/1.1" and (last.get("expect") or "").lower() == "100-continue":
                length = (last.get("content-length") or "").strip()
                if not (length.isdigit() and int(length) > self.app.max_body):
                    self.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            framed_body = "content-length" in last or "transfer-encoding" in last
            body = b""
            if method == "POST" or framed_body:
                body = await read_body(headers, self, self.app.max_body)
            close = close or self.listener.stopping.is_set()
            if target.startswith("//"):
                target = "/" + target.lstrip("/")
            await self._answer(method, target, headers, body, close)
        except BadRequest as bad:
            close = close or bad.close
            await self.send(bad.response, 0.0, close, head_only=method == "HEAD")
            status = bad.response.status
        else:
            status = 0
        if self.listener.verbose:
            print(
                f'{self.peer} - - "{line.decode("latin-1").strip()}" {status or "-"}',
                file=sys.stderr,
            )
        return not close

    async def _answer(
        self, method: str, target: str, headers: Headers, body: bytes, close: bool
    ) -> None:
        app = self.app
        if all(getattr(source, "nonblocking", False) for source in app.sources):
            response = app.respond(method, target, headers.last, body)
            if response.events is None or type(response.events) is list:
                await self.send(response, app.speed, close)
                return
            ask: Callable[[], RecordedResponse] = lambda: response  # noqa: E731
        else:
            ask = lambda: app.respond(method, target, headers.last, body)  # noqa: E731
        done: concurrent.futures.Future[None] = concurrent.futures.Future()

        def job() -> None:
            try:
                deliver(ask(), ThreadOut(self, close), app.speed)
                done.set_result(None)
            except BaseException as exc:  # handed to the loop, which decides
                done.set_exception(exc)

        self.listener.pool.submit(job)
        await asyncio.wrap_future(done)

    async def send(
        self, response: RecordedResponse, speed: float, close: bool, head_only: bool = False
    ) -> None:
        """Write ``response``: a stream one frame per chunk, each frame as soon as it is due.

        Unpaced, every frame is due at once: the head leaves with the first frame, the other
        frames in one more write (two system calls, and the first frame waits for no other).
        Paced (``speed`` > 0), what is due is written before each wait."""
        if speed > 0 and response.latency > 0:
            await asyncio.sleep(response.latency * speed)
        answer = encoded(response)
        head = answer.head(close)
        if answer.pieces is None:
            self.write(head if head_only else head + answer.first)
        elif speed > 0:
            await self._paced(response, answer.pieces, head, speed)
        else:
            self.write(head + answer.first)
            if answer.rest:
                self.write(answer.rest)
        await self.drained()
        if answer.pieces is not None and response.stream_end == "dropped":
            self.transport.close()  # after what was written: the client sees a cut stream
            self.closed = True

    async def _paced(
        self, response: RecordedResponse, pieces: list[bytes], head: bytes, speed: float
    ) -> None:
        """Write each frame at its recorded offset (scaled by ``speed``); frames due together
        go in one write."""
        due = [head]
        previous = response.latency
        for event, piece in zip(response.events or (), pieces, strict=True):
            gap = (event.offset - previous) * speed
            previous = event.offset
            if gap > 0:
                self.write(b"".join(due))
                due.clear()
                if self.writing_paused:
                    await self.drained()
                await asyncio.sleep(gap)
            due.append(piece)
        if response.stream_end != "dropped":
            due.append(b"0\r\n\r\n")
        self.write(b"".join(due))


def _closes(version: str, headers: Headers) -> bool:
    """Whether the connection ends after this request (``http.server``'s rules)."""
    connection = (headers.last.get("connection") or "").lower()
    if connection == "close":
        return True
    if connection == "keep-alive":
        return False
    return version != "HTTP/1.1"


__all__ = ["H1Connection"]
