"""A local Bedrock-Runtime-compatible HTTP server.

It speaks the REST paths of the four operations (``/model/{modelId}/invoke``,
``/invoke-with-response-stream``, ``/converse``, ``/converse-stream``; model ids percent-encoded,
ARNs included) and answers from *sources*: a cassette's recorded interactions, scripted answers,
or anything with an ``answer(request)`` method. Streams go out with chunked transfer encoding, one
event-stream frame per chunk, flushed as it is written (``TCP_NODELAY`` on), optionally paced by
the recorded offsets. Any SDK pointed at it with an endpoint URL (boto3's ``endpoint_url``, the
JavaScript SDK's ``endpoint``) talks to it as to Bedrock; requests are not authenticated.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol

from .cassette import Cassette, CassetteConfig, RecordMode
from .matching import MatchConfig
from .model import RecordedRequest, RecordedResponse
from .operations import parse_path
from .raw import STREAM_CONTENT_TYPE

MAX_BODY = 25_000_000
ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"


class Source(Protocol):
    def answer(self, request: RecordedRequest) -> RecordedResponse | None: ...


def error_response(status: int, code: str, message: str, **extra: Any) -> RecordedResponse:
    """A Bedrock-shaped error: ``x-amzn-ErrorType`` header and ``{"message": ...}`` body."""
    body = json.dumps({"message": message, **extra}, separators=(",", ":")).encode()
    return RecordedResponse(
        status,
        {
            "content-type": "application/json",
            "x-amzn-errortype": code + ERROR_TYPE_SUFFIX,
            "x-amzn-requestid": str(uuid.uuid4()),
        },
        body=body,
    )


class CassetteSource:
    """Serves the interactions of one or more cassette files (each answer may repeat)."""

    def __init__(self, paths: Iterable[Path | str], match: MatchConfig | None = None) -> None:
        config = CassetteConfig(
            record_mode=RecordMode.NONE,
            match=match or MatchConfig(),
            allow_playback_repeats=True,
        )
        self.cassettes = [Cassette(Path(p), config) for p in paths]

    def answer(self, request: RecordedRequest) -> RecordedResponse | None:
        for cassette in self.cassettes:
            found = cassette.find(request)
            if found is not None:
                return found.response
        return None

    def explain(self, request: RecordedRequest) -> str:
        if not self.cassettes:
            return "no cassette is loaded"
        return str(self.cassettes[0].unmatched(request))


class ScriptedSource:
    """Answers from a function of the request (tests and demos script answers this way)."""

    def __init__(self, func: Callable[[RecordedRequest], RecordedResponse | None]) -> None:
        self.func = func

    def answer(self, request: RecordedRequest) -> RecordedResponse | None:
        return self.func(request)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/ping":
            self._send_plain(RecordedResponse(200, {"content-type": "text/plain"}, body=b"ok"))
            return
        self._send_plain(
            error_response(404, "UnknownOperationException", f"no route for GET {self.path}")
        )

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            self._send_plain(
                error_response(
                    413 if length > MAX_BODY * 2 else 400,
                    "ValidationException",
                    f"the request body is {length} bytes; Bedrock accepts at most {MAX_BODY}",
                )
            )
            return
        body = self.rfile.read(length) if length else b""
        parsed = parse_path(self.path)
        if parsed is None:
            self._send_plain(
                error_response(
                    404,
                    "UnknownOperationException",
                    f"no Bedrock Runtime operation at POST {self.path}",
                )
            )
            return
        operation, model_id = parsed
        request = RecordedRequest(
            operation=operation.name,
            model_id=model_id,
            body=body,
            headers={k.lower(): v for k, v in self.headers.items()},
            path=self.path,
        )
        try:
            response = self.server.respond(request)
        except Exception as exc:  # never let one request take the server down
            response = error_response(500, "InternalServerException", f"bedrock-vcr: {exc}")
        if response.events is not None and response.status < 300:
            self._send_stream(response)
        else:
            self._send_plain(response)

    # --- writing ---------------------------------------------------------------------------

    def _start(self, response: RecordedResponse, chunked: bool) -> None:
        self.send_response(response.status, HTTPStatus(response.status).phrase)
        headers = dict(response.headers)
        headers.setdefault("x-amzn-requestid", str(uuid.uuid4()))
        for name, value in headers.items():
            if name.lower() in ("content-length", "transfer-encoding", "connection", "date"):
                continue
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()

    def _send_plain(self, response: RecordedResponse) -> None:
        speed = self.server.speed
        if speed > 0 and response.latency:
            time.sleep(response.latency * speed)
        self._start(response, chunked=False)
        self.wfile.write(response.body)
        self.wfile.flush()

    def _send_stream(self, response: RecordedResponse) -> None:
        response.headers.setdefault("content-type", STREAM_CONTENT_TYPE)
        speed = self.server.speed
        if speed > 0 and response.latency:
            time.sleep(response.latency * speed)
        self._start(response, chunked=True)
        previous = response.latency
        assert response.events is not None
        try:
            for event in response.events:
                if speed > 0:
                    time.sleep(max(0.0, event.offset - previous) * speed)
                    previous = event.offset
                frame = event.frame
                self.wfile.write(f"{len(frame):x}\r\n".encode() + frame + b"\r\n")
                self.wfile.flush()
            if response.stream_end == "dropped":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sources: list[Source], speed: float,
                 verbose: bool) -> None:
        self.sources = sources
        self.speed = speed
        self.verbose = verbose
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, addr

    def respond(self, request: RecordedRequest) -> RecordedResponse:
        for source in self.sources:
            answer = source.answer(request)
            if answer is not None:
                return answer
        reasons = [s.explain(request) for s in self.sources if hasattr(s, "explain")]
        detail = reasons[0] if reasons else "no source is configured"
        return error_response(
            404,
            "ResourceNotFoundException",
            f"bedrock-vcr server has no answer for {request.operation} on "
            f"{request.model_id!r}: {detail}",
        )


class BedrockServer:
    """Run the server in a background thread: ``with BedrockServer(sources) as srv: srv.url``."""

    def __init__(
        self,
        sources: Iterable[Source] = (),
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        speed: float = 0.0,
        verbose: bool = False,
    ) -> None:
        self._server = _Server((host, port), list(sources), speed, verbose)
        self._thread: threading.Thread | None = None

    @property
    def sources(self) -> list[Source]:
        return self._server.sources

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self._server.server_address[0]}:{self.port}"

    def start(self) -> BedrockServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="bedrock-vcr-server", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> BedrockServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
