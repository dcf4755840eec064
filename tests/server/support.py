"""Helpers of the server tests: a recording source, boto3 and raw-socket clients, waits.

Shared by the test modules of ``tests/server`` and by ``tests/cli/test_serve.py``; the fixtures
built on them (``recorder``, ``srv``) are in ``tests/server/conftest.py``.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

from bedrock_vcr.bedrock.operations import model_path
from bedrock_vcr.cassettes.records import (
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)
from bedrock_vcr.server.http1 import BedrockServer

LLAMA = "meta.llama3-8b-instruct-v1:0"
NOVA = "us.amazon.nova-lite-v1:0"
PROFILE_ARN = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0"
FOUNDATION_ARN = "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-8b-instruct-v1:0"


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


INVOKE = model_path(LLAMA, "InvokeModel")
JSON = {"Content-Type": "application/json"}
