"""The local Bedrock-compatible server: paths, streaming, pacing, load, bad input, shutdown."""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest
import yaml
from botocore.config import Config

from bedrock_vcr.bedrock.operations import model_path
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cassettes.records import (
    Interaction,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)
from bedrock_vcr.errors import CassetteNotFoundError, ServeConfigError
from bedrock_vcr.server.app import (
    INVALID_MODEL_MESSAGE,
    BedrockServer,
    CassetteSource,
    ScriptedSource,
    error_response,
)
from bedrock_vcr.server.routes_file import (
    SimulationSource,
    load_config,
    option_routes,
    parse_config,
)
from bedrock_vcr.simulation import faults
from bedrock_vcr.wire.eventstream import decode_stream

from ..helpers import REAL_CASSETTES

LLAMA = "meta.llama3-8b-instruct-v1:0"
NOVA = "us.amazon.nova-lite-v1:0"
PROFILE_ARN = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0"
FOUNDATION_ARN = "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-8b-instruct-v1:0"

pytestmark = pytest.mark.usefixtures("aws_env")


# --- helpers -------------------------------------------------------------------------------------


def client(url: str, **config: Any) -> Any:
    retries = config.pop("retries", {"max_attempts": 0, "mode": "standard"})  # no retries
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=url,
        region_name="us-east-1",
        config=Config(retries=retries, **config),
    )


def words(i: int, n: int) -> list[str]:
    return [f"w{i}.{k} " for k in range(n)]


def llama_stream(pieces: list[str], gap: float = 0.0) -> RecordedResponse:
    events = [
        StreamEvent.chunk(
            {
                "generation": p,
                "prompt_token_count": None,
                "generation_token_count": k + 1,
                "stop_reason": None,
            },
            offset=gap * k,
        )
        for k, p in enumerate(pieces)
    ]
    events.append(
        StreamEvent.chunk(
            {
                "generation": "",
                "prompt_token_count": 3,
                "generation_token_count": len(pieces),
                "stop_reason": "stop",
                "amazon-bedrock-invocationMetrics": {
                    "inputTokenCount": 3,
                    "outputTokenCount": len(pieces),
                    "invocationLatency": 10,
                    "firstByteLatency": 1,
                },
            },
            offset=gap * len(pieces),
        )
    )
    return RecordedResponse(
        200, {"content-type": "application/vnd.amazon.eventstream"}, events=events
    )


def plain(data: Any, **headers: str) -> RecordedResponse:
    return RecordedResponse(
        200, {"content-type": "application/json", **headers}, body=json.dumps(data).encode()
    )


def stream_texts(stream: Any) -> list[str]:
    return [json.loads(e["chunk"]["bytes"])["generation"] for e in stream]


class Recorder:
    """A scripted source that remembers what it was asked and answers by operation."""

    def __init__(self, pieces: int = 3) -> None:
        self.seen: list[RecordedRequest] = []
        self.pieces = pieces
        self.lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> RecordedResponse:
        with self.lock:
            self.seen.append(request)
        body = request.json or {}
        tag = str(
            body.get("prompt")
            or body.get("messages", [{}])[0].get("content", [{}])[0].get("text", "")
        )
        if request.operation == "InvokeModel":
            return plain({"generation": f"echo {tag}", "stop_reason": "stop"})
        if request.operation == "Converse":
            return plain(
                {
                    "output": {
                        "message": {"role": "assistant", "content": [{"text": f"echo {tag}"}]}
                    },
                    "stopReason": "end_turn",
                    "usage": {"inputTokens": 1, "outputTokens": 2, "totalTokens": 3},
                    "metrics": {"latencyMs": 5},
                }
            )
        if request.operation == "InvokeModelWithResponseStream":
            return llama_stream([f"{tag}:{k} " for k in range(self.pieces)])
        events = [StreamEvent.event("messageStart", {"role": "assistant"})]
        events += [
            StreamEvent.event(
                "contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": f"{tag}:{k} "}}
            )
            for k in range(self.pieces)
        ]
        events += [
            StreamEvent.event("contentBlockStop", {"contentBlockIndex": 0}),
            StreamEvent.event("messageStop", {"stopReason": "end_turn"}),
            StreamEvent.event(
                "metadata",
                {
                    "usage": {"inputTokens": 1, "outputTokens": 2, "totalTokens": 3},
                    "metrics": {"latencyMs": 5},
                },
            ),
        ]
        return RecordedResponse(
            200, {"content-type": "application/vnd.amazon.eventstream"}, events=events
        )


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def srv(recorder: Recorder) -> Iterator[BedrockServer]:
    with BedrockServer([ScriptedSource(recorder)], grace=1.0) as server:
        yield server


