"""Real Bedrock recordings (made by other projects against AWS) fit our schemas.

These are payloads the service really accepted and sent, so a failure here means a schema is
wrong. The folder sits beside the checkout (``../shared/real-cassettes``) or wherever
``BEDROCK_VCR_REAL_CASSETTES`` points; the tests skip when it is absent.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from botocore.eventstream import EventStreamBuffer

from bedrock_vcr.bedrock.models import resolve_model
from bedrock_vcr.errors import UnknownModelWarning
from bedrock_vcr.validation.validate import validate_chunk, validate_request, validate_response

ROOT = Path(
    os.environ.get(
        "BEDROCK_VCR_REAL_CASSETTES",
        Path(__file__).resolve().parents[3] / "shared" / "real-cassettes",
    )
)
OPERATIONS = {
    "invoke": "InvokeModel",
    "invoke-with-response-stream": "InvokeModelWithResponseStream",
    "converse": "Converse",
    "converse-stream": "ConverseStream",
}


def _interactions() -> list[Any]:
    if not ROOT.is_dir():
        return []
    cases = []
    for folder in ("openllmetry", "otel-contrib"):
        for path in sorted((ROOT / folder).glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            for index, interaction in enumerate(data["interactions"]):
                cases.append(pytest.param(interaction, id=f"{folder}/{path.stem}#{index}"))
    return cases


CASES = _interactions()


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _split(interaction: dict[str, Any]) -> tuple[str, str]:
    path = urlsplit(interaction["request"]["uri"]).path
    model_id, suffix = path[len("/model/") :].rsplit("/", 1)
    return model_id, OPERATIONS[suffix]


def _events(body: bytes) -> list[Any]:
    buffer = EventStreamBuffer()
    buffer.add_data(body)
    return list(buffer)


def _check(interaction: dict[str, Any]) -> list[str]:
    model_id, operation = _split(interaction)
    response = interaction["response"]
    problems = [
        f"request {v}"
        for v in validate_request(
            model_id, _text(interaction["request"]["body"]), operation=operation
        )
    ]
    body = response["body"]["string"]
    body = body if isinstance(body, bytes) else body.encode("utf-8")
    headers = {k.lower(): v for k, v in response["headers"].items()}
    if "eventstream" not in _text(headers["content-type"][0]):
        problems += [
            f"response {v}" for v in validate_response(model_id, body, operation=operation)
        ]
        return problems
    for number, message in enumerate(_events(body)):
        assert message.headers[":message-type"] == "event"
        payload = json.loads(message.payload)
        if operation == "ConverseStream":
            found = validate_chunk(
                model_id, payload, operation=operation, event_type=message.headers[":event-type"]
            )
        else:
            assert message.headers[":event-type"] == "chunk"
            found = validate_chunk(
                model_id, base64.b64decode(payload["bytes"]), operation=operation
            )
        problems += [f"event {number} {v}" for v in found]
    return problems


@pytest.mark.skipif(not CASES, reason=f"real recordings not found at {ROOT}")
@pytest.mark.parametrize("interaction", CASES or [None])
def test_real_payload_fits_schema(interaction: dict[str, Any]) -> None:
    model_id, operation = _split(interaction)
    if interaction["response"]["status"]["code"] != 200:
        pytest.skip("error answer: the request was rejected, nothing to validate")
    if not resolve_model(model_id).known and operation in (
        "InvokeModel",
        "InvokeModelWithResponseStream",
    ):
        # a SageMaker endpoint / imported model: no schema, validation warns and skips
        with pytest.warns(UnknownModelWarning):
            assert _check(interaction) == []
        return
    assert _check(interaction) == []


@pytest.mark.skipif(not CASES, reason=f"real recordings not found at {ROOT}")
def test_real_recordings_cover_the_families() -> None:
    seen = set()
    for param in CASES:
        model_id, operation = _split(param.values[0])
        seen.add((resolve_model(model_id).family, operation))
    expected = {
        ("meta.llama", "InvokeModel"),
        ("amazon.titan-text", "InvokeModelWithResponseStream"),
        ("anthropic.claude-messages", "InvokeModelWithResponseStream"),
        ("anthropic.claude-text", "InvokeModel"),
        ("cohere.command", "InvokeModel"),
        ("cohere.command-r", "InvokeModel"),
        ("mistral.text", "InvokeModel"),
        ("amazon.nova", "InvokeModelWithResponseStream"),
        ("ai21.j2", "InvokeModel"),
        ("amazon.nova", "ConverseStream"),
        ("meta.llama", "Converse"),
    }
    assert expected <= seen
