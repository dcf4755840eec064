"""Scripted answers for the local server: what tests record against.

Prompts steer the answer: ``THROTTLE`` gets a 429, ``MIDSTREAM`` a stream that ends in a
``modelStreamErrorException`` frame, ``ERROR:<Code>:<status>`` that HTTP error.
"""

from __future__ import annotations

import json
from typing import Any

from bedrock_vcr import RecordedRequest, RecordedResponse, StreamEvent
from bedrock_vcr.bedrock.operations import INFERENCE
from bedrock_vcr.cassettes.records import error_response

from . import scripted_operations

STREAM_GAP = 0.05  # seconds between scripted stream events


def _prompt(request: RecordedRequest) -> str:
    body = request.json or {}
    if "prompt" in body:
        return str(body["prompt"])
    if "inputText" in body:
        return str(body["inputText"])
    texts = []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        else:
            texts.extend(str(block.get("text", "")) for block in content or [])
    return " ".join(texts)


def _json(status: int, data: Any, **headers: str) -> RecordedResponse:
    return RecordedResponse(
        status,
        {"content-type": "application/json", **headers},
        body=json.dumps(data).encode(),
    )


def answer(request: RecordedRequest) -> RecordedResponse | None:
    if request.operation not in INFERENCE:
        return scripted_operations.answer(request)
    prompt = _prompt(request)
    if "THROTTLE" in prompt:
        return error_response(429, "ThrottlingException", "Too many requests, please wait.")
    if prompt.startswith("ERROR:"):
        _, code, status = prompt.split(":")[:3]
        return error_response(int(status), code, f"scripted {code}")
    words = [f"word{i} " for i in range(5)]
    if request.operation == "InvokeModel":
        return _json(
            200,
            {
                "generation": "".join(words),
                "prompt_token_count": len(prompt.split()),
                "generation_token_count": len(words),
                "stop_reason": "stop",
            },
            **{
                "x-amzn-bedrock-input-token-count": str(len(prompt.split())),
                "x-amzn-bedrock-output-token-count": str(len(words)),
                "x-amzn-bedrock-invocation-latency": "120",
            },
        )
    if request.operation == "InvokeModelWithResponseStream":
        events = [
            StreamEvent.chunk(
                {
                    "generation": w,
                    "prompt_token_count": None,
                    "generation_token_count": i + 1,
                    "stop_reason": None,
                },
                offset=STREAM_GAP * i,
            )
            for i, w in enumerate(words)
        ]
        if "MIDSTREAM" in prompt:
            events = events[:3] + [
                StreamEvent.exception(
                    "modelStreamErrorException",
                    {
                        "message": "Model stream failed",
                        "originalStatusCode": 500,
                        "originalMessage": "upstream reset",
                    },
                    offset=STREAM_GAP * 3,
                )
            ]
        else:
            events.append(
                StreamEvent.chunk(
                    {
                        "generation": "",
                        "prompt_token_count": 3,
                        "generation_token_count": len(words),
                        "stop_reason": "stop",
                        "amazon-bedrock-invocationMetrics": {
                            "inputTokenCount": 3,
                            "outputTokenCount": len(words),
                            "invocationLatency": 250,
                            "firstByteLatency": 40,
                        },
                    },
                    offset=STREAM_GAP * len(words),
                )
            )
        return RecordedResponse(
            200,
            {
                "content-type": "application/vnd.amazon.eventstream",
                "x-amzn-bedrock-content-type": "application/json",
            },
            events=events,
        )
    usage = {"inputTokens": 3, "outputTokens": len(words), "totalTokens": 3 + len(words)}
    if request.operation == "Converse":
        return _json(
            200,
            {
                "output": {"message": {"role": "assistant", "content": [{"text": "".join(words)}]}},
                "stopReason": "end_turn",
                "usage": usage,
                "metrics": {"latencyMs": 120},
            },
        )
    if request.operation == "ConverseStream":
        events = [StreamEvent.event("messageStart", {"role": "assistant"})]
        events += [
            StreamEvent.event(
                "contentBlockDelta",
                {"contentBlockIndex": 0, "delta": {"text": w}},
                offset=STREAM_GAP * (i + 1),
            )
            for i, w in enumerate(words)
        ]
        end = STREAM_GAP * (len(words) + 1)
        if "MIDSTREAM" in prompt:
            events.append(
                StreamEvent.exception(
                    "throttlingException", {"message": "Too many tokens"}, offset=end
                )
            )
        else:
            events += [
                StreamEvent.event("contentBlockStop", {"contentBlockIndex": 0}, offset=end),
                StreamEvent.event("messageStop", {"stopReason": "end_turn"}, offset=end),
                StreamEvent.event(
                    "metadata", {"usage": usage, "metrics": {"latencyMs": 250}}, offset=end
                ),
            ]
        return RecordedResponse(
            200, {"content-type": "application/vnd.amazon.eventstream"}, events=events
        )
    return None
