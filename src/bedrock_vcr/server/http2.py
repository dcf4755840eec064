"""Cleartext HTTP/2 for the local server.

The AWS SDK for JavaScript v3 builds its Bedrock Runtime client on an HTTP/2 request handler, and
for an ``http://`` endpoint it opens the connection with the HTTP/2 preface straight away ("prior
knowledge"). The HTTP/1.1 connection (:mod:`bedrock_vcr.server.h1_connection`) spots that
preface and hands the connection to a thread running :class:`H2Session`
(:mod:`bedrock_vcr.server.h2_handoff`), which frames the same :class:`~bedrock_vcr.server.app.App`
answers as HTTP/2: one HEADERS frame, then the body as DATA frames, a stream's event-stream frames
each sent as soon as flow control allows.

The protocol state machine is the ``h2`` package (pure Python), fed one whole frame at a time
(:class:`~bedrock_vcr.server.h2_frames.FrameReader`). Without it the server answers the preface
with a GOAWAY ``HTTP_1_1_REQUIRED`` whose debug text says what to install; clients that can fall
back to HTTP/1.1 do, the rest report it.

Threads: the connection's thread reads frames; each request is answered on a worker of the
server's :class:`~bedrock_vcr.server.limits.WorkerPool`, so that a slow stream does not hold up
the others or the reading of WINDOW_UPDATE frames, and no client can make the server start more
threads than the pool allows. What one connection may hold is bounded (:class:`H2Session`:
streams, request bodies, resets per second). All use of the ``h2`` connection and the socket's
writes happen under one lock.
"""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING, Any

from ..errors import BedrockVCRError
from .h2_frames import PREFACE, FrameReader, available, http11_required, settings_frame
from .limits import Limits, RateMeter, WorkerPool
from .transport import deliver, too_large

if TYPE_CHECKING:
    from .app import App

_INTERNAL_ERROR = 0x2
_REFUSED_STREAM = 0x7
_RST_STREAM = 0x3
_ENHANCE_YOUR_CALM = 0xB
#: Connection-level headers that HTTP/2 forbids (RFC 9113, 8.2.2).
_CONNECTION_HEADERS = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"}
)


class _StreamGone(BedrockVCRError, ConnectionResetError):
    """The client reset the stream or the connection closed while we were answering (an
    :class:`OSError` like any vanished client, caught where the stream's answer is written)."""


class _Request:
    def __init__(self, stream_id: int, headers: list[tuple[str, str]]) -> None:
        self.stream_id = stream_id
        self.headers = headers
        self.body = bytearray()
        self.size = 0  # bytes of body received (kept only up to the server's limit)
        self.held = 0  # bytes of body counted against the connection's budget
        self.queued = False  # complete: for a worker (it stays in ``requests`` until answered)
        self.reset = False


