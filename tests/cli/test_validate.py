"""``bedrock-vcr validate`` and ``bedrock-vcr schema``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bedrock_vcr import Interaction, RecordedRequest, RecordedResponse, StreamEvent
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cli.main import main

from ..helpers import REAL_CASSETTES

LLAMA = "meta.llama3-70b-instruct-v1:0"
LLAMA_ANSWER = {
    "generation": "hi",
    "prompt_token_count": 1,
    "generation_token_count": 1,
    "stop_reason": "stop",
}


def _interaction(
    body: Any,
    response: RecordedResponse,
    model_id: str = LLAMA,
    operation: str = "InvokeModel",
) -> Interaction:
    return Interaction(
        RecordedRequest(operation=operation, model_id=model_id, body=json.dumps(body).encode()),
        response,
    )


def _plain(data: Any, status: int = 200) -> RecordedResponse:
    return RecordedResponse(
        status, {"content-type": "application/json"}, body=json.dumps(data).encode()
    )


def _chunk(stop: str | None) -> StreamEvent:
    return StreamEvent.chunk(
        {
            "generation": "w",
            "prompt_token_count": None,
            "generation_token_count": 1,
            "stop_reason": stop,
        }
    )


def _write(path: Path, *interactions: Interaction) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(serialize.dumps(interactions), encoding="utf-8")
    return path


@pytest.fixture
def valid(tmp_path: Path) -> Path:
    return _write(
        tmp_path / "valid.yaml",
        _interaction({"prompt": "hi"}, _plain(LLAMA_ANSWER)),
        _interaction(
            {"prompt": "hi"},
            RecordedResponse(200, {}, events=[_chunk(None), _chunk("stop")]),
            operation="InvokeModelWithResponseStream",
        ),
    )


@pytest.fixture
def invalid(tmp_path: Path) -> Path:
    return _write(
        tmp_path / "invalid.yaml",
        _interaction({"prompt": "ok"}, _plain(LLAMA_ANSWER)),
        _interaction({"prompt": "hi", "top_p": 1.5}, _plain(LLAMA_ANSWER)),
        _interaction(
            {"prompt": "hi"},
            RecordedResponse(200, {}, events=[_chunk(None), _chunk(None), _chunk(7)]),
            operation="InvokeModelWithResponseStream",
        ),
        _interaction({"prompt": "hi"}, _plain({**LLAMA_ANSWER, "prompt_token_count": "1"})),
    )


LLAMA3_URI = (
    "https://bedrock-runtime.us-east-1.amazonaws.com/model/meta.llama3-8b-instruct-v1%3A0/invoke"
)
#: A cassette as vcrpy writes it (headers as lists, body string, status code and message).
VCRPY = {
    "interactions": [
        {
            "request": {
                "body": json.dumps({"prompt": "Say this is a test", "max_gen_len": 4096}),
                "headers": {"Content-Type": ["application/json"]},
                "method": "POST",
                "uri": LLAMA3_URI,
            },
            "response": {
                "body": {"string": json.dumps(LLAMA_ANSWER)},
                "headers": {"Content-Type": ["application/json"]},
                "status": {"code": 200, "message": "OK"},
            },
        }
    ],
    "version": 1,
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- validate ----------------------------------------------------------------------------------


def test_valid_cassette_exits_zero(capsys: pytest.CaptureFixture[str], valid: Path) -> None:
    code, out, _ = run(capsys, "validate", str(valid))
    assert code == 0
    assert out.splitlines() == [
        f"{valid}: ok, 2 interaction(s)",
        "checked 1 cassette(s), 2 interaction(s): 0 problem(s) in 0 cassette(s)",
    ]


def test_invalid_cassette_reports_every_violation(
    capsys: pytest.CaptureFixture[str], invalid: Path
) -> None:
    code, out, _ = run(capsys, "validate", str(invalid))
    assert code == 1
    assert out.splitlines() == [
        f"{invalid}: 3 problem(s) in 4 interaction(s)",
        f"  interaction 1 (InvokeModel {LLAMA}) request #/top_p [maximum]: "
        "1.5 is not less or equal to 1",
        f"  interaction 2 (InvokeModelWithResponseStream {LLAMA}) chunk 2 #/stop_reason [type]: "
        "expected type: String or Null, found: Integer",
        f"  interaction 3 (InvokeModel {LLAMA}) response #/prompt_token_count [type]: "
        "expected type: Integer, found: String",
        "checked 1 cassette(s), 4 interaction(s): 3 problem(s) in 1 cassette(s)",
    ]


def test_vcrpy_cassette_is_checked(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "vcr.yaml"
    path.write_text(yaml.safe_dump(VCRPY), encoding="utf-8")
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 1
    assert (
        "interaction 0 (InvokeModel meta.llama3-8b-instruct-v1:0) request #/max_gen_len "
        "[maximum]: 4096 is not less or equal to 2048"
    ) in out


def test_folders_are_searched_recursively(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, valid: Path, invalid: Path
) -> None:
    nested = tmp_path / "deep" / "er"
    _write(nested / "more.yml", _interaction({"prompt": "x"}, _plain(LLAMA_ANSWER)))
    (nested / "notes.txt").write_text("not a cassette")
    code, out, _ = run(capsys, "validate", "-q", str(tmp_path))
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"{invalid}: 3 problem(s) in 4 interaction(s)"
    assert f"{valid}: ok" not in out  # --quiet
    assert lines[-1] == "checked 3 cassette(s), 7 interaction(s): 3 problem(s) in 1 cassette(s)"


UNREADABLE = [
    ("missing", None, "cannot be read"),
    ("not-yaml", "interactions: [unclosed", "cannot be read: the cassette is not valid YAML"),
    ("not-a-cassette", "just: a mapping\n", "cannot be read: the file is not a cassette"),
]


@pytest.mark.parametrize(
    ("name", "text", "message"), UNREADABLE, ids=[case[0] for case in UNREADABLE]
)
def test_unreadable_cassette_fails(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    valid: Path,
    name: str,
    text: str | None,
    message: str,
) -> None:
    path = tmp_path / f"{name}.yaml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    code, out, _ = run(capsys, "validate", str(path), str(valid))
    assert code == 1
    assert f"{path}: {message}" in out
    assert out.splitlines()[-1].endswith(", 1 unreadable or missing")


def test_empty_folder_fails(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "validate", str(tmp_path))
    assert code == 1
    assert f"{tmp_path}: no *.yaml or *.yml cassette found" in out


@pytest.fixture
def custom(tmp_path: Path) -> Path:
    model = "arn:aws:bedrock:us-east-1:123456789012:imported-model/abc"
    return _write(
        tmp_path / "custom.yaml",
        _interaction({"prompt": "hi", "temperature": 3}, _plain(LLAMA_ANSWER), model_id=model),
    )


def test_unknown_model_is_a_note(capsys: pytest.CaptureFixture[str], custom: Path) -> None:
    code, out, _ = run(capsys, "validate", str(custom))
    assert code == 0
    assert f"{custom}: ok, 1 interaction(s) (1 not checked)" in out
    assert "note: 1 interaction(s) not checked, no schema is known for model" in out


def test_unknown_model_fails_when_strict(capsys: pytest.CaptureFixture[str], custom: Path) -> None:
    code, out, _ = run(capsys, "validate", "--strict-models", str(custom))
    assert code == 1
    assert (
        "1 interaction(s) with model 'arn:aws:bedrock:us-east-1:123456789012:imported-model/" in out
    )


def test_model_family_maps_a_custom_model(capsys: pytest.CaptureFixture[str], custom: Path) -> None:
    code, out, _ = run(
        capsys, "validate", "--model-family", "arn:*:imported-model/*=meta.llama", str(custom)
    )
    assert code == 1
    assert "request #/temperature [maximum]: 3 is not less or equal to 1" in out


def test_bad_model_family_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], custom: Path
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["validate", "--model-family", "x=meta.lama", str(custom)])
    assert caught.value.code == 2
    assert "expected MODEL_ID_OR_PATTERN=FAMILY" in capsys.readouterr().err


def test_console_script(invalid: Path, valid: Path) -> None:
    script = shutil.which("bedrock-vcr") or str(Path(sys.executable).parent / "bedrock-vcr")
    done = subprocess.run(
        [script, "validate", str(valid), str(invalid)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert f"{valid}: ok, 2 interaction(s)" in done.stdout
    assert "chunk 2 #/stop_reason [type]" in done.stdout


@pytest.mark.skipif(not REAL_CASSETTES.is_dir(), reason=f"no real cassettes at {REAL_CASSETTES}")
def test_real_cassettes_validate(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", "-q", str(REAL_CASSETTES))
    assert code == 0, out
    summary = out.splitlines()[-1]
    assert summary.endswith(": 0 problem(s) in 0 cassette(s)")
    assert int(summary.split()[1]) >= 50  # the folder really was searched


# --- schema ------------------------------------------------------------------------------------

SCHEMA_CASES = [
    (["us.meta.llama3-2-11b-instruct-v1:0"], "urn:bedrock-vcr:schema:meta.llama.request"),
    ([LLAMA, "--kind", "chunk"], "urn:bedrock-vcr:schema:meta.llama.chunk"),
    (
        ["amazon.titan-text-lite-v1", "--kind", "response"],
        "urn:bedrock-vcr:schema:amazon.titan-text.response",
    ),
    (
        ["anything", "--kind", "chunk", "--operation", "ConverseStream"],
        "urn:bedrock-vcr:schema:bedrock.converse-stream.event",
    ),
    (
        ["my-model", "--model-family", "my-*=cohere.embed"],
        "urn:bedrock-vcr:schema:cohere.embed.request",
    ),
]


@pytest.mark.parametrize(
    ("argv", "schema_id"), SCHEMA_CASES, ids=[" ".join(a) for a, _ in SCHEMA_CASES]
)
def test_schema_prints_the_resolved_schema(
    capsys: pytest.CaptureFixture[str], argv: list[str], schema_id: str
) -> None:
    code, out, _ = run(capsys, "schema", *argv)
    assert code == 0
    schema = json.loads(out)
    assert schema["$id"] == schema_id
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_folds_in_the_model_variant(capsys: pytest.CaptureFixture[str]) -> None:
    _, lite, _ = run(capsys, "schema", "amazon.titan-text-lite-v1")
    _, express, _ = run(capsys, "schema", "amazon.titan-text-express-v1")
    assert json.loads(lite)["allOf"] != json.loads(express)["allOf"]


SCHEMA_ERRORS = [
    (["my-model"], "no schema is known for model 'my-model'", "--model-family ID=FAMILY"),
    (["cohere.embed-english-v3", "--kind", "chunk"], "no chunk schema", "does not support"),
    ([LLAMA, "--operation", "Converse", "--kind", "chunk"], "no chunk schema", "ConverseStream"),
]


@pytest.mark.parametrize(
    ("argv", "problem", "hint"), SCHEMA_ERRORS, ids=[" ".join(a) for a, *_ in SCHEMA_ERRORS]
)
def test_schema_errors(
    capsys: pytest.CaptureFixture[str], argv: list[str], problem: str, hint: str
) -> None:
    code, out, err = run(capsys, "schema", *argv)
    assert code == 1
    assert out == ""
    assert problem in err and hint in err
