"""Simulated answers, parsed by boto3: every family, every stop reason, both operations.

Each answer travels the real botocore path (interception -> replayed ``AWSResponse`` -> botocore
parsers and event-stream decoder) and must validate against the family's schema and carry the
declared text, stop reason and token counts.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from bedrock_vcr.cassettes.records import RecordedRequest
from bedrock_vcr.errors import AnswerConflictError, SchemaPointerError, UnsupportedAnswerError
from bedrock_vcr.intercept.mock import BedrockMock
from bedrock_vcr.simulation import (
    FAMILIES,
    Answer,
    Embedding,
    ToolCall,
    build_response,
    estimate_tokens,
    fit_text,
    native_stop_reason,
    split_text,
    stop_reasons,
)
from bedrock_vcr.simulation.families import Family, SchemaEnum, converse_family
from bedrock_vcr.validation.schemas import available_schemas, enum_at
from bedrock_vcr.validation.validate import validate_chunk, validate_request, validate_response

from ..helpers import ONE_RETRY

pytestmark = pytest.mark.usefixtures("aws_env")

TEXT = "The quick brown fox jumps over the lazy dog."  # 44 characters: 11 tokens
TEXT_TOKENS = 11
INPUT_TOKENS = 17
PROMPT = "Tell me a joke"

# family -> (model id, request body for a max-token setting)
MODELS: dict[str, tuple[str, Callable[[int], dict[str, Any]]]] = {
    "meta.llama": ("meta.llama3-8b-instruct-v1:0", lambda n: {"prompt": PROMPT, "max_gen_len": n}),
    "amazon.titan-text": (
        "amazon.titan-text-express-v1",
        lambda n: {"inputText": PROMPT, "textGenerationConfig": {"maxTokenCount": n}},
    ),
    "ai21.jamba": (
        "ai21.jamba-1-5-mini-v1:0",
        lambda n: {"messages": [{"role": "user", "content": PROMPT}], "max_tokens": n},
    ),
    "ai21.j2": ("ai21.j2-ultra-v1", lambda n: {"prompt": PROMPT, "maxTokens": n}),
    "anthropic.claude-messages": (
        "anthropic.claude-3-haiku-20240307-v1:0",
        lambda n: {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": n,
            "messages": [{"role": "user", "content": PROMPT}],
        },
    ),
    "anthropic.claude-text": (
        "anthropic.claude-v2:1",
        lambda n: {"prompt": f"\n\nHuman: {PROMPT}\n\nAssistant:", "max_tokens_to_sample": n},
    ),
    "cohere.command": ("cohere.command-text-v14", lambda n: {"prompt": PROMPT, "max_tokens": n}),
    "cohere.command-r": ("cohere.command-r-v1:0", lambda n: {"message": PROMPT, "max_tokens": n}),
    "mistral.text": (
        "mistral.mistral-7b-instruct-v0:2",
        lambda n: {"prompt": f"<s>[INST] {PROMPT} [/INST]", "max_tokens": n},
    ),
    "mistral.chat": (
        "mistral.mistral-large-2407-v1:0",
        lambda n: {"messages": [{"role": "user", "content": PROMPT}], "max_tokens": n},
    ),
    "amazon.nova": (
        "amazon.nova-lite-v1:0",
        lambda n: {
            "schemaVersion": "messages-v1",
            "messages": [{"role": "user", "content": [{"text": PROMPT}]}],
            "inferenceConfig": {"max_new_tokens": n},
        },
    ),
}
TOOL = ToolCall("get_weather", {"city": "Paris"})
TOOL_STOPS = {"tool_use", "tool_calls"}


def _tools_of(family: str) -> bool:
    return family in ("ai21.jamba", "anthropic.claude-messages", "mistral.chat", "amazon.nova")


def _is_length(model_id: str, stop: str, operation: str = "InvokeModel") -> bool:
    return stop == native_stop_reason(model_id, "length", operation) or stop == "model_length"


# --- reading what boto3 returned (independent of the encoders) ---------------------------------

Seen = tuple[str, str, "int | None", "int | None"]  # text, stop, input tokens, output tokens


def _read_body(family: str, b: dict[str, Any]) -> Seen:
    if family == "meta.llama":
        return (
            b["generation"],
            b["stop_reason"],
            b["prompt_token_count"],
            b["generation_token_count"],
        )
    if family == "amazon.titan-text":
        r = b["results"][0]
        return r["outputText"], r["completionReason"], b["inputTextTokenCount"], r["tokenCount"]
    if family in ("ai21.jamba", "mistral.chat"):
        c = b["choices"][0]
        stop = c.get("finish_reason") or c.get("stop_reason")
        usage = b["usage"]
        return c["message"]["content"], stop, usage["prompt_tokens"], usage["completion_tokens"]
    if family == "ai21.j2":
        c = b["completions"][0]
        return c["data"]["text"], c["finishReason"]["reason"], None, None
    if family == "anthropic.claude-messages":
        text = "".join(c["text"] for c in b["content"] if c["type"] == "text")
        return text, b["stop_reason"], b["usage"]["input_tokens"], b["usage"]["output_tokens"]
    if family == "anthropic.claude-text":
        return b["completion"], b["stop_reason"], None, None
    if family == "cohere.command":
        return b["generations"][0]["text"], b["generations"][0]["finish_reason"], None, None
    if family == "cohere.command-r":
        units = b["meta"]["billed_units"]
        return b["text"], b["finish_reason"], units["input_tokens"], units["output_tokens"]
    if family == "mistral.text":
        return b["outputs"][0]["text"], b["outputs"][0]["stop_reason"], None, None
    assert family == "amazon.nova"
    text = "".join(c.get("text", "") for c in b["output"]["message"]["content"])
    return text, b["stopReason"], b["usage"]["inputTokens"], b["usage"]["outputTokens"]


def _read_chunks(family: str, chunks: list[dict[str, Any]]) -> Seen:
    last = chunks[-1]
    if family == "meta.llama":
        text = "".join(c["generation"] for c in chunks)
        return (
            text,
            last["stop_reason"],
            chunks[0]["prompt_token_count"],
            last["generation_token_count"],
        )
    if family == "amazon.titan-text":
        text = "".join(c["outputText"] for c in chunks)
        return (
            text,
            last["completionReason"],
            chunks[0]["inputTextTokenCount"],
            last["totalOutputTextTokenCount"],
        )
    if family == "ai21.jamba":
        text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
        usage = last["usage"]
        return (
            text,
            last["choices"][0]["finish_reason"],
            usage["prompt_tokens"],
            usage["completion_tokens"],
        )
    if family == "anthropic.claude-messages":
        text = "".join(
            c["delta"].get("text", "") for c in chunks if c["type"] == "content_block_delta"
        )
        delta = next(c for c in chunks if c["type"] == "message_delta")
        start = chunks[0]["message"]["usage"]["input_tokens"]
        return text, delta["delta"]["stop_reason"], start, delta["usage"]["output_tokens"]
    if family == "anthropic.claude-text":
        return "".join(c["completion"] for c in chunks), last["stop_reason"], None, None
    if family == "cohere.command":
        text = "".join(c.get("text", "") for c in chunks if not c["is_finished"])
        return text, last["finish_reason"], None, None
    if family == "cohere.command-r":
        text = "".join(c["text"] for c in chunks if c["event_type"] == "text-generation")
        units = last["response"]["meta"]["billed_units"]
        return text, last["finish_reason"], units["input_tokens"], units["output_tokens"]
    if family == "mistral.text":
        text = "".join(c["outputs"][0]["text"] for c in chunks)
        return text, last["outputs"][0]["stop_reason"], None, None
    if family == "mistral.chat":
        text = "".join(c["choices"][0]["message"]["content"] for c in chunks)
        return text, last["choices"][0]["stop_reason"], None, None
    assert family == "amazon.nova"
    text = "".join(
        c["contentBlockDelta"]["delta"].get("text", "") for c in chunks if "contentBlockDelta" in c
    )
    stop = next(c["messageStop"]["stopReason"] for c in chunks if "messageStop" in c)
    usage = last["metadata"]["usage"]
    return text, stop, usage["inputTokens"], usage["outputTokens"]


def _client() -> Any:
    return boto3.client("bedrock-runtime", region_name="us-east-1", config=ONE_RETRY)


# --- the proof: every family x stop reason x operation -----------------------------------------


def _cases() -> list[Any]:
    cases = []
    for family, (model_id, _) in MODELS.items():
        operations = (
            ["InvokeModel"]
            if family == "ai21.j2"
            else ["InvokeModel", "InvokeModelWithResponseStream"]
        )
        for stop in FAMILIES[family].stops:
            for operation in operations:
                cases.append(
                    pytest.param(
                        family, model_id, stop, operation, id=f"{family}-{stop}-{operation}"
                    )
                )
    return cases


def _name_for(family: str, native: str) -> str:
    """The name that asks for ``native`` (a neutral name where a neutral name is spelled the
    same but means something else, as AI21 J2's ``stop``)."""
    spec = FAMILIES[family]
    if spec.neutral.get(native, native) == native:
        return native
    return next(name for name, value in spec.neutral.items() if value == native)


@pytest.mark.parametrize(("family", "model_id", "stop", "operation"), _cases())
def test_every_family_and_stop_reason_parses_validates_and_agrees(
    family: str, model_id: str, stop: str, operation: str
) -> None:
    length = _is_length(model_id, stop)
    max_tokens = 7 if length else 64
    body = MODELS[family][1](max_tokens)
    assert validate_request(model_id, body, operation=operation) == []
    tool = stop in TOOL_STOPS and _tools_of(family)
    answer = Answer(
        TEXT,
        stop_reason=_name_for(family, stop),
        input_tokens=INPUT_TOKENS,
        output_tokens=20 if tool else None,
        tool_calls=[TOOL] if tool else (),
    )
    expected_text = TEXT[: 7 * 4] if length else TEXT
    expected_out = 7 if length else 20 if tool else TEXT_TOKENS

    with BedrockMock() as mock:
        route = mock.on(model_id=model_id, operation=operation, return_value=answer)
        client = _client()
        if operation == "InvokeModel":
            result = client.invoke_model(modelId=model_id, body=json.dumps(body))
            headers = result["ResponseMetadata"]["HTTPHeaders"]
            payload = json.loads(result["body"].read())
            assert validate_response(model_id, payload) == []
            text, seen_stop, seen_in, seen_out = _read_body(family, payload)
            assert headers["x-amzn-bedrock-input-token-count"] == str(INPUT_TOKENS)
            assert headers["x-amzn-bedrock-output-token-count"] == str(expected_out)
            assert headers["x-amzn-bedrock-invocation-latency"].isdigit()
        else:
            result = client.invoke_model_with_response_stream(
                modelId=model_id, body=json.dumps(body)
            )
            chunks = [json.loads(e["chunk"]["bytes"]) for e in result["body"]]
            for chunk in chunks:
                assert validate_chunk(model_id, chunk) == [], chunk
            carrying = [c for c in chunks if "amazon-bedrock-invocationMetrics" in c]
            assert carrying == [chunks[-1]], "metrics belong on the final chunk only"
            metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
            assert (metrics["inputTokenCount"], metrics["outputTokenCount"]) == (
                INPUT_TOKENS,
                expected_out,
            )
            text, seen_stop, seen_in, seen_out = _read_chunks(family, chunks)
    assert route.call_count == 1
    assert text == expected_text
    assert seen_stop == stop
    assert seen_in in (None, INPUT_TOKENS)
    assert seen_out in (None, expected_out)


CONVERSE_MODEL = "meta.llama3-8b-instruct-v1:0"


def _converse_stops() -> list[str]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    return list(model.shape_for("StopReason").enum)


@pytest.mark.parametrize("operation", ["Converse", "ConverseStream"])
@pytest.mark.parametrize("stop", _converse_stops())
def test_converse_every_stop_reason(stop: str, operation: str) -> None:
    length = stop == "max_tokens"
    tool = stop == "tool_use"
    answer = Answer(
        TEXT,
        stop_reason=stop,
        input_tokens=INPUT_TOKENS,
        tool_calls=[TOOL] if tool else (),
        output_tokens=20 if tool else None,
    )
    expected_out = 7 if length else 20 if tool else TEXT_TOKENS
    messages = [{"role": "user", "content": [{"text": PROMPT}]}]
    config = {"maxTokens": 7 if length else 64}
    with BedrockMock() as mock:
        mock.on(model_id=CONVERSE_MODEL, operation=operation, return_value=answer)
        client = _client()
        if operation == "Converse":
            result = client.converse(
                modelId=CONVERSE_MODEL, messages=messages, inferenceConfig=config
            )
            result.pop("ResponseMetadata")
            assert validate_response(CONVERSE_MODEL, result, operation="Converse") == []
            blocks = result["output"]["message"]["content"]
            text = "".join(b.get("text", "") for b in blocks)
            tools = [b["toolUse"] for b in blocks if "toolUse" in b]
            seen_stop, usage = result["stopReason"], result["usage"]
        else:
            result = client.converse_stream(
                modelId=CONVERSE_MODEL, messages=messages, inferenceConfig=config
            )
            events = list(result["stream"])
            for event in events:
                assert validate_chunk(CONVERSE_MODEL, event, operation="ConverseStream") == []
            assert list(events[0]) == ["messageStart"]
            assert [list(e)[0] for e in events[-2:]] == ["messageStop", "metadata"]
            text = "".join(
                e["contentBlockDelta"]["delta"].get("text", "")
                for e in events
                if "contentBlockDelta" in e
            )
            tools = [
                e["contentBlockStart"]["start"]["toolUse"]
                for e in events
                if "contentBlockStart" in e
            ]
            seen_stop = events[-2]["messageStop"]["stopReason"]
            usage = events[-1]["metadata"]["usage"]
    assert text == (TEXT[:28] if length else TEXT)
    assert seen_stop == stop
    assert (usage["inputTokens"], usage["outputTokens"]) == (INPUT_TOKENS, expected_out)
    assert usage["totalTokens"] == INPUT_TOKENS + expected_out
    assert [t["name"] for t in tools] == (["get_weather"] if tool else [])


# --- the real event sequences ------------------------------------------------------------------


def test_claude_stream_has_the_real_event_sequence() -> None:
    model_id, make = MODELS["anthropic.claude-messages"]
    answer = Answer(["Why", " did", " the span"], input_tokens=16)
    with BedrockMock() as mock:
        mock.on(model_id=model_id, return_value=answer)
        result = _client().invoke_model_with_response_stream(
            modelId=model_id, body=json.dumps(make(100))
        )
        chunks = [json.loads(e["chunk"]["bytes"]) for e in result["body"]]
    assert [c["type"] for c in chunks] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert chunks[0]["message"]["usage"] == {"input_tokens": 16, "output_tokens": 1}
    assert chunks[1]["content_block"] == {"type": "text", "text": ""}
    assert [c["delta"] for c in chunks[2:5]] == [
        {"type": "text_delta", "text": "Why"},
        {"type": "text_delta", "text": " did"},
        {"type": "text_delta", "text": " the span"},
    ]
    assert chunks[6]["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert set(chunks[7]) == {"type", "amazon-bedrock-invocationMetrics"}


def test_jamba_stream_opens_with_the_role_and_closes_with_usage() -> None:
    model_id, make = MODELS["ai21.jamba"]
    with BedrockMock() as mock:
        mock.on(model_id=model_id, return_value=Answer(["Hi", " there"], input_tokens=3))
        result = _client().invoke_model_with_response_stream(
            modelId=model_id, body=json.dumps(make(100))
        )
        chunks = [json.loads(e["chunk"]["bytes"]) for e in result["body"]]
    deltas = [c["choices"][0]["delta"] for c in chunks]
    assert deltas == [
        {"role": "assistant", "content": ""},
        {"content": "Hi"},
        {"content": " there"},
        {},
    ]
    assert [c["choices"][0]["finish_reason"] for c in chunks] == [None, None, None, "stop"]
    assert chunks[-1]["usage"] == {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    assert len({c["id"] for c in chunks}) == 1


# --- neutral names -----------------------------------------------------------------------------

NEUTRAL = [
    ("meta.llama", "stop", "stop"),
    ("meta.llama", "length", "length"),
    ("amazon.titan-text", "stop", "FINISH"),
    ("amazon.titan-text", "length", "LENGTH"),
    ("amazon.titan-text", "stop_sequence", "STOP_CRITERIA_MET"),
    ("amazon.titan-text", "content_filtered", "CONTENT_FILTERED"),
    ("ai21.jamba", "content_filtered", "content_filter"),
    ("ai21.jamba", "tool_use", "tool_calls"),
    ("ai21.j2", "stop", "endoftext"),
    ("ai21.j2", "stop_sequence", "stop"),
    ("ai21.j2", "endoftext", "endoftext"),
    ("anthropic.claude-messages", "stop", "end_turn"),
    ("anthropic.claude-messages", "length", "max_tokens"),
    ("anthropic.claude-text", "stop", "stop_sequence"),
    ("cohere.command", "length", "MAX_TOKENS"),
    ("cohere.command-r", "content_filtered", "ERROR_TOXIC"),
    ("mistral.chat", "tool_use", "tool_calls"),
    ("amazon.nova", "content_filtered", "content_filtered"),
]


@pytest.mark.parametrize(("family", "neutral", "native"), NEUTRAL, ids=lambda v: str(v))
def test_neutral_stop_reasons_map_to_native_values(family: str, neutral: str, native: str) -> None:
    assert native_stop_reason(MODELS[family][0], neutral) == native


def test_stop_reasons_lists_neutral_names_then_native_values() -> None:
    assert stop_reasons("meta.llama3-8b-instruct-v1:0") == ("stop", "length")
    titan = stop_reasons("amazon.titan-text-lite-v1")
    assert titan[:4] == ("stop", "length", "stop_sequence", "content_filtered")
    assert "RAG_QUERY_WHEN_RAG_DISABLED" in titan


# --- stop-reason vocabularies come from the schemas ---------------------------------------------

# Keys under which a schema holds a stop reason; the schemas are searched for them independently of
# the family table, so an enum the table does not point at (a chunk's, a second body style's) is
# checked too.
STOP_KEYS = frozenset(
    {"stop_reason", "stopReason", "StopReason", "finish_reason", "completionReason", "reason"}
)
# Families whose schemas have no stop-reason enum, so the table lists the values itself.
NO_SCHEMA_ENUM = {"ai21.j2": "finishReason.reason is a free string"}
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def _family_schemas(family: str) -> list[str]:
    if family == "bedrock.converse":
        return ["bedrock.converse.response", "bedrock.converse-stream.event"]
    return [n for n in (f"{family}.response", f"{family}.chunk") if n in available_schemas()]


def _stop_enums(schema: str) -> dict[str, tuple[Any, ...]]:
    """Every enum under a stop-reason key of ``schema``, by JSON pointer."""
    found: dict[str, tuple[Any, ...]] = {}

    def walk(node: Any, pointer: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                here = f"{pointer}/{key}"
                if (
                    key in STOP_KEYS
                    and isinstance(value, dict)
                    and ("enum" in value or "$ref" in value)
                ):
                    found[here] = enum_at(schema, here)
                walk(value, here)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{pointer}/{i}")

    walk(json.loads((SCHEMA_DIR / f"{schema}.json").read_text(encoding="utf-8")), "#")
    return found


def _all_families() -> list[Family]:
    return [*FAMILIES.values(), converse_family()]


def test_the_proof_above_covers_every_family() -> None:
    assert set(MODELS) == set(FAMILIES)


@pytest.mark.parametrize("spec", _all_families(), ids=lambda f: f.name)
def test_simulator_offers_exactly_the_stop_reasons_its_schemas_allow(spec: Family) -> None:
    schemas = _family_schemas(spec.name)
    enums = {f"{s}{p}": values for s in schemas for p, values in _stop_enums(s).items()}
    if spec.name in NO_SCHEMA_ENUM:
        assert enums == {}, f"{spec.name} now has a stop-reason enum: read it with SchemaEnum"
        assert isinstance(spec.vocabulary, tuple)
    else:
        assert isinstance(spec.vocabulary, SchemaEnum)
        assert f"{spec.vocabulary.schema}{spec.vocabulary.pointer}" in enums
        for where, values in enums.items():
            # null means "not stopped (yet)", never a stop reason one can ask for
            assert set(spec.stops) == {v for v in values if v is not None}, where
    assert len(set(spec.stops)) == len(spec.stops)
    # what the simulator knows about the values must name values that exist
    known = {*spec.neutral.values(), *spec.tool_stops, *spec.length_stops}
    assert known <= set(spec.stops), known - set(spec.stops)


ENUM_AT_ERRORS = [
    pytest.param("meta.llama.nope", "#/properties/stop_reason", r"no such schema", id="schema"),
    pytest.param(
        "meta.llama.response",
        "#/properties/stop",
        r"no 'stop' under '#/properties/stop'",
        id="node",
    ),
    pytest.param("meta.llama.response", "#/properties", r"has no enum", id="no-enum"),
    pytest.param("meta.llama.response", "properties", r"is not a JSON pointer", id="not-pointer"),
]


@pytest.mark.parametrize(("schema", "pointer", "match"), ENUM_AT_ERRORS)
def test_enum_at_names_the_schema_and_pointer_it_cannot_follow(
    schema: str, pointer: str, match: str
) -> None:
    with pytest.raises(SchemaPointerError, match=match) as info:
        enum_at(schema, pointer)
    assert (info.value.schema_name, info.value.pointer) == (schema, pointer)


def test_enum_at_follows_a_local_ref_and_keeps_null() -> None:
    via_ref = enum_at("bedrock.converse.response", "#/properties/stopReason")
    assert via_ref == enum_at("bedrock.converse.response", "#/$defs/StopReason")
    assert "end_turn" in via_ref
    assert enum_at("meta.llama.chunk", "/properties/stop_reason") == ("stop", "length", None)


# --- refused when declared ---------------------------------------------------------------------

REFUSED = [
    pytest.param(
        "meta.llama3-8b-instruct-v1:0",
        "InvokeModel",
        Answer(stop_reason="CONTENT_FILTERED"),
        r"'CONTENT_FILTERED' does not exist.*family meta\.llama.*valid values: stop, length",
        id="stop-reason-of-another-family",
    ),
    pytest.param(
        "anthropic.claude-v2",
        "InvokeModel",
        Answer(stop_reason="end_turn"),
        r"valid values: stop, length, stop_sequence, max_tokens",
        id="claude-text-has-no-end-turn",
    ),
    pytest.param(
        "ai21.j2-ultra-v1",
        "InvokeModelWithResponseStream",
        Answer(),
        r"does not stream.*valid values: InvokeModel, Converse",
        id="j2-streamed",
    ),
    pytest.param(
        "amazon.titan-embed-text-v2:0",
        "InvokeModel",
        Answer(),
        r"(?s)embedding model answers with vectors.*fix: use Embedding",
        id="text-for-an-embedding-model",
    ),
    pytest.param(
        "amazon.titan-embed-text-v2:0",
        "InvokeModelWithResponseStream",
        Embedding(),
        r"embedding models answer InvokeModel only.*valid values: InvokeModel",
        id="embeddings-streamed",
    ),
    pytest.param(
        "meta.llama3-8b-instruct-v1:0",
        "InvokeModel",
        Embedding(),
        r"needs an embedding model",
        id="embedding-for-a-text-model",
    ),
    pytest.param(
        "anthropic.claude-3-haiku-20240307-v1:0",
        "InvokeModel",
        Answer(stop_reason="tool_use"),
        r"(?s)calls a tool, but the answer has no tool_calls.*fix: add tool_calls",
        id="tool-use-without-tools",
    ),
    pytest.param(
        "meta.llama3-8b-instruct-v1:0",
        "InvokeModel",
        Answer(tool_calls=[TOOL]),
        r"tool_calls need the family's tool-use stop reason",
        id="tools-on-llama",
    ),
    pytest.param(
        "amazon.titan-text-lite-v1",
        "InvokeModel",
        Answer(stop_reason="length", output_tokens=5000),
        r"length stop after 5000 tokens is impossible: the model generates at most 4096",
        id="length-beyond-model-maximum",
    ),
    pytest.param(
        "arn:aws:bedrock:us-east-1:123456789012:custom-model/my-model",
        "InvokeModel",
        Answer(),
        r"(?s)no native format is known.*fix: map the model to a family with overrides",
        id="unknown-family",
    ),
]


@pytest.mark.parametrize(("model_id", "operation", "answer", "match"), REFUSED)
def test_impossible_answers_are_refused_when_declared(
    model_id: str, operation: str, answer: Answer | Embedding, match: str
) -> None:
    mock = BedrockMock()
    route = mock.on(model_id=model_id, operation=operation)
    with pytest.raises(UnsupportedAnswerError, match=match):
        route.return_value = answer
    with pytest.raises(UnsupportedAnswerError, match=match):
        route.side_effect = [Answer(), answer] if isinstance(answer, Answer) else [answer]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"stop_reason": "finished"},
            r"unknown stop reason 'finished'; valid values: stop, length",
        ),
        ({"output_tokens": -1}, r"output_tokens must be an integer >= 0"),
        ({"chunk_size": 0}, r"chunk_size must be an integer >= 1"),
        ({"first_chunk_delay": -0.5}, r"first_chunk_delay must be a number of seconds >= 0"),
        ({"text": ["ok", 3]}, r"text must be a string or a list of strings"),
    ],
    ids=["unknown-stop", "negative-tokens", "zero-chunk-size", "negative-delay", "bad-pieces"],
)
def test_malformed_answers_are_refused_at_construction(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(
        UnsupportedAnswerError if "stop_reason" in kwargs else ValueError, match=match
    ):
        Answer(**kwargs)


def test_overrides_give_an_unknown_model_a_family() -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:imported-model/abc"
    request = RecordedRequest("InvokeModel", arn, json.dumps({"prompt": "hi"}).encode())
    response = build_response(Answer("fine"), request, overrides={arn: "meta.llama"})
    assert json.loads(response.body)["generation"] == "fine"


# --- conflicts with the concrete request -------------------------------------------------------


def _llama_request(operation: str = "InvokeModel", **body: Any) -> RecordedRequest:
    payload = {"prompt": PROMPT, **body}
    return RecordedRequest(operation, "meta.llama3-8b-instruct-v1:0", json.dumps(payload).encode())


@pytest.mark.parametrize(
    ("answer", "body", "match"),
    [
        (
            Answer(stop_reason="length", output_tokens=30),
            {"max_gen_len": 20},
            r"length stop after 30 tokens, but the request's max-token setting is 20",
        ),
        (
            Answer("x" * 100),
            {"max_gen_len": 20},
            r"(?s)answer is 25 tokens long but the request allows at most 20.*stop_reason='length'",
        ),
    ],
    ids=["length-other-than-the-setting", "longer-than-the-setting"],
)
def test_answers_contradicting_the_request_fail_when_served(
    answer: Answer, body: dict[str, Any], match: str
) -> None:
    with BedrockMock() as mock:
        mock.on(return_value=answer)
        with pytest.raises(AnswerConflictError, match=match):
            _client().invoke_model(
                modelId="meta.llama3-8b-instruct-v1:0", body=json.dumps({"prompt": "hi", **body})
            )


def test_length_without_a_setting_uses_the_family_default() -> None:
    response = build_response(Answer("abc", stop_reason="length"), _llama_request())
    payload = json.loads(response.body)
    assert payload["generation_token_count"] == 512  # Llama's default max_gen_len
    assert len(payload["generation"]) == 512 * 4


def test_declared_output_tokens_are_trusted_with_a_length_stop() -> None:
    answer = Answer("Hello", stop_reason="length", output_tokens=9)
    payload = json.loads(build_response(answer, _llama_request(max_gen_len=9)).body)
    assert (payload["generation"], payload["generation_token_count"]) == ("Hello", 9)


# --- the token approximation and chunking ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"),
    [("", 0), ("a", 1), ("abcd", 1), ("abcde", 2), ("é" * 8, 2), (TEXT, 11)],
    ids=["empty", "one-char", "four-chars", "five-chars", "code-points", "sentence"],
)
def test_estimate_tokens_is_one_per_started_group_of_four_characters(
    text: str, tokens: int
) -> None:
    assert estimate_tokens(text) == tokens == math.ceil(len(text) / 4)


