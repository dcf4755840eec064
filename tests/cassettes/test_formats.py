"""Other recorders' files are read directly: replay, import, validate and serve, every error
naming the format seen (issue 9.3). The sample files are in ``formats/`` (see its README)."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bedrock_vcr.cassettes import storage
from bedrock_vcr.cassettes.cassette import Cassette, CassetteConfig
from bedrock_vcr.cassettes.formats import sniff
from bedrock_vcr.cassettes.records import RecordedRequest
from bedrock_vcr.cassettes.vcrpy import file_is_vcrpy
from bedrock_vcr.cli.main import main
from bedrock_vcr.errors import CassetteFormatError, ConfigError
from bedrock_vcr.server.sources import CassetteSource

from ..intercept.test_real_cassettes_replay import reference_outcome, replayed_outcome
from . import format_samples as samples

pytestmark = pytest.mark.usefixtures("aws_env")

CASES = [
    pytest.param(name, index, id=f"{name}#{index}")
    for name, (_, expected) in samples.FILES.items()
    for index in range(len(expected))
]
FORMAT_OF = {
    "pydantic_ai_parsed_body.yaml": "vcrpy YAML with parsed_body (pydantic-ai)",
    "langchain_aws.yaml.gz": "gzip-compressed vcrpy requests/responses lists (langchain-aws)",
    "nock_otel_js_contrib.json": "nock JSON",
    "vcrpy_serializer_json.json": "vcrpy JSON",
    "bedrock_vcr_own.yaml.gz": "gzip-compressed bedrock-vcr YAML",
}


def test_the_sample_files_are_what_the_samples_module_writes(tmp_path: Path) -> None:
    samples.write_all(tmp_path)
    for name in samples.FILES:
        assert (tmp_path / name).read_bytes() == (samples.FOLDER / name).read_bytes(), name


@pytest.mark.parametrize(("name", "index"), CASES)
def test_direct_replay_equals_botocores_parse_of_what_the_file_holds(name: str, index: int) -> None:
    expected = samples.FILES[name][1]
    recorded = expected[index]
    replayed = replayed_outcome(samples.FOLDER / name, recorded, expected[:index])
    assert replayed == reference_outcome(recorded)


def test_no_replayed_answer_is_empty_where_the_file_has_a_body() -> None:
    for name, (_, expected) in samples.FILES.items():
        loaded = storage.load_file(samples.FOLDER / name)
        assert len(loaded) == len(expected), name
        assert _answers(loaded) == [r.response_body for r in expected], name


def test_a_redacted_content_type_still_gives_a_stream_from_the_operation() -> None:
    loaded = storage.load_file(samples.FOLDER / "langchain_aws.yaml.gz")
    kinds = [(i.request.operation, i.response.is_stream) for i in loaded if i.response]
    assert kinds == [
        ("ConverseStream", True),
        ("InvokeModel", False),
        ("InvokeModelWithResponseStream", True),
    ]
    # the placeholders are dropped, not replayed (x-amzn-errortype: **REDACTED** would be a code)
    assert all(not i.response.headers for i in loaded if i.response)


# --- errors name the format -----------------------------------------------------------------


def _edit_json(name: str, change: Callable[[Any], None]) -> bytes:
    value = json.loads((samples.FOLDER / name).read_text())
    change(value)
    return json.dumps(value).encode()


def _edit_langchain(change: Callable[[Any], None]) -> bytes:
    value = yaml.safe_load(gzip.decompress((samples.FOLDER / "langchain_aws.yaml.gz").read_bytes()))
    change(value)
    return gzip.compress(yaml.safe_dump(value).encode())


def _edit_pydantic(change: Callable[[Any], None]) -> bytes:
    value = yaml.safe_load((samples.FOLDER / "pydantic_ai_parsed_body.yaml").read_text())
    change(value)
    return yaml.safe_dump(value).encode()


def _move_body(value: Any, key: str, body: Any) -> None:
    response = value["interactions"][0]["response"]
    del response["parsed_body"]
    response[key] = body


BROKEN = [
    pytest.param(
        "n.json",
        lambda: _edit_json("nock_otel_js_contrib.json", lambda v: v[1].pop("path")),
        r"path is missing or not text\n  where: .*n\.json, read as nock JSON, interaction 1, "
        "#/path",
        id="nock-no-path",
    ),
    pytest.param(
        "n.json",
        lambda: _edit_json("nock_otel_js_contrib.json", lambda v: v[1].update(response="zz")),
        r"hex digits.*read as nock JSON, interaction 1, #/response",
        id="nock-bad-hex",
    ),
    pytest.param(
        "n.json",
        lambda: _edit_json(
            "nock_otel_js_contrib.json", lambda v: v[1].update(response=v[1]["response"][:-8])
        ),
        r"event-stream body cannot be decoded.*read as nock JSON, interaction 1",
        id="nock-cut-stream",
    ),
    pytest.param(
        "l.yaml.gz",
        lambda: _edit_langchain(lambda v: v["responses"].pop()),
        r"3 request\(s\) but 2 response\(s\).*read as gzip-compressed vcrpy requests/responses",
        id="langchain-unpaired",
    ),
    pytest.param(
        "p.yaml",
        lambda: _edit_pydantic(lambda v: _move_body(v, "body", {"parsed": {"a": 1}})),
        r"no 'string' member \(it has parsed\).*read as vcrpy YAML with parsed_body.*interaction 0",
        id="pydantic-unknown-body",
    ),
    pytest.param(
        "v.yaml",
        lambda: _edit_pydantic(lambda v: _move_body(v, "answer", {"a": 1})),
        r"no body but has answer.*interaction 0, #/response",
        id="vcrpy-body-elsewhere",
    ),
    pytest.param(
        "j.json",
        lambda: b'{"interactions": [{"request": {"uri": "x"}}], ',
        r"not valid JSON at line 1, column 47: Expecting property name.*read as JSON",
        id="broken-json",
    ),
    pytest.param(
        "deep.json",
        lambda: b"[" * 100_000 + b"]" * 100_000,
        r"not valid JSON: it is nested too deeply.*read as JSON",
        id="json-nested-too-deeply",
    ),
    pytest.param(
        "digits.json",
        lambda: b'[{"scope": "s", "path": "/", "status": 2' + b"0" * 10_000 + b"}]",
        r"not valid JSON: .*digits.*read as JSON",
        id="json-number-of-too-many-digits",
    ),
    pytest.param(
        "o.json",
        lambda: b'[{"name": "not nock"}]',
        r"not a cassette in any format .*a JSON list whose first item is not a nock recording",
        id="json-list-of-something-else",
    ),
    pytest.param(
        "g.yaml.gz",
        lambda: gzip.compress(b"version: 1\ninteractions: []\n")[:-6],
        r"gzip-compressed cassette cannot be decompressed.*cut short.*read as gzip",
        id="gzip-cut-short",
    ),
    pytest.param(
        "y.yaml.gz",
        lambda: gzip.compress(b"version: 1\ninteractions: [\n"),
        r"not valid YAML at line 3, column 1.*read as gzip-compressed YAML",
        id="gzip-broken-yaml",
    ),
    pytest.param(
        "b.yaml",
        lambda: b"\x89PNG\r\n\x1a\n\x00\x00",
        r"not UTF-8 text.*bytes 89 50 4e 47, not a format bedrock-vcr reads",
        id="binary",
    ),
]


@pytest.mark.parametrize(("file_name", "content", "expected"), BROKEN)
def test_every_error_names_the_format_seen(
    tmp_path: Path, file_name: str, content: Callable[[], bytes], expected: str
) -> None:
    path = tmp_path / file_name
    path.write_bytes(content())
    with pytest.raises(CassetteFormatError, match=f"(?s){expected}"):
        storage.load_file(path)


def test_a_gzip_bomb_is_refused_at_the_cap(tmp_path: Path) -> None:
    bomb = gzip.compress(b"#" * (8 * 1024 * 1024))
    assert len(bomb) < 64 * 1024
    with pytest.raises(CassetteFormatError, match="decompresses to more than 1 MiB") as caught:
        sniff.gunzip(bomb, tmp_path / "b.yaml.gz", limit=1024 * 1024)
    assert caught.value.file_format == "gzip"


def test_a_gzip_bomb_through_a_cassette_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "MAX_CASSETTE_BYTES", 1024 * 1024)
    path = tmp_path / "bomb.yaml.gz"
    path.write_bytes(gzip.compress(b"#" * (4 * 1024 * 1024)))
    with pytest.raises(CassetteFormatError, match="decompresses to more than 1 MiB"):
        storage.load_file(path)


# --- own format, gzipped; never rewriting another recorder's file --------------------------


def test_a_gzipped_cassette_is_written_gzipped_the_same_bytes_each_time(tmp_path: Path) -> None:
    interactions = storage.load_file(samples.FOLDER / "bedrock_vcr_own.yaml.gz")
    text = storage.dumps(interactions)
    path = tmp_path / "own.yaml.gz"
    storage.write_atomic(path, text)
    first = path.read_bytes()
    assert sniff.is_gzip(first) and gzip.decompress(first).decode() == text
    storage.write_atomic(path, text)
    assert path.read_bytes() == first  # no time stamp: an unchanged re-record leaves no diff
    assert [i.request.operation for i in storage.load_file(path)] == ["Converse", "ConverseStream"]


@pytest.mark.parametrize("name", [n for n in samples.FILES if n != "bedrock_vcr_own.yaml.gz"])
def test_another_recorders_file_is_never_recorded_into(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    shutil.copy(samples.FOLDER / name, path)
    assert file_is_vcrpy(path)
    with pytest.raises(ConfigError, match="would rewrite it"):
        Cassette(path, CassetteConfig(record_mode="new_episodes"))


def test_the_own_gzipped_format_is_not_taken_for_another_recorders() -> None:
    assert not file_is_vcrpy(samples.FOLDER / "bedrock_vcr_own.yaml.gz")


# --- the command line and the server -----------------------------------------------------------


def _answers(interactions: list[Any]) -> list[bytes]:
    out = []
    for interaction in interactions:
        response = interaction.response
        events = response.events
        out.append(b"".join(e.frame for e in events) if events is not None else response.body)
    return out


@pytest.mark.parametrize("name", [n for n in samples.FILES if n != "bedrock_vcr_own.yaml.gz"])
def test_import_converts_each_format(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / name
    shutil.copy(samples.FOLDER / name, source)
    assert main(["import", str(source)]) == 0
    stem = name.split(".")[0]
    dest = tmp_path / f"{stem}.bedrock.yaml"
    converted = storage.load_file(dest)
    direct = storage.load_file(source)
    assert [i.request.operation for i in converted] == [i.request.operation for i in direct]
    assert _answers(converted) == _answers(direct)
    assert "converted" in capsys.readouterr().out


def test_import_names_the_format_of_a_broken_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "n.json"
    source.write_bytes(_edit_json("nock_otel_js_contrib.json", lambda v: v[0].pop("scope")))
    assert main(["import", str(source)]) == 1
    err = capsys.readouterr().err
    assert "scope is missing" in err and "read as nock JSON" in err and "interaction 0" in err


def test_validate_reads_every_format(capsys: pytest.CaptureFixture[str]) -> None:
    paths = [str(samples.FOLDER / name) for name in samples.FILES]
    assert main(["validate", *paths]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert f"checked {len(paths)} cassette(s)" in out


def test_validate_finds_gzipped_cassettes_in_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(samples.FOLDER / "langchain_aws.yaml.gz", tmp_path)
    assert main(["validate", str(tmp_path)]) == 0
    assert "checked 1 cassette(s), 3 interaction(s)" in capsys.readouterr().out


@pytest.mark.parametrize("name", list(samples.FILES))
def test_the_server_answers_from_each_format(name: str) -> None:
    source = CassetteSource([samples.FOLDER / name])
    for recorded in samples.FILES[name][1]:
        interaction = next(
            i
            for i in storage.load_file(samples.FOLDER / name)
            if recorded.uri.endswith(i.request.path)
        )
        request = RecordedRequest(
            interaction.request.operation,
            interaction.request.model_id,
            recorded.request_body or b"",
        )
        answer = source.answer(request)
        assert answer is not None and answer.status == recorded.status


@pytest.mark.parametrize("name", ["nock_otel_js_contrib.json", "langchain_aws.yaml.gz"])
def test_bedrock_vcr_serve_answers_boto3_from_another_recorders_file(name: str) -> None:
    from ..cli.test_serve import start_serve
    from ..intercept.test_real_cassettes_replay import call_for, outcome
    from ..server.support import client

    proc, url = start_serve(str(samples.FOLDER / name))
    try:
        c = client(url)
        for recorded in samples.FILES[name][1]:
            got, want = outcome(c, call_for(recorded)), reference_outcome(recorded)
            # the server's own headers (date, request id, lengths) differ; nothing else may
            got.pop("metadata"), want.pop("metadata")
            assert got == want, recorded.uri
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        proc.communicate()