def call(c: Any, operation: str, model_id: str, text: str) -> str:
    """Run one operation and return the answer's text."""
    if operation == "invoke_model":
        r = c.invoke_model(modelId=model_id, body=json.dumps({"prompt": text}))
        return str(json.loads(r["body"].read())["generation"])
    if operation == "invoke_model_with_response_stream":
        r = c.invoke_model_with_response_stream(modelId=model_id, body=json.dumps({"prompt": text}))
        return "".join(stream_texts(r["body"]))
    messages = [{"role": "user", "content": [{"text": text}]}]
    if operation == "converse":
        r = c.converse(modelId=model_id, messages=messages)
        return str(r["output"]["message"]["content"][0]["text"])
    r = c.converse_stream(modelId=model_id, messages=messages)
    return "".join(
        e["contentBlockDelta"]["delta"]["text"] for e in r["stream"] if "contentBlockDelta" in e
    )


def raw_exchange(
    server: BedrockServer, data: bytes, *, read_timeout: float = 5.0
) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes on a fresh connection; parse the one response that comes back."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=read_timeout) as sock:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock)
        try:
            response.begin()
            body = response.read()
        finally:
            response.close()  # its file object holds the socket open otherwise
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def post(path: str, body: bytes, **headers: str) -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: localhost\r\n"
    if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
        headers["Content-Length"] = str(len(body))
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode() + b"\r\n" + body


def error_of(headers: dict[str, str], body: bytes) -> tuple[str, str]:
    return headers["x-amzn-errortype"].split(":", 1)[0], json.loads(body)["message"]


def assert_still_serving(server: BedrockServer) -> None:
    assert call(client(server.url), "invoke_model", LLAMA, "alive?") == "echo alive?"


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


# --- paths and model ids -----------------------------------------------------------------------

OPS = ["invoke_model", "invoke_model_with_response_stream", "converse", "converse_stream"]
OPERATION_NAMES = {
    "invoke_model": "InvokeModel",
    "invoke_model_with_response_stream": "InvokeModelWithResponseStream",
    "converse": "Converse",
    "converse_stream": "ConverseStream",
}


@pytest.mark.parametrize(
    "model_id",
    [LLAMA, NOVA, PROFILE_ARN, FOUNDATION_ARN],
    ids=["foundation-id", "profile-id", "profile-arn", "foundation-arn"],
)
@pytest.mark.parametrize("operation", OPS)
def test_each_operation_and_model_id_spelling_reaches_the_source(
    srv: BedrockServer, recorder: Recorder, operation: str, model_id: str
) -> None:
    text = call(client(srv.url), operation, model_id, "hi")
    assert text.startswith("echo hi") or text.startswith("hi:0")
    (seen,) = recorder.seen
    assert (seen.operation, seen.model_id) == (OPERATION_NAMES[operation], model_id)
    # botocore percent-encodes ':' and '/' in the path; the server decodes them
    assert seen.path == model_path(model_id, OPERATION_NAMES[operation])


