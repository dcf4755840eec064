"""``bedrock-vcr inspect``, ``scrub`` and ``import``: what each prints, writes and exits with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bedrock_vcr import Interaction, RecordedRequest, RecordedResponse, StreamEvent
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cli import MODULES
from bedrock_vcr.cli.main import build_parser, main

from ..cassettes.vcrpy_samples import doc, item

LLAMA = "meta.llama3-70b-instruct-v1:0"


def _cassette(path: Path) -> Path:
    plain = Interaction(
        RecordedRequest("InvokeModel", LLAMA, body=json.dumps({"prompt": "hi"}).encode()),
        RecordedResponse(
            200,
            {"content-type": "application/json", "date": "Mon", "x-amzn-requestid": "r-1"},
            body=b'{"generation": "hello"}',
        ),
    )
    stream = Interaction(
        RecordedRequest("InvokeModelWithResponseStream", LLAMA, body=b'{"prompt": "go"}'),
        RecordedResponse(
            200,
            {"date": "Tue"},
            events=[
                StreamEvent.chunk({"generation": "a", "stop_reason": None}),
                StreamEvent.chunk(
                    {
                        "generation": "b",
                        "stop_reason": "stop",
                        "amazon-bedrock-invocationMetrics": {
                            "inputTokenCount": 1,
                            "outputTokenCount": 2,
                            "invocationLatency": 3,
                            "firstByteLatency": 1,
                        },
                    }
                ),
            ],
        ),
    )
    path.write_text(serialize.dumps([plain, stream]), encoding="utf-8")
    return path


def test_commands_appear_in_the_documented_order() -> None:
    assert MODULES == ("inspect", "scrub", "import_vcrpy", "serve", "validate")
    help_text = build_parser().format_help()
    names = ["inspect", "scrub", "import", "serve", "validate", "schema"]
    assert [help_text.index(f"    {n} ") for n in names] == sorted(
        help_text.index(f"    {n} ") for n in names
    )


def test_inspect_summarises_each_interaction(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _cassette(tmp_path / "c.yaml")
    assert main(["inspect", "-v", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{path}: 2 interaction(s)"
    assert out[1] == f"  #0 InvokeModel {LLAMA} -> 200 23 byte body"
    assert out[2] == '     request: {"prompt": "hi"}'
    assert out[3] == '     answer: {"generation": "hello"}'  # no stop reason: the body as recorded
    assert out[4].startswith(f"  #1 InvokeModelWithResponseStream {LLAMA} -> 200 stream of 2 ")
    assert "(2 chunk)" in out[4]


def test_scrub_drops_volatile_headers_into_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _cassette(tmp_path / "c.yaml")
    before = source.read_text(encoding="utf-8")
    out = tmp_path / "out.yaml"
    assert main(["scrub", str(source), "-o", str(out)]) == 0
    assert capsys.readouterr().out == f"{source}: removed 3 header value(s); wrote {out}\n"
    assert source.read_text(encoding="utf-8") == before
    headers = [i["response"]["headers"] for i in yaml.safe_load(out.read_text())["interactions"]]
    assert all("date" not in h and "x-amzn-requestid" not in h for h in headers)
    assert headers[0]["content-type"] == "application/json"


def test_scrub_takes_extra_headers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _cassette(tmp_path / "c.yaml")
    assert main(["scrub", str(source), "--drop-header", "Content-Type"]) == 0
    assert "removed 4 header value(s)" in capsys.readouterr().out


def test_import_converts_beside_the_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vcrpy = doc(item())  # Llama 3 70B, as vcrpy writes it
    source = tmp_path / "old.yaml"
    source.write_text(yaml.safe_dump(vcrpy), encoding="utf-8")
    assert main(["import", str(source)]) == 0
    dest = tmp_path / "old.bedrock.yaml"
    assert capsys.readouterr().out.startswith(f"converted 1 of 1 interaction(s) from {source}")
    assert main(["inspect", str(dest)]) == 0
    assert f"#0 InvokeModel {LLAMA} -> 200" in capsys.readouterr().out


def test_import_of_several_needs_an_output_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["import", "-o", str(tmp_path / "one.yaml"), "a.yaml", "b.yaml"]
    assert main(args) == 2
    assert "--output must be a folder" in capsys.readouterr().err


def test_import_of_a_missing_file_is_a_message_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(tmp_path / "nope.yaml")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bedrock-vcr import: the vcrpy cassette does not exist")
