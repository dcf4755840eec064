"""The cassette file format: readable YAML that gives back the recorded bytes exactly."""

from __future__ import annotations

import base64
import json
import os
import stat
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cassettes.cassette import Cassette, CassetteConfig, RecordMode
from bedrock_vcr.cassettes.records import (
    Interaction,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)
from bedrock_vcr.errors import CassetteFormatError, SecretInCassetteError
from bedrock_vcr.wire.eventstream import Header, HeaderType, Message

MODEL = "meta.llama3-70b-instruct-v1:0"


def request(
    body: bytes = b'{"prompt":"Hi"}', headers: dict[str, str] | None = None
) -> RecordedRequest:
    return RecordedRequest("InvokeModel", MODEL, body, headers or {"accept": "application/json"})


def plain(body: bytes, status: int = 200, **headers: str) -> Interaction:
    return Interaction(request(), RecordedResponse(status, dict(headers), body=body))


def streamed(*events: StreamEvent, op: str = "InvokeModelWithResponseStream") -> Interaction:
    """A stream answer. Frames that are not Bedrock's (no ``:message-type``) go under another
    operation name: Bedrock streams are checked for that header when a cassette loads."""
    response = RecordedResponse(200, {"x-amzn-requestid": "r-1"}, events=list(events))
    return Interaction(RecordedRequest(op, MODEL, b'{"prompt":"Hi"}'), response)


def reload(*interactions: Interaction) -> list[Interaction]:
    """Through the file format and back: dumps, then loads."""
    return serialize.loads(serialize.dumps(interactions), "memory.yaml")


def stored(*interactions: Interaction) -> dict[str, Any]:
    """The YAML document a person reads."""
    doc = yaml.safe_load(serialize.dumps(interactions))
    assert isinstance(doc, dict)
    return doc


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
    assert serialize.body_to_doc(data) == doc
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
    data = serialize.dump_json(value, style)
    (back,) = reload(plain(data))
    assert back.response is not None and back.response.body == data


# --- stream events --------------------------------------------------------------------------


CHUNK_HEADERS = StreamEvent.event("chunk", {}).message.headers


def chunk_event(payload: dict[str, Any]) -> StreamEvent:
    """A chunk frame whose payload is exactly ``payload`` (compact JSON)."""
    return StreamEvent(Message(dict(CHUNK_HEADERS), serialize.dump_json(payload)))


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

EVENT_CASES = [
    (
        "chunk_decoded",
        StreamEvent.chunk({"generation": "Hello", "stop_reason": None}, 0.05),
        {"chunk": {"json": {"generation": "Hello", "stop_reason": None}}},
    ),
    (
        "chunk_payload_extra_p_kept",
        chunk_event({"bytes": b64(b'{"outputText":"Hi"}'), "p": "abcdefghijklmnop"}),
        {"chunk": {"json": {"outputText": "Hi"}}, "payload": {"json": {"p": "abcdefghijklmnop"}}},
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
        {"payload": {"json": {"p": "x", "bytes": "e30="}}},
    ),
    (
        "bytes_not_canonical_base64_kept_as_payload",
        chunk_event({"bytes": "e30"}),
        {"payload": {"json": {"bytes": "e30"}}},
    ),
    (
        "converse_event",
        StreamEvent.event("contentBlockDelta", {"delta": {"text": "Hi"}, "contentBlockIndex": 0}),
        {"payload": {"json": {"delta": {"text": "Hi"}, "contentBlockIndex": 0}}},
    ),
    (
        "exception_frame",
        StreamEvent.exception("throttlingException", {"message": "slow down"}),
        {"payload": {"json": {"message": "slow down"}}},
    ),
    ("empty_payload", StreamEvent(Message(ALL_TYPES, b"")), {}),
]


@pytest.mark.parametrize(
    ("event", "expected"), [c[1:] for c in EVENT_CASES], ids=[c[0] for c in EVENT_CASES]
)
def test_stream_event_is_stored_decoded_and_reencodes_to_the_same_frame(
    event: StreamEvent, expected: dict[str, Any]
) -> None:
    op = "GenericStream"  # some cases are not Bedrock frames (no :message-type)
    doc = stored(streamed(event, op=op))["interactions"][0]["response"]["stream"][0]
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
    inner_bytes = serialize.dump_json(inner)
    payload = serialize.dump_json({"bytes": b64(inner_bytes), **extra})
    event = StreamEvent(Message(headers, payload))
    (back,) = reload(streamed(event, op="GenericStream"))
    assert back.response is not None and back.response.events is not None
    assert back.response.events[0].frame == event.frame


