"""validate_* / assert_valid_* / bedrock_validation_message, with property and mutation tests.

hypothesis-jsonschema 0.23.1 fails on object schemas with the Hypothesis release in this
environment (it calls a removed private ``many.more()``), so valid instances are drawn by
``instances()`` below, a small generator for the keywords our native request schemas use. It reads
the effective schema (family root plus the model's variants) from ``schema_for``, so a change to a
schema changes what is generated.
"""

from __future__ import annotations

import copy
import json
import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bedrock_vcr.errors import (
    BedrockVCRError,
    SchemaDriftWarning,
    SchemaNotFoundError,
    SchemaValidationError,
    UnknownModelError,
    UnknownModelWarning,
)
from bedrock_vcr.validation import drift
from bedrock_vcr.validation.schemas import schema_for
from bedrock_vcr.validation.validate import (
    ERROR_TYPE,
    Violation,
    assert_valid_chunk,
    assert_valid_request,
    assert_valid_response,
    bedrock_validation_message,
    validate_chunk,
    validate_request,
    validate_response,
)

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- a small instance generator ----------------------------------------------------------------


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if key == "properties":
            props = out.setdefault("properties", {})
            for name, sub in value.items():
                props[name] = _merge(props.get(name, {}), sub)
        elif key == "maximum" and "maximum" in out:
            out["maximum"] = min(out["maximum"], value)
        elif key != "description":
            out[key] = value
    return out


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        target: Any = root
        for part in schema["$ref"][2:].split("/"):
            target = target[part]
        schema = {**{k: v for k, v in schema.items() if k != "$ref"}, **target}
    for sub in schema.get("allOf", []):
        if "if" not in sub:
            schema = _merge(schema, _resolve(sub, root))
    return schema


def _strategy(schema: dict[str, Any], root: dict[str, Any]) -> st.SearchStrategy[Any]:
    schema = _resolve(schema, root)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = kind[0]
    if kind == "string":
        return st.text(max_size=min(schema.get("maxLength", 20), 20))
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(schema.get("minimum", -(10**6)), schema.get("maximum", 10**6))
    if kind == "number":
        return st.floats(schema.get("minimum", -1e6), schema.get("maximum", 1e6), allow_nan=False)
    if kind == "array":
        items = _strategy(schema.get("items", {}), root)
        return st.lists(
            items, min_size=schema.get("minItems", 0), max_size=min(schema.get("maxItems", 3), 3)
        )
    banned = schema.get("propertyNames", {}).get("not", {}).get("const")
    props = {k: v for k, v in schema.get("properties", {}).items() if k != banned}
    required = set(schema.get("required", []))
    return st.fixed_dictionaries(
        {name: _strategy(sub, root) for name, sub in props.items() if name in required},
        optional={
            name: _strategy(sub, root) for name, sub in props.items() if name not in required
        },
    )


def instances(model_id: str, operation: str = "InvokeModel") -> st.SearchStrategy[Any]:
    schema = schema_for(model_id, "request", operation)
    strategy = _strategy(schema, schema)
    if schema["$id"].endswith("ai21.jamba.request"):  # the two cross-field rules of Jamba
        strategy = strategy.filter(
            lambda b: (
                not (b.get("temperature") == 0 and b.get("n", 1) > 1)
                and any(m["role"] != "system" for m in b["messages"])
            )
        )
    return strategy


MODELS = [
    "meta.llama3-8b-instruct-v1:0",
    "us.meta.llama3-2-11b-instruct-v1:0",
    "amazon.titan-text-lite-v1",
    "amazon.titan-text-express-v1",
    "amazon.titan-text-premier-v1:0",
    "ai21.jamba-1-5-mini-v1:0",
    "ai21.j2-ultra-v1",
    "anthropic.claude-instant-v1",
    "cohere.command-text-v14",
    "cohere.command-r-plus-v1:0",
    "mistral.mixtral-8x7b-instruct-v0:1",
    "amazon.titan-embed-text-v1",
    "amazon.titan-embed-text-v2:0",
    "cohere.embed-english-v3",
]


@pytest.mark.parametrize("model_id", MODELS, ids=MODELS)
def test_generated_valid_requests_pass(model_id: str) -> None:
    @SETTINGS
    @given(instances(model_id))
    def check(body: Any) -> None:
        assert validate_request(model_id, body) == []
        assert validate_request(model_id, json.dumps(body).encode()) == []

    check()


