"""Streams written in lines (cassette version 2): one line per event, the recorded bytes back."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_vcr.cassettes import records, storage, stream_build, stream_check, stream_text
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cassettes.records import StreamEvent
from bedrock_vcr.errors import CassetteFormatError
from bedrock_vcr.wire.eventstream import MAX_PAYLOAD_LENGTH, Header, HeaderType, Message

from .samples import reload, stored, stream_lines, streamed

CHUNK_HEADERS = StreamEvent.event("chunk", {}).message.headers
event = stream_text.event_of  # the one that builds an event from its line


def written(*events: StreamEvent) -> Any:
    """The stream as the file holds it (lines, or a list of mappings)."""
    return stored(streamed(*events, op="GenericStream"))["interactions"][0]["response"]["stream"]


def frames_back(*events: StreamEvent) -> list[bytes]:
    (back,) = reload(streamed(*events, op="GenericStream"))
    assert back.response is not None and back.response.events is not None
    return [e.frame for e in back.response.events]


def with_payload(payload: bytes, headers: dict[str, Header] | None = None) -> StreamEvent:
    return StreamEvent(Message(dict(headers or CHUNK_HEADERS), payload), 0.5)


# --- which form ----------------------------------------------------------------------------------


def test_a_bedrock_stream_is_one_line_per_event_with_the_chunk_decoded_in_place() -> None:
    events = [
        StreamEvent.chunk({"generation": "Hel", "stop_reason": None}, 0.1),
        StreamEvent.event("contentBlockDelta", {"delta": {"text": "lo"}, "p": "abc"}, 0.25),
        StreamEvent.exception("modelStreamErrorException", {"message": "boom"}, 0.3),
    ]
    assert written(*events) == (
        '0.1 chunk {"bytes":{"generation":"Hel","stop_reason":null}}\n'
        '0.25 contentBlockDelta {"delta":{"text":"lo"},"p":"abc"}\n'
        '0.3 exception modelStreamErrorException {"message":"boom"}\n'
    )
    assert frames_back(*events) == [e.message.encode() for e in events]
    text = serialize.dumps([streamed(*events, op="GenericStream")])
    assert "    stream: |\n      0.1 chunk" in text  # a literal block: nothing quoted


UNUSUAL = {
    "another header": {**CHUNK_HEADERS, "x-more": Header(HeaderType.STRING, "1")},
    "headers in another order": dict(reversed(list(CHUNK_HEADERS.items()))),
    "a typed header": {**CHUNK_HEADERS, ":event-type": Header(HeaderType.BYTE_ARRAY, b"chunk")},
    "another content type": {
        **CHUNK_HEADERS,
        ":content-type": Header(HeaderType.STRING, "text/plain"),
    },
    "an event named exception": {
        **CHUNK_HEADERS,
        ":event-type": Header(HeaderType.STRING, "exception"),
    },
    "a name with a space": {**CHUNK_HEADERS, ":event-type": Header(HeaderType.STRING, "a b")},
}


@pytest.mark.parametrize("headers", list(UNUSUAL.values()), ids=list(UNUSUAL))
def test_an_event_a_line_cannot_say_keeps_the_stream_as_mappings(
    headers: dict[str, Header],
) -> None:
    events = [StreamEvent.chunk({"a": 1}, 0.1), with_payload(b'{"b":2}', headers)]
    form = written(*events)
    assert isinstance(form, list) and len(form) == 2
    assert frames_back(*events) == [e.message.encode() for e in events]


PAYLOADS = {
    "not JSON": b"plain words",
    "JSON on two lines": b'{"a":\n1}',
    "a JSON array": b"[1,2]",
    "not UTF-8": b'{"a":"\xff"}',
    "a line break of YAML's": '{"a":"x\u2028y"}'.encode(),
    "a byte order mark": '{"a":"\ufeff"}'.encode(),
    "a DEL character": b'{"a":"\x7f"}',
    "chunk bytes that are text": b'{"bytes":"' + base64.b64encode(b"words") + b'"}',
    "chunk bytes on two lines": b'{"bytes":"' + base64.b64encode(b'{"a":\n1}') + b'"}',
    "chunk bytes not canonical": b'{"bytes":"e30"}',
    "empty": b"",
}


@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
def test_a_payload_a_line_cannot_show_keeps_the_stream_as_mappings(payload: bytes) -> None:
    events = [StreamEvent.chunk({"a": 1}, 0.1), with_payload(payload)]
    assert isinstance(written(*events), list)
    assert frames_back(*events) == [e.message.encode() for e in events]


#: The edges of YAML's printable set, less its line breaks and the byte order mark (JSON text
#: escapes the C0 controls).
PRINTED = "\x20\x7e\xa0\xe9\u2027\u202a\ud7ff\ue000\ufefe\uff00\ufffd\U00010000\U0010ffff"
NOT_PRINTED = "\x7f\x85\x9f\u2028\u2029\ufeff\ufffe\uffff"


@pytest.mark.parametrize("char", PRINTED + NOT_PRINTED, ids=lambda c: f"U+{ord(c):04X}")
def test_a_payload_is_a_line_exactly_when_yaml_prints_every_character(char: str) -> None:
    event = with_payload(json.dumps({"a": char}, ensure_ascii=False).encode())
    assert isinstance(written(event), str) is (char in PRINTED)
    assert frames_back(event) == [event.message.encode()]


def test_a_corrupted_frame_keeps_the_stream_as_mappings() -> None:
    event = StreamEvent.chunk({"a": 1}, 0.1)
    broken = StreamEvent(event.message, 0.2, frame_override=event.frame[:-1] + b"\x00")
    assert isinstance(written(event, broken), list)
    assert frames_back(event, broken) == [event.frame, broken.frame]


def test_spaced_json_is_kept_verbatim_and_replays_the_same_bytes() -> None:
    inner = b'{"generation": "Hi",  "stop_reason": null}'
    payload = b'{"bytes":"' + base64.b64encode(inner) + b'", "p": "ab"}'
    event = with_payload(payload)
    assert (
        written(event)
        == '0.5 chunk {"bytes":{"generation": "Hi",  "stop_reason": null}, "p": "ab"}\n'
    )
    assert frames_back(event) == [event.message.encode()]


# --- any stream ----------------------------------------------------------------------------------

TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**60), 2**60) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
NAMES = st.sampled_from(["chunk", "messageStart", "contentBlockDelta", "metadata", "a.b-c_d:1"])
OFFSETS = st.floats(0, 1e6, allow_nan=False) | st.integers(0, 10**6)


@st.composite
def events(draw: st.DrawFn) -> StreamEvent:
    kind = draw(st.sampled_from(["chunk", "event", "exception"]))
    offset = float(draw(OFFSETS))
    if kind == "chunk":
        members = draw(st.dictionaries(st.sampled_from(["p", "q"]), TEXT, max_size=2))
        inner = json.dumps(draw(JSON | st.lists(JSON)), ensure_ascii=draw(st.booleans()))
        payload = {"bytes": base64.b64encode(inner.encode()).decode(), **members}
        return StreamEvent.event("chunk", payload, offset)
    if kind == "exception":
        return StreamEvent.exception(draw(NAMES), draw(st.dictionaries(TEXT, JSON)), offset)
    return StreamEvent.event(draw(NAMES), draw(st.dictionaries(TEXT, JSON)), offset)


@settings(max_examples=150, deadline=None)
@given(stream=st.lists(events(), min_size=1, max_size=4))
def test_any_stream_of_json_events_gives_back_its_frames(stream: list[StreamEvent]) -> None:
    (back,) = reload(streamed(*stream, op="GenericStream"))
    assert back.response is not None and back.response.events is not None
    assert [e.frame for e in back.response.events] == [e.message.encode() for e in stream]
    assert [e.offset for e in back.response.events] == [round(e.offset, 4) for e in stream]


@settings(max_examples=100, deadline=None)
@given(stream=st.lists(events(), min_size=1, max_size=4))
def test_an_event_read_from_a_line_reads_as_the_event_written(stream: list[StreamEvent]) -> None:
    (back,) = reload(streamed(*stream, op="GenericStream"))
    assert back.response is not None and back.response.events is not None
    read = back.response.events
    # its type and message type before its message is built, then its message
    assert [(e.event_type, e.message_type) for e in read] == [
        (e.event_type, e.message_type) for e in stream
    ]
    assert [e.message for e in read] == [e.message for e in stream]
    assert read == [StreamEvent(e.message, round(e.offset, 4)) for e in stream]
    read[0].message.headers[":event-type"] = Header(HeaderType.STRING, "changed")
    assert read[0].event_type == "changed"  # the built message is what it reads then


# --- reading lines a person wrote ----------------------------------------------------------------


def load_stream(tmp_path: Path, lines: str) -> list[StreamEvent]:
    """The events of a cassette whose only stream has these ``lines``."""
    doc = stored(streamed(StreamEvent.chunk({"a": 1}), op="GenericStream"))
    doc["interactions"][0]["response"]["stream"] = lines
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    (interaction,) = storage.load_file(path)
    assert interaction.response is not None and interaction.response.events is not None
    return interaction.response.events


def test_an_edited_chunk_is_encoded_again(tmp_path: Path) -> None:
    (event,) = load_stream(tmp_path, '0.2 chunk {"bytes":{"generation":"edited"},"p":"x"}\n')
    payload = json.loads(event.message.payload)
    assert base64.b64decode(payload["bytes"]) == b'{"generation":"edited"}'
    assert payload["p"] == "x" and event.offset == 0.2
    assert event.frame == event.message.encode()
    assert event.message.header(":message-type") == "event"


def test_decoded_bytes_may_be_an_array_and_lines_may_end_without_a_break(tmp_path: Path) -> None:
    first, second = load_stream(tmp_path, '0 chunk {"bytes":[1,2]}\n1e-3 metadata {"u":{}}')
    assert json.loads(first.message.payload) == {"bytes": base64.b64encode(b"[1,2]").decode()}
    assert second.offset == 0.001 and second.message.payload == b'{"u":{}}'


BAD_LINES = [
    ("chunk", "expected an offset, an event type and a payload"),
    ('0.1 chunk {"a":1', "the payload is not one JSON value"),
    ('0.1 chunk {"a":1} trailing', "the payload is not one JSON value"),
    ('0.1 chunk {"bytes":{"a":1} }x', "the payload is not one JSON value"),
    ('0.1 chunk {"bytes":{"a":}}', "the payload is not one JSON value"),
    ('-1 chunk {"a":1}', "the offset '-1' is not a number of seconds >= 0"),
    ('nan chunk {"a":1}', "the offset 'nan' is not a number of seconds >= 0"),
    ('soon chunk {"a":1}', "the offset 'soon' is not a number of seconds >= 0"),
    ('0.1 ch/unk {"a":1}', "'ch/unk' is not an event type"),
    ('0.1 exception {"a":1}', "expected an offset, an event type and a payload"),
    ('0.1 exception  {"a":1}', "'' is not an event type"),
]


@pytest.mark.parametrize(("line", "problem"), BAD_LINES, ids=[b[0] for b in BAD_LINES])
def test_a_bad_line_is_a_format_error_naming_its_line(
    tmp_path: Path, line: str, problem: str
) -> None:
    with pytest.raises(CassetteFormatError) as caught:
        load_stream(tmp_path, '0 chunk {"bytes":{"a":1}}\n' + line + '\n0.2 chunk {"b":2}\n')
    message = str(caught.value)
    assert "line 2 of the stream cannot be read: " + problem in message, message
    assert caught.value.json_path == "#/response/stream/1"
    assert caught.value.interaction == 0 and str(tmp_path / "c.yaml") in message
    assert (
        caught.value.fix is not None and "<offset> <event type> <JSON payload>" in caught.value.fix
    )


def test_a_last_line_cut_short_says_so(tmp_path: Path) -> None:
    with pytest.raises(CassetteFormatError, match=r"line 2 .*\(was the file cut short\?\)"):
        load_stream(tmp_path, '0 chunk {"a":1}\n0.1 chunk {"bytes":{"gen')


def test_a_line_too_large_for_a_frame_is_refused_when_read(tmp_path: Path) -> None:
    big = "x" * (MAX_PAYLOAD_LENGTH + 1)
    with pytest.raises(CassetteFormatError, match=r"line 1 .*cannot be encoded as a frame") as e:
        load_stream(tmp_path, f'0 chunk {{"p":"{big}"}}\n')
    assert e.value.interaction == 0  # at load, where the file and interaction are known


@settings(max_examples=60, deadline=None)
@given(stream=st.lists(events(), min_size=1, max_size=4))
def test_a_cassettes_streams_are_built_when_first_read(stream: list[StreamEvent]) -> None:
    text = serialize.dumps([streamed(*stream, op="GenericStream")])
    built: list[str] = []
    build = stream_build.from_text
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stream_build, "from_text", lambda t, w: built.append(t) or build(t, w))
        (loaded,) = serialize.loads(text)
        assert loaded.response is not None and loaded.response.is_stream
        lines = loaded.response.lines  # what the cache keeps, unbuilt (None: kept as mappings)
        assert built == []
        assert loaded.response.events == [
            StreamEvent(e.message, round(e.offset, 4)) for e in stream
        ]
        assert loaded.response.events is not None  # read again
    # built when read, once (a stream kept as mappings has no lines to build from)
    assert built == ([lines] if lines is not None else [])
    assert (lines is None) == ("stream: |" not in text)


def test_version_1_files_with_mappings_still_load() -> None:
    event = StreamEvent.chunk({"generation": "old"}, 0.1)
    doc = {"version": 1, "interactions": [serialize.interaction_to_doc(streamed(event))]}
    assert isinstance(doc["interactions"][0]["response"]["stream"], list)
    (back,) = serialize.loads(yaml.safe_dump(doc, sort_keys=False))
    assert back.response is not None and back.response.events is not None
    assert [e.frame for e in back.response.events] == [event.frame]


def test_a_written_stream_is_read_back_by_the_lines_helper() -> None:
    event = StreamEvent.chunk({"generation": "x"}, 0.1)
    assert stream_lines(written(event)) == [(0.1, "chunk", {"bytes": {"generation": "x"}})]


_OFFSETS = ["0", "0.25", "1e-3", "-1", "-0.0", "nan", "inf", "1e400", " 1", "1_0", ""]
_KINDS = ["chunk", "metadata", "exception Throttling", "exception", "ch/unk", ""]
_PAYLOADS = [
    '{"bytes":{"a":1}}',
    '{"bytes":[1,2]}',
    '{"bytes":{"a":1} }',
    '{"bytes":{"a":1},"p":"x"}',
    '{"bytes":{"a":1}}x',
    '{"a":"',
    '"}',
    "{},{}",
    '{"a":NaN}',
    " {}",
    "[1]",
    "1",
    "",
    '{"a":"\\u0000"}',
]


def _streams(offsets: list[str], kinds: list[str], payloads: list[str]) -> Any:
    """Streams of lines made of these pieces."""
    return st.lists(
        st.tuples(st.sampled_from(offsets), st.sampled_from(kinds), st.sampled_from(payloads)),
        min_size=1,
        max_size=6,
    ).map(lambda lines: "\n".join(" ".join(parts) for parts in lines) + "\n")


#: Streams of such lines (any of them may be wrong).
_TEXTS = _streams(_OFFSETS, _KINDS, _PAYLOADS)
#: Streams of good lines only (seldom drawn from all the pieces above).
_GOOD_TEXTS = _streams(
    ["0", "0.25", "1e-3", "-0.0"],
    ["chunk", "metadata", "exception Throttling"],
    ['{"bytes":{"a":1}}', '{"bytes":[1,2]}', '{"bytes":{"a":1},"p":"x"}', "[1]", "1"],
)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_a_checked_stream_fails_exactly_where_a_built_one_does(text: str) -> None:
    # the check of a cassette's lines at load (all at once, then line by line when in doubt)
    # and their build at first replay must refuse the same lines with the same error
    errors = []
    for read in (stream_check.check_text, stream_build.from_text):
        try:
            read(text, "#/s")
            errors.append(None)
        except CassetteFormatError as exc:
            errors.append(str(exc))
    assert errors[0] == errors[1]


def _line_by_line(text: str) -> list[tuple[float, bytes, Message]] | str:
    """What :func:`stream_text.event_of` builds of each line, or the first line's error."""
    try:
        events = [event(line) for line in stream_text.split_lines(text, "#/s")]
    except ValueError as exc:
        return str(exc)
    return [(e.offset, e.frame, e.message) for e in events]


