"""Simulated CountTokens and ApplyGuardrail through the mock: counts agree with the simulator's
invoke, guardrail answers fit botocore's model and the shipped schema, outcomes are checked."""

from __future__ import annotations

import base64
import json
from typing import Any

import botocore.exceptions
import pytest

from bedrock_vcr import (
    Answer,
    GuardrailResult,
    RecordedResponse,
    TokenCount,
    UnsupportedAnswerError,
    mock_bedrock,
    validate_response,
)

from ..helpers import ONE_RETRY, bedrock_client

pytestmark = pytest.mark.usefixtures("aws_env")

NOVA = "amazon.nova-lite-v1:0"
LLAMA = "meta.llama3-8b-instruct-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "How many tokens is this question?"}]}]
SYSTEM = [{"text": "You are terse."}]


def test_count_tokens_agrees_with_a_simulated_converse() -> None:
    with mock_bedrock() as mock:
        mock.on(operation="CountTokens")
        mock.on(operation="Converse", return_value=Answer("Seven."))
        client = bedrock_client()
        counted = client.count_tokens(
            modelId=NOVA, input={"converse": {"messages": MESSAGES, "system": SYSTEM}}
        )["inputTokens"]
        usage = client.converse(modelId=NOVA, messages=MESSAGES, system=SYSTEM)["usage"]
    assert counted == usage["inputTokens"]
    assert counted == -(-len("How many tokens is this question?\nYou are terse.") // 4)


def test_count_tokens_agrees_with_a_simulated_invoke_model() -> None:
    body = json.dumps({"prompt": "Count every word of this prompt, please.", "max_gen_len": 9})
    with mock_bedrock() as mock:
        mock.on(operation="CountTokens")
        mock.on(operation="InvokeModel", return_value=Answer("ok"))
        client = bedrock_client()
        counted = client.count_tokens(modelId=LLAMA, input={"invokeModel": {"body": body}})
        answer = json.loads(client.invoke_model(modelId=LLAMA, body=body)["body"].read())
    assert counted["inputTokens"] == answer["prompt_token_count"] == 10


def test_count_tokens_fixed_count_and_retry() -> None:
    with mock_bedrock() as mock:
        route = mock.on(operation="count_tokens")
        route.side_effect = [mock.throttling(), TokenCount(42)]
        client = bedrock_client(config=ONE_RETRY)
        result = client.count_tokens(modelId=NOVA, input={"converse": {"messages": MESSAGES}})
    assert result["inputTokens"] == 42
    assert result["ResponseMetadata"]["RetryAttempts"] == 1
    assert route.call_count == 2
    sent = route.calls[0].request.json["input"]["converse"]["messages"]
    assert sent == MESSAGES


def test_count_tokens_request_body_is_base64_of_the_invoke_body() -> None:
    # what botocore sends, so that the count reads the same text the invoke would
    body = json.dumps({"prompt": "hi"})
    with mock_bedrock() as mock:
        route = mock.on(operation="CountTokens")
        bedrock_client().count_tokens(modelId=LLAMA, input={"invokeModel": {"body": body}})
    encoded = route.calls[0].request.json["input"]["invokeModel"]["body"]
    assert base64.b64decode(encoded).decode() == body


def _guard(client: Any, text: str) -> dict[str, Any]:
    return dict(
        client.apply_guardrail(
            guardrailIdentifier="gr-abc123",
            guardrailVersion="1",
            source="INPUT",
            content=[{"text": {"text": text}}],
        )
    )


def test_apply_guardrail_none_by_default() -> None:
    with mock_bedrock() as mock:
        route = mock.on("gr-abc123:1", operation="ApplyGuardrail")
        result = _guard(bedrock_client(), "Hello there")
    assert result["action"] == "NONE" and result["outputs"] == []
    assert result["usage"]["contentPolicyUnits"] == 1
    assert result["assessments"][0]["invocationMetrics"]["guardrailCoverage"] == {
        "textCharacters": {"guarded": 11, "total": 11}
    }
    assert route.last_request is not None and route.last_request.model_id == "gr-abc123:1"


def test_apply_guardrail_intervenes_with_assessment() -> None:
    with mock_bedrock() as mock:
        mock.on(
            operation="ApplyGuardrail",
            side_effect=lambda r: GuardrailResult(
                intervened="attack" in r.json["content"][0]["text"]["text"], filter="HATE"
            ),
        )
        client = bedrock_client()
        blocked = _guard(client, "attack them")
        passed = _guard(client, "be kind")
    assert blocked["action"] == "GUARDRAIL_INTERVENED"
    assert blocked["outputs"] == [{"text": "Sorry, the model cannot answer this question."}]
    [hit] = blocked["assessments"][0]["contentPolicy"]["filters"]
    assert (hit["type"], hit["action"], hit["confidence"], hit["detected"]) == (
        "HATE",
        "BLOCKED",
        "HIGH",
        True,
    )
    assert passed["action"] == "NONE"


@pytest.mark.parametrize(
    "result",
    [
        GuardrailResult(),
        GuardrailResult(intervened=True, output="No.", reason="policy"),
        GuardrailResult(assessments=[{"wordPolicy": {"customWords": []}}]),
    ],
    ids=["none", "intervened", "own-assessments"],
)
def test_simulated_guardrail_answers_fit_the_schema(result: GuardrailResult) -> None:
    body = result.build().body
    assert validate_response("", body, operation="ApplyGuardrail") == []


def test_simulated_count_fits_the_schema() -> None:
    assert validate_response("", TokenCount(3).build().body, operation="CountTokens") == []


def test_outcomes_are_refused_on_the_wrong_operation() -> None:
    with mock_bedrock(assert_all_called=False) as mock:
        with pytest.raises(UnsupportedAnswerError, match="TokenCount answers CountTokens only"):
            mock.on(operation="Converse", return_value=TokenCount(3))
        with pytest.raises(UnsupportedAnswerError, match="GuardrailResult answers ApplyGuardrail"):
            mock.on(operation="CountTokens", return_value=GuardrailResult())
        with pytest.raises(UnsupportedAnswerError, match=r"use TokenCount|TokenCount\(\.\.\.\)"):
            mock.on(NOVA, operation="CountTokens", return_value=Answer("hi"))
    with pytest.raises(UnsupportedAnswerError, match="unknown content filter type 'GORE'"):
        GuardrailResult(intervened=True, filter="GORE")
    with pytest.raises(UnsupportedAnswerError, match="input_tokens must be >= 0"):
        TokenCount(-1)


def test_an_invalid_guardrail_request_gets_bedrocks_400() -> None:
    with mock_bedrock(assert_all_called=False) as mock:
        mock.on(operation="ApplyGuardrail")
        client = bedrock_client()
        with pytest.raises(botocore.exceptions.ClientError) as info:
            client.apply_guardrail(
                guardrailIdentifier="gr-1",
                guardrailVersion="1",
                source="INPUT",
                content=[{"text": {"text": "x", "qualifiers": ["everything"]}}],
            )
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert "#/content/0/text/qualifiers/0" in info.value.response["Error"]["Message"]


def _start(client: Any) -> Any:
    return client.start_async_invoke(
        modelId="amazon.nova-reel-v1:0",
        modelInput={"taskType": "TEXT_VIDEO"},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://bucket/out/"}},
    )


def test_async_invoke_faults_and_recorded_answers() -> None:
    answer = RecordedResponse(
        200, {"content-type": "application/json"}, body=b'{"invocationArn": "arn:x"}'
    )
    with mock_bedrock() as mock:
        mock.on(operation="StartAsyncInvoke").side_effect = [mock.conflict(), answer]
        client = bedrock_client()
        with pytest.raises(client.exceptions.ConflictException):
            _start(client)
        assert _start(client)["invocationArn"] == "arn:x"


def test_an_operation_without_a_simulated_answer_says_what_to_give() -> None:
    with mock_bedrock(assert_all_called=False) as mock:
        mock.on(operation="StartAsyncInvoke")
        with pytest.raises(UnsupportedAnswerError, match="answer it with a RecordedResponse"):
            _start(bedrock_client())


def test_count_tokens_checks_the_invoke_body_against_the_models_schema() -> None:
    bad = json.dumps({"prompt": "hi", "max_gen_len": 99999})
    with mock_bedrock(assert_all_called=False) as mock:
        mock.on(operation="CountTokens")
        client = bedrock_client()
        with pytest.raises(client.exceptions.ValidationException) as info:
            client.count_tokens(modelId=LLAMA, input={"invokeModel": {"body": bad}})
        good = json.dumps({"prompt": "hi", "max_gen_len": 9})
        assert (
            client.count_tokens(modelId=LLAMA, input={"invokeModel": {"body": good}})["inputTokens"]
            == 1
        )
    assert "#/input/invokeModel/body/max_gen_len: 99999 is not less or equal to 2048" in str(
        info.value
    )