def test_generated_jamba_requests_pass_on_streaming() -> None:
    @SETTINGS
    @given(instances("ai21.jamba-instruct-v1:0", "InvokeModelWithResponseStream"))
    def check(body: Any) -> None:
        assert body.get("n", 1) == 1
        assert (
            validate_request(
                "ai21.jamba-instruct-v1:0", body, operation="InvokeModelWithResponseStream"
            )
            == []
        )

    check()


# --- targeted mutations: each breaks exactly one constraint --------------------------------------

TITAN = "amazon.titan-text-express-v1"
LLAMA = "meta.llama3-70b-instruct-v1:0"
JAMBA = "ai21.jamba-1-5-large-v1:0"


def _at(violation: Violation) -> tuple[str, str]:
    return violation.path, violation.keyword


def _only(violations: list[Violation]) -> Violation:
    assert len(violations) == 1, violations
    return violations[0]


@pytest.mark.parametrize(
    ("model_id", "maximum"),
    [
        ("amazon.titan-text-lite-v1", 4096),
        ("amazon.titan-text-express-v1", 8192),
        ("amazon.titan-text-premier-v1:0", 3072),
    ],
    ids=["lite", "express", "premier"],
)
def test_titan_per_model_maximum(model_id: str, maximum: int) -> None:
    @SETTINGS
    @given(instances(model_id), st.integers(1, 10_000))
    def check(body: dict[str, Any], excess: int) -> None:
        body = {
            **body,
            "textGenerationConfig": {
                **body.get("textGenerationConfig", {}),
                "maxTokenCount": maximum + excess,
            },
        }
        found = _only(validate_request(model_id, body))
        assert (found.path, found.keyword) == ("#/textGenerationConfig/maxTokenCount", "maximum")
        assert (
            validate_request(model_id, {**body, "textGenerationConfig": {"maxTokenCount": maximum}})
            == []
        )

    check()


def test_titan_lite_rejects_what_express_accepts() -> None:
    body = {"inputText": "hi", "textGenerationConfig": {"maxTokenCount": 5000}}
    assert validate_request("amazon.titan-text-express-v1", body) == []
    assert _only(validate_request("amazon.titan-text-lite-v1", body)).message == (
        "5000 is not less or equal to 4096"
    )


RANGE_CASES = [
    (LLAMA, {"prompt": "x", "temperature": 1.5}, "#/temperature", "maximum"),
    (LLAMA, {"prompt": "x", "top_p": -0.1}, "#/top_p", "minimum"),
    (LLAMA, {"prompt": "x", "max_gen_len": 2049}, "#/max_gen_len", "maximum"),
    (LLAMA, {"prompt": "x", "max_gen_len": 0}, "#/max_gen_len", "minimum"),
    (
        TITAN,
        {"inputText": "x", "textGenerationConfig": {"topP": 2}},
        "#/textGenerationConfig/topP",
        "maximum",
    ),
    (
        JAMBA,
        {"messages": [{"role": "user", "content": "x"}], "temperature": 2.5},
        "#/temperature",
        "maximum",
    ),
    (JAMBA, {"messages": [{"role": "user", "content": "x"}], "n": 17}, "#/n", "maximum"),
    (
        JAMBA,
        {"messages": [{"role": "user", "content": "x"}], "max_tokens": 4097},
        "#/max_tokens",
        "maximum",
    ),
    (
        "mistral.mixtral-8x7b-instruct-v0:1",
        {"prompt": "x", "max_tokens": 4097},
        "#/max_tokens",
        "maximum",
    ),
    (
        "anthropic.claude-3-haiku-20240307-v1:0",
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 10,
            "top_k": 501,
            "messages": [{"role": "user", "content": "x"}],
        },
        "#/top_k",
        "maximum",
    ),
    (
        "amazon.nova-lite-v1:0",
        {
            "messages": [{"role": "user", "content": [{"text": "x"}]}],
            "inferenceConfig": {"temperature": 1.1},
        },
        "#/inferenceConfig/temperature",
        "maximum",
    ),
]


@pytest.mark.parametrize(
    ("model_id", "body", "path", "keyword"),
    RANGE_CASES,
    ids=[f"{c[0]}{c[2]}-{c[3]}" for c in RANGE_CASES],
)
def test_range_violation(model_id: str, body: dict[str, Any], path: str, keyword: str) -> None:
    assert _at(_only(validate_request(model_id, body))) == (path, keyword)