@pytest.mark.parametrize(
    ("text", "tokens", "expected"),
    [
        ("abcdefghij", 2, "abcdefgh"),
        ("ab", 3, "ab ab ab ab "),
        ("", 1, "lore"),
        ("abc", 0, ""),
    ],
    ids=["cut", "repeated", "filler", "zero"],
)
def test_fit_text_makes_exactly_that_many_tokens(text: str, tokens: int, expected: str) -> None:
    assert fit_text(text, tokens) == expected
    assert estimate_tokens(expected) == tokens


@pytest.mark.parametrize(
    ("size", "pieces"),
    [(None, ["The", " quick", " fox."]), (4, ["The ", "quic", "k fo", "x."])],
    ids=["words", "size-4"],
)
def test_split_text(size: int | None, pieces: list[str]) -> None:
    assert split_text("The quick fox.", size) == pieces


def test_chunk_size_and_explicit_pieces_shape_the_stream() -> None:
    request = _llama_request("InvokeModelWithResponseStream", max_gen_len=64)
    by_size = build_response(Answer("abcdefghij", chunk_size=4), request)
    explicit = build_response(Answer(["one", "two", ""]), request)

    def texts(response: Any) -> list[str]:
        import base64

        return [
            json.loads(base64.b64decode(json.loads(e.message.payload)["bytes"]))["generation"]
            for e in response.events
        ]

    assert texts(by_size) == ["abcd", "efgh", "ij"]
    assert texts(explicit) == ["one", "two", ""]


