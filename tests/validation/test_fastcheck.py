"""The fast checker agrees with jsonschema on every verdict it gives."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from bedrock_vcr.validation import schemas as validation
from bedrock_vcr.validation.fastcheck import compile_schema

EDGE_CASES = [
    ({"type": "integer"}, 1.0, True),
    ({"type": "integer"}, 1.5, False),
    ({"type": "integer"}, True, False),
    ({"type": "number"}, False, False),
    ({"type": ["string", "null"]}, None, True),
    ({"enum": [1, "a"]}, 1.0, True),
    ({"enum": [1]}, True, False),
    ({"const": False}, 0, False),
    ({"const": {"a": [1]}}, {"a": [1.0]}, True),
    ({"minimum": 0, "maximum": 1}, 1.0, True),
    ({"minimum": 0, "maximum": 1}, 1.01, False),
    ({"minimum": 0}, "not a number", True),
    ({"exclusiveMaximum": 2}, 2, False),
    ({"maxLength": 2}, "\u00e9\u00e9", True),
    ({"pattern": "^[a-z]+$"}, "abc", True),
    ({"pattern": "b"}, "abc", True),
    ({"pattern": "^b"}, "abc", False),
    ({"properties": {"a": {"type": "string"}}, "additionalProperties": False}, {"a": "x"}, True),
    ({"properties": {"a": {"type": "string"}}, "additionalProperties": False}, {"b": 1}, False),
    (
        {"patternProperties": {"^x-": {"type": "integer"}}, "additionalProperties": False},
        {"x-a": 1},
        True,
    ),
    ({"patternProperties": {"^x-": {"type": "integer"}}}, {"x-a": "no"}, False),
    ({"required": ["a"]}, {"b": 1}, False),
    ({"required": ["a"]}, [1], True),
    ({"minProperties": 1}, {}, False),
    ({"maxProperties": 1}, {"a": 1, "b": 2}, False),
    ({"propertyNames": {"not": {"const": "top_p"}}}, {"top_p": 1}, False),
    ({"items": {"type": "string"}, "minItems": 1}, [], False),
    ({"items": {"type": "string"}, "maxItems": 1}, ["a", "b"], False),
    ({"contains": {"const": 3}}, [1, 2, 3], True),
    ({"contains": {"const": 3}}, [1, 2], False),
    ({"if": {"properties": {"n": {"minimum": 2}}}, "then": {"required": ["t"]}}, {"n": 3}, False),
    ({"if": {"properties": {"n": {"minimum": 2}}}, "then": {"required": ["t"]}}, {"n": 1}, True),
    ({"allOf": [{"type": "object"}, {"required": ["a"]}]}, {"a": 1}, True),
    ({"$defs": {"s": {"type": "string"}}, "items": {"$ref": "#/$defs/s"}}, ["a", 1], False),
    (
        {"$defs": {"n": {"type": "array", "items": {"$ref": "#/$defs/n"}}}, "$ref": "#/$defs/n"},
        [[[]], []],
        True,
    ),
    (
        {"$defs": {"n": {"type": "array", "items": {"$ref": "#/$defs/n"}}}, "$ref": "#/$defs/n"},
        [[[1]]],
        False,
    ),
]


@pytest.mark.parametrize(("schema", "instance", "expected"), EDGE_CASES, ids=range(len(EDGE_CASES)))
def test_keyword_semantics_match_draft_2020_12(schema: Any, instance: Any, expected: bool) -> None:
    check = compile_schema(schema)
    assert check is not None
    assert Draft202012Validator(schema).is_valid(instance) is expected
    assert check(instance) is expected


def test_unsupported_keywords_get_no_fast_checker() -> None:
    assert compile_schema({"oneOf": [{"type": "string"}]}) is None
    assert compile_schema({"$ref": "https://example.invalid/other.json"}) is None
    assert compile_schema({"properties": {"a": {"format": "date"}}}) is None


def test_every_shipped_schema_compiles() -> None:
    for name in validation.available_schemas():
        assert compile_schema(validation._effective(name, ())) is not None, name


# Valid bodies to mutate: one per family the replay path sees most.
SAMPLES = [
    (
        "meta.llama3-70b-instruct-v1:0",
        "InvokeModel",
        {"prompt": "hi", "max_gen_len": 64, "temperature": 0.5, "top_p": 0.9},
    ),
    (
        "amazon.titan-text-express-v1",
        "InvokeModel",
        {
            "inputText": "hi",
            "textGenerationConfig": {
                "maxTokenCount": 100,
                "temperature": 0.7,
                "topP": 0.9,
                "stopSequences": ["User:"],
            },
        },
    ),
    (
        "ai21.jamba-instruct-v1:0",
        "InvokeModelWithResponseStream",
        {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 10, "n": 1},
    ),
    (
        "anthropic.claude-3-haiku-20240307-v1:0",
        "InvokeModel",
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 100,
            "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        },
    ),
    (
        "us.amazon.nova-lite-v1:0",
        "Converse",
        {
            "messages": [{"role": "user", "content": [{"text": "hi"}]}],
            "inferenceConfig": {"maxTokens": 10},
        },
    ),
    ("cohere.embed-english-v3", "InvokeModel", {"texts": ["a"], "input_type": "search_query"}),
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5000)
    | st.floats(-2, 3, allow_nan=False)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*here, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _paths(item, (*here, i))
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sample=st.sampled_from(SAMPLES),
    choice=st.integers(0, 10_000),
    action=st.sampled_from(["replace", "delete", "add"]),
    value=json_values,
)
def test_verdicts_agree_on_mutated_payloads(
    sample: tuple[str, str, dict[str, Any]], choice: int, action: str, value: Any
) -> None:
    model_id, operation, body = sample
    mutated = copy.deepcopy(body)
    paths = _paths(mutated)
    path = paths[choice % len(paths)]
    if path:
        parent = mutated
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        if action == "replace":
            parent[last] = value
        elif action == "delete":
            del parent[last]
        elif isinstance(parent, dict):
            parent[f"{last}_extra"] = value
        else:
            parent.append(value)
    else:
        mutated = value if action == "replace" else mutated
    selected = validation.select_schema(model_id, "request", operation, mutated, None, False)
    assert selected is not None
    fast = validation.fast_validator(*selected)
    assert fast is not None
    assert fast(mutated) == validation.jsonschema_validator(*selected).is_valid(mutated)