ENUM_CASES = [
    (
        JAMBA,
        {"messages": [{"role": "user", "content": "x"}, {"role": "robot", "content": "y"}]},
        "#/messages/1/role",
    ),
    (
        "anthropic.claude-3-haiku-20240307-v1:0",
        {
            "anthropic_version": "2023-06-01",
            "max_tokens": 10,
            "messages": [{"role": "user", "content": "x"}],
        },
        "#/anthropic_version",
    ),
    ("amazon.titan-embed-text-v2:0", {"inputText": "x", "dimensions": 100}, "#/dimensions"),
    ("cohere.embed-english-v3", {"texts": ["x"], "input_type": "search"}, "#/input_type"),
]


@pytest.mark.parametrize(("model_id", "body", "path"), ENUM_CASES, ids=[c[2] for c in ENUM_CASES])
def test_enum_violation(model_id: str, body: dict[str, Any], path: str) -> None:
    found = _only(validate_request(model_id, body))
    assert (found.path, found.keyword) == (path, "enum")
    assert found.message.endswith("is not a valid enum value")


# An enum value an answer has and the schema lacks is drift (AWS adds values): a one-time warning
# naming the path, never a violation. These two pinned it as a violation before.
def test_titan_response_new_completion_reason_is_drift() -> None:
    body = {
        "inputTextTokenCount": 1,
        "results": [{"tokenCount": 1, "outputText": "x", "completionReason": "DONE"}],
    }
    drift.forget()
    with pytest.warns(SchemaDriftWarning, match=r"#/results/0/completionReason: DONE is not a"):
        assert validate_response(TITAN, body) == []
    bad = {**body, "results": [{**body["results"][0], "completionReason": 3}]}
    assert _at(_only(validate_response(TITAN, bad))) == ("#/results/0/completionReason", "type")


def test_llama_chunk_new_stop_reason_is_drift() -> None:
    chunk = {"generation": "x", "generation_token_count": 1, "stop_reason": "eos"}
    drift.forget()
    with pytest.warns(SchemaDriftWarning, match=r"#/stop_reason: eos"):
        assert validate_chunk(LLAMA, chunk) == []
    assert validate_chunk(LLAMA, {**chunk, "stop_reason": None}) == []


@pytest.mark.parametrize(
    ("model_id", "body", "key"),
    [
        (LLAMA, {"temperature": 0.5}, "prompt"),
        (TITAN, {"textGenerationConfig": {}}, "inputText"),
        ("cohere.embed-english-v3", {"input_type": "search_query"}, "texts"),
        (JAMBA, {"n": 1}, "messages"),
    ],
    ids=["llama-prompt", "titan-inputText", "cohere-texts", "jamba-messages"],
)
def test_required_violation(model_id: str, body: dict[str, Any], key: str) -> None:
    found = _only(validate_request(model_id, body))
    assert found == Violation("#", "required", f"required key [{key}] not found")


@pytest.mark.parametrize(
    ("model_id", "body", "path"),
    [
        (LLAMA, {"prompt": "x", "max_tokens": 5}, "#"),
        (
            TITAN,
            {"inputText": "x", "textGenerationConfig": {"maxTokens": 5}},
            "#/textGenerationConfig",
        ),
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            {
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": 1,
                "model": "claude",
                "messages": [{"role": "user", "content": "x"}],
            },
            "#",
        ),
    ],
    ids=["llama-top", "titan-nested", "claude-model-key"],
)
def test_unknown_key_violation(model_id: str, body: dict[str, Any], path: str) -> None:
    found = _only(validate_request(model_id, body))
    assert (found.path, found.keyword) == (path, "additionalProperties")
    assert "extraneous key [" in found.message


def test_llama_images_only_on_vision_models() -> None:
    body = {"prompt": "<|image|>what is this?", "images": ["aGVsbG8="]}
    assert validate_request("us.meta.llama3-2-90b-instruct-v1:0", body) == []
    found = _only(validate_request("meta.llama3-1-8b-instruct-v1:0", body))
    assert found == Violation(
        "#", "additionalProperties", "extraneous key [images] is not permitted"
    )


def test_type_violation_reads_like_bedrock() -> None:
    body = {"inputText": "x", "textGenerationConfig": {"stopSequences": "User:"}}
    found = _only(validate_request(TITAN, body))
    assert (
        str(found)
        == "#/textGenerationConfig/stopSequences: expected type: JSONArray, found: String"
    )
    assert bedrock_validation_message([found]) == (
        "Malformed input request: #/textGenerationConfig/stopSequences: expected type: JSONArray, "
        "found: String, please reformat your input and try again."
    )


