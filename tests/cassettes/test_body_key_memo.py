"""Matching remembers a body's canonical form by its bytes, for the settings that shape it."""

from __future__ import annotations

import pytest

from bedrock_vcr.cassettes import matching
from bedrock_vcr.cassettes.matching import MatchConfig, canonical_json
from bedrock_vcr.cassettes.records import RecordedRequest


@pytest.fixture(autouse=True)
def own_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(matching, "_BODY_KEYS", matching.BytesMemo())


def request(body: bytes, operation: str = "InvokeModel") -> RecordedRequest:
    return RecordedRequest(operation, "m", body)


def test_a_body_seen_before_is_not_parsed_again() -> None:
    config = MatchConfig()
    body = b'{"b": 1.0, "a": [1, 2]}'
    first = request(body)
    assert config.body_key(first) == canonical_json({"a": [1, 2], "b": 1}) == '{"a":[1,2],"b":1}'
    again = request(bytes(bytearray(body)))  # equal bytes, another object
    assert config.key(again) == config.key(first)
    assert "json" not in again.__dict__  # answered from the memo: never parsed


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (MatchConfig(), MatchConfig(ignore_body_keys=("temperature",))),
        (MatchConfig(ignore_body_keys=("a.temperature",)), MatchConfig()),
    ],
    ids=["ignored-later", "ignored-first"],
)
def test_ignored_keys_are_part_of_the_key(one: MatchConfig, other: MatchConfig) -> None:
    body = b'{"a": {"temperature": 0.5}, "temperature": 0.1}'
    for config in (one, other, one):
        expected = canonical_json(matching._strip(request(body).json, config.ignore_body_keys, ()))
        assert config.body_key(request(body)) == expected


def test_operation_is_part_of_the_key() -> None:
    body = b'{"clientRequestToken": "t1", "modelId": "m"}'
    config = MatchConfig()
    assert config.body_key(request(body)) == '{"clientRequestToken":"t1","modelId":"m"}'
    assert config.body_key(request(body, "StartAsyncInvoke")) == '{"modelId":"m"}'


def test_a_body_that_is_not_json_is_compared_as_its_bytes() -> None:
    config = MatchConfig()
    for _ in range(2):
        assert config.body_key(request(b"prompt=hi")) == b"prompt=hi"
