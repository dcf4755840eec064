"""What a damaged bedrock-vcr cassette is told with (issue 10.7): a YAML error at the place the
problem starts, and a misspelled key rejected with a did-you-mean and the valid keys."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bedrock_vcr.cassettes import safe_yaml, storage, yaml_format
from bedrock_vcr.cassettes.records import Interaction, RecordedRequest, RecordedResponse
from bedrock_vcr.errors import CassetteFormatError

from .vcrpy_samples import CHUNKS


def _cassette_text(*, events_as_mappings: bool = False) -> str:
    """A cassette of a plain answer and a stream; the stream's events as mappings (the form of
    version 1 files, and of events a line cannot show) when asked, else in lines."""
    plain = Interaction(
        RecordedRequest("InvokeModel", "meta.llama3-8b-instruct-v1:0", b'{"prompt":"hi"}'),
        RecordedResponse(200, {"content-type": "application/json"}, body=b'{"generation":"yo"}'),
    )
    stream = Interaction(
        RecordedRequest("InvokeModelWithResponseStream", "meta.llama3-8b-instruct-v1:0", b"{}"),
        RecordedResponse(200, {"content-type": "application/vnd.amazon.eventstream"}),
        recorded_at="2026-11-30T12:00:00+00:00",
    )
    assert stream.response is not None
    stream.response.events = list(CHUNKS)
    stream.response.latency = 0.5
    if not events_as_mappings:
        return yaml_format.dumps([plain, stream])
    doc = {
        "version": 2,
        "interactions": [yaml_format.interaction_to_doc(i) for i in (plain, stream)],
    }
    return yaml.safe_dump(doc, sort_keys=False)


def test_an_unclosed_quote_is_reported_where_the_quote_opens(tmp_path: Path) -> None:
    lines = _cassette_text().splitlines()
    # the last line: no quote follows that could close it (stream lines hold JSON's quotes)
    number = max(i for i, line in enumerate(lines) if "recorded_at" in line)
    column = lines[number].index("recorded_at") + 1
    lines[number] = lines[number][: column - 1] + '"unclosed: hi'
    path = tmp_path / "c.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CassetteFormatError) as caught:
        storage.load_file(path)
    message = str(caught.value)
    assert f"at line {number + 1}, column {column}:" in message, message
    assert "quoted scalar" in message and f"line {len(lines) + 1}" in message  # the end too


def test_an_unclosed_bracket_is_reported_where_it_opens(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("version: 1\ninteractions: [{request: {operation: InvokeModel}\n\n\n")
    with pytest.raises(
        CassetteFormatError,
        match=r"not valid YAML at line 2, column 16: while parsing a flow mapping",
    ):
        storage.load_file(path)


def test_a_broken_file_nested_deep_is_told_with_libyamls_message_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # found by the loader fuzz test: libyaml stops at a bad escape on line 2, and PyYAML's
    # pure-Python parser, asked for a fuller message, accepts that escape and then spends
    # time quadratic in the depth of the flow nesting further on (minutes for this file)
    path = tmp_path / "c.yaml"
    path.write_text('interactions:\n- body: {"\\udae1": 0}\n- request: ' + "[" * 200_000 + "\n")
    explained: list[str] = []

    def init(self: Any, stream: Any) -> None:  # the second reading, stopped where it starts
        explained.append("read again")
        raise ValueError("not read again")

    monkeypatch.setattr(safe_yaml.ExplainingLoader, "__init__", init)
    with pytest.raises(
        CassetteFormatError, match=r"not valid YAML at line 2, column 13: found invalid Unicode"
    ):
        storage.load_file(path)
    assert explained == []


KEYS = [
    ("response", "latency", "latncy", "status, headers, latency, body, stream, stream_end"),
    ("response", "stream", "streem", "status, headers, latency, body, stream, stream_end"),
    ("request", "model_id", "modle_id", "operation, model_id, path, method, headers, body"),
    ("interaction", "recorded_at", "recorded_a", "request, response, recorded_at"),
    ("stream event", "offset", "ofset", "offset, headers, chunk, payload, frame"),
]


@pytest.mark.parametrize(("part", "key", "typo", "valid"), KEYS, ids=[k[2] for k in KEYS])
def test_a_misspelled_key_is_refused_with_a_did_you_mean(
    tmp_path: Path, part: str, key: str, typo: str, valid: str
) -> None:
    text = _cassette_text(events_as_mappings=part == "stream event")
    found = list(re.finditer(rf"(?m)^(\s*-?\s*){key}:", text))
    assert found, key
    place = found[-1]  # in the second interaction
    text = text[: place.start()] + place.group(1) + typo + ":" + text[place.end() :]
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(CassetteFormatError) as caught:
        storage.load_file(path)
    message = str(caught.value)
    assert f"unknown key {typo!r} in the {part} (did you mean {key!r}?)" in message, message
    assert f"valid keys: {valid}" in message
    assert str(path) in message and "interaction 1" in message
    assert caught.value.interaction == 1 and caught.value.json_path is not None
    assert caught.value.json_path.endswith(f"/{typo}")


def test_a_misspelled_key_beside_a_body_is_refused(tmp_path: Path) -> None:
    text = _cassette_text().replace(
        "        generation: yo\n", "        generation: yo\n      styel: x\n"
    )
    assert "styel" in text
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(CassetteFormatError) as caught:
        storage.load_file(path)
    assert "unknown key 'styel' in the body (did you mean 'style'?)" in str(caught.value)
    assert caught.value.interaction == 0 and caught.value.json_path == "#/response/body/styel"
