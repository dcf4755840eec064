"""A local Bedrock-Runtime-compatible HTTP server.

It speaks the REST paths of the four operations (``/model/{modelId}/invoke``,
``/invoke-with-response-stream``, ``/converse``, ``/converse-stream``; model ids percent-encoded,
ARNs included, a literal ``/`` inside an ARN accepted) over HTTP/1.1 and over cleartext HTTP/2
(the AWS SDK for JavaScript v3 talks HTTP/2 to Bedrock Runtime by default; see
:mod:`bedrock_vcr.server.http2`), and answers from *sources*: a cassette's recorded interactions,
scripted answers, simulated answers, or anything with an ``answer(request)`` method. Streams go
out one event-stream frame per HTTP chunk (or HTTP/2 DATA frame), each flushed as it is written
(``TCP_NODELAY`` on), optionally paced by the recorded offsets. Any SDK pointed at it with an
endpoint URL (boto3's ``endpoint_url``, the JavaScript SDK's ``endpoint``) talks to it as to
Bedrock; requests are not authenticated.

How a request is answered, in order:

1. a path that is not one of the four operations: ``404 UnknownOperationException``;
2. a model id that breaks the service model's length or pattern: ``400 ValidationException``;
3. a model id Bedrock does not have: ``400 ValidationException`` "The provided model identifier
   is invalid." (Bedrock checks the model before the body);
4. a body that is not JSON: ``400 ValidationException`` "Malformed input request: ...";
5. the sources, in order; the first answer wins;
6. no answer: ``404 ResourceNotFoundException`` saying why nothing matched.

A model is *known* when :func:`bedrock_vcr.resolve_model` names its family, when it is
the ARN of a custom, provisioned or imported model (which carry no family in their id), or when a
source says so (``knows_model``: a cassette knows the models it recorded, a scripted source the
``models`` it is given, a simulation the models its routes name).

Worker model: one thread per connection (and one per HTTP/2 request), which keeps streaming
code straight-line; ``benchmarks/bench_server.py`` measures what that sustains. Bad input (broken
request lines, missing or invalid ``Content-Length``, oversized bodies, clients that vanish
mid-stream) gets a Bedrock-shaped error or a closed connection, never a dead server.
:meth:`BedrockServer.stop` stops accepting, closes idle keep-alive connections, lets requests in
flight finish for a grace period and then closes what is left.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol

from ..bedrock.models import resolve_model
from ..bedrock.operations import STREAM_CONTENT_TYPE, parse_path
from ..cassettes.cassette import Cassette, CassetteConfig, RecordMode
from ..cassettes.matching import MatchConfig
from ..cassettes.records import RecordedRequest, RecordedResponse, error_response
from ..errors import BedrockVCRError, CassetteNotFoundError

#: Largest request body accepted, in bytes: the service model's limit on an InvokeModel body.
MAX_BODY = 25_000_000
#: Bedrock's message for a model id that passes the pattern but names no model.
INVALID_MODEL_MESSAGE = "The provided model identifier is invalid."
#: Seconds a stopping server lets requests in flight finish before closing their connections.
DEFAULT_GRACE = 5.0
#: Seconds a keep-alive connection may sit idle (or a client may stall) before it is closed.
DEFAULT_IDLE_TIMEOUT = 120.0
#: Headers that belong to one HTTP connection, never copied from a recording.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "upgrade",
        "te",
        "content-length",
        "date",
        "server",
    }
)
#: ARN resource types that are valid model identifiers without a family in their id.
_OPAQUE_ARN = re.compile(
    r"^arn:aws(-[^:]+)?:(bedrock:[a-z0-9-]*:\d{12}:(custom-model|custom-model-deployment|"
    r"imported-model|provisioned-model|application-inference-profile|prompt|prompt-router|"
    r"default-prompt-router)/|sagemaker:[a-z0-9-]+:\d{12}:endpoint/)"
)


class Source(Protocol):
    """Anything that can answer a request. Optional extras: ``knows_model(model_id) -> bool``
    (see the module docstring) and ``explain(request) -> str`` (why nothing matched)."""

    def answer(self, request: RecordedRequest) -> RecordedResponse | None: ...


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _validation(message: str) -> RecordedResponse:
    return error_response(400, "ValidationException", message)


class CassetteSource:
    """Serves the interactions of one or more cassette files (each answer may repeat)."""

    def __init__(self, paths: Iterable[Path | str], match: MatchConfig | None = None) -> None:
        config = CassetteConfig(
            record_mode=RecordMode.NONE,
            match=match or MatchConfig(),
            allow_playback_repeats=True,
        )
        self.cassettes = []
        for p in paths:
            cassette = Cassette(Path(p), config)
            if not cassette.existed:
                raise CassetteNotFoundError(
                    "the cassette to serve does not exist",
                    path=cassette.path,
                    fix="check the path, or record the cassette first",
                )
            self.cassettes.append(cassette)
        self._models = frozenset(
            interaction.request.model_id
            for cassette in self.cassettes
            for interaction in cassette.interactions
        )

    def answer(self, request: RecordedRequest) -> RecordedResponse | None:
        for cassette in self.cassettes:
            found = cassette.find(request)
            if found is not None:
                return found.response
        return None

    def knows_model(self, model_id: str) -> bool:
        return model_id in self._models

    def explain(self, request: RecordedRequest) -> str:
        if not self.cassettes:
            return "no cassette is loaded"
        return str(self.cassettes[0].unmatched(request))


class ScriptedSource:
    """Answers from a function of the request (tests and demos script answers this way).

    ``models``: ids or :mod:`fnmatch` patterns of models the function stands for beyond the ones
    Bedrock has (say, a custom model's name), so the server does not call them invalid.
    """

    def __init__(
        self,
        func: Callable[[RecordedRequest], RecordedResponse | None],
        models: Iterable[str] = (),
    ) -> None:
        self.func = func
        self.models = tuple(models)

    def answer(self, request: RecordedRequest) -> RecordedResponse | None:
        return self.func(request)

    def knows_model(self, model_id: str) -> bool:
        return any(fnmatch.fnmatchcase(model_id, pattern) for pattern in self.models)


# --- the transport-independent part ---------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _model_id_rules() -> tuple[re.Pattern[str], int, int]:
    """The service model's constraints on ``modelId`` (the same for all four operations)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    meta = model.operation_model("InvokeModel").input_shape.members["modelId"].metadata
    return re.compile(meta["pattern"]), int(meta.get("min", 1)), int(meta.get("max", 2048))


def _check_model_id(model_id: str) -> RecordedResponse | None:
    pattern, low, high = _model_id_rules()
    if len(model_id) < low:
        problem = f"Member must have length greater than or equal to {low}"
    elif len(model_id) > high:
        problem = f"Member must have length less than or equal to {high}"
    elif not pattern.fullmatch(model_id):
        problem = f"Member must satisfy regular expression pattern: {pattern.pattern}"
    else:
        return None
    return _validation(
        f"1 validation error detected: Value '{model_id}' at 'modelId' failed to satisfy "
        f"constraint: {problem}"
    )


def _json_problem(body: bytes) -> str | None:
    """Why ``body`` is not a JSON document, or ``None`` when it is one."""
    if not body.strip():
        return "the body is empty"
    try:
        json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return f"the body is not UTF-8 text ({exc.reason} at byte {exc.start})"
    except ValueError as exc:
        return f"the body is not valid JSON ({exc})"
    return None


class App:
    """Turns one HTTP request into a :class:`RecordedResponse` (both HTTP versions use it)."""

    def __init__(
        self,
        sources: list[Source],
        speed: float = 0.0,
        max_body: int = MAX_BODY,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.sources = sources
        self.speed = speed
        self.max_body = max_body
        self.log = log or _stderr

    def known_model(self, model_id: str) -> bool:
        if resolve_model(model_id).known or _OPAQUE_ARN.match(model_id):
            return True
        for source in self.sources:
            knows = getattr(source, "knows_model", None)
            if knows is not None and knows(model_id):
                return True
        return False

    def respond(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> RecordedResponse:
        parsed = parse_path(target) if method == "POST" else None
        if parsed is None:
            if method == "GET" and target == "/ping":
                return RecordedResponse(200, {"content-type": "text/plain"}, body=b"ok")
            return error_response(
                404,
                "UnknownOperationException",
                f"Bedrock Runtime has no operation at {method} {target.split('?', 1)[0]}; "
                "the paths are POST /model/{modelId}/invoke, /invoke-with-response-stream, "
                "/converse and /converse-stream",
            )
        operation, model_id = parsed
        invalid = _check_model_id(model_id)
        if invalid is not None:
            return invalid
        if not self.known_model(model_id):
            return _validation(INVALID_MODEL_MESSAGE)
        problem = _json_problem(body)
        if problem is not None:
            return _validation(
                f"Malformed input request: {problem}, please reformat your input and try again."
            )
        request = RecordedRequest(
            operation=operation.name,
            model_id=model_id,
            body=body,
            headers=headers,
            path=target,
        )
        try:
            return self._answer(request)
        except BedrockVCRError as exc:  # the declared answer does not fit this request
            self.log(f"bedrock-vcr server: {operation.name} on {model_id!r}: {exc}")
            return _validation(f"bedrock-vcr could not answer: {exc}")
        except Exception as exc:  # a broken source answers 500; the server keeps serving
            self.log(f"bedrock-vcr server: {operation.name} on {model_id!r}: {exc!r}")
            return error_response(
                500, "InternalServerException", f"bedrock-vcr source failed: {exc!r}"
            )

    def _answer(self, request: RecordedRequest) -> RecordedResponse:
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


class Transport(Protocol):
    """Where :func:`deliver` writes a response (one HTTP/1.1 connection or one HTTP/2 stream)."""

    def start(self, status: int, headers: list[tuple[str, str]], length: int | None) -> None:
        """Send the status line and headers; ``length`` ``None`` means a stream follows."""

    def write(self, data: bytes) -> None:
        """Send and flush one piece of the body."""

    def finish(self) -> None:
        """End the body normally."""

    def abort(self) -> None:
        """End the body as a dropped connection would (the client sees a broken read)."""


def response_headers(response: RecordedResponse) -> list[tuple[str, str]]:
    """The recorded headers minus the per-connection ones, plus a request id if none."""
    headers = [
        (name.lower(), str(value))
        for name, value in response.headers.items()
        if name.lower() not in HOP_BY_HOP
    ]
    names = {name for name, _ in headers}
    if "x-amzn-requestid" not in names:
        headers.append(("x-amzn-requestid", str(uuid.uuid4())))
    if response.events is not None and response.status < 300 and "content-type" not in names:
        headers.append(("content-type", STREAM_CONTENT_TYPE))
    return headers


def deliver(
    response: RecordedResponse,
    out: Transport,
    speed: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Write ``response`` to ``out``; a stream frame by frame, paced when ``speed`` > 0.

    ``speed`` scales the recorded delays (time to the headers, gaps between frames): 0 sends at
    once, 1 at the recorded pace, 0.5 twice as fast.
    """
    if speed > 0 and response.latency > 0:
        sleep(response.latency * speed)
    headers = response_headers(response)
    if response.events is None or response.status >= 300:
        out.start(response.status, headers, len(response.body))
        if response.body:
            out.write(response.body)
        out.finish()
        return
    out.start(response.status, headers, None)
    previous = response.latency
    for event in response.events:
        if speed > 0:
            gap = (event.offset - previous) * speed
            if gap > 0:
                sleep(gap)
            previous = event.offset
        out.write(event.frame)
    if response.stream_end == "dropped":
        out.abort()
    else:
        out.finish()


_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")
#: The errors a vanished or stalled client causes while we read or write.
CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


# --- HTTP/1.1 ------------------------------------------------------------------------------------


class _BadRequest(Exception):
    def __init__(self, response: RecordedResponse, close: bool = True) -> None:
        self.response = response
        self.close = close


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
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
            return True  # the request goes on to _body(), which answers 400 and hangs up
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
            self.connection, self.rfile, self.server.app, self.server.idle_timeout
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

    def _body(self) -> bytes:
        """The request body, or :class:`_BadRequest` when its framing is broken or too big."""
        limit = self.server.app.max_body
        encoding = (self.headers.get("Transfer-Encoding") or "").strip().lower()
        if encoding:
            if encoding != "chunked":
                raise _BadRequest(
                    _validation(
                        f"unsupported Transfer-Encoding {encoding!r}; send chunked "
                        "or a Content-Length"
                    )
                )
            return self._chunked_body(limit)
        lengths = self.headers.get_all("Content-Length")
        if not lengths:
            response = _validation(
                "the request has no Content-Length header; Bedrock needs the body length"
            )
            response.status = 411
            raise _BadRequest(response)
        values = {v.strip() for v in ",".join(lengths).split(",")}
        if len(values) != 1 or not next(iter(values)).isdigit():
            raise _BadRequest(
                _validation(
                    f"invalid Content-Length {', '.join(lengths)!r}: "
                    "expected one non-negative integer"
                )
            )
        length = int(next(iter(values)))
        if length > limit:
            # Read and drop a body we can afford to, so the client sees the answer; hang up on
            # larger ones (and on those the client has not sent yet: Expect: 100-continue).
            expects = (self.headers.get("Expect") or "").lower() == "100-continue"
            if not expects and length <= 4 * limit:
                self._discard(length)
            raise _BadRequest(_too_large(length, limit))
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            raise _BadRequest(
                _validation(f"the body ended after {len(body)} of {length} bytes"), close=True
            )
        return body

    def _discard(self, length: int) -> None:
        while length > 0:
            data = self.rfile.read(min(length, 1 << 20))
            if not data:
                return
            length -= len(data)

    def _chunked_body(self, limit: int) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            size_text = line.split(b";", 1)[0].strip()
            if not _HEX.fullmatch(size_text):
                raise _BadRequest(
                    _validation(f"invalid chunk size line {line[:40]!r} in a chunked body")
                )
            size = int(size_text, 16)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            total += size
            if total > limit:
                raise _BadRequest(_too_large(total, limit))
            data = self.rfile.read(size)
            if len(data) < size:
                raise _BadRequest(_validation("the chunked body ended inside a chunk"))
            parts.append(data)
            self.rfile.readline(3)

    # --- methods ------------------------------------------------------------------------

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    def do_GET(self) -> None:  # noqa: N802
        self._serve()

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET  # noqa: N815

    def _serve(self) -> None:
        try:
            framed = "Content-Length" in self.headers or "Transfer-Encoding" in self.headers
            body = self._body() if self.command == "POST" or framed else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            response = self.server.app.respond(self.command, self.path, headers, body)
            if self.server.stopping.is_set():
                self.close_connection = True
            deliver(response, self._out(), self.server.app.speed)
        except _BadRequest as bad:
            self.close_connection = self.close_connection or bad.close
            deliver(bad.response, self._out())
        except CLIENT_GONE:
            self.close_connection = True
        finally:
            self.busy = False

    def _out(self) -> _H1Out:
        return _H1Out(self)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _too_large(length: int, limit: int) -> RecordedResponse:
    return _validation(
        f"1 validation error detected: Value at 'body' failed to satisfy constraint: Member "
        f"must have length less than or equal to {limit} (the request body is {length} bytes)"
    )


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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(
        self, address: tuple[str, int], app: App, idle_timeout: float, verbose: bool
    ) -> None:
        self.app = app
        self.idle_timeout = idle_timeout
        self.verbose = verbose
        self.stopping = threading.Event()
        self.connections: set[_Handler] = set()
        self.changed = threading.Condition()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, addr

    def track(self, handler: _Handler) -> None:
        with self.changed:
            self.connections.add(handler)
        if self.stopping.is_set():
            handler.close_if_idle()

    def untrack(self, handler: _Handler) -> None:
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


class BedrockServer:
    """Run the server in a background thread: ``with BedrockServer(sources) as srv: srv.url``.

    ``speed`` paces recorded answers (0 at once, 1 at the recorded pace); ``max_body`` caps
    request bodies (Bedrock's 25,000,000 bytes by default); ``idle_timeout`` closes connections
    that stay silent that long; ``grace`` is how long :meth:`stop` waits for requests in flight.
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
    ) -> None:
        self.app = App(list(sources), speed, max_body)
        self.grace = grace
        self._server = _Server((host, port), self.app, idle_timeout, verbose)
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


__all__ = [
    "App",
    "BedrockServer",
    "CassetteSource",
    "ScriptedSource",
    "Source",
    "deliver",
    "error_response",
]
