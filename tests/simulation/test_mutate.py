"""Variants of recorded interactions: another stop reason, cut answers, faults at chunk N.

Real recordings (``../shared/real-cassettes``) are varied where present; synthetic recordings
(built by the simulator) cover every case everywhere. Variants are replayed through boto3.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest

from bedrock_vcr.cassettes.records import Interaction, RecordedRequest
from bedrock_vcr.errors import ConfigError, UnsupportedAnswerError
from bedrock_vcr.intercept.mock import BedrockMock
from bedrock_vcr.simulation import Answer, ToolCall, build_response, faults, mutate
from bedrock_vcr.validation.validate import validate_chunk, validate_response

from ..helpers import ONE_RETRY

pytestmark = pytest.mark.usefixtures("aws_env")

REAL = Path(
    os.environ.get(
        "BEDROCK_VCR_REAL_CASSETTES",
        Path(__file__).resolve().parents[3] / "shared" / "real-cassettes",
    )
)
LLAMA = "meta.llama3-8b-instruct-v1:0"
CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"


def _recorded(operation: str, model_id: str, body: dict[str, Any], answer: Answer) -> Interaction:
    request = RecordedRequest(operation, model_id, json.dumps(body).encode())
    return Interaction(request, build_response(answer, request))


def _llama_stream() -> Interaction:
    answer = Answer(["Why", " did", " the", " span", " cross?"], input_tokens=8, output_tokens=10)
    body = {"prompt": "joke", "max_gen_len": 512}
    return _recorded("InvokeModelWithResponseStream", LLAMA, body, answer)


def _claude_invoke() -> Interaction:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 300,
        "messages": [{"role": "user", "content": "joke"}],
    }
    answer = Answer("A distributed trace walks into a bar.", input_tokens=16, output_tokens=12)
    return _recorded("InvokeModel", CLAUDE, body, answer)


def _chunks(interaction: Interaction) -> list[dict[str, Any]]:
    events = interaction.response.events if interaction.response else None
    assert events is not None
    return [json.loads(base64.b64decode(json.loads(e.message.payload)["bytes"])) for e in events]


def _replay(interaction: Interaction) -> Any:
    """Replay the variant through boto3: the parsed body, or the list of stream events."""
    request = interaction.request
    with BedrockMock() as mock:
        mock.on(model_id=request.model_id, return_value=interaction)
        client = boto3.client("bedrock-runtime", region_name="us-east-1", config=ONE_RETRY)
        if request.operation == "InvokeModel":
            result = client.invoke_model(modelId=request.model_id, body=request.body)
            return json.loads(result["body"].read()), result["ResponseMetadata"]["HTTPHeaders"]
        result = client.invoke_model_with_response_stream(
            modelId=request.model_id, body=request.body
        )
        return [json.loads(e["chunk"]["bytes"]) for e in result["body"]], None


# --- synthetic recordings ----------------------------------------------------------------------


def test_recorded_answer_reads_back_what_was_recorded() -> None:
    answer = mutate.recorded_answer(_llama_stream())
    assert answer.text == ("Why", " did", " the", " span", " cross?")
    assert (answer.stop_reason, answer.input_tokens, answer.output_tokens) == ("stop", 8, 10)


def test_another_stop_reason_keeps_text_and_counts() -> None:
    variant = mutate.with_stop_reason(_llama_stream(), "length")
    chunks, _ = _replay(variant)
    assert "".join(c["generation"] for c in chunks) == "Why did the span cross?"
    assert chunks[-1]["stop_reason"] == "length"
    assert chunks[-1]["generation_token_count"] == 10
    assert chunks[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == 10
    assert variant.request.json["max_gen_len"] == 10  # length: the setting was reached
    assert all(validate_chunk(LLAMA, c) == [] for c in chunks)


def test_truncated_cuts_text_and_every_count() -> None:
    variant = mutate.truncated(_claude_invoke(), 4)
    body, headers = _replay(variant)
    recorded_text = "A distributed trace walks into a bar."
    text = body["content"][0]["text"]
    assert recorded_text.startswith(text) and len(text) == round(len(recorded_text) * 4 / 12)
    assert (body["stop_reason"], body["usage"]) == (
        "max_tokens",
        {"input_tokens": 16, "output_tokens": 4},
    )
    assert headers["x-amzn-bedrock-output-token-count"] == "4"
    assert variant.request.json["max_tokens"] == 4
    assert validate_response(CLAUDE, body) == []


def test_truncated_stream_keeps_the_first_pieces() -> None:
    variant = mutate.truncated(_llama_stream(), 5)
    chunks, _ = _replay(variant)
    assert [c["generation"] for c in chunks] == ["Why", " did", " the", " "]  # 12 of 23 chars
    assert chunks[-1]["generation_token_count"] == 5 and chunks[-1]["stop_reason"] == "length"


@pytest.mark.parametrize(
    ("fault", "error", "received"),
    [
        (
            faults.StreamError("throttlingException", after=2),
            botocore.exceptions.EventStreamError,
            2,
        ),
        (faults.Disconnect(after=3), Exception, 3),
        (faults.CorruptFrame(at=1), Exception, 1),
    ],
    ids=["exception-frame", "disconnect", "corrupt"],
)
def test_fault_at_chunk_n_keeps_the_recorded_frames(
    fault: mutate.FaultSpec, error: type[Exception], received: int
) -> None:
    recorded = _llama_stream()
    variant = mutate.with_fault(recorded, fault)
    assert variant.response is not None and recorded.response is not None
    assert variant.response.events is not None and recorded.response.events is not None
    kept = [e.frame for e in variant.response.events[:received]]
    assert kept == [e.frame for e in recorded.response.events[:received]]
    with BedrockMock() as mock:
        mock.on(return_value=variant)
        client = boto3.client("bedrock-runtime", region_name="us-east-1", config=ONE_RETRY)
        result = client.invoke_model_with_response_stream(modelId=LLAMA, body=b'{"prompt":"hi"}')
        seen = []
        with pytest.raises(error):
            for event in result["body"]:
                seen.append(event)
    assert len(seen) == received


def test_http_fault_replaces_the_answer() -> None:
    variant = mutate.with_fault(_claude_invoke(), faults.throttling())
    assert variant.response is not None and variant.response.status == 429


def test_matrix_builds_ids_for_parametrize() -> None:
    variants = mutate.matrix(
        _llama_stream(),
        stop_reasons=["length"],
        truncate_to=[2],
        with_faults=[faults.StreamError("modelStreamErrorException", after=1)],
    )
    assert [str(v) for v in variants] == [
        "recorded",
        "stop=length",
        "truncated=2",
        "modelStreamErrorException@1",
    ]


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: mutate.truncated(_llama_stream(), 10), r"needs 1 <= tokens < 10"),
        (
            lambda: mutate.with_stop_reason(_llama_stream(), "CONTENT_FILTERED"),
            r"'CONTENT_FILTERED' does not exist.*valid values: stop, length",
        ),
        (
            lambda: mutate.with_stop_reason(_claude_invoke(), "tool_use"),
            r"means the model calls a tool, but the answer has no tool_calls",
        ),
        (
            lambda: mutate.with_fault(_claude_invoke(), faults.Disconnect(1)),
            r"needs a streaming operation, not InvokeModel",
        ),
        (
            lambda: mutate.with_fault(_llama_stream(), faults.StreamError(after=40)),
            r"at frame 40, but the stream has only 5 frames",
        ),
        (
            lambda: mutate.recorded_answer(
                mutate.with_fault(_claude_invoke(), faults.throttling())
            ),
            r"holds an HTTP 429 error, not an answer to vary",
        ),
    ],
    ids=[
        "truncate-beyond",
        "stop-of-another-family",
        "tool-use-without-tools",
        "drop-plain",
        "fault-beyond",
        "error",
    ],
)
def test_impossible_variants_are_refused(make: Any, match: str) -> None:
    with pytest.raises((ConfigError, UnsupportedAnswerError), match=match):
        make()


def test_tool_calls_survive_a_variant_that_keeps_them() -> None:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 300,
        "messages": [{"role": "user", "content": "weather?"}],
    }
    call = ToolCall("get_weather", {"city": "Paris"}, id="toolu_1")
    answer = Answer(["Checking"], stop_reason="tool_use", tool_calls=[call], output_tokens=30)
    recorded = _recorded("InvokeModelWithResponseStream", CLAUDE, body, answer)
    assert mutate.recorded_answer(recorded).tool_calls == (call,)
    ended = mutate.with_stop_reason(recorded, "end_turn")
    assert all(c.get("content_block", {}).get("type") != "tool_use" for c in _chunks(ended))


# --- real recordings ---------------------------------------------------------------------------

REAL_FILES = [
    ("openllmetry/traces__test_anthropic__test_anthropic_3_completion_streaming.yaml", 5),
    ("openllmetry/traces__test_titan__test_titan_invoke_stream.yaml", 20),
    ("openllmetry/traces__test_nova__test_nova_invoke_stream.yaml", 10),
    ("openllmetry/traces__test_meta__test_meta_llama3_completion.yaml", 10),
    ("openllmetry/traces__test_cohere__test_cohere_completion.yaml", 10),
    ("otel-contrib/test_invoke_model_with_content[mistral.mistral].yaml", 3),
]


def _real(name: str) -> Interaction:
    from bedrock_vcr.cassettes.vcrpy_convert import read_file

    path = REAL / name
    if not path.exists():
        pytest.skip(f"real recordings not found at {REAL}")
    return read_file(path).interactions[0]


@pytest.mark.parametrize(("name", "tokens"), REAL_FILES, ids=[Path(n).stem for n, _ in REAL_FILES])
def test_real_recordings_vary_consistently(name: str, tokens: int) -> None:
    recorded = _real(name)
    model_id = recorded.request.model_id
    original = mutate.recorded_answer(recorded)
    for variant in mutate.matrix(recorded, stop_reasons=["length"], truncate_to=[tokens]):
        payload, _ = _replay(variant.interaction)
        if isinstance(payload, list):
            assert all(validate_chunk(model_id, c) == [] for c in payload), variant
            metrics = payload[-1]["amazon-bedrock-invocationMetrics"]
            out = metrics["outputTokenCount"]
        else:
            assert validate_response(model_id, payload) == [], variant
            out = int(variant.response.headers["x-amzn-bedrock-output-token-count"])
        answer = mutate.recorded_answer(variant.interaction)
        if variant.id == "recorded":
            assert answer.full_text == original.full_text
        elif variant.id == "stop=length":
            assert (answer.full_text, out) == (original.full_text, original.output_tokens)
        else:
            assert original.full_text.startswith(answer.full_text)
            assert out == answer.output_tokens == tokens
            assert 0 < len(answer.full_text) < len(original.full_text)
