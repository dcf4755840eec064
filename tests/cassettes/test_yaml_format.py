"""The cassette file format: readable YAML that gives back the recorded bytes exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bedrock_vcr.cassettes import storage
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cassettes.records import (
    Interaction,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)
from bedrock_vcr.errors import CassetteFormatError

from .samples import plain, streamed

# --- bad input ------------------------------------------------------------------------------


def good_doc() -> dict[str, Any]:
    """A good cassette, its stream's events as mappings (version 1's form, and that of events a
    line cannot show: test_stream_text.py has the lines') for the cases to change."""
    interactions = (plain(b'{"generation":"ok"}'), streamed(StreamEvent.chunk({"g": "a"})))
    return {
        "version": serialize.VERSION,
        "interactions": [serialize.interaction_to_doc(i) for i in interactions],
    }


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
        with_change(("version",), 3),
        r"unknown cassette version 3; .* version\(s\) 1, 2",
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
        storage.load_file(path)
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
        storage.load_file(path)
    assert caught.value.path == path
    assert caught.value.fix is not None and "--bedrock-record-mode=once" in caught.value.fix


def test_cassette_that_is_not_utf8_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("version: 1\ninteractions: []\n# é\n".encode("latin-1"))
    with pytest.raises(CassetteFormatError, match="not UTF-8 text") as caught:
        storage.load_file(path)
    assert caught.value.path == path


def test_unchanged_good_document_loads() -> None:
    """The bad-input table edits this document; unedited it must load."""
    assert len(serialize.loads(yaml.safe_dump(good_doc()))) == 2


CUTS = [
    ("lines", "    stream: |\n"),
    ("lines", '      0.1 chunk {"bytes":{"gen'),
    ("lines", "    headers:\n"),
    ("mappings", "    stream:\n"),
    ("mappings", "      headers:\n"),
    ("mappings", "        :event-type: chunk\n"),
]


@pytest.mark.parametrize(("form", "cut_after"), CUTS)
def test_a_cassette_cut_short_is_refused(tmp_path: Path, form: str, cut_after: str) -> None:
    events = [StreamEvent.chunk({"generation": "hi", "stop_reason": None}, 0.1)]
    interaction = Interaction(
        RecordedRequest("InvokeModelWithResponseStream", "meta.llama3-8b-instruct-v1:0", b"{}"),
        RecordedResponse(
            200, {"content-type": "application/vnd.amazon.eventstream"}, events=events
        ),
    )
    if form == "lines":
        text = serialize.dumps([interaction])
    else:  # a version 1 file: events as mappings
        doc = {"version": 1, "interactions": [serialize.interaction_to_doc(interaction)]}
        text = yaml.safe_dump(doc, sort_keys=False)
    cut = text[: text.index(cut_after, text.index("response:")) + len(cut_after)]
    if cut_after == "    headers:\n":  # the response's own headers: nothing after them
        cut = cut.rstrip("\n") + " {}\n"
    path = tmp_path / "cut.yaml"
    path.write_text(cut)
    with pytest.raises(CassetteFormatError, match="cut short") as info:
        storage.load_file(path)
    assert info.value.interaction == 0
