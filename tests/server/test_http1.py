"""HTTP/1.1 (``server.http1``, ``server.request_body``): streaming, pacing, load, bad input."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from bedrock_vcr.bedrock.operations import model_path
from bedrock_vcr.cassettes import storage
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cassettes.records import (
    Interaction,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)
from bedrock_vcr.server.app import INVALID_MODEL_MESSAGE
from bedrock_vcr.server.http1 import BedrockServer
from bedrock_vcr.server.sources import CassetteSource, ScriptedSource

from .support import (
    INVOKE,
    JSON,
    LLAMA,
    Recorder,
    assert_still_serving,
    client,
    error_of,
    llama_stream,
    post,
    raw_exchange,
    wait_for,
    words,
)

pytestmark = pytest.mark.usefixtures("aws_env")


# --- streaming ---------------------------------------------------------------------------------


class GatedEvents(list):  # type: ignore[type-arg]
    """Frames the server sends; it holds the last one back until ``gate`` opens."""

    def __init__(self, events: list[StreamEvent], gate: threading.Event) -> None:
        super().__init__(events)
        self.gate = gate
        self.opened_in_time: bool | None = None

    def __iter__(self) -> Iterator[StreamEvent]:
        items = list(super().__iter__())
        yield from items[:-1]
        self.opened_in_time = self.gate.wait(timeout=5)
        yield items[-1]


def test_first_event_reaches_boto3_before_the_last_is_written() -> None:
    gate = threading.Event()
    response = llama_stream(["one ", "two ", "three "])
    assert response.events is not None
    gated = GatedEvents(response.events, gate)
    response.events = gated
    with BedrockServer([ScriptedSource(lambda r: response)]) as server:
        stream = client(server.url).invoke_model_with_response_stream(
            modelId=LLAMA, body=json.dumps({"prompt": "x"})
        )["body"]
        received = []
        for event in stream:
            received.append(json.loads(event["chunk"]["bytes"])["generation"])
            gate.set()  # only a client that already holds the first event opens the gate
    assert received == ["one ", "two ", "three ", ""]
    assert gated.opened_in_time is True


@pytest.mark.parametrize(("speed", "slow"), [(0.0, False), (1.0, True)], ids=["speed-0", "speed-1"])
def test_recorded_pacing_follows_speed(tmp_path: Path, speed: float, slow: bool) -> None:
    """A cassette's recorded offsets (4 gaps of 0.15 s) are replayed when --speed asks for it."""
    path = tmp_path / "paced.yaml"
    request = RecordedRequest(
        "InvokeModelWithResponseStream",
        LLAMA,
        json.dumps({"prompt": "pace"}).encode(),
        {"content-type": "application/json"},
    )
    storage.write_atomic(
        path,
        serialize.dumps([Interaction(request, llama_stream(["a ", "b ", "c ", "d "], gap=0.15))]),
    )
    with BedrockServer([CassetteSource([path])], speed=speed) as server:
        stream = client(server.url).invoke_model_with_response_stream(
            modelId=LLAMA, body=json.dumps({"prompt": "pace"}), contentType="application/json"
        )["body"]
        arrivals = []
        for _ in stream:
            arrivals.append(time.monotonic())
    spread = arrivals[-1] - arrivals[0]
    assert len(arrivals) == 5
    assert (spread >= 0.45) is slow, spread  # 0.6 s paced; a few ms unpaced


# --- load ----------------------------------------------------------------------------------------

CLIENTS = 50


