"""vcrpy documents as vcrpy writes them, for the tests of reading and converting them."""

from __future__ import annotations

from typing import Any

from bedrock_vcr import StreamEvent

RUNTIME = "https://bedrock-runtime.us-east-1.amazonaws.com"
LLAMA = "meta.llama3-70b-instruct-v1:0"
LLAMA_PATH = "/model/meta.llama3-70b-instruct-v1%3A0"


def item(
    uri: str = f"{RUNTIME}{LLAMA_PATH}/invoke",
    *,
    method: str = "POST",
    body: Any = '{"prompt": "hi"}',
    request_headers: dict[str, Any] | None = None,
    status: Any = 200,
    headers: dict[str, Any] | None = None,
    response_body: Any = '{"generation": "hello"}',
) -> dict[str, Any]:
    """One interaction shaped as vcrpy writes it."""
    return {
        "request": {
            "body": body,
            "headers": request_headers if request_headers is not None else {},
            "method": method,
            "uri": uri,
        },
        "response": {
            "body": {"string": response_body},
            "headers": headers if headers is not None else {"Content-Type": ["application/json"]},
            "status": {"code": status, "message": "OK"},
        },
    }


def doc(*items: dict[str, Any]) -> dict[str, Any]:
    return {"interactions": list(items), "version": 1}


def frames(*events: StreamEvent) -> bytes:
    return b"".join(e.frame for e in events)


STREAM_HEADERS = {"Content-Type": ["application/vnd.amazon.eventstream"]}
CHUNKS = (
    StreamEvent.chunk({"generation": "Hel", "stop_reason": None}),
    StreamEvent.chunk({"generation": "lo", "stop_reason": "stop"}),
)
