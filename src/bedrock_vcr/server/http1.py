"""The local server, :class:`BedrockServer`: HTTP/1.1 on an event loop, HTTP/2 beside it.

One :mod:`asyncio` loop accepts connections (capped, :mod:`~bedrock_vcr.server.listener`) and
serves HTTP/1.1 on all of them (:mod:`~bedrock_vcr.server.h1_connection`): streams go out one
event-stream frame per HTTP chunk, each handed to the socket as it is written (``TCP_NODELAY``
on); ``benchmarks/bench_server.py`` measures it beside a minimal asyncio server. A connection
that opens with the HTTP/2 preface moves to a thread of its own
(:mod:`~bedrock_vcr.server.h2_handoff`, :mod:`~bedrock_vcr.server.http2`, imported only then),
its requests answered on a bounded worker pool shared by all connections
(:mod:`~bedrock_vcr.server.limits`). Bad input (broken request lines, missing or invalid
``Content-Length``, oversized bodies, clients that vanish mid-stream) gets a Bedrock-shaped error
or a closed connection, never a dead server. :meth:`BedrockServer.stop` stops accepting, closes
idle keep-alive connections, lets requests in flight finish for a grace period and then closes
what is left.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from .app import MAX_BODY, App
from .h1_connection import H1Connection
from .limits import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_RESETS_PER_SECOND,
    DEFAULT_MAX_STREAMS,
    DEFAULT_MAX_WORKERS,
    Limits,
)
from .listener import Listener
from .sources import Source

#: Seconds a stopping server lets requests in flight finish before closing their connections.
DEFAULT_GRACE = 5.0
#: Seconds a keep-alive connection may sit idle (or a client may stall) before it is closed.
DEFAULT_IDLE_TIMEOUT = 120.0


class BedrockServer:
    """Run the server in a background thread: ``with BedrockServer(sources) as srv: srv.url``.

    ``speed`` paces recorded answers (0 at once, 1 at the recorded pace); ``max_body`` caps
    request bodies (Bedrock's 25,000,000 bytes by default); ``idle_timeout`` closes connections
    that stay silent that long; ``grace`` is how long :meth:`stop` waits for requests in flight.

    What clients can make the server spend (see :mod:`~bedrock_vcr.server.limits`):
    ``max_connections`` open connections, HTTP/1.1 and HTTP/2 (more are closed when accepted);
    ``max_streams`` concurrent streams per HTTP/2 connection (advertised; more are refused with
    REFUSED_STREAM); ``max_workers`` threads answering HTTP/2 streams and requests to sources
    that may block (see :class:`~bedrock_vcr.server.sources.Source`), server-wide;
    ``max_connection_body`` request-body bytes held per connection (default ``max_body``; the
    stream that would go over is refused); ``max_resets_per_second`` stream resets per HTTP/2
    connection before GOAWAY ENHANCE_YOUR_CALM. Invalid values raise
    :class:`~bedrock_vcr.errors.ConfigError`.
    """

    def __init__(
        self,
        sources: Iterable[Source] = (),
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        speed: float = 0.0,
        verbose: bool = False,
        max_body: int = MAX_BODY,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        grace: float = DEFAULT_GRACE,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_streams: int = DEFAULT_MAX_STREAMS,
        max_workers: int = DEFAULT_MAX_WORKERS,
        max_connection_body: int | None = None,
        max_resets_per_second: int = DEFAULT_MAX_RESETS_PER_SECOND,
    ) -> None:
        self.limits = Limits(
            max_connections=max_connections,
            max_streams=max_streams,
            max_workers=max_workers,
            max_connection_body=max_body if max_connection_body is None else max_connection_body,
            max_resets_per_second=max_resets_per_second,
        )
        self.app = App(list(sources), speed, max_body)
        self.grace = grace
        self._server = Listener(
            (host, port), H1Connection, self.app, idle_timeout, verbose, self.limits
        )
        self._thread: threading.Thread | None = None
        self._serving = False
        self._stopped = False
        self._lock = threading.Lock()

    @property
    def sources(self) -> list[Source]:
        return self.app.sources

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = str(self._server.server_address[0])
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def connections(self) -> int:
        """How many client connections are open right now."""
        return len(self._server.connections)

    def start(self) -> BedrockServer:
        self._thread = threading.Thread(
            target=self._server.run, name="bedrock-vcr-server", daemon=True
        )
        self._thread.start()
        self._server.ready.wait(timeout=10)
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`stop` is called from another one."""
        self._serving = True
        self._server.run()

    def stop(self, grace: float | None = None) -> None:
        """Stop accepting, finish or close every connection, release the port. Idempotent."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        wait = self.grace if grace is None else grace
        self._server.request_stop(wait)
        if self._thread is None and not self._serving:
            self._server.close_socket()  # never served: a later serve_forever() returns at once
            return
        self._server.finished.wait(timeout=wait + 5)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> BedrockServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["DEFAULT_GRACE", "DEFAULT_IDLE_TIMEOUT", "BedrockServer"]
