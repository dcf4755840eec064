"""Remembered encodings (:mod:`bedrock_vcr.simulation.memo`): built once per distinct request,
each answer its own response with a fresh request id, never one request's answer for another."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from bedrock_vcr.cassettes.records import RecordedRequest, RecordedResponse
from bedrock_vcr.intercept.mock import BedrockMock
from bedrock_vcr.simulation import Answer, ToolCall, build_response, memo

from ..helpers import bedrock_client

MODEL = "meta.llama3-8b-instruct-v1:0"
STREAM = "InvokeModelWithResponseStream"

pytestmark = pytest.mark.usefixtures("aws_env")


@pytest.fixture(autouse=True)
def fresh_memo() -> Iterator[None]:
    memo.forget()
    yield
    memo.forget()


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[RecordedRequest]:
    """The requests the memo really built an answer for."""
    seen: list[RecordedRequest] = []

    def counting(answer: Any, request: RecordedRequest, **options: Any) -> RecordedResponse:
        seen.append(request)
        return build_response(answer, request, **options)

    monkeypatch.setattr(memo, "build_response", counting)
    return seen


def request(body: dict[str, Any], operation: str = "InvokeModel") -> RecordedRequest:
    return RecordedRequest(operation, MODEL, json.dumps(body).encode())


def chunk_texts(response: RecordedResponse) -> list[str]:
    out = []
    for event in response.events or []:
        inner = json.loads(base64.b64decode(json.loads(event.message.payload)["bytes"]))
        out.append(inner["generation"])
    return out


def test_a_repeated_request_is_built_once_and_answered_alike(builds: list[Any]) -> None:
    answer = Answer(["Hello", " world"])
    first = memo.remembered_response(answer, request({"prompt": "hi"}, STREAM))
    second = memo.remembered_response(answer, request({"prompt": "hi"}, STREAM))
    assert len(builds) == 1
    assert [e.frame for e in first.events or []] == [e.frame for e in second.events or []]
    assert chunk_texts(second) == ["Hello", " world"]
    assert first.events is not second.events  # each answer its own list
    assert first.headers["x-amzn-requestid"] != second.headers["x-amzn-requestid"]
    assert {k: v for k, v in first.headers.items() if k != "x-amzn-requestid"} == {
        k: v for k, v in second.headers.items() if k != "x-amzn-requestid"
    }


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ({"prompt": "hi", "max_gen_len": 3}, {"prompt": "hi", "max_gen_len": 5}),
        ({"prompt": "hi"}, {"prompt": "a much longer prompt than the other one"}),
        ({"prompt": "hi"}, {"prompt": "hi", "temperature": 0.5}),  # any byte: built anew
    ],
    ids=["max-tokens", "prompt", "other-key"],
)
def test_requests_that_differ_are_answered_each_their_own_way(
    builds: list[Any], one: dict[str, Any], other: dict[str, Any]
) -> None:
    answer = Answer("one two three four five six seven eight nine ten", stop_reason="length")
    got = [memo.remembered_response(answer, request(body)) for body in (one, other, one)]
    expected = [build_response(answer, request(body)) for body in (one, other, one)]
    assert [r.body for r in got] == [r.body for r in expected]
    assert len(builds) == 2


def test_overrides_are_part_of_the_key(builds: list[Any]) -> None:
    answer = Answer("Hi")
    custom = RecordedRequest("InvokeModel", "my-llama", b'{"prompt": "hi"}')
    memo.remembered_response(answer, custom, overrides={"my-llama": "meta.llama"})
    memo.remembered_response(answer, custom, overrides={"my-llama": "mistral.text"})
    assert len(builds) == 2


def test_an_unhashable_answer_is_built_on_every_call(builds: list[Any]) -> None:
    arguments = {"city": "Paris"}
    answer = Answer("", stop_reason="tool_use", tool_calls=[ToolCall("weather", arguments)])
    claude = RecordedRequest(
        "InvokeModel",
        "anthropic.claude-3-haiku-20240307-v1:0",
        json.dumps(
            {
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": 100,
                "messages": [{"role": "user", "content": "weather?"}],
            }
        ).encode(),
    )
    first = memo.remembered_response(answer, claude)
    arguments["city"] = "Rome"  # the dict is the caller's: a later answer must see the change
    second = memo.remembered_response(answer, claude)
    assert len(builds) == 2
    assert b"Paris" in first.body and b"Rome" in second.body


def test_a_refused_answer_is_not_remembered(builds: list[Any]) -> None:
    answer = Answer("one two three four five six", output_tokens=6)
    small = request({"prompt": "hi", "max_gen_len": 2})
    for _ in range(2):
        with pytest.raises(Exception, match="at most 2"):
            memo.remembered_response(answer, small)
    assert len(builds) == 2


def test_a_mock_streams_the_remembered_answer_through_boto3(builds: list[Any]) -> None:
    client = bedrock_client()
    with BedrockMock() as bedrock:
        route = bedrock.on(model_id=MODEL, operation=STREAM, return_value=Answer(["a", "b", "c"]))
        texts, ids = [], []
        for prompt in ("x", "x", "y"):
            got = client.invoke_model_with_response_stream(
                modelId=MODEL, body=json.dumps({"prompt": prompt})
            )
            ids.append(got["ResponseMetadata"]["RequestId"])
            texts.append(
                [
                    json.loads(event["chunk"]["bytes"])["generation"]
                    for event in got["body"]
                    if "chunk" in event
                ]
            )
        assert route.call_count == 3
    assert texts == [["a", "b", "c"]] * 3
    assert len(set(ids)) == 3
    assert len(builds) == 2  # "x" once, "y" once