def test_running_token_counts_rise_to_the_total() -> None:
    request = _llama_request("InvokeModelWithResponseStream", max_gen_len=64)
    response = build_response(Answer(["abcd", "efgh", "ij"], output_tokens=30), request)
    import base64

    counts = [
        json.loads(base64.b64decode(json.loads(e.message.payload)["bytes"]))[
            "generation_token_count"
        ]
        for e in response.events
    ]
    assert counts == [12, 24, 30]


# --- latency -----------------------------------------------------------------------------------


def test_latency_sets_offsets_metrics_and_headers() -> None:
    request = _llama_request("InvokeModelWithResponseStream", max_gen_len=64)
    answer = Answer(["a", "b", "c"], first_chunk_delay=0.25, chunk_delay=0.1)
    stream = build_response(answer, request)
    assert [round(e.offset, 3) for e in stream.events or []] == [0.25, 0.35, 0.45]
    import base64

    last = json.loads(base64.b64decode(json.loads(stream.events[-1].message.payload)["bytes"]))
    metrics = last["amazon-bedrock-invocationMetrics"]
    assert (metrics["firstByteLatency"], metrics["invocationLatency"]) == (250, 450)
    plain = build_response(answer, _llama_request(max_gen_len=64))
    assert plain.latency == pytest.approx(0.45)
    assert plain.headers["x-amzn-bedrock-invocation-latency"] == "450"


