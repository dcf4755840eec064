"""Scripted answers of the local server for the operations beyond inference (CountTokens,
ApplyGuardrail, the guardrail checks and the async invocations): what tests record against."""

from __future__ import annotations

import json
from typing import Any

from bedrock_vcr import RecordedRequest, RecordedResponse

INVOCATION = "arn:aws:bedrock:us-east-1:123456789012:async-invoke/abc123def456"
MODEL_ARN = "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-reel-v1:0"
OUTPUT = {"s3OutputDataConfig": {"s3Uri": "s3://bucket/out/"}}
GUARDRAIL_USAGE = {
    "topicPolicyUnits": 1,
    "contentPolicyUnits": 1,
    "wordPolicyUnits": 0,
    "sensitiveInformationPolicyUnits": 0,
    "sensitiveInformationPolicyFreeUnits": 0,
    "contextualGroundingPolicyUnits": 0,
}


def _json(data: Any) -> RecordedResponse:
    return RecordedResponse(
        200, {"content-type": "application/json"}, body=json.dumps(data).encode()
    )


def _summary() -> dict[str, Any]:
    return {
        "invocationArn": INVOCATION,
        "modelArn": MODEL_ARN,
        "status": "Completed",
        "submitTime": "2025-01-02T03:04:05Z",
        "outputDataConfig": OUTPUT,
    }


def answer(request: RecordedRequest) -> RecordedResponse | None:
    body = request.json or {}
    op = request.operation
    if op == "CountTokens":
        text = json.dumps(body.get("input", {}))
        return _json({"inputTokens": len(text.split())})
    if op == "ApplyGuardrail":
        texts = [block.get("text", {}).get("text", "") for block in body.get("content", [])]
        blocked = any("BLOCK" in text for text in texts)
        return _json(
            {
                "usage": GUARDRAIL_USAGE,
                "action": "GUARDRAIL_INTERVENED" if blocked else "NONE",
                "outputs": [{"text": "Sorry."}] if blocked else [],
                "assessments": [{}],
            }
        )
    if op == "InvokeGuardrailChecks":
        return _json({"results": {}, "usage": {"contentFilter": {"textUnits": 1}}})
    if op == "StartAsyncInvoke":
        return _json({"invocationArn": INVOCATION})
    if op == "GetAsyncInvoke":
        return _json(_summary())
    if op == "ListAsyncInvokes":
        page = {"asyncInvokeSummaries": [_summary()]}
        if "nextToken" not in request.path:
            page["nextToken"] = "page-2"
        return _json(page)
    return None
