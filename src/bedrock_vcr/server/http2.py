"""Cleartext HTTP/2 for the local server.

The AWS SDK for JavaScript v3 builds its Bedrock Runtime client on an HTTP/2 request handler, and
for an ``http://`` endpoint it opens the connection with the HTTP/2 preface straight away ("prior
knowledge"). The HTTP/1.1 handler in :mod:`bedrock_vcr.server.http1` spots that preface and hands
the connection to :class:`H2Session`, which frames the same :class:`~bedrock_vcr.server.app.App`
answers as HTTP/2: one HEADERS frame, then the body as DATA frames, a stream's event-stream frames
each sent as soon as flow control allows.

The protocol state machine is the ``h2`` package (pure Python). Without it the server answers the
preface with a GOAWAY ``HTTP_1_1_REQUIRED`` whose debug text says what to install; clients that
can fall back to HTTP/1.1 do, the rest report it.

Threads: the connection's thread reads frames; each request is answered on a thread of its own so
that a slow stream does not hold up the others or the reading of WINDOW_UPDATE frames. All use of
the ``h2`` connection and the socket's writes happen under one lock.
"""

from __future__ import annotations

import struct
import threading
from typing import TYPE_CHECKING, Any

from ..errors import BedrockVCRError
from .transport import deliver, too_large

if TYPE_CHECKING:
    from .app import App

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
_GOAWAY = 0x7
_SETTINGS = 0x4
_HTTP_1_1_REQUIRED = 0xD
_INTERNAL_ERROR = 0x2
#: Connection-level headers that HTTP/2 forbids (RFC 9113, 8.2.2).
_CONNECTION_HEADERS = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"}
)


def available() -> bool:
    try:
        import h2  # noqa: F401
    except ImportError:
        return False
    return True


def _frame(kind: int, payload: bytes, stream_id: int = 0, flags: int = 0) -> bytes:
    return (
        struct.pack(">I", len(payload))[1:]
        + struct.pack(">BBI", kind, flags, stream_id)
        + (payload)
    )


def http11_required() -> bytes:
    """An empty SETTINGS frame and a GOAWAY asking for HTTP/1.1 (when ``h2`` is missing)."""
    debug = b"bedrock-vcr serves HTTP/2 when the 'h2' package is installed (pip install h2)"
    goaway = struct.pack(">II", 0, _HTTP_1_1_REQUIRED) + debug
    return _frame(_SETTINGS, b"") + _frame(_GOAWAY, goaway)


class _GoawayFilter:
    """Takes the client's GOAWAY frames out of the bytes given to ``h2``.

    ``h2`` closes its whole connection state when a GOAWAY arrives, after which it refuses to send
    on streams still in progress; HTTP/2 lets them finish (RFC 9113, 6.8), and the JavaScript SDK
    relies on that: it sends GOAWAY right after an event stream's response headers arrive. So the
    frames are split here (a 9-byte header: 24-bit length, type, flags, stream id), a GOAWAY is
    kept back and reported, and everything else passes through unchanged.
    """

    def __init__(self) -> None:
        self.preface_left = len(PREFACE)
        self.pending = b""  # an incomplete frame header, or an incomplete GOAWAY frame
        self.passing = 0  # bytes of the current (non-GOAWAY) frame still to pass through
        #: The error code of the last GOAWAY received, ``None`` before any.
        self.goaway: int | None = None

    def feed(self, data: bytes) -> bytes:
        out = []
        if self.preface_left:
            take = min(self.preface_left, len(data))
            out.append(data[:take])
            data = data[take:]
            self.preface_left -= take
        while data:
            if self.passing:
                take = min(self.passing, len(data))
                out.append(data[:take])
                data = data[take:]
                self.passing -= take
                continue
            data, self.pending = self.pending + data, b""
            if len(data) < 9:
                self.pending = data
                break
            size = 9 + int.from_bytes(data[:3], "big")
            if data[3] != _GOAWAY:
                self.passing = size
                continue
            if len(data) < size:
                self.pending = data
                break
            self.goaway = int.from_bytes(data[13:17], "big")
            data = data[size:]
        return b"".join(out)


class _StreamGone(BedrockVCRError, ConnectionResetError):
    """The client reset the stream or the connection closed while we were answering (an
    :class:`OSError` like any vanished client, caught where the stream's answer is written)."""


class _Request:
    def __init__(self, stream_id: int, headers: list[tuple[str, str]]) -> None:
        self.stream_id = stream_id
        self.headers = headers
        self.body = bytearray()
        self.size = 0  # bytes of body received (kept only up to the server's limit)
        self.reset = False


