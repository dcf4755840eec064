"""The request check remembers its verdict by the body's bytes, and only where that is safe."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from bedrock_vcr.cassettes.records import RecordedRequest
from bedrock_vcr.errors import UnknownModelError, UnknownModelWarning
from bedrock_vcr.validation import checks
from bedrock_vcr.validation.checks import PayloadChecker

LLAMA = "meta.llama3-8b-instruct-v1:0"


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The bodies really checked (not answered from the memo), on a memo of this test's own."""
    monkeypatch.setattr(checks, "_VERDICTS", checks.BytesMemo())
    seen: list[bytes] = []
    real = checks.validate_request

    def counting(model_id: str, body: Any, **options: Any) -> Any:
        seen.append(json.dumps(body).encode() if isinstance(body, dict) else body)
        return real(model_id, body, **options)

    monkeypatch.setattr(checks, "validate_request", counting)
    return seen


def request(body: dict[str, Any], model: str = LLAMA) -> RecordedRequest:
    return RecordedRequest("InvokeModel", model, json.dumps(body).encode())


def test_the_same_bytes_are_checked_once_and_judged_alike(checked: list[bytes]) -> None:
    checker = PayloadChecker()
    bad = {"prompt": "hi", "top_p": 2}
    first = checker.request(request(bad))
    again = checker.request(request(bad))
    assert [v.path for v in first] == ["#/top_p"]
    assert again == first and again is not first  # the caller's own list
    assert checker.request(request({"prompt": "hi"})) == []
    assert checker.request(request({"prompt": "hi"})) == []
    assert len(checked) == 2


def test_settings_and_targets_are_part_of_the_key(checked: list[bytes]) -> None:
    body = {"prompt": "hi", "top_p": 2}
    custom = "arn:aws:bedrock:us-east-1:123456789012:imported-model/my-llama"
    as_llama = PayloadChecker({custom: "meta.llama"})
    assert [v.path for v in as_llama.request(request(body, custom))] == ["#/top_p"]
    as_titan = PayloadChecker({custom: "amazon.titan-text"})
    assert {v.path for v in as_titan.request(request(body, custom))} != {"#/top_p"}
    assert PayloadChecker().request(request(body)) == as_llama.request(request(body, custom))
    assert len(checked) == 3


def test_an_unknown_model_is_checked_every_time(checked: list[bytes]) -> None:
    model = f"arn:aws:bedrock:us-east-1:123456789012:imported-model/{uuid.uuid4().hex[:12]}"
    with pytest.warns(UnknownModelWarning):
        assert PayloadChecker().request(request({"x": 1}, model)) == []
    assert PayloadChecker().request(request({"x": 1}, model)) == []
    assert len(checked) == 2
    strict = PayloadChecker(strict_models=True)
    for _ in range(2):  # strict: raises on every call, never a remembered pass
        with pytest.raises(UnknownModelError):
            strict.request(request({"x": 1}, model))


@pytest.mark.usefixtures("aws_env")
def test_a_repeated_invalid_request_is_refused_every_time(checked: list[bytes]) -> None:
    from bedrock_vcr import Answer, BedrockMock

    from ..helpers import bedrock_client

    client = bedrock_client()
    with BedrockMock(assert_all_called=False) as bedrock:
        bedrock.on(model_id=LLAMA, return_value=Answer("hi"))
        for _ in range(3):
            with pytest.raises(client.exceptions.ValidationException, match=r"#/top_p"):
                client.invoke_model(modelId=LLAMA, body=json.dumps({"prompt": "x", "top_p": 2}))
        assert bedrock.call_count == 0
    assert len(checked) == 1