def test_arn_with_a_literal_slash_in_the_path(srv: BedrockServer, recorder: Recorder) -> None:
    path = f"/model/{PROFILE_ARN}/converse"  # not encoded, as lenient clients send it
    body = json.dumps({"messages": [{"role": "user", "content": [{"text": "x"}]}]}).encode()
    status, _, data = raw_exchange(srv, post(path, body, **{"Content-Type": "application/json"}))
    assert status == 200, data
    assert json.loads(data)["output"]["message"]["content"][0]["text"] == "echo x"
    assert recorder.seen[0].model_id == PROFILE_ARN


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
    serialize.write_atomic(
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


def test_missing_cassette_is_refused_up_front(tmp_path: Path) -> None:
    with pytest.raises(CassetteNotFoundError, match="does not exist"):
        CassetteSource([tmp_path / "nope.yaml"])


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

INVOKE = model_path(LLAMA, "InvokeModel")
JSON = {"Content-Type": "application/json"}


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


@pytest.mark.parametrize("operation", OPS)
def test_unknown_model_answers_like_bedrock(srv: BedrockServer, operation: str) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call(client(srv.url), operation, "does-not-exist", "hi")
    error = info.value.response
    assert error["Error"] == {"Code": "ValidationException", "Message": INVALID_MODEL_MESSAGE}
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unknown_model_error_matches_the_real_recordings(srv: BedrockServer) -> None:
    folder = REAL_CASSETTES / "otel-contrib"
    files = sorted(folder.glob("*invalid_model*.yaml"))
    if not files:
        pytest.skip(f"real recordings not found under {folder}")
    for file in files:
        recorded = yaml.safe_load(file.read_text())["interactions"][0]
        uri = recorded["request"]["uri"].split(".amazonaws.com", 1)[1]
        body = (recorded["request"]["body"] or "").encode()
        status, headers, data = raw_exchange(srv, post(uri, body, **JSON))
        real = recorded["response"]
        assert status == real["status"]["code"], file.name
        assert headers["x-amzn-errortype"] == real["headers"]["x-amzn-ErrorType"][0]
        assert json.loads(data) == json.loads(real["body"]["string"])


def test_bad_json_through_boto3_raises_the_modelled_class(srv: BedrockServer) -> None:
    c = client(srv.url)
    with pytest.raises(c.exceptions.ValidationException, match="Malformed input request"):
        c.invoke_model(modelId=LLAMA, body=b"{not json")


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


def test_a_source_that_raises_gets_a_500_and_the_server_serves_on(recorder: Recorder) -> None:
    def broken(request: RecordedRequest) -> RecordedResponse:
        if "boom" in request.body.decode():
            raise RuntimeError("source bug")
        return recorder(request)

    logged: list[str] = []
    with BedrockServer([ScriptedSource(broken)]) as server:
        server.app.log = logged.append
        c = client(server.url)
        with pytest.raises(c.exceptions.InternalServerException, match="source bug"):
            c.invoke_model(modelId=LLAMA, body=json.dumps({"prompt": "boom"}))
        assert_still_serving(server)
    assert any("source bug" in line for line in logged)


def test_a_known_model_nobody_answers_is_a_404_that_says_why() -> None:
    with BedrockServer([ScriptedSource(lambda r: None)]) as server:
        c = client(server.url)
        with pytest.raises(c.exceptions.ResourceNotFoundException, match="has no answer"):
            c.invoke_model(modelId=LLAMA, body=json.dumps({"prompt": "x"}))


def test_scripted_source_can_vouch_for_custom_model_names() -> None:
    source = ScriptedSource(lambda r: None, models=["my-model-*"])
    with BedrockServer([source]) as server:
        c = client(server.url)
        with pytest.raises(c.exceptions.ResourceNotFoundException):
            c.invoke_model(modelId="my-model-7", body=b"{}")
        with pytest.raises(
            c.exceptions.ValidationException, match=re.escape(INVALID_MODEL_MESSAGE)
        ):
            c.invoke_model(modelId="other-model", body=b"{}")


def test_http_error_response_helper_shape() -> None:
    response = error_response(429, "ThrottlingException", "slow down", extra=1)
    assert response.status == 429
    assert response.headers["x-amzn-errortype"].startswith("ThrottlingException:")
    assert json.loads(response.body) == {"message": "slow down", "extra": 1}


# --- HTTP/2 --------------------------------------------------------------------------------------


def h2_exchange(port: int, path: str, body: bytes) -> tuple[bytes, bytes]:
    """One HTTP/2 request with prior knowledge (what the JavaScript SDK does by default),
    spoken with the ``h2`` package; returns the status and the whole body."""
    h2_connection = pytest.importorskip("h2.connection")
    h2_config = pytest.importorskip("h2.config")
    h2_events = pytest.importorskip("h2.events")
    conn = h2_connection.H2Connection(h2_config.H2Configuration(client_side=True))
    conn.initiate_connection()
    headers = [
        (":method", "POST"),
        (":path", path),
        (":scheme", "http"),
        (":authority", "localhost"),
        ("content-type", "application/json"),
    ]
    status, data, ended = b"", b"", False
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        conn.send_headers(1, headers)
        view = memoryview(body)
        while view:  # within the server's flow-control window, as a client must
            size = min(len(view), conn.local_flow_control_window(1), conn.max_outbound_frame_size)
            if size:
                conn.send_data(1, view[:size].tobytes())
                view = view[size:]
            sock.sendall(conn.data_to_send())
            if not size:
                conn.receive_data(sock.recv(65536))
        conn.end_stream(1)
        sock.sendall(conn.data_to_send())
        while not ended:
            chunk = sock.recv(65536)
            assert chunk, "connection closed early"
            for event in conn.receive_data(chunk):
                if isinstance(event, h2_events.ResponseReceived):
                    status = dict(event.headers)[b":status"]
                elif isinstance(event, h2_events.DataReceived):
                    data += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, 1)
                elif isinstance(event, h2_events.StreamEnded):
                    ended = True
            sock.sendall(conn.data_to_send())
    return status, data


