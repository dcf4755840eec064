"""Handing a connection that speaks HTTP/2 from the event loop to its own thread.

The HTTP/2 session (:class:`~bedrock_vcr.server.http2.H2Session`) is a blocking state machine
with its answers on the worker pool; the AWS SDK for JavaScript is its main client, and one
thread per HTTP/2 connection (connections are capped) keeps its flow control straight-line.
So when an :class:`~bedrock_vcr.server.h1_connection.H1Connection` reads the HTTP/2 preface, the
socket is duplicated, the loop lets go of its copy, and :class:`H2Connection` runs the session
on a thread, starting with the bytes the loop had already read.
"""

from __future__ import annotations

import os
import socket
import threading
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .listener import Listener


class Handing(Protocol):
    """The HTTP/1.1 connection that read the preface (see :mod:`.h1_connection`)."""

    listener: Listener
    buffer: bytearray
    transport: Any
    handed_off: bool

    async def read(self, size: int) -> bytes: ...

    def write(self, data: bytes) -> None: ...

    async def drained(self) -> None: ...


class _Input:
    """The session's ``rfile``: the bytes already read, then the socket."""

    def __init__(self, sock: socket.socket, first: bytes) -> None:
        self.sock = sock
        self.first = first

    def read1(self, size: int) -> bytes:
        if self.first:
            data, self.first = self.first, b""
            return data
        return self.sock.recv(size)


class H2Connection:
    """One HTTP/2 connection on its own thread, tracked by the listener like any connection."""

    def __init__(self, listener: Listener, sock: socket.socket, first: bytes) -> None:
        self.listener = listener
        self.sock = sock
        self.first = first
        self.session: Any = None

    def run(self, preface: bytes) -> None:
        from . import http2

        listener = self.listener
        try:
            self.session = http2.H2Session(
                self.sock,
                _Input(self.sock, self.first),
                listener.app,
                listener.idle_timeout,
                limits=listener.limits,
                pool=listener.pool,
            )
            self.session.run(preface)
        except Exception as exc:  # a bug here must not go unnoticed, nor kill the server
            listener.app.log(f"bedrock-vcr server: HTTP/2 connection: {exc!r}")
        finally:
            try:
                self.sock.close()
            finally:
                listener.untrack(self)
                listener.release()

    def close_if_idle(self) -> None:
        if self.session is not None:
            self.session.stop()

    def force_close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


async def hand_off(connection: Handing, line: bytes) -> None:
    """Take over ``connection`` after its first line ``line`` began the HTTP/2 preface."""
    from . import http2 as server_h2

    preface = line + await connection.read(len(server_h2.PREFACE) - len(line))
    if preface != server_h2.PREFACE:
        return
    if not server_h2.available():
        connection.write(server_h2.http11_required())
        await connection.drained()
        return
    first = bytes(connection.buffer)
    connection.buffer.clear()
    mine = connection.transport.get_extra_info("socket")
    sock = socket.socket(mine.family, mine.type, mine.proto, fileno=os.dup(mine.fileno()))
    sock.setblocking(True)
    sock.settimeout(connection.listener.idle_timeout)
    session = H2Connection(connection.listener, sock, first)
    connection.handed_off = True
    connection.listener.track(session)
    connection.transport.abort()  # the loop forgets its copy; ``sock`` keeps the connection
    threading.Thread(
        target=session.run, args=(preface,), name="bedrock-vcr-h2", daemon=True
    ).start()


__all__ = ["H2Connection", "Handing", "hand_off"]