@settings(max_examples=300, deadline=None)
@given(_TEXTS | _GOOD_TEXTS)
def test_a_stream_built_at_once_is_the_events_built_line_by_line(text: str) -> None:
    # the build of a whole stream's usual lines in one go gives every line's event_of, and a
    # stream with any unusual line still fails with that line's error; the frames a first
    # parse makes of good lines (a small cassette's) are those events' frames
    expected = _line_by_line(text)
    try:
        events = stream_build.from_text(text, "#/s")
    except CassetteFormatError as exc:
        assert isinstance(expected, str) and expected in str(exc)
    else:
        assert [(e.offset, e.frame, e.message) for e in events] == expected
        assert stream_build.frames_of(text) == records.pack_event_list(events)


def test_the_usual_streams_of_the_bundled_cassettes_are_built_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # every stream line of the demo cassettes takes the one-go build (a line left to event_of
    # would make a first parse pay a call per line again), and gives the same events
    texts = [
        i["response"]["stream"]
        for path in sorted(Path(__file__).parents[2].glob("cassettes/examples/*/*.bedrock.yaml"))
        for i in yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]
        if isinstance(i["response"].get("stream"), str)
    ]
    assert texts
    expected = [_line_by_line(text) for text in texts]
    calls = []
    monkeypatch.setattr(stream_text, "event_of", lambda line: calls.append(line))
    build = stream_build.from_text
    built = [[(e.offset, e.frame, e.message) for e in build(t, "#")] for t in texts]
    assert not calls
    assert built == expected