def test_cleartext_http2_stream(srv: BedrockServer) -> None:
    path = model_path(LLAMA, "InvokeModelWithResponseStream")
    status, data = h2_exchange(srv.port, path, b'{"prompt": "h2"}')
    assert status == b"200"
    chunks = [json.loads(m.payload)["bytes"] for m in decode_stream(data)]
    texts = [json.loads(base64.b64decode(c))["generation"] for c in chunks]
    assert texts == ["h2:0 ", "h2:1 ", "h2:2 ", ""]


def test_cleartext_http2_oversized_body(recorder: Recorder) -> None:
    with BedrockServer([ScriptedSource(recorder)], max_body=100_000) as server:
        status, data = h2_exchange(server.port, INVOKE, b" " * 300_000)
        assert status == b"400"
        assert "(the request body is 300000 bytes)" in json.loads(data)["message"]
        assert_still_serving(server)


def test_without_h2_an_http2_client_is_asked_for_http11(
    srv: BedrockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    h2_connection = pytest.importorskip("h2.connection")
    h2_config = pytest.importorskip("h2.config")
    h2_events = pytest.importorskip("h2.events")
    from bedrock_vcr.server import http2 as server_h2

    monkeypatch.setattr(server_h2, "available", lambda: False)
    conn = h2_connection.H2Connection(h2_config.H2Configuration(client_side=True))
    conn.initiate_connection()
    events: list[Any] = []
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as sock:
        sock.sendall(conn.data_to_send())
        while data := sock.recv(65536):  # until the server hangs up
            events += conn.receive_data(data)
    (ended,) = [e for e in events if isinstance(e, h2_events.ConnectionTerminated)]
    assert ended.error_code == 0xD  # HTTP_1_1_REQUIRED
    assert b"pip install h2" in ended.additional_data
    assert_still_serving(srv)


# --- simulated answers and faults ----------------------------------------------------------------

CONFIG = """
routes:
  - match: {prompt: "RETRY ME"}
    sequence:
      - fault: ThrottlingException
      - fault: {code: ServiceUnavailableException, message: "try later"}
      - answer: "Recovered."
  - match: {prompt: "TWICE"}
    times: 2
    fault: ThrottlingException
  - match: {operation: invoke_model_with_response_stream, prompt: "MIDSTREAM"}
    stream_error: {code: modelStreamErrorException, after: 2, message: "model stream broke",
                   original_status_code: 500, original_message: "upstream reset",
                   answer: "one two three four"}
  - match: {model: "meta.llama3-*"}
    answer: {text: "Hello from the config.", stop_reason: length, output_tokens: 6}
  - answer: {text: "Generic answer.", chunk_size: 4}
"""


@pytest.fixture
def simulated(tmp_path: Path) -> Iterator[BedrockServer]:
    path = tmp_path / "serve.yaml"
    path.write_text(CONFIG)
    with BedrockServer(load_config(path).sources()) as server:
        yield server


def test_config_answers_in_each_models_native_format(simulated: BedrockServer) -> None:
    c = client(simulated.url)
    r = c.invoke_model(modelId=LLAMA, body=json.dumps({"prompt": "hi", "max_gen_len": 6}))
    body = json.loads(r["body"].read())
    assert body["generation"] == "Hello from the config."[:24]
    assert (body["stop_reason"], body["generation_token_count"]) == ("length", 6)
    assert r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-bedrock-output-token-count"] == "6"
    r = c.converse_stream(modelId=NOVA, messages=[{"role": "user", "content": [{"text": "x"}]}])
    deltas = [
        e["contentBlockDelta"]["delta"]["text"] for e in r["stream"] if "contentBlockDelta" in e
    ]
    assert deltas == ["Gene", "ric ", "answ", "er."]


def test_config_sequence_retries_through_boto3(simulated: BedrockServer) -> None:
    c = client(simulated.url, retries={"max_attempts": 2, "mode": "standard"})  # 2 retries
    with faults.skip_backoff() as delays:
        text = call(c, "converse", NOVA, "please RETRY ME")
        assert text == "Recovered."
        assert len(delays) == 2  # two retries, without their sleeps
        assert call(c, "converse", NOVA, "RETRY ME again") == "Recovered."  # the last repeats


def test_config_times_limits_a_fault_then_falls_through(simulated: BedrockServer) -> None:
    c = client(simulated.url)
    for _ in range(2):
        with pytest.raises(c.exceptions.ThrottlingException):
            call(c, "converse", NOVA, "TWICE")
    assert call(c, "converse", NOVA, "TWICE") == "Generic answer."


def test_config_midstream_error(simulated: BedrockServer) -> None:
    body = client(simulated.url).invoke_model_with_response_stream(
        modelId=LLAMA, body=json.dumps({"prompt": "MIDSTREAM"})
    )["body"]
    received = []
    with pytest.raises(botocore.exceptions.EventStreamError) as info:
        for event in body:
            received.append(json.loads(event["chunk"]["bytes"])["generation"])
    body.close()  # botocore leaves the connection open after an exception frame
    assert received == ["one", " two"]
    # botocore keeps code and message of a stream exception (the JavaScript SDK test checks
    # that originalStatusCode arrives too)
    assert info.value.response["Error"] == {
        "Code": "modelStreamErrorException",
        "Message": "model stream broke",
    }


def test_catch_all_route_leaves_invalid_models_invalid(simulated: BedrockServer) -> None:
    with pytest.raises(botocore.exceptions.ClientError, match=re.escape(INVALID_MODEL_MESSAGE)):
        call(client(simulated.url), "converse", "does-not-exist", "hi")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("routes: [{anser: hi}]", r"routes\[0\]: unknown key 'anser' \(did you mean 'answer'\?\)"),
        ("routes: [{match: {modle: x}, answer: hi}]", r"routes\[0\]\.match: unknown key 'modle'"),
        (
            "routes: [{match: {model: meta.llama3-8b-instruct-v1:0, operation: invoke_model}, "
            "answer: {text: x, stop_reason: end_turn}}]",
            r"routes\[0\].*end_turn.*does not exist",
        ),
        (
            "routes: [{match: {operation: converse}, fault: ServiceQuotaExceededException}]",
            r"routes\[0\].*Converse never fails with ServiceQuotaExceededException",
        ),
        ("routes: [{fault: NoSuchException}]", r"routes\[0\]\.fault: unknown Bedrock Runtime"),
        ("routes: [{match: {operation: converse}, disconnect: 2}]", r"needs a streaming operation"),
        ("routes: [{answer: hi, fault: ThrottlingException}]", r"exactly one outcome"),
        ("routes: [{sequence: []}]", r"non-empty list"),
        ("routes: [{times: 0, answer: hi}]", r"times must be an integer >= 1"),
        ("version: 2", r"unknown config version 2"),
        ("speed: -1", r"speed must be a number >= 0"),
        ("rotues: []", r"did you mean 'routes'"),
    ],
    ids=[
        "route-key",
        "match-key",
        "stop-reason",
        "fault-for-operation",
        "fault-code",
        "stream-fault-plain-op",
        "two-outcomes",
        "empty-sequence",
        "times-zero",
        "version",
        "speed",
        "top-key",
    ],
)
def test_config_errors_say_where_and_why(config: str, message: str) -> None:
    with pytest.raises(ServeConfigError, match=message):
        parse_config(yaml.safe_load(config), "serve.yaml")


