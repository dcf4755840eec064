"""Writing HTTP/1.1 answers: the head, a stream's frames as chunks, and writing from a thread.

A recorded answer never changes, so its bytes are built once and kept (:func:`encoded`): the
head but for its ``Date`` (and a request id when the recording has none), the chunk-framed
frames of a stream, and what an unpaced answer writes (the head with the first frame, then the
rest in one more write), so replaying it again costs no encoding. :class:`ThreadOut` is the
:class:`~bedrock_vcr.server.transport.Transport` a worker thread writes through when a source
may block: each call runs on the event loop and returns once the socket took the bytes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import email.utils
import time
import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, Protocol

from ..cassettes.records import RecordedResponse
from .transport import response_headers

_date: list[Any] = [0, "", b""]
#: id(response) -> its encoding (which keeps the response, so the id stays its own)
_ENCODED: dict[int, Encoded] = {}


class Writable(Protocol):
    """The side of an HTTP/1.1 connection :class:`ThreadOut` writes to (on its loop)."""

    loop: asyncio.AbstractEventLoop
    timeout: float
    transport: Any
    closed: bool

    def write(self, data: bytes) -> None: ...

    async def drained(self) -> None: ...


def http_date() -> str:
    now = int(time.time())
    if _date[0] != now:
        text = email.utils.formatdate(now, usegmt=True)
        _date[:] = [now, text, text.encode("latin-1")]
    return str(_date[1])


def _date_bytes() -> bytes:
    if _date[0] != int(time.time()):
        http_date()
    return bytes(_date[2])


def phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def head_bytes(
    status: int, headers: list[tuple[str, str]], length: int | None, close: bool
) -> bytes:
    """The status line and headers (like Bedrock: a Date header, no Server header)."""
    lines = [f"HTTP/1.1 {status} {phrase(status)}\r\nDate: {http_date()}\r\n"]
    lines += [f"{name}: {value}\r\n" for name, value in headers]
    lines.append(
        "Transfer-Encoding: chunked\r\n" if length is None else f"Content-Length: {length}\r\n"
    )
    if close:
        lines.append("Connection: close\r\n")
    lines.append("\r\n")
    return "".join(lines).encode("latin-1")


class Encoded:
    """A recorded answer as HTTP/1.1 bytes, built once: all but the ``Date`` (and a request id
    when the recording has none) of its head, and its body (a stream: chunk-framed frames)."""

    __slots__ = ("events", "fields", "first", "headers", "needs_id", "pieces", "response", "rest")

    def __init__(self, response: RecordedResponse) -> None:
        self.response = response
        self.headers = response.headers
        stream = response.events is not None and response.status < 300
        self.events = response.events
        headers = response_headers(response)
        cut = len(headers)  # where response_headers put a request id of its own, if it did
        if "x-amzn-requestid" not in {name.lower() for name in response.headers}:
            cut = [name for name, _ in headers].index("x-amzn-requestid")
        self.needs_id = cut < len(headers)
        before, after = headers[:cut], headers[cut + 1 :]
        status = f"HTTP/1.1 {response.status} {phrase(response.status)}\r\nDate: "
        framing = (
            "Transfer-Encoding: chunked\r\n"
            if stream
            else f"Content-Length: {len(response.body)}\r\n"
        )
        self.fields = (
            status.encode("latin-1"),
            _lines(before),
            _lines(after) + framing.encode("latin-1"),
        )
        #: a stream's frames as HTTP chunks (``None`` for a plain body)
        self.pieces: list[bytes] | None = None
        #: unpaced, what goes with the head (a stream's first frame, or a plain body) and after
        self.first, self.rest = response.body, b""
        if stream:
            self.pieces = [b"%x\r\n%b\r\n" % (len(e.frame), e.frame) for e in self.events or []]
            end = b"" if response.stream_end == "dropped" else b"0\r\n\r\n"
            self.first, self.rest = end, b""
            if self.pieces:
                self.first, self.rest = self.pieces[0], b"".join(self.pieces[1:]) + end

    def fits(self, response: RecordedResponse) -> bool:
        """Whether this is still ``response``'s encoding (nothing in it was replaced)."""
        return (
            self.response is response
            and self.headers is response.headers
            and self.events is response.events
            and (self.pieces is None or len(self.pieces) == len(self.events or ()))
        )

    def head(self, close: bool) -> bytes:
        """The status line and headers (like Bedrock: a Date header, no Server header)."""
        status, before, after = self.fields
        date = _date_bytes()
        rid = b""
        if self.needs_id:
            rid = b"x-amzn-requestid: %b\r\n" % str(uuid.uuid4()).encode("latin-1")
        tail = b"Connection: close\r\n\r\n" if close else b"\r\n"
        return b"%b%b\r\n%b%b%b%b" % (status, date, before, rid, after, tail)


def _lines(headers: list[tuple[str, str]]) -> bytes:
    return "".join(f"{name}: {value}\r\n" for name, value in headers).encode("latin-1")


def encoded(response: RecordedResponse) -> Encoded:
    """``response`` as HTTP/1.1 bytes, built on its first answer and kept."""
    kept = _ENCODED.get(id(response))
    if kept is not None and kept.fits(response):
        return kept
    built = Encoded(response)
    if len(_ENCODED) >= 4096:
        _ENCODED.clear()
    _ENCODED[id(response)] = built
    return built


class ThreadOut:
    """The :class:`~bedrock_vcr.server.transport.Transport` a worker thread writes through:
    each call runs on the loop and returns once the socket took the bytes."""

    def __init__(self, connection: Writable, close: bool) -> None:
        self.connection = connection
        self.close = close
        self.chunked = False

    def _on_loop(self, action: Callable[[], None]) -> None:
        conn = self.connection
        done: concurrent.futures.Future[None] = concurrent.futures.Future()

        async def run() -> None:
            try:
                action()
                await conn.drained()
                done.set_result(None)
            except BaseException as exc:
                done.set_exception(exc)

        try:
            conn.loop.call_soon_threadsafe(lambda: conn.loop.create_task(run()))
        except RuntimeError:  # the loop has ended: the server stopped
            raise ConnectionResetError("the server stopped") from None
        deadline = time.monotonic() + conn.timeout + 1
        while True:
            try:
                done.result(timeout=0.25)
                return
            except concurrent.futures.TimeoutError:
                if conn.loop.is_closed():  # the server stopped before running it
                    raise ConnectionResetError("the server stopped") from None
                if time.monotonic() > deadline:
                    raise TimeoutError("the client stopped reading") from None

    def start(self, status: int, headers: list[tuple[str, str]], length: int | None) -> None:
        self.chunked = length is None
        data = head_bytes(status, headers, length, self.close)
        self._on_loop(lambda: self.connection.write(data))

    def write(self, data: bytes) -> None:
        piece = b"%x\r\n%b\r\n" % (len(data), data) if self.chunked else data
        self._on_loop(lambda: self.connection.write(piece))

    def finish(self) -> None:
        if self.chunked:
            self._on_loop(lambda: self.connection.write(b"0\r\n\r\n"))

    def abort(self) -> None:
        def cut() -> None:
            self.connection.transport.close()
            self.connection.closed = True

        self._on_loop(cut)


__all__ = ["Encoded", "ThreadOut", "Writable", "encoded", "head_bytes", "http_date", "phrase"]
