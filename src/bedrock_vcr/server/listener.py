"""The server's event loop and listening socket: accepting connections within the limits.

:class:`Listener` runs one :mod:`asyncio` loop (on :meth:`BedrockServer.start
<bedrock_vcr.server.http1.BedrockServer.start>`'s thread, or the caller's) that accepts
connections and serves HTTP/1.1 on them (:mod:`~bedrock_vcr.server.http1`). Beyond accepting, it
keeps the promises about connections: at most ``max_connections`` are open at once (one more is
closed as soon as it is accepted, whatever its protocol); when ``accept()`` fails for want of
descriptors or memory the loop pauses (up to a tenth of a second, doubling) instead of spinning
on a socket that stays readable; each such condition is logged at most once every ten seconds.
It tracks the open connections, so that stopping can let them finish (:meth:`Listener.drain`),
and owns the worker pool that answers HTTP/2 streams and requests whose source may block.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from .app import App
from .limits import Limits, WorkerPool

#: accept() errors that mean "no descriptor or memory left": wait, then try again.
_EXHAUSTED = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
#: accept() errors that mean "that client went away before we took it": take the next one.
_CLIENT_GONE = frozenset({errno.ECONNABORTED, errno.EPROTO, errno.EPERM, errno.ECONNRESET})
#: Longest pause of the accept loop while descriptors are exhausted, in seconds.
_MAX_ACCEPT_PAUSE = 0.1
#: Seconds between two log lines about the same exhausted limit.
_LOG_EVERY = 10.0


class Connection(Protocol):
    """What the listener asks of an open connection (HTTP/1.1 or a handed-off HTTP/2 one)."""

    def close_if_idle(self) -> None:
        """The server stops: end the connection now if no request is in progress."""

    def force_close(self) -> None:
        """The grace period is over: end the connection whatever it is doing."""


class Listener:
    """The listening socket, the loop serving it, and the connections it accepted.

    ``protocol(listener)`` builds the :class:`asyncio.Protocol` of each accepted connection; it
    calls :meth:`track` and :meth:`untrack` itself.
    """

    def __init__(
        self,
        address: tuple[str, int],
        protocol: Callable[[Listener], asyncio.Protocol],
        app: App,
        idle_timeout: float,
        verbose: bool,
        limits: Limits,
    ) -> None:
        self.app = app
        self.protocol = protocol
        self.idle_timeout = idle_timeout
        self.verbose = verbose
        self.limits = limits
        self.pool = WorkerPool(limits.max_workers, "bedrock-vcr-worker")
        self.stopping = threading.Event()
        self.connections: set[Any] = set()
        self.admitted = 0  # accepted sockets not yet closed (the cap counts them)
        self.admitted_lock = threading.Lock()
        self.logged: dict[str, float] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.ready = threading.Event()  # the loop runs (or ended before running)
        self.finished = threading.Event()
        self._stop: asyncio.Future[float] | None = None
        self._grace = 0.0
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.socket.bind(address)
            self.socket.listen(1024)
            self.socket.setblocking(False)
        except OSError:
            self.socket.close()
            raise
        self.server_address = self.socket.getsockname()

    # --- running ------------------------------------------------------------------------

    def run(self) -> None:
        """Serve until :meth:`request_stop`; then drain the connections and close the loop."""
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._main(loop))
        finally:
            loop.close()
            self.finished.set()

    async def _main(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._stop = loop.create_future()
        if self.stopping.is_set():  # stop() came before the loop ran
            self._stop.set_result(self._grace)
        self.ready.set()
        accepting = loop.create_task(self._accept(loop))
        grace = await self._stop
        accepting.cancel()
        try:
            await accepting
        except asyncio.CancelledError:
            pass
        self.socket.close()
        await self.drain(grace)
        # what is left (connections that just closed) ends before the loop does
        current = asyncio.current_task()
        left = [task for task in asyncio.all_tasks(loop) if task is not current]
        for task in left:
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)

    def request_stop(self, grace: float) -> None:
        """From any thread: stop accepting, then drain for ``grace`` seconds (see :meth:`run`)."""
        self._grace = grace
        self.stopping.set()
        if self.loop is None or self._stop is None:
            return

        def stop() -> None:
            if self._stop is not None and not self._stop.done():
                self._stop.set_result(grace)

        try:
            self.loop.call_soon_threadsafe(stop)
        except RuntimeError:  # the loop already ended
            pass

    def close_socket(self) -> None:
        """Release the port of a listener that never ran."""
        self.socket.close()

    # --- accepting ----------------------------------------------------------------------

    async def _accept(self, loop: asyncio.AbstractEventLoop) -> None:
        pause = 0.0
        while True:
            try:
                conn, _ = await loop.sock_accept(self.socket)
            except OSError as exc:
                if self.socket.fileno() < 0:
                    return  # the listening socket was closed
                if exc.errno not in _EXHAUSTED:
                    if exc.errno not in _CLIENT_GONE:
                        self.log_once("accept-error", f"bedrock-vcr server: accept failed: {exc}")
                        await asyncio.sleep(_MAX_ACCEPT_PAUSE)
                    continue
                # the socket stays readable: do not spin on it
                pause = min(max(2 * pause, 0.005), _MAX_ACCEPT_PAUSE)
                self.log_once(
                    "accept",
                    f"bedrock-vcr server: cannot accept connections ({exc.strerror}); "
                    "waiting for descriptors to free up (raise `ulimit -n` or lower "
                    "max_connections)",
                )
                await asyncio.sleep(pause)
                continue
            pause = 0.0
            if self.admitted >= self.limits.max_connections:
                self.log_once(
                    "connections",
                    f"bedrock-vcr server: {self.limits.max_connections} connections are open "
                    "(max_connections); closing new ones until some end",
                )
                conn.close()
                continue
            with self.admitted_lock:
                self.admitted += 1
            try:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                await loop.connect_accepted_socket(lambda: self.protocol(self), conn)
            except OSError:
                self.release()
                conn.close()

    def release(self) -> None:
        """One admitted connection has closed (from the loop or a connection's thread)."""
        with self.admitted_lock:
            self.admitted -= 1

    # --- bookkeeping --------------------------------------------------------------------

    def log_once(self, key: str, text: str) -> None:
        """Print ``text`` unless the same ``key`` was logged in the last few seconds."""
        now = time.monotonic()
        if now - self.logged.get(key, -_LOG_EVERY) >= _LOG_EVERY:
            self.logged[key] = now
            print(text, file=sys.stderr, flush=True)

    def track(self, connection: Connection) -> None:
        self.connections.add(connection)
        if self.stopping.is_set():
            connection.close_if_idle()

    def untrack(self, connection: Connection) -> None:
        self.connections.discard(connection)

    async def drain(self, grace: float) -> None:
        """Close idle connections now, the others once they finish or ``grace`` runs out."""
        deadline = time.monotonic() + grace
        while self.connections and time.monotonic() < deadline:
            for connection in list(self.connections):
                connection.close_if_idle()
            await asyncio.sleep(0.02)
        for connection in list(self.connections):
            connection.force_close()
        deadline = time.monotonic() + 1.0
        while self.connections and time.monotonic() < deadline:
            await asyncio.sleep(0.01)


__all__ = ["Connection", "Listener"]