@pytest.mark.parametrize(("speed", "at_least", "at_most"), [(0.0, 0.0, 0.15), (1.0, 0.2, 2.0)])
def test_speed_paces_the_stream(speed: float, at_least: float, at_most: float) -> None:
    answer = Answer(["a", "b", "c"], first_chunk_delay=0.1, chunk_delay=0.05)
    with BedrockMock(speed=speed) as mock:
        mock.on(return_value=answer)
        client = _client()  # made before the clock starts: only the call's pacing is timed
        started = time.monotonic()
        result = client.invoke_model_with_response_stream(
            modelId="meta.llama3-8b-instruct-v1:0", body=json.dumps({"prompt": "hi"})
        )
        assert len(list(result["body"])) == 3
        elapsed = time.monotonic() - started
    assert at_least <= elapsed <= at_most


# --- tool use ----------------------------------------------------------------------------------


def test_claude_tool_use_round_trips_invoke_and_stream() -> None:
    model_id, make = MODELS["anthropic.claude-messages"]
    answer = Answer("Let me check.", stop_reason="tool_use", tool_calls=[TOOL])
    with BedrockMock() as mock:
        mock.on(model_id=model_id, return_value=answer)
        client = _client()
        body = json.loads(
            client.invoke_model(modelId=model_id, body=json.dumps(make(100)))["body"].read()
        )
        stream = client.invoke_model_with_response_stream(
            modelId=model_id, body=json.dumps(make(100))
        )
        chunks = [json.loads(e["chunk"]["bytes"]) for e in stream["body"]]
    use = body["content"][1]
    assert (use["type"], use["name"], use["input"]) == (
        "tool_use",
        "get_weather",
        {"city": "Paris"},
    )
    assert use["id"].startswith("toolu_bdrk_")
    partial = "".join(
        c["delta"].get("partial_json", "")
        for c in chunks
        if c["type"] == "content_block_delta" and c["index"] == 1
    )
    assert json.loads(partial) == {"city": "Paris"}
    start = next(c for c in chunks if c["type"] == "content_block_start" and c["index"] == 1)
    assert start["content_block"]["id"].startswith("toolu_bdrk_")
    named = Answer("", stop_reason="tool_use", tool_calls=[ToolCall("f", {}, id="toolu_42")])
    request = RecordedRequest("InvokeModel", model_id, json.dumps(make(100)).encode())
    assert json.loads(build_response(named, request).body)["content"][0]["id"] == "toolu_42"