# --- Jamba cross-field rules --------------------------------------------------------------------


@given(st.integers(2, 16))
@SETTINGS
def test_jamba_n_must_be_one_when_streaming(n: int) -> None:
    body = {"messages": [{"role": "user", "content": "x"}], "n": n}
    assert validate_request(JAMBA, body) == []
    found = _only(validate_request(JAMBA, body, operation="InvokeModelWithResponseStream"))
    assert (found.path, found.keyword) == ("#/n", "const")
    assert (
        validate_request(JAMBA, {**body, "n": 1}, operation="InvokeModelWithResponseStream") == []
    )


@given(st.integers(2, 16))
@SETTINGS
def test_jamba_n_above_one_with_temperature_zero(n: int) -> None:
    body = {"messages": [{"role": "user", "content": "x"}], "n": n, "temperature": 0}
    assert _at(_only(validate_request(JAMBA, body))) == ("#/n", "maximum")
    assert validate_request(JAMBA, {**body, "temperature": 0.1}) == []
    assert validate_request(JAMBA, {**body, "n": 1}) == []


def test_jamba_needs_a_user_or_assistant_message() -> None:
    body = {"messages": [{"role": "system", "content": "be brief"}]}
    assert _at(_only(validate_request(JAMBA, body))) == ("#/messages", "contains")


# --- messages, several violations ---------------------------------------------------------------


def test_several_violations_in_one_message() -> None:
    body = {
        "prompt": "x",
        "max_tokens_to_sample": 5,
        "top_p": 0.5,
        "max_tokens": 5,
        "anthropic_version": "bedrock-2023-05-31",
    }
    found = validate_request("anthropic.claude-instant-v1", body)
    assert found == [
        Violation("#", "additionalProperties", "extraneous key [max_tokens] is not permitted")
    ]
    messages_body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 5,
        "messages": [{"role": "user", "content": "x"}],
        "top_n": 1,
        "max_tokens_to_sample": 5,
    }
    found = validate_request("anthropic.claude-v2", messages_body)
    assert bedrock_validation_message(found) == (
        "Malformed input request: 2 schema violations found#: extraneous key [top_n] is not "
        "permitted#: extraneous key [max_tokens_to_sample] is not permitted, please reformat "
        "your input and try again."
    )


def test_error_type_header_value() -> None:
    assert ERROR_TYPE.split(":", 1)[0] == "ValidationException"


def test_body_that_is_not_json() -> None:
    assert _at(_only(validate_request(LLAMA, b"not json"))) == ("#", "json")


# --- Converse -----------------------------------------------------------------------------------


def test_converse_request_uses_converse_schema_for_any_model() -> None:
    body = {
        "messages": [{"role": "user", "content": [{"text": "hi"}]}],
        "inferenceConfig": {"maxTokens": 0},
    }
    for model_id in ("amazon.titan-text-lite-v1", "some.unknown-model"):
        found = _only(validate_request(model_id, body, operation="Converse"))
        assert (found.path, found.keyword) == ("#/inferenceConfig/maxTokens", "minimum")
    assert (
        validate_request(
            LLAMA, {**body, "inferenceConfig": {"maxTokens": 5}}, operation="ConverseStream"
        )
        == []
    )


def test_converse_union_takes_one_member() -> None:
    body = {"messages": [{"role": "user", "content": [{"text": "a", "image": {}}]}]}
    found = validate_request(LLAMA, body, operation="Converse")
    assert ("#/messages/0/content/0", "maxProperties") in [_at(v) for v in found]


def test_converse_stream_event_forms() -> None:
    assert (
        validate_chunk(
            LLAMA,
            {"messageStop": {"stopReason": "end_turn", "p": "abc"}},
            operation="ConverseStream",
        )
        == []
    )
    found = _only(
        validate_chunk(
            LLAMA, {"stopReason": 5}, operation="ConverseStream", event_type="messageStop"
        )
    )
    assert (found.path, found.keyword) == ("#/messageStop/stopReason", "type")


def test_converse_response_requires_usage() -> None:
    body = {
        "output": {"message": {"role": "assistant", "content": [{"text": "x"}]}},
        "stopReason": "end_turn",
        "metrics": {"latencyMs": 1},
    }
    found = _only(validate_response(LLAMA, body, operation="Converse"))
    assert found == Violation("#", "required", "required key [usage] not found")


