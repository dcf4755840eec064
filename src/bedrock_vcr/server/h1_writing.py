"""Writing HTTP/1.1 answers: the head, a stream's frames as chunks, and writing from a thread.

The chunk-framed frames of an answer are built once and kept (:func:`framed`): a recorded answer
never changes, so replaying it again costs no encoding. :class:`ThreadOut` is the
:class:`~bedrock_vcr.server.transport.Transport` a worker thread writes through when a source
may block: each call runs on the event loop and returns once the socket took the bytes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import email.utils
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, Protocol

from ..cassettes.records import RecordedResponse

_date: list[Any] = [0, ""]
#: id(response) -> (response, its events, their chunk-framed frames)
_FRAMED: dict[int, tuple[RecordedResponse, Any, list[bytes]]] = {}


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
        _date[:] = [now, email.utils.formatdate(now, usegmt=True)]
    return str(_date[1])


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


def framed(response: RecordedResponse) -> list[bytes]:
    """The events of ``response`` as HTTP chunks, built once per answer."""
    events = response.events or []
    kept = _FRAMED.get(id(response))
    if (
        kept is not None
        and kept[0] is response
        and kept[1] is events
        and len(kept[2]) == len(events)
    ):
        return kept[2]
    pieces = [b"%x\r\n%b\r\n" % (len(e.frame), e.frame) for e in events]
    if len(_FRAMED) >= 4096:
        _FRAMED.clear()
    _FRAMED[id(response)] = (response, events, pieces)
    return pieces


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


__all__ = ["ThreadOut", "Writable", "framed", "head_bytes", "http_date", "phrase"]