@pytest.mark.parametrize("family", ["amazon.nova", "ai21.jamba", "mistral.chat"])
def test_tool_calls_in_other_families(family: str) -> None:
    model_id, make = MODELS[family]
    answer = Answer("", stop_reason="tool_use", tool_calls=[TOOL], output_tokens=8)
    response = build_response(
        answer, RecordedRequest("InvokeModel", model_id, json.dumps(make(64)).encode())
    )
    payload = json.loads(response.body)
    assert validate_response(model_id, payload) == []
    if family == "amazon.nova":
        use = payload["output"]["message"]["content"][0]["toolUse"]
        assert (use["name"], use["input"]) == ("get_weather", {"city": "Paris"})
    else:
        call = payload["choices"][0]["message"]["tool_calls"][0]
        assert call["function"]["name"] == "get_weather"
        assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}


# --- embeddings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_id", "body", "dims"),
    [
        ("amazon.titan-embed-text-v1", {"inputText": "hello"}, 1536),
        ("amazon.titan-embed-text-v2:0", {"inputText": "hello"}, 1024),
        ("amazon.titan-embed-text-v2:0", {"inputText": "hello", "dimensions": 256}, 256),
        (
            "cohere.embed-english-v3",
            {"texts": ["hello", "world"], "input_type": "search_document"},
            1024,
        ),
    ],
    ids=["titan-v1", "titan-v2", "titan-v2-256", "cohere"],
)
def test_embeddings_have_the_requested_dimension_and_are_deterministic(
    model_id: str, body: dict[str, Any], dims: int
) -> None:
    assert validate_request(model_id, body) == []
    with BedrockMock() as mock:
        mock.on(model_id=model_id)  # no outcome: an Embedding() for embedding models
        client = _client()
        first = json.loads(
            client.invoke_model(modelId=model_id, body=json.dumps(body))["body"].read()
        )
        again = json.loads(
            client.invoke_model(modelId=model_id, body=json.dumps(body))["body"].read()
        )
    assert validate_response(model_id, first) == []
    vectors = first["embeddings"] if "embeddings" in first else [first["embedding"]]
    assert {len(v) for v in vectors} == {dims}
    assert first == again
    if len(vectors) == 2:
        assert vectors[0] != vectors[1]
    if model_id.endswith("v2:0"):
        assert math.fsum(v * v for v in vectors[0]) == pytest.approx(1.0, abs=1e-5)
        assert first["inputTextTokenCount"] == 2


