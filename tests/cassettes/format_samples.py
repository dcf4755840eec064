"""Small cassettes in other recorders' formats, and what each file says was sent.

The files in ``tests/cassettes/formats/`` are written by :func:`write_all` (run this module to
write them again: ``python -m tests.cassettes.format_samples``); a test checks that the files
on disk are what it writes. Each imitates one real project's layout (``formats/README.md``).
Event streams are built with bedrock-vcr's own codec (:mod:`bedrock_vcr.wire.eventstream`).

``EXPECTED[name]`` lists, per interaction of a file, what the file still holds after its
recorder's filters (bodies compact JSON, headers as kept): a boto3 client answered with those
bytes is the reference that direct replay of the file must equal.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from bedrock_vcr import StreamEvent
from bedrock_vcr.cassettes import yaml_format
from bedrock_vcr.cassettes.formats import sniff
from bedrock_vcr.cassettes.vcrpy import interactions_from_vcrpy

from ..intercept.test_real_cassettes_replay import Recorded

FOLDER = Path(__file__).parent / "formats"
HOST = "https://bedrock-runtime.us-east-1.amazonaws.com"
NOVA, LLAMA = "amazon.nova-lite-v1:0", "meta.llama3-8b-instruct-v1:0"
NOVA_PATH, LLAMA_PATH = "/model/amazon.nova-lite-v1%3A0", "/model/meta.llama3-8b-instruct-v1%3A0"
JSON_TYPE, STREAM_TYPE = "application/json", "application/vnd.amazon.eventstream"


def compact(value: Any) -> bytes:
    """A JSON body as the samples' "service" sends it: compact, keys sorted (YAML dumps sort
    mappings, so a parsed body read back has its keys in that order)."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def frames(*events: StreamEvent) -> bytes:
    return b"".join(e.frame for e in events)


CONVERSE_REQUEST = {
    "messages": [{"role": "user", "content": [{"text": "Say hello"}]}],
    "inferenceConfig": {"maxTokens": 32},
}
CONVERSE_ANSWER = {
    "output": {"message": {"role": "assistant", "content": [{"text": "Hello!"}]}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5},
    "metrics": {"latencyMs": 120},
}
CONVERSE_STREAM = frames(
    StreamEvent.event("messageStart", {"role": "assistant"}),
    StreamEvent.event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hel"}}),
    StreamEvent.event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "lo"}}),
    StreamEvent.event("contentBlockStop", {"contentBlockIndex": 0}),
    StreamEvent.event("messageStop", {"stopReason": "end_turn"}),
    StreamEvent.event(
        "metadata",
        {
            "usage": {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5},
            "metrics": {"latencyMs": 90},
        },
    ),
)
LLAMA_REQUEST = {"prompt": "Say hello", "max_gen_len": 32}
LLAMA_ANSWER = {
    "generation": "Hello!",
    "prompt_token_count": 3,
    "generation_token_count": 2,
    "stop_reason": "stop",
}
LLAMA_STREAM = frames(
    StreamEvent.chunk({"generation": "Hel", "prompt_token_count": 3, "stop_reason": None}),
    StreamEvent.chunk(
        {
            "generation": "lo",
            "generation_token_count": 2,
            "stop_reason": "stop",
            "amazon-bedrock-invocationMetrics": {
                "inputTokenCount": 3,
                "outputTokenCount": 2,
                "invocationLatency": 100,
                "firstByteLatency": 40,
            },
        }
    ),
)
INVALID_MODEL = {"message": "The provided model identifier is invalid."}
ERROR_TYPE = "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"


def _recorded(
    path: str, request: Any, status: int, headers: list[tuple[str, str]], body: bytes
) -> Recorded:
    return Recorded(
        uri=HOST + path,
        request_body=compact(request),
        request_headers={"content-type": JSON_TYPE},
        status=status,
        response_headers=headers,
        response_body=body,
    )


def _ct(kind: str, body: bytes) -> list[tuple[str, str]]:
    return [("content-type", kind), ("content-length", str(len(body)))]


# --- pydantic-ai: vcrpy YAML, JSON bodies as parsed_body, x-* and date headers filtered --------

PYDANTIC = [
    _recorded(
        f"{NOVA_PATH}/converse",
        CONVERSE_REQUEST,
        200,
        _ct(JSON_TYPE, compact(CONVERSE_ANSWER)),
        compact(CONVERSE_ANSWER),
    ),
    _recorded(
        "/model/amazon.nova-lit-v1%3A0/converse",
        CONVERSE_REQUEST,
        400,
        _ct(JSON_TYPE, compact(INVALID_MODEL)),
        compact(INVALID_MODEL),
    ),
    _recorded(
        f"{NOVA_PATH}/converse-stream",
        CONVERSE_REQUEST,
        200,
        [("content-type", STREAM_TYPE)],
        CONVERSE_STREAM,
    ),
]


def _vcrpy_part(recorded: Recorded, parsed: bool) -> dict[str, Any]:
    headers = {name: [value] for name, value in recorded.response_headers}
    request: dict[str, Any] = {
        "headers": {"content-type": [JSON_TYPE]},
        "method": "POST",
        "uri": recorded.uri,
    }
    response: dict[str, Any] = {
        "headers": headers,
        "status": {"code": recorded.status, "message": "OK" if recorded.status < 300 else "Bad"},
    }
    json_body = recorded.header("content-type") == JSON_TYPE
    if parsed:
        request["parsed_body"] = json.loads(recorded.request_body or b"")
    else:
        request["body"] = (recorded.request_body or b"").decode()
    if parsed and json_body:
        response["parsed_body"] = json.loads(recorded.response_body)
    else:
        body = recorded.response_body
        response["body"] = {"string": body.decode() if json_body else body}
    return {"request": request, "response": response}


