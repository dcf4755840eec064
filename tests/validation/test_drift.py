"""Schemas that follow the service: Bedrock's ``"type": "tool_use"`` replays cleanly, a value no
schema knows in an answer is one warning with its path (never a failure), requests stay strict."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from bedrock_vcr import (
    SchemaDriftWarning,
    StreamEvent,
    use_cassette,
    validate_chunk,
    validate_request,
    validate_response,
)
from bedrock_vcr.validation import drift
from bedrock_vcr.validation.schemas import enum_at

from ..helpers import bedrock_client
from .test_checks import interaction, plain, stream, write

pytestmark = pytest.mark.usefixtures("aws_env")

CLAUDE = "us.anthropic.claude-sonnet-4-20250514-v1:0"
NOVA2 = "us.amazon.nova-2-lite-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Weather in Paris?"}]}]
TOOL = {"toolUseId": "tooluse_1", "name": "weather"}


def tool_stream(tool_type: str) -> list[StreamEvent]:
    """A ConverseStream answer calling a tool, as Claude and Nova 2 send it."""
    return [
        StreamEvent.event("messageStart", {"role": "assistant", "p": "abc"}),
        StreamEvent.event(
            "contentBlockStart",
            {"contentBlockIndex": 0, "start": {"toolUse": {**TOOL, "type": tool_type}}},
        ),
        StreamEvent.event(
            "contentBlockDelta",
            {"contentBlockIndex": 0, "delta": {"toolUse": {"input": '{"city":"Paris"}'}}},
        ),
        StreamEvent.event("contentBlockStop", {"contentBlockIndex": 0}),
        StreamEvent.event("messageStop", {"stopReason": "tool_use"}),
        StreamEvent.event(
            "metadata",
            {
                "usage": {"inputTokens": 5, "outputTokens": 9, "totalTokens": 14},
                "metrics": {"latencyMs": 300},
            },
        ),
    ]


def tool_answer(tool_type: str) -> dict[str, Any]:
    content = [{"toolUse": {**TOOL, "input": {"city": "Paris"}, "type": tool_type}}]
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": "tool_use",
        "usage": {"inputTokens": 5, "outputTokens": 9, "totalTokens": 14},
        "metrics": {"latencyMs": 300},
    }


def cassette(tmp_path: Path, tool_type: str, model: str = CLAUDE) -> Path:
    body = {"messages": MESSAGES}
    return write(
        tmp_path / "tools.yaml",
        interaction(model, body, stream(*tool_stream(tool_type)), "ConverseStream"),
        interaction(model, body, plain(tool_answer(tool_type)), "Converse"),
    )


def _replay(path: Path, model: str = CLAUDE, **options: Any) -> tuple[list[Any], dict[str, Any]]:
    with use_cassette(path, record_mode="none", **options):
        client = bedrock_client("http://127.0.0.1:9")
        events = list(client.converse_stream(modelId=model, messages=MESSAGES)["stream"])
        answer = client.converse(modelId=model, messages=MESSAGES)
    return events, answer


@pytest.mark.parametrize("model", [CLAUDE, NOVA2])
def test_tool_use_type_bedrock_sends_replays_without_drift(tmp_path: Path, model: str) -> None:
    drift.forget()
    path = cassette(tmp_path, "tool_use", model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        events, answer = _replay(path, model, validate_responses="fail")
    assert events[1]["contentBlockStart"]["start"]["toolUse"]["type"] == "tool_use"
    assert answer["output"]["message"]["content"][0]["toolUse"]["type"] == "tool_use"


def test_the_schema_knows_both_tool_use_types() -> None:
    assert enum_at("bedrock.converse.response", "#/$defs/ToolUseBlock/properties/type") == (
        "server_tool_use",
        "tool_use",
    )


def test_a_new_enum_value_warns_once_with_its_path_and_never_fails(tmp_path: Path) -> None:
    drift.forget()
    path = cassette(tmp_path, "mcp_tool_use")
    with pytest.warns(SchemaDriftWarning) as caught:
        events, answer = _replay(path, validate_responses="fail")  # drift is not a failure
        _replay(path, validate_responses="fail")  # a second run of the same: no new warning
    drift_warnings = [str(w.message) for w in caught if "schema drift" in str(w.message)]
    assert len(drift_warnings) == 2  # one per path: the stream event's and the answer's
    assert "a ConverseStream chunk" in drift_warnings[0]
    assert "#/contentBlockStart/start/toolUse/type: mcp_tool_use" in drift_warnings[0]
    assert "#/output/message/content/0/toolUse/type: mcp_tool_use" in drift_warnings[1]
    assert all(CLAUDE in text for text in drift_warnings)
    assert answer["output"]["message"]["content"][0]["toolUse"]["type"] == "mcp_tool_use"
    assert len(events) == 6


def test_drift_is_reported_per_model_and_path() -> None:
    drift.forget()
    event = {"messageStop": {"stopReason": "a_new_reason"}}
    with pytest.warns(SchemaDriftWarning) as caught:
        for model in (CLAUDE, NOVA2, CLAUDE):
            assert validate_chunk(model, event, operation="ConverseStream") == []
    assert [CLAUDE in str(w.message) for w in caught] == [True, False]
    assert all("#/messageStop/stopReason: a_new_reason" in str(w.message) for w in caught)


def test_requests_stay_strict(tmp_path: Path) -> None:
    path = cassette(tmp_path, "tool_use")
    echoed = [
        *MESSAGES,
        {"role": "assistant", "content": [{"toolUse": {**TOOL, "input": {}, "type": "bogus"}}]},
    ]
    with use_cassette(path, record_mode="none"):
        client = bedrock_client("http://127.0.0.1:9")
        with pytest.raises(client.exceptions.ValidationException) as info:
            client.converse(modelId=CLAUDE, messages=echoed)
    assert "#/messages/1/content/0/toolUse/type: bogus is not a valid enum value" in str(info.value)
    # what Bedrock itself sends back is accepted when echoed
    accepted = json.loads(json.dumps(echoed).replace('"bogus"', '"tool_use"'))
    assert validate_request(CLAUDE, {"messages": accepted}, operation="Converse") == []


def test_an_unknown_key_in_an_answer_warns_once_with_its_path() -> None:
    drift.forget()
    answer = tool_answer("tool_use")
    answer["usage"] = {**answer["usage"], "reasoningTokens": 3}
    with pytest.warns(SchemaDriftWarning) as caught:
        for _ in range(2):
            assert validate_response(CLAUDE, answer, operation="Converse") == []
        assert validate_response("", {"inputTokens": 3, "cached": 1}, operation="CountTokens") == []
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2
    assert "a Converse response of" in messages[0]
    assert "#/usage: key [reasoningTokens] is not in the schema" in messages[0]
    assert "a CountTokens response: #: key [cached]" in messages[1]


def test_padding_and_known_extras_are_no_drift() -> None:
    drift.forget()
    usage = {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2, "cacheReadInputTokenCount": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for event in (
            {"messageStop": {"stopReason": "end_turn", "p": "abcdef"}},
            {"metadata": {"usage": usage, "metrics": {"latencyMs": 1}, "p": "xy"}},
        ):
            assert validate_chunk(NOVA2, event, operation="ConverseStream") == []
    with pytest.warns(
        SchemaDriftWarning, match=r"ConverseStream chunk of .*: #: key \[newEvent\] is not in"
    ):
        assert validate_chunk(NOVA2, {"newEvent": {"x": 1}}, operation="ConverseStream") == []


def test_requests_keep_rejecting_unknown_keys() -> None:
    found = validate_request("", {"input": {"converse": {}}, "extra": 1}, operation="CountTokens")
    assert [(v.path, v.keyword) for v in found] == [("#", "additionalProperties")]
