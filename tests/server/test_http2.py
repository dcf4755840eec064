"""Cleartext HTTP/2 (``server.http2``): streams, the body limit, and the answer without ``h2``."""

from __future__ import annotations

import base64
import json
import socket
from typing import Any

import pytest

from bedrock_vcr.bedrock.operations import model_path
from bedrock_vcr.server.http1 import BedrockServer
from bedrock_vcr.server.sources import ScriptedSource
from bedrock_vcr.wire.eventstream import decode_stream

from .support import (
    INVOKE,
    LLAMA,
    Recorder,
    assert_still_serving,
)

pytestmark = pytest.mark.usefixtures("aws_env")


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