def pydantic_text() -> str:
    doc = {"interactions": [_vcrpy_part(r, parsed=True) for r in PYDANTIC], "version": 1}
    return yaml.safe_dump(doc, allow_unicode=True, width=120)


# --- langchain-aws: gzipped YAML, {requests, responses} by index, every header **REDACTED** ------

LANGCHAIN = [
    _recorded(f"{NOVA_PATH}/converse-stream", CONVERSE_REQUEST, 200, [], CONVERSE_STREAM),
    _recorded(f"{LLAMA_PATH}/invoke", LLAMA_REQUEST, 200, [], compact(LLAMA_ANSWER)),
    _recorded(f"{LLAMA_PATH}/invoke-with-response-stream", LLAMA_REQUEST, 200, [], LLAMA_STREAM),
]
REDACTED = "**REDACTED**"


def langchain_bytes() -> bytes:
    requests, responses = [], []
    for r in LANGCHAIN:
        requests.append(
            {
                "body": r.request_body,
                "headers": {"Content-Type": [REDACTED], "X-Amz-Date": [REDACTED]},
                "method": "POST",
                "uri": r.uri,
            }
        )
        headers = {"Content-Type": [REDACTED], "x-amzn-RequestId": [REDACTED], "Date": [REDACTED]}
        responses.append(
            {
                "body": {"string": r.response_body},
                "headers": headers,
                "status": {"code": 200, "message": "OK"},
            }
        )
    text = yaml.safe_dump({"requests": requests, "responses": responses})
    return sniff.gzip_bytes(text.encode())


# --- nock (OpenTelemetry JS contrib, AWS SDK for JavaScript v3): JSON array, hex binary -----------

NOCK = [
    _recorded(
        f"{LLAMA_PATH}/invoke",
        LLAMA_REQUEST,
        200,
        [("Content-Type", JSON_TYPE), ("x-amzn-RequestId", "c4a2516b-0000-4717-878b-8c9a9ff2fd3f")],
        compact(LLAMA_ANSWER),
    ),
    _recorded(
        f"{LLAMA_PATH}/invoke-with-response-stream",
        LLAMA_REQUEST,
        200,
        [("Content-Type", STREAM_TYPE), ("X-Amzn-Bedrock-Content-Type", JSON_TYPE)],
        LLAMA_STREAM,
    ),
    _recorded(
        "/model/meta.llama3-8b-instruct-v9%3A0/invoke",
        LLAMA_REQUEST,
        400,
        [("Content-Type", JSON_TYPE), ("x-amzn-ErrorType", ERROR_TYPE)],
        compact(INVALID_MODEL),
    ),
]


def nock_text() -> str:
    entries = []
    for r in NOCK:
        binary = (r.header("content-type") or "") == STREAM_TYPE
        entries.append(
            {
                "scope": "https://bedrock-runtime.us-east-1.amazonaws.com:443",
                "method": "POST",
                "path": r.uri[len(HOST) :],
                "body": json.loads(r.request_body or b""),
                "status": r.status,
                "response": r.response_body.hex() if binary else json.loads(r.response_body),
                "rawHeaders": [part for pair in r.response_headers for part in pair],
                "responseIsBinary": binary,
            }
        )
    return json.dumps(entries, indent=4)


# --- vcrpy's JSON serializer; and bedrock-vcr's own format gzipped ------------------------------

VCRPY_JSON = [PYDANTIC[0], PYDANTIC[1]]


def vcrpy_json_doc() -> dict[str, Any]:
    return {"interactions": [_vcrpy_part(r, parsed=False) for r in VCRPY_JSON], "version": 1}


def vcrpy_json_text() -> str:
    return json.dumps(vcrpy_json_doc(), indent=4) + "\n"


OWN_GZIP = [PYDANTIC[0], PYDANTIC[2]]


def own_gzip_bytes() -> bytes:
    doc = {"interactions": [_vcrpy_part(r, parsed=False) for r in OWN_GZIP], "version": 1}
    return sniff.gzip_bytes(yaml_format.dumps(interactions_from_vcrpy(doc)).encode())


# --- the files -----------------------------------------------------------------------------

FILES: dict[str, tuple[Any, list[Recorded]]] = {
    "pydantic_ai_parsed_body.yaml": (lambda: pydantic_text().encode(), PYDANTIC),
    "langchain_aws.yaml.gz": (langchain_bytes, LANGCHAIN),
    "nock_otel_js_contrib.json": (lambda: nock_text().encode(), NOCK),
    "vcrpy_serializer_json.json": (lambda: vcrpy_json_text().encode(), VCRPY_JSON),
    "bedrock_vcr_own.yaml.gz": (own_gzip_bytes, OWN_GZIP),
}


def write_all(folder: Path = FOLDER) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (make, _) in FILES.items():
        (folder / name).write_bytes(make())


if __name__ == "__main__":
    write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else FOLDER)