def test_cohere_embedding_types_and_declared_vectors() -> None:
    body = {"texts": ["hi"], "input_type": "search_query", "embedding_types": ["float", "int8"]}
    request = RecordedRequest("InvokeModel", "cohere.embed-english-v3", json.dumps(body).encode())
    payload = json.loads(build_response(Embedding(), request).body)
    assert payload["response_type"] == "embeddings_by_type"
    assert set(payload["embeddings"]) == {"float", "int8"}
    assert all(-128 <= v <= 127 for v in payload["embeddings"]["int8"][0])
    titan = RecordedRequest(
        "InvokeModel", "amazon.titan-embed-text-v2:0", b'{"inputText":"x","dimensions":256}'
    )
    with pytest.raises(
        AnswerConflictError, match=r"vector has 3 dimensions, the request asks for 256"
    ):
        build_response(Embedding(vector=[0.1, 0.2, 0.3]), titan)


def test_body_style_chooses_the_format_for_models_with_two() -> None:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 50,
        "messages": [{"role": "user", "content": "hi"}],
    }
    request = RecordedRequest("InvokeModel", "anthropic.claude-v2", json.dumps(body).encode())
    payload = json.loads(build_response(Answer("Hello", stop_reason="stop"), request).body)
    assert (payload["type"], payload["stop_reason"]) == ("message", "end_turn")
    assert validate_response("anthropic.claude-v2", payload) == []