class H2Session:
    """One HTTP/2 connection: read frames, answer each request on its own thread."""

    def __init__(self, sock: Any, rfile: Any, app: App, timeout: float = 120.0) -> None:
        import h2.config
        import h2.connection

        self.sock = sock
        self.rfile = rfile
        self.app = app
        self.timeout = timeout
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        self.lock = threading.Condition()
        self.requests: dict[int, _Request] = {}
        self.in_flight = 0
        self.closed = False
        self.going_away = False

    # --- reading ----------------------------------------------------------------------------

    def run(self, preface: bytes) -> None:
        import h2.exceptions

        with self.lock:
            self.conn.initiate_connection()
            self._flush()
        frames = _GoawayFilter()
        data = preface
        try:
            while data:
                with self.lock:
                    try:
                        events = self.conn.receive_data(frames.feed(data))
                    except h2.exceptions.ProtocolError:
                        self._flush()  # h2 queued a GOAWAY naming the error
                        return
                    for event in events:
                        self._on_event(event)
                    if frames.goaway is not None:
                        self._client_goaway(frames.goaway)
                    self._flush()
                    self.lock.notify_all()
                    if self.closed:
                        return
                data = self.rfile.read1(65536)
        except OSError:
            return
        finally:
            with self.lock:
                self.closed = True
                for request in self.requests.values():
                    request.reset = True
                self.lock.notify_all()
                # Answers in progress notice ``closed`` at their next write and stop.
                self.lock.wait_for(lambda: self.in_flight == 0, timeout=1.0)

    def _on_event(self, event: Any) -> None:
        import h2.events

        if isinstance(event, h2.events.RequestReceived):
            headers: Any = event.headers or []
            self.requests[event.stream_id] = _Request(event.stream_id, list(headers))
        elif isinstance(event, h2.events.DataReceived):
            request = self.requests.get(event.stream_id)
            self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            if request is not None:
                request.size += len(event.data or b"")
                if request.size > self.app.max_body:
                    request.body = bytearray()  # refused anyway: keep no more of it
                else:
                    request.body += event.data or b""
        elif isinstance(event, h2.events.StreamEnded):
            request = self.requests.get(event.stream_id)
            if request is not None:
                self.in_flight += 1
                threading.Thread(
                    target=self._answer, args=(request,), name="bedrock-vcr-h2", daemon=True
                ).start()
        elif isinstance(event, h2.events.StreamReset):
            request = self.requests.pop(event.stream_id, None)
            if request is not None:
                request.reset = True

    def _client_goaway(self, error_code: int) -> None:
        """The client will open no new stream; those in progress run to their end, unless the
        GOAWAY reports an error."""
        self.going_away = True
        if error_code:
            self.closed = True

    # --- answering --------------------------------------------------------------------------

    def _answer(self, request: _Request) -> None:
        import h2.exceptions

        try:
            fields = dict(request.headers)
            method = fields.get(":method", "GET")
            target = fields.get(":path", "/")
            headers = {k.lower(): v for k, v in request.headers if not k.startswith(":")}
            if request.size > self.app.max_body:
                response = too_large(request.size, self.app.max_body)
                speed = 0.0
            else:
                response = self.app.respond(method, target, headers, bytes(request.body))
                speed = self.app.speed
            deliver(response, _H2Out(self, request), speed)
        except (_StreamGone, OSError, h2.exceptions.ProtocolError):
            pass
        finally:
            with self.lock:
                self.requests.pop(request.stream_id, None)
                self.in_flight -= 1
                self.lock.notify_all()
                if self.going_away and self.in_flight == 0:
                    self._close_socket()

    def _flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def send(self, request: _Request, action: Any) -> None:
        """Run ``action(conn)`` under the lock and send what it queued."""
        with self.lock:
            if self.closed or request.reset:
                raise _StreamGone(f"HTTP/2 stream {request.stream_id} is gone")
            action(self.conn)
            self._flush()

    def send_data(self, request: _Request, data: bytes, end_stream: bool) -> None:
        """Send ``data`` as DATA frames, waiting for the client's flow-control window."""
        view = memoryview(data)
        sid = request.stream_id
        while True:
            with self.lock:
                while True:
                    if self.closed or request.reset:
                        raise _StreamGone(f"HTTP/2 stream {sid} is gone")
                    window = self.conn.local_flow_control_window(sid)
                    if window > 0 or not view:
                        break
                    if not self.lock.wait(timeout=self.timeout):
                        raise _StreamGone(f"HTTP/2 stream {sid}: the client stopped reading")
                size = min(len(view), window, self.conn.max_outbound_frame_size)
                last = size == len(view)
                self.conn.send_data(sid, view[:size].tobytes(), end_stream=end_stream and last)
                self._flush()
                view = view[size:]
                if last:
                    return

    # --- stopping ---------------------------------------------------------------------------

    def stop(self) -> None:
        """Tell the client no new requests will be taken; close once the last answer is out."""
        with self.lock:
            if self.closed:
                return
            if not self.going_away:
                self.going_away = True
                try:
                    self.conn.close_connection()
                    self._flush()
                except Exception:  # the socket may already be gone
                    self.closed = True
            if self.in_flight == 0:
                self._close_socket()

    def _close_socket(self) -> None:
        import socket

        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _H2Out:
    """The :class:`~bedrock_vcr.server.transport.Transport` of one HTTP/2 stream."""

    def __init__(self, session: H2Session, request: _Request) -> None:
        self.session = session
        self.request = request
        self.pending_end = False

    def start(self, status: int, headers: list[tuple[str, str]], length: int | None) -> None:
        fields = [(":status", str(status))]
        fields += [(n, v) for n, v in headers if n not in _CONNECTION_HEADERS]
        if length is not None:
            fields.append(("content-length", str(length)))
        empty = length == 0
        self.pending_end = not empty
        self.session.send(
            self.request,
            lambda conn: conn.send_headers(self.request.stream_id, fields, end_stream=empty),
        )

    def write(self, data: bytes) -> None:
        self.session.send_data(self.request, data, end_stream=False)

    def finish(self) -> None:
        if self.pending_end:
            self.pending_end = False
            self.session.send(self.request, lambda conn: conn.end_stream(self.request.stream_id))

    def abort(self) -> None:
        self.pending_end = False
        self.session.send(
            self.request,
            lambda conn: conn.reset_stream(self.request.stream_id, error_code=_INTERNAL_ERROR),
        )
