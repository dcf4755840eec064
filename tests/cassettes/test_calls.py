"""Call assertions on a :class:`CallLog` (the filters, each assertion, the failure messages)."""

from __future__ import annotations

import json
import pickle
from types import SimpleNamespace
from unittest.mock import ANY

import pytest

from bedrock_vcr import CallAssertionError, CallLog, ConfigError, RecordedRequest

LLAMA = "meta.llama3-8b-instruct-v1:0"
NOVA = "amazon.nova-lite-v1:0"


def _request(operation: str, model_id: str, body: object) -> RecordedRequest:
    return RecordedRequest(operation, model_id, json.dumps(body).encode())


@pytest.fixture
def calls() -> CallLog[RecordedRequest]:
    return CallLog(
        [
            _request("InvokeModel", LLAMA, {"prompt": "one", "max_gen_len": 16}),
            _request(
                "Converse",
                f"us.{NOVA}",
                {
                    "messages": [{"role": "user", "content": [{"text": "two"}]}],
                    "inferenceConfig": {"maxTokens": 10, "temperature": 0.5},
                },
            ),
            _request("InvokeModel", LLAMA, {"prompt": "three", "max_gen_len": 16}),
        ],
        source="cassette c.yaml",
    )


@pytest.mark.parametrize(
    ("filters", "count"),
    [
        ({}, 3),
        ({"operation": "InvokeModel"}, 2),
        ({"operation": "invoke_model"}, 2),
        ({"model_id": LLAMA}, 2),
        ({"model_id": NOVA}, 1),  # the foundation model of the us. profile it went through
        ({"model_id": f"us.{NOVA}"}, 1),
        ({"model_id": "meta.*"}, 2),
        ({"body": {"max_gen_len": 16}}, 2),
        ({"body": {"prompt": "three"}}, 1),
        ({"body": {"inferenceConfig": {"maxTokens": 10}}}, 1),
        ({"body": {"messages": [{"content": [{"text": "two"}]}]}}, 1),
        ({"body": {"messages": [ANY, ANY]}}, 0),  # lists match item by item, same length
        ({"body": {"prompt": ANY}}, 2),
        ({"operation": "Converse", "model_id": LLAMA}, 0),
    ],
    ids=repr,
)
def test_call_count_per_filter(calls: CallLog[RecordedRequest], filters: dict, count: int) -> None:
    assert calls.call_count(**filters) == count
    assert len(calls.requests(**filters)) == count


def test_nth_call_is_one_based_among_the_filtered_calls(calls: CallLog[RecordedRequest]) -> None:
    assert calls.nth_call(2, operation="InvokeModel").json["prompt"] == "three"
    assert calls.nth_call(1).operation == "InvokeModel"
    assert calls.nth_call(-1).json["prompt"] == "three"
    with pytest.raises(CallAssertionError, match=r"call #3 .*but 2 passed the filters"):
        calls.nth_call(3, operation="InvokeModel")


def test_assertions_that_hold_return_the_request(calls: CallLog[RecordedRequest]) -> None:
    assert calls.assert_called_with(body={"prompt": "one"}) is calls[0]
    assert calls.assert_called_once_with(operation="Converse").model_id == f"us.{NOVA}"
    assert calls.assert_nth_call_with(3, operation="InvokeModel", body={"prompt": "three"})
    calls.assert_call_count(2, model_id=LLAMA)
    calls.assert_not_called(operation="ConverseStream")
    CallLog().assert_not_called()


def test_a_failed_assertion_lists_every_call_and_why_it_differs(
    calls: CallLog[RecordedRequest],
) -> None:
    with pytest.raises(CallAssertionError) as info:
        calls.assert_called_with(operation="Converse", body={"inferenceConfig": {"maxTokens": 99}})
    message = str(info.value)
    lines = message.splitlines()
    assert lines[0] == (
        "expected a call with operation='Converse', body containing "
        '{"inferenceConfig": {"maxTokens": 99}}; cassette c.yaml saw 3 calls:'
    )
    assert lines[1].startswith("  1. InvokeModel to 'meta.llama3-8b-instruct-v1:0', body {")
    assert lines[2] == "     differs: operation is InvokeModel, not Converse"
    assert "differs: #/inferenceConfig/maxTokens is 10, expected 99" in message
    assert "README section #call-assertions" in lines[-1]
    assert info.value.source == "cassette c.yaml" and len(info.value.seen) == 3
    assert isinstance(info.value, AssertionError)
    back = pickle.loads(pickle.dumps(info.value))
    assert str(back) == message and back.seen == info.value.seen


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda c: c.assert_called_once_with(model_id=LLAMA), r"expected 1 call .* got 2"),
        (lambda c: c.assert_not_called(operation="Converse"), r"expected 0 calls .* got 1"),
        (lambda c: c.assert_call_count(5), r"expected 5 calls \(any\), got 3"),
        (
            lambda c: c.assert_nth_call_with(2, operation="InvokeModel"),
            r"call #2 to be one with operation='InvokeModel', but its operation is Converse",
        ),
        (lambda c: c.assert_nth_call_with(4), r"expected call #4"),
        (lambda c: c.assert_called_with(body={"prompt": {"x": 1}}), r"#/prompt is 'one', expected"),
        (lambda c: c.assert_called_with(body={"nope": 1}), r"#/nope is missing"),
    ],
    ids=["once", "not_called", "count", "nth", "nth_missing", "not_an_object", "missing_key"],
)
def test_each_assertion_fails_with_what_it_expected(
    calls: CallLog[RecordedRequest], call: object, pattern: str
) -> None:
    with pytest.raises(CallAssertionError, match=pattern):
        call(calls)  # type: ignore[operator]


def test_an_empty_log_says_it_saw_nothing() -> None:
    with pytest.raises(CallAssertionError, match=r"bedrock_mock saw 0 calls\.\n  fix:"):
        CallLog(source="bedrock_mock").assert_called_with(operation="Converse")


def test_a_misspelled_operation_gets_a_did_you_mean(calls: CallLog[RecordedRequest]) -> None:
    with pytest.raises(ConfigError, match=r"'conversee' \(did you mean 'converse'\?\)"):
        calls.call_count(operation="conversee")


def test_non_json_bodies_and_call_objects() -> None:
    raw = RecordedRequest("InvokeModel", LLAMA, b"\x00binary")
    log = CallLog([SimpleNamespace(request=raw)])  # a mock's Call holds its request
    assert log.call_count(operation="InvokeModel") == 1
    with pytest.raises(CallAssertionError, match=r"<7 bytes, not JSON>\n     differs: body is"):
        log.assert_called_with(body={"prompt": "x"})