# --- bad input ------------------------------------------------------------------------------


def good_doc() -> dict[str, Any]:
    doc = stored(plain(b'{"generation":"ok"}'), streamed(StreamEvent.chunk({"g": "a"})))
    return doc


def with_change(path: tuple[Any, ...], value: Any) -> str:
    """The good cassette with the value at ``path`` replaced (``...`` deletes it)."""
    doc = good_doc()
    target: Any = doc
    for step in path[:-1]:
        target = target[step]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return yaml.safe_dump(doc, sort_keys=False)


I1 = ("interactions", 1)
RESP = (*I1, "response")
EVENT = (*RESP, "stream", 0)

BAD_INPUT = [
    ("not_a_cassette", "- just\n- a list\n", "not a cassette", None, None),
    (
        "interactions_not_list",
        with_change(("interactions",), {"a": 1}),
        "must be a list",
        None,
        "#/interactions",
    ),
    (
        "unknown_version",
        with_change(("version",), 2),
        r"unknown cassette version 2; .* version\(s\) 1",
        None,
        "#/version",
    ),
    (
        "missing_version",
        with_change(("version",), ...),
        "unknown cassette version None",
        None,
        "#/version",
    ),
    (
        "interaction_not_mapping",
        with_change(I1, "text"),
        "an interaction must be a mapping",
        1,
        None,
    ),
    (
        "missing_request",
        with_change((*I1, "request"), ...),
        "the interaction has no request",
        1,
        "#/request",
    ),
    (
        "missing_response",
        with_change(RESP, ...),
        "the interaction has no response",
        1,
        "#/response",
    ),
    (
        "missing_operation",
        with_change((*I1, "request", "operation"), ...),
        "request.operation is missing",
        1,
        "#/request/operation",
    ),
    (
        "model_id_not_string",
        with_change((*I1, "request", "model_id"), 12),
        "request.model_id is missing or not a string",
        1,
        "#/request/model_id",
    ),
    (
        "request_headers_list",
        with_change((*I1, "request", "headers"), ["a"]),
        "headers must be a mapping",
        1,
        "#/request/headers",
    ),
    (
        "request_body_list",
        with_change((*I1, "request", "body"), [1, 2]),
        "a body must be a mapping .* found list",
        1,
        "#/request/body",
    ),
    (
        "response_body_string",
        with_change(("interactions", 0, "response", "body"), "hi"),
        "a body must be a mapping .* found str",
        0,
        "#/response/body",
    ),
    (
        "body_unknown_key",
        with_change(("interactions", 0, "response", "body"), {"yaml": 1}),
        r"needs one of the keys json, text or base64; found \['yaml'\]",
        0,
        "#/response/body",
    ),
    (
        "invalid_base64",
        with_change(("interactions", 0, "response", "body"), {"base64": "@@@"}),
        "invalid base64 body",
        0,
        "#/response/body",
    ),
    (
        "unknown_json_style",
        with_change(("interactions", 0, "response", "body", "style"), "fancy"),
        "unknown JSON style 'fancy'",
        0,
        "#/response/body/style",
    ),
    (
        "yaml_only_value_in_json",
        with_change(
            ("interactions", 0, "request", "body", "json"),
            {"d": __import__("datetime").date(2024, 1, 2)},
        ),
        "cannot be written as JSON",
        0,
        "#/request/body/json",
    ),
    (
        "status_text",
        with_change((*RESP, "status"), "OK"),
        "response.status must be an HTTP status code, found 'OK'",
        1,
        "#/response/status",
    ),
    ("status_out_of_range", with_change((*RESP, "status"), 42), "found 42", 1, "#/response/status"),
    ("status_missing", with_change((*RESP, "status"), ...), "found None", 1, "#/response/status"),
    (
        "response_headers_list",
        with_change((*RESP, "headers"), [1]),
        "headers must be a mapping",
        1,
        "#/response/headers",
    ),
    (
        "latency_text",
        with_change((*RESP, "latency"), "fast"),
        "latency must be a number",
        1,
        "#/response/latency",
    ),
    (
        "stream_not_list",
        with_change((*RESP, "stream"), {"a": 1}),
        "stream must be a list",
        1,
        "#/response/stream",
    ),
    (
        "event_not_mapping",
        with_change(EVENT, "chunk"),
        "a stream event must be a mapping",
        1,
        "#/response/stream/0",
    ),
    (
        "event_offset_text",
        with_change((*EVENT, "offset"), "soon"),
        "offset must be a number",
        1,
        "#/response/stream/0/offset",
    ),
    (
        "event_headers_list",
        with_change((*EVENT, "headers"), ["x"]),
        "event headers must be a mapping",
        1,
        "#/response/stream/0/headers",
    ),
    (
        "header_unknown_type",
        with_change((*EVENT, "headers", "x"), {"type": "float", "value": 1}),
        "unknown header type 'float'",
        1,
        "#/response/stream/0/headers/x/type",
    ),
    (
        "header_bad_hex",
        with_change((*EVENT, "headers", "x"), {"type": "uuid", "value": "zz"}),
        "must be hex digits, found 'zz'",
        1,
        "#/response/stream/0/headers/x/value",
    ),
    (
        "header_not_string_or_typed",
        with_change((*EVENT, "headers", "x"), 5),
        r"a header is a string or \{type",
        1,
        "#/response/stream/0/headers/x",
    ),
    (
        "header_value_does_not_fit",
        with_change((*EVENT, "headers", "x"), {"type": "byte", "value": 999}),
        "cannot be encoded as a frame.*does not fit BYTE",
        1,
        "#/response/stream/0",
    ),
    (
        "chunk_payload_not_mapping",
        with_change((*EVENT, "payload"), "p"),
        "beside a chunk, payload holds",
        1,
        "#/response/stream/0/payload",
    ),
    (
        "chunk_payload_json_list",
        with_change((*EVENT, "payload"), {"json": [1]}),
        "beside a chunk, payload holds",
        1,
        "#/response/stream/0/payload",
    ),
]