def test_without_an_operation_an_answer_must_fit_one_the_model_supports() -> None:
    mock = BedrockMock()
    titan = mock.on(model_id="amazon.titan-text-express-v1")
    titan.return_value = Answer(stop_reason="CONTENT_FILTERED")  # InvokeModel has it
    llama = mock.on(model_id="meta.llama3-8b-instruct-v1:0")
    llama.return_value = Answer("x", stop_reason="tool_use", tool_calls=[TOOL])  # Converse has it
    with pytest.raises(UnsupportedAnswerError, match=r"'refusal' does not exist.*InvokeModel"):
        llama.return_value = Answer(stop_reason="refusal")
    request = _llama_request(max_gen_len=64)
    with pytest.raises(UnsupportedAnswerError, match=r"'tool_use' does not exist.*InvokeModel"):
        build_response(llama.return_value, request)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"maxTokens": 50}, {"maxTokens": 9}),
        ({"max_new_tokens": 50}, {"max_new_tokens": 9}),
        ({}, {"max_new_tokens": 9}),
    ],
    ids=["alias", "documented", "absent"],
)
def test_with_max_tokens_rewrites_the_field_the_request_uses(
    config: dict[str, Any], expected: dict[str, Any]
) -> None:
    from bedrock_vcr.simulation import max_tokens_setting, with_max_tokens

    body = {"messages": [{"role": "user", "content": [{"text": "x"}]}], "inferenceConfig": config}
    request = RecordedRequest("InvokeModel", "amazon.nova-lite-v1:0", json.dumps(body).encode())
    changed = with_max_tokens(request, 9)
    assert changed.json["inferenceConfig"] == expected
    assert max_tokens_setting(changed) == 9
