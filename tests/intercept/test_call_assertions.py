"""Call assertions on what a mock and a cassette received through real boto3 calls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bedrock_vcr import Answer, CallAssertionError, mock_bedrock, use_cassette
from bedrock_vcr.server.http1 import BedrockServer

from ..helpers import ONE_RETRY, bedrock_client

LLAMA = "meta.llama3-8b-instruct-v1:0"
NOVA = "us.amazon.nova-lite-v1:0"

pytestmark = pytest.mark.usefixtures("aws_env")


def _llama(client: object, prompt: str) -> str:
    response = client.invoke_model(  # type: ignore[attr-defined]
        modelId=LLAMA, body=json.dumps({"prompt": prompt, "max_gen_len": 16})
    )
    return str(json.loads(response["body"].read())["generation"])


def test_mock_and_route_calls_count_retries_per_operation_and_model() -> None:
    with mock_bedrock() as bedrock:
        llama = bedrock.on(model_id=LLAMA)
        llama.side_effect = [bedrock.throttling(), Answer("one"), Answer("two")]
        bedrock.on(model_id=NOVA).return_value = Answer("nova")
        client = bedrock_client(config=ONE_RETRY)
        _llama(client, "first")  # throttled, then retried
        _llama(client, "second")
        client.converse(modelId=NOVA, messages=[{"role": "user", "content": [{"text": "hi"}]}])
    calls = bedrock.calls
    assert calls.call_count() == bedrock.call_count == 4
    assert calls.call_count(operation="invoke_model") == 3
    assert calls.call_count(model_id="amazon.nova-lite-v1:0") == 1
    assert calls.call_count(body={"prompt": "first"}) == 2  # the retry is a call too
    assert calls.nth_call(3, model_id=LLAMA).json["prompt"] == "second"
    assert llama.calls.assert_nth_call_with(-1, body={"prompt": "second"}).model_id == LLAMA
    calls.assert_called_once_with(operation="Converse", body={"messages": [{"role": "user"}]})
    with pytest.raises(CallAssertionError) as info:
        llama.calls.assert_called_with(body={"max_gen_len": 32})
    assert str(info.value).startswith(
        'expected a call with body containing {"max_gen_len": 32}; '
        f"route(model_id={LLAMA!r}) saw 3 calls:"
    )
    assert str(info.value).count("differs: #/max_gen_len is 16, expected 32") == 3


def test_cassette_calls_list_every_request_it_was_asked(
    server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "llama.yaml"
    with use_cassette(path, record_mode="once") as cassette:
        _llama(bedrock_client(server.url), "recorded")
    cassette.calls.assert_called_once_with(operation="InvokeModel", body={"prompt": "recorded"})
    with use_cassette(path) as cassette:
        _llama(bedrock_client(), "recorded")
        with pytest.raises(AssertionError):
            _llama(bedrock_client(), "never recorded")  # unmatched: asked, but not answered
    assert cassette.calls.call_count(model_id=LLAMA) == 2
    assert cassette.calls.nth_call(2).json["prompt"] == "never recorded"
    with pytest.raises(CallAssertionError, match=f"cassette {path} saw 2 calls"):
        cassette.calls.assert_not_called(model_id="meta.*")