def test_config_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("routes: [\n")
    with pytest.raises(ServeConfigError, match=r"broken.yaml: not valid YAML"):
        load_config(path)
    with pytest.raises(ServeConfigError, match=r"cannot read the config"):
        load_config(tmp_path / "missing.yaml")


def test_an_outcome_that_does_not_fit_the_request_is_a_400_not_a_crash() -> None:
    """A pattern route is checked when served: Llama's InvokeModel has no ``end_turn``."""
    config = parse_config(
        yaml.safe_load("routes: [{match: {model: 'meta.*'}, answer: {stop_reason: end_turn}}]"),
        "serve.yaml",
    )
    logged: list[str] = []
    with BedrockServer(config.sources()) as server:
        server.app.log = logged.append
        c = client(server.url)
        with pytest.raises(c.exceptions.ValidationException, match="bedrock-vcr could not answer"):
            call(c, "invoke_model", LLAMA, "x")
        assert call(c, "converse", LLAMA, "x")  # Converse has end_turn: the same route answers
    assert any("end_turn" in line for line in logged)


def test_option_routes_fault_times_then_answer() -> None:
    routes = option_routes(answer="Fine.", fault="ThrottlingException", times=1)
    with BedrockServer([SimulationSource(routes)]) as server:
        c = client(server.url)
        with pytest.raises(c.exceptions.ThrottlingException):
            call(c, "invoke_model", LLAMA, "x")
        assert call(c, "invoke_model", LLAMA, "x") == "Fine."


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"times": 2}, r"--times goes with --fault"),
        ({"after": 2}, r"--after goes with --stream-error"),
        ({"stop_reason": "sideways"}, r"unknown stop reason 'sideways'"),
        (
            {"stream_error": "modelTimeoutException", "operation": "ConverseStream"},
            r"cannot carry modelTimeoutException",
        ),
    ],
    ids=["times-alone", "after-alone", "stop-reason", "stream-error-for-operation"],
)
def test_option_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ServeConfigError, match=message):
        option_routes(**options)