class H2Session:
    """One HTTP/2 connection: read frames, answer each request on the server's worker pool.

    At most ``limits.max_streams`` requests of the connection are open, queued or being
    answered at once (the value advertised as SETTINGS_MAX_CONCURRENT_STREAMS); a stream over it
    is reset with REFUSED_STREAM and the connection goes on. Request bodies held by the
    connection total at most ``limits.max_connection_body`` bytes: the stream whose data would
    go over is refused the same way. A client that resets more than
    ``limits.max_resets_per_second`` streams in a second gets GOAWAY ENHANCE_YOUR_CALM.
    """

    def __init__(
        self,
        sock: Any,
        rfile: Any,
        app: App,
        timeout: float = 120.0,
        *,
        limits: Limits | None = None,
        pool: WorkerPool | None = None,
    ) -> None:
        import h2.config
        import h2.connection
        import h2.settings

        self.sock = sock
        self.rfile = rfile
        self.app = app
        self.timeout = timeout
        self.limits = limits or Limits(max_connection_body=app.max_body)
        self.pool = pool or WorkerPool(self.limits.max_workers)
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        # h2 itself lets a few more streams open than are advertised, so that a stream over the
        # limit reaches us decoded (HPACK state kept) and is refused alone, not with the
        # connection; see _opened.
        self.conn.local_settings = h2.settings.Settings(
            client=False,
            initial_values={
                h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 2 * self.limits.max_streams + 8,
                h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: (
                    self.conn.local_settings.max_header_list_size or 65536
                ),
            },
        )
        self.lock = threading.Condition()
        self.requests: dict[int, _Request] = {}
        self.buffered = 0  # request-body bytes held, across streams
        self.in_flight = 0  # requests handed to the pool and not finished
        self.resets = RateMeter(self.limits.max_resets_per_second)
        self.closed = False
        self.going_away = False

    # --- reading ----------------------------------------------------------------------------

    def _settings_frame(self) -> bytes:
        """Our SETTINGS, advertising ``max_streams`` (h2 queued the same with its own limit)."""
        from h2.settings import SettingCodes

        settings = {int(code): value for code, value in self.conn.local_settings.items()}
        settings[SettingCodes.MAX_CONCURRENT_STREAMS] = self.limits.max_streams
        return settings_frame(settings)

    def run(self, preface: bytes) -> None:
        import h2.exceptions

        with self.lock:
            self.conn.initiate_connection()
            self.conn.data_to_send()  # replaced by our SETTINGS frame
            self.sock.sendall(self._settings_frame())
            self.conn.receive_data(preface)
        reader = FrameReader()
        try:
            while data := self.rfile.read1(65536):
                with self.lock:
                    try:
                        self._receive(reader, data)
                    except h2.exceptions.ProtocolError:
                        self._flush()  # h2 queued a GOAWAY naming the error
                        return
                    self._flush()
                    self.lock.notify_all()
                    if self.closed:
                        return
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

    def _receive(self, reader: FrameReader, data: bytes) -> None:
        """Hand each whole frame of ``data`` to h2 and act on its events (lock held).

        Requests completed by these frames go to the workers once all of them are handled, so
        a request the client cancels in the same read costs no worker at all."""
        ready: list[_Request] = []
        for frame in reader.frames(data, self.conn.max_inbound_frame_size):
            # every RST_STREAM counts, even one for a stream already answered (no h2 event)
            if frame[3] == _RST_STREAM and self.resets.hit():
                self._calm_down()
            else:
                for event in self.conn.receive_data(frame):
                    self._on_event(event, ready)
            if self.closed:
                break
        for request in ready:
            if request.reset or self.closed:
                self._release(request)
            else:
                self.in_flight += 1
                self.pool.submit(functools.partial(self._answer, request))
        if reader.goaway is not None:
            self._client_goaway(reader.goaway)

    def _on_event(self, event: Any, ready: list[_Request]) -> None:
        import h2.events

        if isinstance(event, h2.events.RequestReceived):
            headers: Any = event.headers or []
            self._opened(event.stream_id, list(headers))
        elif isinstance(event, h2.events.DataReceived):
            self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            request = self.requests.get(event.stream_id)
            if request is not None:
                self._body(request, event.data or b"")
        elif isinstance(event, h2.events.StreamEnded):
            request = self.requests.get(event.stream_id)
            if request is not None and not request.queued:
                request.queued = True
                ready.append(request)
        elif isinstance(event, h2.events.StreamReset):
            request = self.requests.get(event.stream_id)
            if request is not None:
                request.reset = True
                if not request.queued:  # a queued one leaves when its worker is done
                    self._release(request)

    def _opened(self, stream_id: int, headers: list[tuple[str, str]]) -> None:
        if len(self.requests) >= self.limits.max_streams or self.going_away:
            self.conn.reset_stream(stream_id, error_code=_REFUSED_STREAM)
            return
        self.requests[stream_id] = _Request(stream_id, headers)

    def _body(self, request: _Request, data: bytes) -> None:
        """Keep ``data`` of ``request``'s body, within the connection's budget."""
        request.size += len(data)
        if request.size > self.app.max_body:
            self.buffered -= request.held  # answered "too large" anyway: keep none of it
            request.body, request.held = bytearray(), 0
        elif self.buffered + len(data) > self.limits.max_connection_body:
            self.conn.reset_stream(request.stream_id, error_code=_REFUSED_STREAM)
            request.reset = True
            self._release(request)
        else:
            request.body += data
            request.held += len(data)
            self.buffered += len(data)

    def _release(self, request: _Request) -> None:
        """Forget ``request`` and give its body bytes back to the budget (lock held)."""
        if self.requests.pop(request.stream_id, None) is request:
            self.buffered -= request.held
            request.held = 0
            request.body = bytearray()

    def _calm_down(self) -> None:
        """Rapid reset (CVE-2023-44487): send GOAWAY ENHANCE_YOUR_CALM and hang up."""
        limit = self.limits.max_resets_per_second
        self.app.log(
            f"bedrock-vcr server: an HTTP/2 client reset more than {limit} streams in one "
            "second; sent GOAWAY ENHANCE_YOUR_CALM and closed the connection"
        )
        self.conn.close_connection(
            error_code=_ENHANCE_YOUR_CALM,
            additional_data=f"more than {limit} stream resets in one second (rapid reset); "
            "connect again".encode(),
        )
        self._flush()
        self.closed = True
        self._close_socket()

    def _client_goaway(self, error_code: int) -> None:
        """The client will open no new stream; those in progress run to their end, unless the
        GOAWAY reports an error."""
        self.going_away = True
        if error_code:
            self.closed = True

    # --- answering --------------------------------------------------------------------------

    def _answer(self, request: _Request) -> None:
        """Run on a pool worker: answer one request whose body has arrived."""
        import h2.exceptions

        try:
            if request.reset or self.closed:
                return
            fields = dict(request.headers)
            method = fields.get(":method", "GET")
            target = fields.get(":path", "/")
            headers = {k.lower(): v for k, v in request.headers if not k.startswith(":")}
            if request.size > self.app.max_body:
                response = too_large(request.size, self.app.max_body)
                speed = 0.0
            else:
                body, request.body = bytes(request.body), bytearray()
                response = self.app.respond(method, target, headers, body)
                speed = self.app.speed
            deliver(response, _H2Out(self, request), speed)
        except (_StreamGone, OSError, h2.exceptions.ProtocolError):
            pass
        except Exception as exc:  # a bug here must not kill a pool worker
            self.app.log(f"bedrock-vcr server: HTTP/2 stream {request.stream_id}: {exc!r}")
        finally:
            with self.lock:
                self._release(request)
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


__all__ = ["PREFACE", "H2Session", "available", "http11_required"]