# --- unknown models, strictness, missing schemas -------------------------------------------------


def test_unknown_model_warns_once_per_id() -> None:
    with pytest.warns(UnknownModelWarning, match="no schema for model 'acme.first-v1'"):
        assert validate_request("acme.first-v1", {"anything": 1}) == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert validate_request("acme.first-v1", {"anything": 1}) == []
        assert validate_response("acme.first-v1", {"anything": 1}) == []


def test_unknown_model_strict_raises() -> None:
    with pytest.raises(UnknownModelError, match=r"(?s)no schema is known.*fix: map it") as info:
        validate_request(
            "arn:aws:bedrock:us-east-1:123456789012:imported-model/abc123",
            {"prompt": "x"},
            strict=True,
        )
    assert isinstance(info.value, BedrockVCRError)
    assert isinstance(info.value, LookupError)


def test_override_makes_a_custom_model_validated() -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:imported-model/abc123"
    found = validate_request(arn, {"prompt": "x", "top_k": 5}, overrides={arn: "meta.llama"})
    assert found == [
        Violation("#", "additionalProperties", "extraneous key [top_k] is not permitted")
    ]


def test_embeddings_do_not_stream() -> None:
    with pytest.raises(SchemaNotFoundError, match="does not support response streaming"):
        validate_chunk("cohere.embed-english-v3", {"embeddings": []})


@pytest.mark.parametrize(
    ("operation", "kind"), [("Converse", "chunk"), ("ConverseStream", "response")]
)
def test_no_schema_for_operation_kind(operation: str, kind: str) -> None:
    with pytest.raises(SchemaNotFoundError):
        schema_for(LLAMA, kind, operation)


def test_bad_operation_name() -> None:
    with pytest.raises(ValueError, match="expected one of InvokeModel"):
        validate_request(LLAMA, {"prompt": "x"}, operation="Invoke")


# --- schema_for and assert helpers --------------------------------------------------------------


def test_schema_for_folds_in_variants() -> None:
    schema = schema_for("amazon.titan-text-premier-v1:0")
    assert {"$ref": "#/$defs/variant-premier"} in schema["allOf"]
    assert schema["$id"] == "urn:bedrock-vcr:schema:amazon.titan-text.request"
    assert schema_for("anthropic.claude-v2")["$id"].endswith("anthropic.claude-text.request")
    messages = schema_for("anthropic.claude-v2", body={"messages": []})
    assert messages["$id"].endswith("anthropic.claude-messages.request")


def test_assert_valid_request_lists_every_violation() -> None:
    body = {"inputText": 5, "textGenerationConfig": {"maxTokenCount": 9000, "topK": 3}}
    with pytest.raises(SchemaValidationError) as info:
        assert_valid_request("amazon.titan-text-lite-v1", body)
    error = info.value
    assert isinstance(error, AssertionError)
    assert len(error.violations) == 3
    text = str(error)
    assert "has 3 schema violations" in text
    assert "#/inputText [type]: expected type: String, found: Integer" in text
    assert "#/textGenerationConfig [additionalProperties]: extraneous key [topK]" in text
    assert (
        "#/textGenerationConfig/maxTokenCount [maximum]: 9000 is not less or equal to 4096" in text
    )
    assert "fix: " in text


def test_assert_helpers_pass_valid_payloads() -> None:
    assert_valid_request(LLAMA, {"prompt": "x"})
    assert_valid_response(
        LLAMA,
        {
            "generation": "x",
            "prompt_token_count": 1,
            "generation_token_count": 1,
            "stop_reason": "stop",
        },
    )
    assert_valid_chunk("anthropic.claude-3-haiku-20240307-v1:0", {"type": "message_stop"})
    with pytest.raises(SchemaValidationError, match=r"#/messageStart \[required\]"):
        assert_valid_chunk(LLAMA, {}, operation="ConverseStream", event_type="messageStart")


def test_final_chunk_invocation_metrics_are_checked() -> None:
    chunk = {
        "type": "message_stop",
        "amazon-bedrock-invocationMetrics": {
            "inputTokenCount": 1,
            "outputTokenCount": 2,
            "invocationLatency": 3,
        },
    }
    found = _only(validate_chunk("anthropic.claude-3-haiku-20240307-v1:0", chunk))
    assert found == Violation(
        "#/amazon-bedrock-invocationMetrics",
        "required",
        "required key [firstByteLatency] not found",
    )