# --- the command -------------------------------------------------------------------------------


def start_serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bedrock_vcr.cli.main", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    found = re.search(r"serving on (http://\S+)", line)
    if found is None:
        proc.kill()
        raise AssertionError(
            f"serve did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}"
        )
    return proc, found.group(1)


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serve_stops_cleanly_on_signals_and_finishes_a_stream_in_flight(sig: int) -> None:
    proc, url = start_serve("--answer", "one two three four five six", "--chunk-delay", "0.1")
    port = int(url.rsplit(":", 1)[1])
    try:
        stream = client(url).invoke_model_with_response_stream(
            modelId=LLAMA, body=json.dumps({"prompt": "hi"})
        )["body"]
        pieces = iter(stream)
        first = json.loads(next(pieces)["chunk"]["bytes"])["generation"]
        proc.send_signal(sig)  # mid-stream: the rest must still arrive
        rest = [json.loads(e["chunk"]["bytes"])["generation"] for e in pieces]
        code = proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    _, err = proc.communicate()
    assert first + "".join(rest) == "one two three four five six"
    assert code == 0, err
    assert f"stopping on {signal.Signals(sig).name}" in err
    assert f"stopped; port {port} released" in err
    assert port_is_free(port)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_serve_command_options_and_cassettes(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    request = RecordedRequest(
        "InvokeModel",
        LLAMA,
        json.dumps({"prompt": "recorded"}).encode(),
        {"content-type": "application/json", "accept": "application/json"},
    )
    serialize.write_atomic(
        path,
        serialize.dumps(
            [
                Interaction(
                    request, plain({"generation": "from the cassette", "stop_reason": "stop"})
                )
            ]
        ),
    )
    proc, url = start_serve(
        str(path), "--fault", "ThrottlingException", "--times", "1", "--answer", "simulated"
    )
    try:
        c = client(url)
        assert call(c, "invoke_model", LLAMA, "recorded") == "from the cassette"
        with pytest.raises(c.exceptions.ThrottlingException):
            call(c, "converse", NOVA, "new")
        assert call(c, "converse", NOVA, "new") == "simulated"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        proc.communicate()


def test_serve_refuses_a_bad_config(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("routes: [{anser: hi}]\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bedrock_vcr.cli.main",
            "serve",
            "--port",
            "0",
            "--config",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "did you mean 'answer'" in result.stderr