def test_fifty_concurrent_streams_all_complete_and_correct() -> None:
    """Every stream holds back its last frame until all 50 are open at once (a barrier), so the
    test only passes when the server really streams to 50 clients concurrently."""
    barrier = threading.Barrier(CLIENTS, timeout=20)
    together: list[bool] = []

    class Concurrent(list):  # type: ignore[type-arg]
        def __iter__(self) -> Iterator[StreamEvent]:
            items = list(super().__iter__())
            yield from items[:-1]
            try:
                barrier.wait()
                together.append(True)
            except threading.BrokenBarrierError:
                together.append(False)
            yield items[-1]

    def answer(request: RecordedRequest) -> RecordedResponse:
        i = int(request.json["prompt"])
        response = llama_stream(words(i, 20))
        response.events = Concurrent(response.events or [])
        return response

    session = boto3.Session()
    results: dict[int, Any] = {}
    with BedrockServer([ScriptedSource(answer)]) as server:
        clients = [
            session.client(
                "bedrock-runtime",
                endpoint_url=server.url,
                region_name="us-east-1",
                config=Config(retries={"max_attempts": 0}, read_timeout=30),
            )
            for _ in range(CLIENTS)
        ]

        def run(i: int) -> None:
            try:
                body = clients[i].invoke_model_with_response_stream(
                    modelId=LLAMA, body=json.dumps({"prompt": str(i)})
                )["body"]
                results[i] = [json.loads(e["chunk"]["bytes"]) for e in body]
            except Exception as exc:  # reported below with the client's index
                results[i] = exc

        threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    failures = {i: r for i, r in results.items() if isinstance(r, Exception)}
    assert not failures
    assert len(results) == CLIENTS
    for i, chunks in results.items():
        assert "".join(c["generation"] for c in chunks) == "".join(words(i, 20))
        assert chunks[-1]["stop_reason"] == "stop"
        assert chunks[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == 20
    assert together == [True] * CLIENTS


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_bytes", "status", "code", "message"),
    [
        (
            post(INVOKE, b"{not json", **JSON),
            400,
            "ValidationException",
            r"^Malformed input request: the body is not valid JSON",
        ),
        (post(INVOKE, b"\xff\xfe", **JSON), 400, "ValidationException", r"not UTF-8"),
        (post(INVOKE, b"", **JSON), 400, "ValidationException", r"the body is empty"),
        (
            post("/model/does-not-exist/invoke", b"", **JSON),
            400,
            "ValidationException",
            re.escape(INVALID_MODEL_MESSAGE),
        ),
        (
            post("/model/bad%20model!/invoke", b"{}", **JSON),
            400,
            "ValidationException",
            r"^1 validation error detected: Value 'bad model!' at 'modelId' failed to satisfy "
            r"constraint: Member must satisfy regular expression pattern",
        ),
        (post("/nope", b"{}"), 404, "UnknownOperationException", r"POST /nope"),
        (
            post(f"/model/{LLAMA}/generate", b"{}"),
            404,
            "UnknownOperationException",
            r"no operation",
        ),
        (
            f"GET {INVOKE} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
            404,
            "UnknownOperationException",
            r"GET /model/",
        ),
        (
            f"POST {INVOKE} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
            411,
            "ValidationException",
            r"no Content-Length",
        ),
        (
            post(INVOKE, b"{}", **{"Content-Length": "abc"}),
            400,
            "ValidationException",
            r"invalid Content-Length 'abc'",
        ),
        (
            post(INVOKE, b"{}", **{"Content-Length": "-2"}),
            400,
            "ValidationException",
            r"invalid Content-Length",
        ),
        (
            post(INVOKE, b"{}", **{"Content-Length": "2, 3"}),
            400,
            "ValidationException",
            r"invalid Content-Length",
        ),
        (
            post(INVOKE, b"{}", **{"Transfer-Encoding": "gzip"}),
            400,
            "ValidationException",
            r"unsupported Transfer-Encoding",
        ),
        (
            post(INVOKE, b"-5\r\nabc\r\n0\r\n\r\n", **{"Transfer-Encoding": "chunked"}),
            400,
            "ValidationException",
            r"invalid chunk size line",
        ),
        (b"GARBAGE\r\n\r\n", 400, "ValidationException", r"Bad request"),
        (b"POST / HTTP/2.0\r\n\r\n", 505, "ValidationException", r"HTTP"),
        (
            b"DELETE " + INVOKE.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            404,
            "UnknownOperationException",
            r"DELETE",
        ),
    ],
    ids=[
        "bad-json",
        "not-utf8",
        "empty-body",
        "unknown-model-empty-body",
        "model-id-pattern",
        "unknown-path",
        "unknown-suffix",
        "get-method",
        "no-content-length",
        "content-length-text",
        "content-length-negative",
        "content-length-twice",
        "transfer-encoding-gzip",
        "negative-chunk-size",
        "garbage-request-line",
        "http2-request-line",
        "delete-method",
    ],
)
def test_malformed_requests_get_bedrock_shaped_errors(
    srv: BedrockServer, request_bytes: bytes, status: int, code: str, message: str
) -> None:
    got_status, headers, body = raw_exchange(srv, request_bytes)
    assert got_status == status
    assert headers["content-type"] == "application/json"
    got_code, got_message = error_of(headers, body)
    assert got_code == code
    assert re.search(message, got_message), got_message
    assert_still_serving(srv)


def test_expect_100_continue_within_the_limit(srv: BedrockServer) -> None:
    data = post(INVOKE, b'{"prompt": "go on"}', **JSON, Expect="100-continue")
    status, _, answer = raw_exchange(srv, data)  # http.client skips the interim 100
    assert status == 200
    assert json.loads(answer)["generation"] == "echo go on"


def test_chunked_request_body_is_accepted(srv: BedrockServer) -> None:
    body = b'{"prompt": "chunky"}'
    data = post(INVOKE, b"", **JSON, **{"Transfer-Encoding": "chunked"})
    data += b"%x\r\n%b\r\n%x\r\n%b\r\n0\r\n\r\n" % (5, body[:5], len(body) - 5, body[5:])
    status, _, answer = raw_exchange(srv, data)
    assert status == 200
    assert json.loads(answer)["generation"] == "echo chunky"


