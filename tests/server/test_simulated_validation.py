"""Simulated routes of the local server validate requests as the mock does (issue 10.4)."""

from __future__ import annotations

import json

import pytest

from bedrock_vcr import Answer, BedrockMock
from bedrock_vcr.server.http1 import BedrockServer
from bedrock_vcr.server.routes_file import SimulationSource, option_routes

from .support import client

LLAMA = "meta.llama3-8b-instruct-v1:0"
INVALID = {"prompt": "hi", "max_gen_len": 99999, "bogus": 1}


def _mock_message() -> str:
    with BedrockMock(assert_all_called=False) as mock:
        mock.on().return_value = Answer("x")
        c = client("http://127.0.0.1:9")
        with pytest.raises(c.exceptions.ValidationException) as info:
            c.invoke_model(modelId=LLAMA, body=json.dumps(INVALID))
    return str(info.value.response["Error"]["Message"])


@pytest.mark.usefixtures("aws_env")
def test_an_invalid_request_gets_the_validation_exception_the_mock_gives() -> None:
    expected = _mock_message()
    with BedrockServer([SimulationSource(option_routes(answer="x"))]) as server:
        c = client(server.url)
        with pytest.raises(c.exceptions.ValidationException) as info:
            c.invoke_model(modelId=LLAMA, body=json.dumps(INVALID))
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert info.value.response["Error"]["Message"] == expected
        valid = c.invoke_model(modelId=LLAMA, body=json.dumps({"prompt": "hi"}))
        assert json.loads(valid["body"].read())["generation"] == "x"


@pytest.mark.usefixtures("aws_env")
def test_a_rejected_request_uses_up_no_outcome_of_a_sequence() -> None:
    routes = option_routes(answer="Fine.", fault="ThrottlingException", times=1)
    with BedrockServer([SimulationSource(routes)]) as server:
        c = client(server.url)
        with pytest.raises(c.exceptions.ValidationException):
            c.invoke_model(modelId=LLAMA, body=json.dumps(INVALID))
        with pytest.raises(c.exceptions.ThrottlingException):  # still the first outcome
            c.invoke_model(modelId=LLAMA, body=json.dumps({"prompt": "hi"}))
