"""Interactions the format and storage tests write and read back, and the views they check."""

from __future__ import annotations

import json
from typing import Any

import yaml

from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cassettes.records import (
    Interaction,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)

MODEL = "meta.llama3-70b-instruct-v1:0"


def request(
    body: bytes = b'{"prompt":"Hi"}', headers: dict[str, str] | None = None
) -> RecordedRequest:
    return RecordedRequest("InvokeModel", MODEL, body, headers or {"accept": "application/json"})


def plain(body: bytes, status: int = 200, **headers: str) -> Interaction:
    return Interaction(request(), RecordedResponse(status, dict(headers), body=body))


def streamed(*events: StreamEvent, op: str = "InvokeModelWithResponseStream") -> Interaction:
    """A stream answer. Frames that are not Bedrock's (no ``:message-type``) go under another
    operation name: Bedrock streams are checked for that header when a cassette loads."""
    response = RecordedResponse(200, {"x-amzn-requestid": "r-1"}, events=list(events))
    return Interaction(RecordedRequest(op, MODEL, b'{"prompt":"Hi"}'), response)


def reload(*interactions: Interaction) -> list[Interaction]:
    """Through the file format and back: dumps, then loads."""
    return serialize.loads(serialize.dumps(interactions), "memory.yaml")


def stored(*interactions: Interaction) -> dict[str, Any]:
    """The YAML document a person reads."""
    doc = yaml.safe_load(serialize.dumps(interactions))
    assert isinstance(doc, dict)
    return doc


def stream_lines(stream: Any) -> list[tuple[float, str, Any]]:
    """A stream as a file writes it in lines: offset, event type (``exception <type>`` for an
    exception) and the payload's JSON, a chunk's ``bytes`` decoded, per line."""
    assert isinstance(stream, str), f"the stream is not written in lines: {stream!r}"
    out = []
    for line in stream.splitlines():
        offset, kind, payload = line.split(" ", 2)
        if kind == "exception":
            name, payload = payload.split(" ", 1)
            kind = f"exception {name}"
        out.append((float(offset), kind, json.loads(payload)))
    return out