def test_oversized_body_through_boto3_is_refused(srv: BedrockServer) -> None:
    c = client(srv.url)
    with pytest.raises(c.exceptions.ValidationException, match="less than or equal to 25000000"):
        c.invoke_model(modelId=LLAMA, body=b" " * 25_000_001)
    assert_still_serving(srv)


@pytest.mark.parametrize("expect", [False, True], ids=["body-sent", "expect-100-continue"])
def test_oversized_body_with_a_small_limit(recorder: Recorder, expect: bool) -> None:
    with BedrockServer([ScriptedSource(recorder)], max_body=1000) as server:
        headers = dict(JSON)
        if expect:
            headers["Expect"] = "100-continue"  # the client waits: nothing more is sent
        body = b"" if expect else b" " * 5000
        status, h, data = raw_exchange(
            server, post(INVOKE, body, **{**headers, "Content-Length": "5000"})
        )
        assert status == 400
        assert error_of(h, data)[0] == "ValidationException"
        assert "less than or equal to 1000" in error_of(h, data)[1]
        assert_still_serving(server)
    assert [r.model_id for r in recorder.seen] == [LLAMA]  # only the healthy request arrived


def test_truncated_body_and_vanished_client_do_not_hurt_the_server(srv: BedrockServer) -> None:
    with socket.create_connection(("127.0.0.1", srv.port)) as sock:
        sock.sendall(post(INVOKE, b'{"pro', **{**JSON, "Content-Length": "100"}))
    assert wait_for(lambda: srv.connections == 0)
    assert_still_serving(srv)


def test_client_disconnecting_mid_stream() -> None:
    slow = llama_stream(words(0, 40), gap=0.02)
    with BedrockServer(
        [ScriptedSource(lambda r: slow if "slow" in r.body.decode() else Recorder()(r))], speed=1.0
    ) as server:
        stream_path = model_path(LLAMA, "InvokeModelWithResponseStream")
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(post(stream_path, b'{"prompt": "slow"}', **JSON))
            first = sock.recv(4096)
            assert first.startswith(b"HTTP/1.1 200")
        # the server notices at its next write, ends that connection and serves on
        assert wait_for(lambda: server.connections == 0)
        assert_still_serving(server)


def _chunks(data: bytes) -> tuple[bytes, list[bytes]]:
    """The head and the chunks of one chunked HTTP/1.1 answer (until the last chunk)."""
    head, _, rest = data.partition(b"\r\n\r\n")
    chunks = []
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            return head, chunks
        chunks.append(rest[:size])
        rest = rest[size + 2 :]


def test_cassette_streams_go_out_one_chunk_per_frame_on_many_connections(tmp_path: Path) -> None:
    """Cassette answers are written on the event loop: 30 keep-alive connections asking at once,
    each twice in turn, get every stream whole, one HTTP chunk per recorded frame."""
    path = tmp_path / "many.yaml"
    stream_path = model_path(LLAMA, "InvokeModelWithResponseStream")
    interactions = [
        Interaction(
            RecordedRequest(
                "InvokeModelWithResponseStream", LLAMA, json.dumps({"prompt": str(i)}).encode(), {}
            ),
            llama_stream(words(i, 12)),
        )
        for i in range(3)
    ]
    storage.write_atomic(path, serialize.dumps(interactions))
    frames = {i: [e.frame for e in x.response.events or []] for i, x in enumerate(interactions)}
    with BedrockServer([CassetteSource([path])]) as server:
        socks = [
            socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(30)
        ]
        try:
            for n, sock in enumerate(socks):
                sock.sendall(post(stream_path, json.dumps({"prompt": str(n % 3)}).encode(), **JSON))
            for n, sock in enumerate(socks):
                for turn in range(2):
                    data = b""
                    while not data.endswith(b"\r\n0\r\n\r\n"):
                        data += sock.recv(65536)
                    head, chunks = _chunks(data)
                    assert head.startswith(b"HTTP/1.1 200 OK")
                    assert b"Transfer-Encoding: chunked" in head
                    assert chunks == frames[n % 3]
                    if turn == 0:  # the same connection serves the next request
                        sock.sendall(
                            post(stream_path, json.dumps({"prompt": str(n % 3)}).encode(), **JSON)
                        )
        finally:
            for sock in socks:
                sock.close()
        assert wait_for(lambda: server.connections == 0)


def test_serve_forever_in_a_thread_serves_until_stopped(recorder: Recorder) -> None:
    server = BedrockServer([ScriptedSource(recorder)], grace=0.5)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    assert_still_serving(server)
    server.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()
    with socket.socket() as probe:  # the port is released
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", server.port))


def test_a_server_stopped_before_it_served_releases_its_port(recorder: Recorder) -> None:
    server = BedrockServer([ScriptedSource(recorder)])
    port = server.port
    server.stop()
    server.serve_forever()  # returns at once: it was stopped
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
