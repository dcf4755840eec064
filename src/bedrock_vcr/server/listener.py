"""The server's listening socket: accepting connections within the server's limits.

:class:`Listener` is the :class:`~http.server.ThreadingHTTPServer` that
:class:`~bedrock_vcr.server.http1.BedrockServer` runs. Beyond accepting, it keeps the promises
about connections: at most ``max_connections`` are open at once (one more is closed as soon as it
is accepted, whatever its protocol); when ``accept()`` fails for want of descriptors or memory the
loop pauses (up to a tenth of a second, doubling) instead of spinning on a socket that stays
readable; each such condition is logged at most once every ten seconds. It also tracks the open
connections, so that stopping can let them finish (:meth:`Listener.drain`), and owns the worker
pool that answers HTTP/2 streams.
"""

from __future__ import annotations

import errno
import socket
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from socketserver import BaseRequestHandler
from typing import Any

from .app import App
from .limits import Limits, WorkerPool

#: accept() errors that mean "no descriptor or memory left": wait, then try again.
_EXHAUSTED = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
#: Longest pause of the accept loop while descriptors are exhausted, in seconds.
_MAX_ACCEPT_PAUSE = 0.1
#: Seconds between two log lines about the same exhausted limit.
_LOG_EVERY = 10.0


class Listener(ThreadingHTTPServer):
    """The listening socket and the connections it accepted (one thread each).

    ``handler`` is the request handler class; each of its instances calls :meth:`track` when it
    starts and :meth:`untrack` when it ends, and has ``close_if_idle()`` and ``force_close()``
    for :meth:`drain`.
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseRequestHandler],
        app: App,
        idle_timeout: float,
        verbose: bool,
        limits: Limits,
    ) -> None:
        self.app = app
        self.idle_timeout = idle_timeout
        self.verbose = verbose
        self.limits = limits
        self.pool = WorkerPool(limits.max_workers, "bedrock-vcr-h2")
        self.stopping = threading.Event()
        self.connections: set[Any] = set()
        self.changed = threading.Condition()
        self.admitted: set[Any] = set()  # accepted sockets not yet closed (the cap counts them)
        self.accept_pause = 0.0
        self.logged: dict[str, float] = {}
        super().__init__(address, handler)

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()

    def get_request(self) -> tuple[socket.socket, Any]:
        try:
            conn, addr = super().get_request()
        except OSError as exc:
            if exc.errno in _EXHAUSTED:  # the socket stays readable: do not spin on it
                self.accept_pause = min(max(2 * self.accept_pause, 0.005), _MAX_ACCEPT_PAUSE)
                self.log_once(
                    "accept",
                    f"bedrock-vcr server: cannot accept connections ({exc.strerror}); "
                    "waiting for descriptors to free up (raise `ulimit -n` or lower "
                    "max_connections)",
                )
                time.sleep(self.accept_pause)
            raise
        self.accept_pause = 0.0
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, addr

    def verify_request(self, request: Any, client_address: Any) -> bool:
        """Admit a new connection while fewer than ``max_connections`` are open."""
        with self.changed:
            if len(self.admitted) < self.limits.max_connections:
                self.admitted.add(request)
                return True
        self.log_once(
            "connections",
            f"bedrock-vcr server: {self.limits.max_connections} connections are open "
            "(max_connections); closing new ones until some end",
        )
        return False  # socketserver closes it at once

    def shutdown_request(self, request: Any) -> None:
        try:
            super().shutdown_request(request)
        finally:
            with self.changed:
                self.admitted.discard(request)

    def log_once(self, key: str, text: str) -> None:
        """Print ``text`` unless the same ``key`` was logged in the last few seconds."""
        now = time.monotonic()
        if now - self.logged.get(key, -_LOG_EVERY) >= _LOG_EVERY:
            self.logged[key] = now
            print(text, file=sys.stderr, flush=True)

    def track(self, handler: Any) -> None:
        with self.changed:
            self.connections.add(handler)
        if self.stopping.is_set():
            handler.close_if_idle()

    def untrack(self, handler: Any) -> None:
        with self.changed:
            self.connections.discard(handler)
            self.changed.notify_all()

    def drain(self, grace: float) -> None:
        """Close idle connections now, the others once they finish or ``grace`` runs out."""
        self.stopping.set()
        with self.changed:
            handlers = list(self.connections)
        for handler in handlers:
            handler.close_if_idle()
        deadline = time.monotonic() + grace
        while True:
            with self.changed:
                handlers = list(self.connections)
                left = deadline - time.monotonic()
                if not handlers or left <= 0:
                    break
                self.changed.wait(min(left, 0.05))
            for handler in handlers:
                handler.close_if_idle()
        for handler in handlers:
            handler.force_close()
        with self.changed:
            self.changed.wait_for(lambda: not self.connections, timeout=1.0)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            return  # a client that went away mid-request is not the server's problem
        print(
            f"bedrock-vcr server: error while serving {client_address}: {exc!r}",
            file=sys.stderr,
            flush=True,
        )
        if self.verbose:
            super().handle_error(request, client_address)


__all__ = ["Listener"]