@pytest.mark.parametrize(
    ("text", "message", "interaction", "json_path"),
    [c[1:] for c in BAD_INPUT],
    ids=[c[0] for c in BAD_INPUT],
)
def test_bad_cassette_names_file_interaction_path_and_fix(
    tmp_path: Path, text: str, message: str, interaction: int | None, json_path: str | None
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CassetteFormatError, match=message) as caught:
        serialize.load_file(path)
    error = caught.value
    assert issubclass(CassetteFormatError, ValueError)
    assert (error.path, error.interaction, error.json_path) == (path, interaction, json_path)
    rendered = str(error)
    assert f"where: {path}" in rendered
    if interaction is not None:
        assert f"interaction {interaction}" in rendered
    if json_path is not None:
        assert json_path in rendered
    assert "\n  fix: " in rendered


def test_corrupt_yaml_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.yaml"
    path.write_text("version: 1\ninteractions:\n\t- request: {}\n", encoding="utf-8")
    with pytest.raises(
        CassetteFormatError, match=r"not valid YAML at line 3, column 1: .*'\\t'"
    ) as caught:
        serialize.load_file(path)
    assert caught.value.path == path
    assert caught.value.fix is not None and "--bedrock-record-mode=once" in caught.value.fix


def test_cassette_that_is_not_utf8_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("version: 1\ninteractions: []\n# é\n".encode("latin-1"))
    with pytest.raises(CassetteFormatError, match="not UTF-8 text") as caught:
        serialize.load_file(path)
    assert caught.value.path == path


def test_unchanged_good_document_loads() -> None:
    """The bad-input table edits this document; unedited it must load."""
    assert len(serialize.loads(yaml.safe_dump(good_doc()))) == 2


# --- atomic writes --------------------------------------------------------------------------

OLD = "# the previous cassette\nversion: 1\ninteractions: []\n"


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name != "c.yaml")


@pytest.fixture
def existing(tmp_path: Path) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(OLD, encoding="utf-8")
    return path


def test_failure_while_writing_text_keeps_the_old_file(existing: Path) -> None:
    text = serialize.dumps([plain(b"{}")]) + "\ud800"  # cannot be encoded: write() fails
    with pytest.raises(UnicodeEncodeError):
        serialize.write_atomic(existing, text)
    assert existing.read_text(encoding="utf-8") == OLD
    assert leftovers(existing.parent) == []


