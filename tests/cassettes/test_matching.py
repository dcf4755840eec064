"""What makes two requests the same, and how a difference is explained."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_vcr.cassettes.matching import DEFAULT_MATCH_ON, FIELDS, MatchConfig, json_differences
from bedrock_vcr.cassettes.records import RecordedRequest
from bedrock_vcr.errors import ConfigError

TITAN = "amazon.titan-text-express-v1"
LLAMA = "meta.llama3-8b-instruct-v1:0"


def req(
    body: Any = None,
    *,
    raw: bytes | None = None,
    operation: str = "InvokeModel",
    model: str = TITAN,
    headers: dict[str, str] | None = None,
) -> RecordedRequest:
    data = raw if raw is not None else json.dumps(body).encode()
    return RecordedRequest(operation, model, data, headers or {})


TITAN_BODY = {
    "inputText": "List the action items",
    "textGenerationConfig": {"temperature": 0.5, "maxTokenCount": 512, "topP": 0.9},
}

SAME_KEY = [
    ("key_order", req(raw=b'{"a":1,"b":{"c":2,"d":3}}'), req(raw=b'{"b":{"d":3,"c":2},"a":1}')),
    ("whitespace", req(raw=b'{"a":[1,2]}'), req(raw=b'{\n  "a" : [ 1, 2 ]\n}\n')),
    ("unicode_escapes", req(raw='{"t":"é"}'.encode()), req(raw=b'{"t":"\\u00e9"}')),
    ("integral_float", req({"temperature": 1}), req({"temperature": 1.0})),
    ("same_bytes_not_json", req(raw=b"not json"), req(raw=b"not json")),
    ("both_empty", req(raw=b""), req(raw=b"")),
]

DIFFERENT_KEY = [
    ("value", req({"a": 1}), req({"a": 2})),
    ("list_order", req({"a": [1, 2]}), req({"a": [2, 1]})),
    ("bool_is_not_int", req({"a": True}), req({"a": 1})),
    ("string_is_not_number", req({"a": "1"}), req({"a": 1})),
    ("extra_key", req({"a": 1}), req({"a": 1, "b": None})),
    ("model", req({"a": 1}), req({"a": 1}, model=LLAMA)),
    ("operation", req({"a": 1}), req({"a": 1}, operation="Converse")),
    ("bytes_not_json", req(raw=b"abc"), req(raw=b"abd")),
    ("json_vs_not_json", req(raw=b'"abc"'), req(raw=b"abc")),
]


@pytest.mark.parametrize(("a", "b"), [c[1:] for c in SAME_KEY], ids=[c[0] for c in SAME_KEY])
def test_default_key_ignores_layout(a: RecordedRequest, b: RecordedRequest) -> None:
    match = MatchConfig()
    assert match.key(a) == match.key(b)
    assert match.differences(a, b) == []


@pytest.mark.parametrize(
    ("a", "b"), [c[1:] for c in DIFFERENT_KEY], ids=[c[0] for c in DIFFERENT_KEY]
)
def test_default_key_sees_real_changes(a: RecordedRequest, b: RecordedRequest) -> None:
    match = MatchConfig()
    assert match.key(a) != match.key(b)
    assert match.differences(a, b) != []


def with_config(**changes: Any) -> dict[str, Any]:
    body = json.loads(json.dumps(TITAN_BODY))
    body["textGenerationConfig"].update(changes)
    return body


IGNORE_CASES = [
    ("plain_name_nested", ("temperature",), req(with_config(temperature=0.1)), True),
    ("plain_name_top_level", ("inputText",), req({**TITAN_BODY, "inputText": "other"}), True),
    ("plain_name_other_key_still_compared", ("temperature",), req(with_config(topP=0.1)), False),
    (
        "dotted_path",
        ("textGenerationConfig.temperature",),
        req(with_config(temperature=0.1)),
        True,
    ),
    (
        "dotted_path_only_there",
        ("textGenerationConfig.temperature",),
        req({**TITAN_BODY, "temperature": 0.3}),
        False,
    ),
    (
        "plain_name_added_key",
        ("seed",),
        req({**TITAN_BODY, "seed": 42}),
        True,
    ),
    (
        "two_keys",
        ("temperature", "textGenerationConfig.topP"),
        req(with_config(temperature=0.0, topP=0.5)),
        True,
    ),
]


@pytest.mark.parametrize(
    ("ignored", "incoming", "same"),
    [c[1:] for c in IGNORE_CASES],
    ids=[c[0] for c in IGNORE_CASES],
)
def test_ignore_body_keys(ignored: tuple[str, ...], incoming: RecordedRequest, same: bool) -> None:
    match = MatchConfig.build(ignore_body_keys=ignored)
    recorded = req(TITAN_BODY)
    assert (match.key(recorded) == match.key(incoming)) is same
    assert (match.differences(recorded, incoming) == []) is same


def test_dotted_path_reaches_into_list_items() -> None:
    """List items share their list's path: ``messages.content`` ignores every message's content."""
    match = MatchConfig.build(ignore_body_keys=["messages.content"])
    a = req({"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]})
    b = req({"messages": [{"role": "user", "content": "x"}, {"role": "user", "content": "y"}]})
    c = req({"messages": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "b"}]})
    assert match.key(a) == match.key(b)
    assert match.key(a) != match.key(c)


MATCH_ON_CASES = [
    ("without_body", ("operation", "model_id"), req({"a": 2}), True),
    ("without_model", ("operation", "body"), req({"a": 1}, model=LLAMA), True),
    ("body_only", ("body",), req({"a": 1}, operation="Converse", model=LLAMA), True),
    (
        "headers_compared",
        (*DEFAULT_MATCH_ON, "headers"),
        req({"a": 1}, headers={"accept": "*/*"}),
        False,
    ),
    (
        "headers_equal",
        (*DEFAULT_MATCH_ON, "headers"),
        req({"a": 1}, headers={"accept": "a/b"}),
        True,
    ),
]


@pytest.mark.parametrize(
    ("match_on", "incoming", "same"),
    [c[1:] for c in MATCH_ON_CASES],
    ids=[c[0] for c in MATCH_ON_CASES],
)
def test_match_on_chooses_the_compared_fields(
    match_on: tuple[str, ...], incoming: RecordedRequest, same: bool
) -> None:
    match = MatchConfig.build(match_on=match_on)
    recorded = req({"a": 1}, headers={"accept": "a/b"})
    assert (match.key(recorded) == match.key(incoming)) is same
    assert (match.differences(recorded, incoming) == []) is same


def test_unknown_match_on_field_lists_the_valid_ones() -> None:
    with pytest.raises(
        ConfigError, match=r"unknown match_on field\(s\) \['prompt'\]; valid fields: "
    ) as caught:
        MatchConfig.build(match_on=["operation", "prompt"])
    assert all(name in str(caught.value) for name in FIELDS)


def test_build_defaults() -> None:
    match = MatchConfig.build()
    assert (match.match_on, match.ignore_body_keys, match.matcher) == (DEFAULT_MATCH_ON, (), None)


# --- explaining a difference ------------------------------------------------------------------

DIFF_CASES = [
    ("changed", {"t": 0.5}, {"t": 0.9}, ["body #/t: recorded 0.5, request 0.9"]),
    ("only_recorded", {"a": 1, "b": "x"}, {"a": 1}, ['body #/b: only in the recording ("x")']),
    ("only_request", {"a": 1}, {"a": 1, "c": [1]}, ["body #/c: only in the request ([1])"]),
    (
        "nested_list_item",
        {"messages": [{"role": "user", "content": "hi"}]},
        {"messages": [{"role": "user", "content": "hello"}]},
        ['body #/messages/0/content: recorded "hi", request "hello"'],
    ),
    ("list_length", {"a": [1]}, {"a": [1, 2]}, ["body #/a: recorded [1], request [1, 2]"]),
    ("type", {"a": "1"}, {"a": 1}, ['body #/a: recorded "1", request 1']),
    ("bool_vs_int", {"a": True}, {"a": 1}, ["body #/a: recorded true, request 1"]),
    ("same_number", {"a": 1}, {"a": 1.0}, []),
    (
        "pointer_escapes",
        {"a/b": 1, "c~d": 1},
        {"a/b": 2, "c~d": 2},
        [
            "body #/a~1b: recorded 1, request 2",
            "body #/c~0d: recorded 1, request 2",
        ],
    ),
    (
        "long_values_shown_around_the_first_difference",
        {"p": "x" * 100},
        {"p": "y"},
        [
            "body #/p: differs at character 0 (recorded 100 characters, request 1): "
            f'recorded "{"x" * 24}...", request "y"'
        ],
    ),
    ("whole_document", [1], {"a": 1}, ['body #: recorded [1], request {"a": 1}']),
]


@pytest.mark.parametrize(
    ("recorded", "incoming", "expected"),
    [c[1:] for c in DIFF_CASES],
    ids=[c[0] for c in DIFF_CASES],
)
def test_differences_are_json_pointers(recorded: Any, incoming: Any, expected: list[str]) -> None:
    assert MatchConfig().differences(req(recorded), req(incoming)) == expected


def test_differences_stop_at_the_limit() -> None:
    recorded = {f"k{i}": i for i in range(20)}
    incoming = {f"k{i}": -i - 1 for i in range(20)}
    assert len(json_differences(recorded, incoming, "#")) == 8
    assert len(json_differences(recorded, incoming, "#", limit=3)) == 3


def test_differences_name_operation_model_and_headers() -> None:
    match = MatchConfig.build(match_on=FIELDS)
    recorded = req({"a": 1}, headers={"accept": "application/json"})
    incoming = req(
        {"a": 1}, operation="Converse", model=LLAMA, headers={"x-amzn-bedrock-trace": "ENABLED"}
    )
    assert match.differences(recorded, incoming) == [
        "operation: recorded InvokeModel, request Converse",
        f"model_id: recorded {TITAN!r}, request {LLAMA!r}",
        "header accept: recorded 'application/json', request None",
        "header x-amzn-bedrock-trace: recorded None, request 'ENABLED'",
    ]


def test_non_json_bodies_are_compared_as_bytes() -> None:
    assert MatchConfig().differences(req(raw=b"abc"), req(raw=b"abd")) == [
        "body: differs (not JSON, compared as bytes)"
    ]


def test_ignored_keys_are_not_reported() -> None:
    match = MatchConfig.build(ignore_body_keys=["temperature"])
    incoming = req(with_config(temperature=0.0, maxTokenCount=10))
    assert match.differences(req(TITAN_BODY), incoming) == [
        "body #/textGenerationConfig/maxTokenCount: recorded 512, request 10"
    ]


# --- properties -----------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.sampled_from([0.5, 1.0, -0.0])
    | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=10,
)


def reshuffled(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: reshuffled(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reshuffled(v) for v in value]
    return value


@settings(max_examples=80, deadline=None)
@given(value=JSON_VALUES, indent=st.sampled_from([None, 1, 4]))
def test_key_order_and_layout_never_matter(value: Any, indent: int | None) -> None:
    match = MatchConfig()
    relaid = req(raw=json.dumps(reshuffled(value), indent=indent).encode())
    assert match.key(req(value)) == match.key(relaid)


@settings(max_examples=80, deadline=None)
@given(a=JSON_VALUES, b=JSON_VALUES)
def test_a_difference_is_reported_exactly_when_the_keys_differ(a: Any, b: Any) -> None:
    match = MatchConfig()
    assert (match.key(req(a)) == match.key(req(b))) == (match.differences(req(a), req(b)) == [])


NUMBERS = (
    st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False)
    | st.sampled_from([1e300, 1.5e-7, 2.0, -0.0])
)


@settings(max_examples=150, deadline=None)
@given(
    value=st.recursive(
        NUMBERS | st.text(max_size=3) | st.none(),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
        ),
        max_leaves=8,
    ),
    text=st.sampled_from(["{}", "1e5", "10.000", "[1.0, 2E2, -0.5e-1]", "", "not json", "null"]),
)
def test_the_body_key_is_the_canonical_form_of_the_compared_body(value: Any, text: str) -> None:
    """Parsed once with whole floats as ints, the key is what ``canonical_json`` makes of the
    body as matching compares it (for any numbers, in any spelling); a body that is not JSON
    is its bytes."""
    from bedrock_vcr.cassettes.matching import canonical_json

    match = MatchConfig(ignore_body_keys=("a",))
    for request in (
        req(value),
        req(raw=text.encode()),
        req(raw=json.dumps(value, indent=1).encode()),
    ):
        compared = match.body_for_matching(request)
        expected = compared if isinstance(compared, bytes) else canonical_json(compared)
        assert match.body_key(request) == expected


def test_a_body_nested_too_deep_to_parse_is_matched_as_bytes() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    match = MatchConfig()
    assert match.body_key(req(raw=deep)) == deep
    assert match.key(req(raw=deep)) == match.key(req(raw=deep))
