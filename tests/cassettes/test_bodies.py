"""Bodies and stream events in a cassette: readable, and re-encoding to the recorded bytes."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_vcr.cassettes import bodies
from bedrock_vcr.cassettes.records import (
    Interaction,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)
from bedrock_vcr.wire.eventstream import Header, HeaderType, Message

from .samples import MODEL, plain, reload, stored, streamed

# --- bodies ---------------------------------------------------------------------------------

VALUE = {"generation": "Héllo, world", "stop_reason": "stop", "n": [1, 2.5, None, True]}

BODY_CASES = [
    ("json_compact", json.dumps(VALUE, separators=(",", ":"), ensure_ascii=False), {"json": VALUE}),
    (
        "json_compact_ascii",
        json.dumps(VALUE, separators=(",", ":")),
        {"json": VALUE, "style": "compact-ascii"},
    ),
    (
        "json_spaced",
        json.dumps(VALUE, ensure_ascii=False),
        {"json": VALUE, "style": "spaced"},
    ),
    (
        "json_spaced_ascii",
        json.dumps(VALUE),
        {"json": VALUE, "style": "spaced-ascii"},
    ),
    (
        "json_pretty_2",
        json.dumps(VALUE, indent=2, ensure_ascii=False),
        {"json": VALUE, "style": "indent2"},
    ),
    (
        "json_pretty_4",
        json.dumps(VALUE, indent=4, ensure_ascii=False),
        {"json": VALUE, "style": "indent4"},
    ),
    ("json_null", "null", {"json": None}),
    ("json_not_reproducible", '{"a":1.50}', {"text": '{"a":1.50}'}),
    ("json_with_trailing_newline", '{"a":1}\n', {"text": '{"a":1}\n'}),
    ("text", "Internal Server Error", {"text": "Internal Server Error"}),
    # Unicode line breaks that YAML folds unless escaped.
    ("text_unicode_line_breaks", "a\x85b\u2028c\u2029d", {"text": "a\x85b\u2028c\u2029d"}),
    ("multiline_text", "line one\n" * 12, {"text": "line one\n" * 12}),
    ("empty", "", {"text": ""}),
]


@pytest.mark.parametrize(
    ("body", "doc"), [c[1:] for c in BODY_CASES], ids=[c[0] for c in BODY_CASES]
)
def test_response_body_is_stored_readably_and_replayed_exactly(body: str, doc: Any) -> None:
    data = body.encode("utf-8")
    assert bodies.body_to_doc(data) == doc
    assert stored(plain(data))["interactions"][0]["response"]["body"] == doc
    (back,) = reload(plain(data))
    assert back.response is not None and back.response.body == data


def test_binary_body_is_stored_as_base64() -> None:
    data = bytes(range(256))
    doc = stored(plain(data))["interactions"][0]["response"]["body"]
    assert doc == {"base64": base64.b64encode(data).decode("ascii")}
    (back,) = reload(plain(data))
    assert back.response is not None and back.response.body == data


def test_request_body_is_stored_parsed_and_matches_by_value() -> None:
    spaced = RecordedRequest("Converse", MODEL, b'{ "messages" : [ ] ,"a": 1 }')
    interaction = Interaction(spaced, RecordedResponse(200, body=b"{}"))
    assert stored(interaction)["interactions"][0]["request"]["body"] == {
        "json": {"messages": [], "a": 1}
    }
    (back,) = reload(interaction)
    assert back.request.json == {"messages": [], "a": 1}


@pytest.mark.parametrize(
    ("body", "doc"),
    [(b"not json", {"text": "not json"}), (b"\xff\xfe", {"base64": "//4="})],
    ids=["text", "binary"],
)
def test_non_json_request_body_keeps_its_bytes(body: bytes, doc: dict[str, str]) -> None:
    interaction = Interaction(RecordedRequest("InvokeModel", MODEL, body), RecordedResponse(200))
    assert stored(interaction)["interactions"][0]["request"]["body"] == doc
    (back,) = reload(interaction)
    assert back.request.body == body


def test_request_and_response_fields_survive() -> None:
    interaction = Interaction(
        RecordedRequest(
            "InvokeModel",
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-2-1b-instruct-v1:0",
            b"{}",
            {"accept": "application/json", "x-amzn-bedrock-trace": "ENABLED"},
            path="/model/x/invoke",
        ),
        RecordedResponse(
            429,
            {"x-amzn-errortype": "ThrottlingException:http://internal.amazon.com/"},
            body=b'{"message":"Too many requests"}',
            latency=0.123456,
        ),
        recorded_at="2024-05-01T10:00:00+00:00",
    )
    (back,) = reload(interaction)
    assert back.request == interaction.request
    assert back.recorded_at == interaction.recorded_at
    assert back.response is not None
    assert (back.response.status, back.response.headers, back.response.body) == (
        429,
        {"x-amzn-errortype": "ThrottlingException:http://internal.amazon.com/"},
        b'{"message":"Too many requests"}',
    )
    assert back.response.latency == 0.1235


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(text=st.text())
def test_any_text_body_survives_the_file(text: str) -> None:
    data = text.encode("utf-8")
    (back,) = reload(plain(data))
    assert back.response is not None and back.response.body == data


@settings(max_examples=60, deadline=None)
@given(value=JSON_VALUES, style=st.sampled_from(["compact", "spaced-ascii", "indent2"]))
def test_any_json_body_survives_the_file(value: Any, style: str) -> None:
    data = bodies.dump_json(value, style)
    (back,) = reload(plain(data))
    assert back.response is not None and back.response.body == data


# --- stream events --------------------------------------------------------------------------


CHUNK_HEADERS = StreamEvent.event("chunk", {}).message.headers


def chunk_event(payload: dict[str, Any]) -> StreamEvent:
    """A chunk frame whose payload is exactly ``payload`` (compact JSON)."""
    return StreamEvent(Message(dict(CHUNK_HEADERS), bodies.dump_json(payload)))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


ALL_TYPES = {
    ":event-type": Header(HeaderType.STRING, "chunk"),
    "t": Header(HeaderType.BOOL_TRUE, True),
    "f": Header(HeaderType.BOOL_FALSE, False),
    "b": Header(HeaderType.BYTE, -3),
    "s": Header(HeaderType.SHORT, 300),
    "i": Header(HeaderType.INTEGER, 7),
    "l": Header(HeaderType.LONG, 2**40),
    "ba": Header(HeaderType.BYTE_ARRAY, b"\x00\x01\xff"),
    "ts": Header(HeaderType.TIMESTAMP, 1_700_000_000_000),
    "id": Header(HeaderType.UUID, uuid.UUID(int=1).bytes),
}

# Each case: the event, then the line that writes it, or (an event a line cannot show) the
# chunk and payload of the mapping that does.
EVENT_CASES: list[tuple[str, StreamEvent, str | dict[str, Any]]] = [
    (
        "chunk_decoded",
        StreamEvent.chunk({"generation": "Hello", "stop_reason": None}, 0.05),
        '0.05 chunk {"bytes":{"generation":"Hello","stop_reason":null}}',
    ),
    (
        "chunk_payload_extra_p_kept",
        chunk_event({"bytes": b64(b'{"outputText":"Hi"}'), "p": "abcdefghijklmnop"}),
        '0.0 chunk {"bytes":{"outputText":"Hi"},"p":"abcdefghijklmnop"}',
    ),
    (
        "chunk_inner_pretty",
        chunk_event({"bytes": b64(json.dumps({"a": 1}, indent=2).encode())}),
        {"chunk": {"json": {"a": 1}, "style": "indent2"}},
    ),
    (
        "chunk_inner_text",
        chunk_event({"bytes": b64(b"plain words")}),
        {"chunk": {"text": "plain words"}},
    ),
    (
        "chunk_inner_binary",
        chunk_event({"bytes": b64(b"\xff\x00")}),
        {"chunk": {"base64": "/wA="}},
    ),
    (
        "bytes_not_first_member_kept_as_payload",
        chunk_event({"p": "x", "bytes": b64(b"{}")}),
        '0.0 chunk {"p":"x","bytes":"e30="}',
    ),
    (
        "bytes_not_canonical_base64_kept_as_payload",
        chunk_event({"bytes": "e30"}),
        {"payload": {"json": {"bytes": "e30"}}},
    ),
    (
        "converse_event",
        StreamEvent.event("contentBlockDelta", {"delta": {"text": "Hi"}, "contentBlockIndex": 0}),
        '0.0 contentBlockDelta {"delta":{"text":"Hi"},"contentBlockIndex":0}',
    ),
    (
        "exception_frame",
        StreamEvent.exception("throttlingException", {"message": "slow down"}),
        '0.0 exception throttlingException {"message":"slow down"}',
    ),
    ("empty_payload", StreamEvent(Message(ALL_TYPES, b"")), {}),
]


@pytest.mark.parametrize(
    ("event", "expected"), [c[1:] for c in EVENT_CASES], ids=[c[0] for c in EVENT_CASES]
)
def test_stream_event_is_stored_decoded_and_reencodes_to_the_same_frame(
    event: StreamEvent, expected: str | dict[str, Any]
) -> None:
    op = "GenericStream"  # some cases are not Bedrock frames (no :message-type)
    written = stored(streamed(event, op=op))["interactions"][0]["response"]["stream"]
    if isinstance(expected, str):
        assert written == expected + "\n"
    else:
        (doc,) = written
        assert {k: v for k, v in doc.items() if k in ("chunk", "payload")} == expected
    (back,) = reload(streamed(event, op=op))
    assert back.response is not None and back.response.events is not None
    assert back.response.events[0].frame == event.message.encode()
    assert back.response.events[0].message == event.message


def test_headers_of_every_type_are_stored_with_their_type() -> None:
    event = StreamEvent(Message(ALL_TYPES, b"{}"), 0.25)
    doc = stored(streamed(event, op="GenericStream"))["interactions"][0]["response"]["stream"][0]
    assert doc["offset"] == 0.25
    assert doc["headers"] == {
        ":event-type": "chunk",
        "t": {"type": "bool_true", "value": True},
        "f": {"type": "bool_false", "value": False},
        "b": {"type": "byte", "value": -3},
        "s": {"type": "short", "value": 300},
        "i": {"type": "integer", "value": 7},
        "l": {"type": "long", "value": 2**40},
        "ba": {"type": "byte_array", "value": "0001ff"},
        "ts": {"type": "timestamp", "value": 1_700_000_000_000},
        "id": {"type": "uuid", "value": "00000000000000000000000000000001"},
    }
    (back,) = reload(streamed(event, op="GenericStream"))
    assert back.response is not None and back.response.events is not None
    assert back.response.events[0].message.headers == ALL_TYPES


def test_stream_keeps_order_offsets_end_and_corrupt_frames() -> None:
    corrupt = StreamEvent.chunk({"generation": "x"}, 0.3)
    broken = bytearray(corrupt.message.encode())
    broken[-1] ^= 0xFF
    corrupt.frame_override = bytes(broken)
    events = [StreamEvent.chunk({"generation": str(i)}, 0.1 * i) for i in range(3)] + [corrupt]
    interaction = streamed(*events)
    assert interaction.response is not None
    interaction.response.stream_end = "dropped"
    (back,) = reload(interaction)
    assert back.response is not None and back.response.events is not None
    assert [e.frame for e in back.response.events] == [e.frame for e in events]
    assert [e.offset for e in back.response.events] == [0.0, 0.1, 0.2, 0.3]
    assert back.response.stream_end == "dropped"


HEADER_DOCS = st.one_of(
    st.text(max_size=20).map(lambda v: Header(HeaderType.STRING, v)),
    st.integers(-(2**63), 2**63 - 1).map(lambda v: Header(HeaderType.LONG, v)),
    st.binary(max_size=8).map(lambda v: Header(HeaderType.BYTE_ARRAY, v)),
    st.booleans().map(lambda v: Header(HeaderType.BOOL_TRUE if v else HeaderType.BOOL_FALSE, v)),
)


@settings(max_examples=50, deadline=None)
@given(
    headers=st.dictionaries(st.text(min_size=1, max_size=10), HEADER_DOCS, max_size=5),
    inner=JSON_VALUES,
    extra=st.dictionaries(st.text().filter(lambda k: k != "bytes"), JSON_VALUES, max_size=2),
)
def test_any_chunk_event_reencodes_to_the_same_frame(
    headers: dict[str, Header], inner: Any, extra: dict[str, Any]
) -> None:
    inner_bytes = bodies.dump_json(inner)
    payload = bodies.dump_json({"bytes": b64(inner_bytes), **extra})
    event = StreamEvent(Message(headers, payload))
    (back,) = reload(streamed(event, op="GenericStream"))
    assert back.response is not None and back.response.events is not None
    assert back.response.events[0].frame == event.frame