@pytest.mark.parametrize(
    "error", [OSError("disk full"), KeyboardInterrupt()], ids=["oserror", "interrupt"]
)
def test_failure_after_the_data_is_written_keeps_the_old_file(
    existing: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    text = serialize.dumps([plain(b'{"new":true}')])
    seen: list[str] = []

    def failing_replace(src: str, dst: Path) -> None:
        seen.append(Path(src).read_text(encoding="utf-8"))  # the whole new text sits in a temp file
        raise error

    monkeypatch.setattr(serialize.os, "replace", failing_replace)
    with pytest.raises(type(error)):
        serialize.write_atomic(existing, text)
    assert seen == [text]
    assert existing.read_text(encoding="utf-8") == OLD
    assert leftovers(existing.parent) == []


def test_failure_in_dumps_during_save_keeps_the_old_file(
    existing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing.write_text(serialize.dumps([plain(b'{"old":1}')]), encoding="utf-8")
    before = existing.read_bytes()
    cassette = Cassette(existing, CassetteConfig(record_mode=RecordMode.ALL))
    new = cassette.reserve(request(b'{"prompt":"new"}'))
    cassette.complete(new, RecordedResponse(200, body=b'{"new":1}'))

    def broken_dumps(interactions: Any) -> str:
        raise RuntimeError("serializer crashed")

    monkeypatch.setattr(serialize, "dumps", broken_dumps)
    with pytest.raises(RuntimeError, match="serializer crashed"):
        cassette.save()
    assert existing.read_bytes() == before
    assert leftovers(existing.parent) == []


def test_successful_write_replaces_and_leaves_no_temp_file(existing: Path) -> None:
    text = serialize.dumps([plain(b'{"new":true}')])
    serialize.write_atomic(existing, text)
    assert existing.read_text(encoding="utf-8") == text
    assert leftovers(existing.parent) == []


def test_new_cassette_is_readable_by_others_and_an_existing_one_keeps_its_mode(
    tmp_path: Path,
) -> None:
    fresh = tmp_path / "deep" / "dir" / "c.yaml"
    serialize.write_atomic(fresh, OLD)
    assert stat.S_IMODE(fresh.stat().st_mode) == serialize.NEW_FILE_MODE
    os.chmod(fresh, 0o600)
    serialize.write_atomic(fresh, OLD + "# again\n")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600


# --- secrets --------------------------------------------------------------------------------

ACCESS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"
SESSION_KEY = "ASIA" + "Y34FZKBOKMUTVV7A"
SIGV4 = (
    f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20240101/us-east-1/bedrock/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "a" * 64
)
TOKEN = "ABSKQmVkcm9ja0FQSUtleS1example0123456789"


def folded_after_bearer(prefix: str, fold: str) -> Interaction:
    """A body whose bearer token YAML moves to the line after the word ``Bearer``."""
    for width in range(40, 140):
        interaction = plain(f"{prefix}{'w' * width} Bearer {TOKEN} {'word ' * 17}".encode())
        if f"Bearer{fold}\n" in serialize.dumps([interaction]):
            return interaction
    raise AssertionError(f"no body folds after 'Bearer{fold}'")


SECRET_CASES = [
    (
        "access_key_in_body",
        plain(f"key {ACCESS_KEY} leaked".encode()),
        "an AWS access key id",
        ACCESS_KEY,
    ),
    (
        "session_key_in_chunk",
        streamed(StreamEvent.chunk({"generation": SESSION_KEY})),
        "an AWS access key id",
        SESSION_KEY,
    ),
    (
        "sigv4_authorization",
        Interaction(request(headers={"authorization": SIGV4}), RecordedResponse(200)),
        "a SigV4 Authorization value",
        "AWS4-HMAC-SHA256",
    ),
    (
        "security_token_header",
        Interaction(
            request(headers={"x-amz-security-token": "FQoGZXIvYXdzEBc"}), RecordedResponse(200)
        ),
        "an X-Amz-Security-Token header",
        "x-amz-security-token",
    ),
    (
        "bearer_header",
        Interaction(request(headers={"authorization": f"Bearer {TOKEN}"}), RecordedResponse(200)),
        "a bearer token",
        TOKEN,
    ),
    ("bearer_in_text", plain(f"use Bearer {TOKEN} here".encode()), "a bearer token", TOKEN),
    # YAML folds long strings: the token lands on the line after the word "Bearer".
    ("bearer_folded_plain", folded_after_bearer("", ""), "a bearer token", "Bearer"),
    ("bearer_folded_quoted", folded_after_bearer("\x01", "\\"), "a bearer token", "Bearer"),
]


@pytest.mark.parametrize(
    ("interaction", "what", "on_line"),
    [c[1:] for c in SECRET_CASES],
    ids=[c[0] for c in SECRET_CASES],
)
def test_cassette_holding_a_secret_is_refused_and_nothing_is_written(
    tmp_path: Path, interaction: Interaction, what: str, on_line: str
) -> None:
    path = tmp_path / "c.yaml"
    text = serialize.dumps([interaction])
    with pytest.raises(
        SecretInCassetteError, match=rf"line (\d+) \({what}\).*nothing was written"
    ) as caught:
        serialize.write_atomic(path, text)
    line = int(caught.value.problem.split("line ")[1].split(" ")[0])
    assert on_line in text.splitlines()[line - 1]
    assert caught.value.path == path and caught.value.fix is not None
    assert list(tmp_path.iterdir()) == []


def test_secret_refusal_during_save_keeps_the_old_cassette(existing: Path) -> None:
    cassette = Cassette(existing, CassetteConfig(record_mode=RecordMode.NEW_EPISODES))
    leaked = cassette.reserve(request(b'{"prompt":"x"}', {"authorization": SIGV4}))
    cassette.complete(leaked, RecordedResponse(200, body=b"{}"))
    with pytest.raises(SecretInCassetteError, match="SigV4"):
        cassette.save()
    assert existing.read_text(encoding="utf-8") == OLD
    assert leftovers(existing.parent) == []


def test_ordinary_words_are_not_taken_for_secrets(tmp_path: Path) -> None:
    prose = b"No authorization needed; the bearer of good news. AKIA is a prefix."
    body = b'{"note":"I am the bearer","inferenceConfiguration":{"maxTokens":5}}'
    text = serialize.dumps([Interaction(request(body), RecordedResponse(200, body=prose))])
    assert "bearer\n        inferenceConfiguration:" in text  # the word, then the next key
    assert serialize.find_secrets(text) == []
    serialize.write_atomic(tmp_path / "c.yaml", text)
    assert (tmp_path / "c.yaml").read_text(encoding="utf-8") == text


def test_unchanged_file_is_parsed_once_and_changes_are_seen(tmp_path: Path) -> None:
    from bedrock_vcr.cassettes.records import Interaction, RecordedRequest, RecordedResponse

    path = tmp_path / "shared.yaml"

    def write_answer(text: str) -> None:
        interaction = Interaction(
            RecordedRequest("InvokeModel", "meta.llama3-8b-instruct-v1:0", b'{"prompt":"hi"}'),
            RecordedResponse(
                200,
                {"content-type": "application/json"},
                body=json.dumps({"generation": text}).encode(),
            ),
        )
        serialize.write_atomic(path, serialize.dumps([interaction]))

    write_answer("first")
    first = serialize.load_file(path)
    again = serialize.load_file(path)
    assert again[0] is first[0]  # served from memory, not parsed again
    again.clear()  # callers get their own list
    assert len(serialize.load_file(path)) == 1
    write_answer("second, longer")
    changed = serialize.load_file(path)
    assert json.loads(changed[0].response.body)["generation"] == "second, longer"


@pytest.mark.parametrize(
    "cut_after",
    ["    stream:\n", "      headers:\n", "    headers:\n", "        :event-type: chunk\n"],
)
def test_a_cassette_cut_short_is_refused(tmp_path: Path, cut_after: str) -> None:
    events = [StreamEvent.chunk({"generation": "hi", "stop_reason": None}, 0.1)]
    interaction = Interaction(
        RecordedRequest("InvokeModelWithResponseStream", "meta.llama3-8b-instruct-v1:0", b"{}"),
        RecordedResponse(
            200, {"content-type": "application/vnd.amazon.eventstream"}, events=events
        ),
    )
    text = serialize.dumps([interaction])
    cut = text[: text.index(cut_after, text.index("response:")) + len(cut_after)]
    if cut_after == "    headers:\n":  # the response's own headers: nothing after them
        cut = cut.rstrip("\n") + " {}\n"
    path = tmp_path / "cut.yaml"
    path.write_text(cut)
    with pytest.raises(CassetteFormatError, match="cut short") as info:
        serialize.load_file(path)
    assert info.value.interaction == 0
