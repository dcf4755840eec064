"""HTTP/1.1 for the local server, and :class:`BedrockServer`, which runs it.

One thread per connection (accepted and capped by :mod:`~bedrock_vcr.server.listener`; HTTP/2
requests are answered on a bounded worker pool shared by all connections, see
:mod:`~bedrock_vcr.server.limits`), which keeps streaming code straight-line;
``benchmarks/bench_server.py`` measures what that sustains. Streams go out one event-stream frame
per HTTP chunk, each flushed as it is written (``TCP_NODELAY`` on). A
connection that opens with the HTTP/2 preface is handed to :mod:`~bedrock_vcr.server.http2`
(imported only then). Bad input (broken request lines, missing or invalid ``Content-Length``,
oversized bodies, clients that vanish mid-stream) gets a Bedrock-shaped error or a closed
connection, never a dead server. :meth:`BedrockServer.stop` stops accepting, closes idle
keep-alive connections, lets requests in flight finish for a grace period and then closes what
is left.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any

from ..cassettes.records import error_response
from .app import MAX_BODY, App
from .limits import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_RESETS_PER_SECOND,
    DEFAULT_MAX_STREAMS,
    DEFAULT_MAX_WORKERS,
    Limits,
)
from .listener import Listener
from .request_body import BadRequest, read_body
from .sources import Source
from .transport import CLIENT_GONE, deliver, response_headers

#: Seconds a stopping server lets requests in flight finish before closing their connections.
DEFAULT_GRACE = 5.0
#: Seconds a keep-alive connection may sit idle (or a client may stall) before it is closed.
DEFAULT_IDLE_TIMEOUT = 120.0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Listener
    raw_requestline: bytes

    def version_string(self) -> str:
        return "bedrock-vcr"

    def send_response(self, code: int, message: str | None = None) -> None:
        # Like Bedrock: a Date header but no Server header (so recordings made against this
        # server carry nothing Bedrock would not send).
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    # --- lifecycle and bookkeeping -----------------------------------------------------

    def setup(self) -> None:
        self.busy = False
        self.h2: Any = None
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)
        self.server.track(self)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.untrack(self)

    def close_if_idle(self) -> None:
        """Called when the server stops: end a keep-alive connection that waits for a request."""
        if self.h2 is not None:
            self.h2.stop()
        elif not self.busy:
            self.force_close()

    def force_close(self) -> None:
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.server.verbose:
            super().log_message(format, *args)

    # --- request parsing --------------------------------------------------------------

    def parse_request(self) -> bool:
        if self.raw_requestline == b"PRI * HTTP/2.0\r\n":
            self._serve_h2()
            self.close_connection = True
            return False
        self.busy = True
        return super().parse_request()

    def handle_expect_100(self) -> bool:
        """Refuse an oversized body before the client sends it (no ``100 Continue``)."""
        length = (self.headers.get("Content-Length") or "").strip()
        if length.isdigit() and int(length) > self.server.app.max_body:
            return True  # the request goes on to read_body(), which answers 400 and hangs up
        return super().handle_expect_100()

    def _serve_h2(self) -> None:
        from . import http2 as server_h2

        rest = self.rfile.read(len(server_h2.PREFACE) - len(self.raw_requestline))
        preface = self.raw_requestline + rest
        if preface != server_h2.PREFACE:
            return
        if not server_h2.available():
            self.connection.sendall(server_h2.http11_required())
            return
        self.h2 = server_h2.H2Session(
            self.connection,
            self.rfile,
            self.server.app,
            self.server.idle_timeout,
            limits=self.server.limits,
            pool=self.server.pool,
        )
        self.busy = True
        try:
            self.h2.run(preface)
        finally:
            self.busy = False

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors found by the HTTP layer (bad request line, huge headers...), Bedrock-shaped."""
        error = "UnknownOperationException" if code in (404, 405, 501) else "ValidationException"
        text = message or _phrase(code)
        if explain:
            text += f": {explain}"
        self.close_connection = True
        if getattr(self, "request_version", "") == "HTTP/0.9":
            self.request_version = "HTTP/1.1"  # answer garbage with a real status line
        response = error_response(code, error, text)
        try:
            self._out().start(code, response_headers(response), len(response.body))
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except OSError:
            pass

    # --- methods ------------------------------------------------------------------------

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    def do_GET(self) -> None:  # noqa: N802
        self._serve()

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET  # noqa: N815

    def _serve(self) -> None:
        try:
            framed = "Content-Length" in self.headers or "Transfer-Encoding" in self.headers
            body = self._read_body() if self.command == "POST" or framed else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            response = self.server.app.respond(self.command, self.path, headers, body)
            if self.server.stopping.is_set():
                self.close_connection = True
            deliver(response, self._out(), self.server.app.speed)
        except BadRequest as bad:
            self.close_connection = self.close_connection or bad.close
            deliver(bad.response, self._out())
        except CLIENT_GONE:
            self.close_connection = True
        finally:
            self.busy = False

    def _read_body(self) -> bytes:
        return read_body(self.headers, self.rfile, self.server.app.max_body)

    def _out(self) -> _H1Out:
        return _H1Out(self)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class _H1Out:
    """HTTP/1.1 transport: a plain body with Content-Length, a stream as chunked encoding."""

    def __init__(self, handler: _Handler) -> None:
        self.handler = handler
        self.chunked = False

    def start(self, status: int, headers: list[tuple[str, str]], length: int | None) -> None:
        h = self.handler
        h.send_response(status, _phrase(status))
        for name, value in headers:
            h.send_header(name, value)
        if length is None:
            self.chunked = True
            h.send_header("Transfer-Encoding", "chunked")
        else:
            h.send_header("Content-Length", str(length))
        if h.close_connection:
            h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.flush()

    def write(self, data: bytes) -> None:
        if self.chunked:
            data = b"%x\r\n%b\r\n" % (len(data), data)
        self.handler.wfile.write(data)
        self.handler.wfile.flush()

    def finish(self) -> None:
        if self.chunked:
            self.handler.wfile.write(b"0\r\n\r\n")
            self.handler.wfile.flush()

    def abort(self) -> None:
        self.handler.close_connection = True
        self.handler.force_close()


class BedrockServer:
    """Run the server in a background thread: ``with BedrockServer(sources) as srv: srv.url``.

    ``speed`` paces recorded answers (0 at once, 1 at the recorded pace); ``max_body`` caps
    request bodies (Bedrock's 25,000,000 bytes by default); ``idle_timeout`` closes connections
    that stay silent that long; ``grace`` is how long :meth:`stop` waits for requests in flight.

    What clients can make the server spend (see :mod:`~bedrock_vcr.server.limits`):
    ``max_connections`` open connections, HTTP/1.1 and HTTP/2 (more are closed when accepted);
    ``max_streams`` concurrent streams per HTTP/2 connection (advertised; more are refused with
    REFUSED_STREAM); ``max_workers`` threads answering HTTP/2 streams, server-wide;
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
            (host, port), _Handler, self.app, idle_timeout, verbose, self.limits
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
        with self._server.changed:
            return len(self._server.connections)

    def start(self) -> BedrockServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="bedrock-vcr-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`stop` is called from another one."""
        self._serving = True
        self._server.serve_forever(poll_interval=0.05)

    def stop(self, grace: float | None = None) -> None:
        """Stop accepting, finish or close every connection, release the port. Idempotent."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        if self._thread is not None or self._serving:
            self._server.shutdown()
        self._server.server_close()
        self._server.drain(self.grace if grace is None else grace)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> BedrockServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["DEFAULT_GRACE", "DEFAULT_IDLE_TIMEOUT", "BedrockServer"]
