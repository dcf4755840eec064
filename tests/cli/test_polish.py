"""Small breakages of the command line: ``--version``, a closed pipe, ``inspect -v``'s detail,
``import`` going on past a bad file, and misspelled model ids under ``validate --strict-models``."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

from bedrock_vcr import Interaction, RecordedRequest, RecordedResponse, StreamEvent
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cli.main import main

from ..cassettes.vcrpy_samples import RUNTIME, doc, item

LLAMA = "meta.llama3-8b-instruct-v1:0"
LLAMA_ANSWER = {
    "generation": "Paris is the capital.",
    "prompt_token_count": 1,
    "generation_token_count": 5,
    "stop_reason": "stop",
}


def _cli(*args: str) -> subprocess.Popen[bytes]:
    code = "import sys; from bedrock_vcr.cli.main import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


# --- --version ---------------------------------------------------------------------------------


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"bedrock-vcr {version('bedrock-vcr')}\n"


# --- a closed pipe -----------------------------------------------------------------------------


def test_schema_into_a_pipe_closed_early_exits_quietly() -> None:
    with _cli("schema", LLAMA) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        try:
            # the reader goes away before the schema is written (`| head -0`; `| head -1` meets
            # the same error whenever the output outgrows the pipe's buffer): deterministic
            proc.stdout.close()
            err = proc.stderr.read()
            code = proc.wait(timeout=60)
        finally:
            proc.kill()
    assert b"Traceback" not in err and b"BrokenPipeError" not in err, err.decode()
    assert err == b""
    assert code == 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader left


def test_schema_into_a_pipe_read_to_the_end_is_unchanged() -> None:
    with _cli("schema", LLAMA) as proc:
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and err == b""
    assert json.loads(out)["type"] == "object"


# --- inspect -v --------------------------------------------------------------------------------


def _stream() -> Interaction:
    pieces = ["Par", "is", "!"]
    events = [
        StreamEvent.chunk({"generation": p, "stop_reason": None}, offset=0.1 * i)
        for i, p in enumerate(pieces[:-1])
    ]
    events.append(
        StreamEvent.chunk(
            {
                "generation": pieces[-1],
                "stop_reason": "stop",
                "amazon-bedrock-invocationMetrics": {
                    "inputTokenCount": 1,
                    "outputTokenCount": 3,
                    "invocationLatency": 3,
                    "firstByteLatency": 1,
                },
            },
            offset=0.3,
        )
    )
    return Interaction(
        RecordedRequest("InvokeModelWithResponseStream", LLAMA, body=b'{"prompt": "go"}'),
        RecordedResponse(200, {}, events=events),
    )


def _verbose_cassette(path: Path) -> Path:
    long_prompt = "x" * 500
    plain = Interaction(
        RecordedRequest("InvokeModel", LLAMA, body=json.dumps({"prompt": long_prompt}).encode()),
        RecordedResponse(
            200, {"content-type": "application/json"}, body=json.dumps(LLAMA_ANSWER).encode()
        ),
    )
    error = Interaction(
        RecordedRequest("InvokeModel", LLAMA, body=b'{"prompt": "hi"}'),
        RecordedResponse(
            400,
            {"x-amzn-errortype": "ValidationException:http://internal.amazon.com/"},
            body=b'{"message": "Malformed input request"}',
        ),
    )
    path.write_text(serialize.dumps([plain, _stream(), error]), encoding="utf-8")
    return path


def test_inspect_verbose_marks_a_cut_request_and_shows_the_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _verbose_cassette(tmp_path / "c.yaml")
    assert main(["inspect", "-v", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    request = out[2]
    assert request.startswith('     request: {"prompt": "xxx')
    assert request.endswith("...")
    assert len(request) == len("     request: ") + 200 + len("...")
    assert out[3] == '     answer: "Paris is the capital."'
    assert out[6] == '     answer: "Paris!"'  # a stream: the text of its chunks, joined
    assert out[9] == '     answer: {"message": "Malformed input request"}'  # an error: its body


def test_inspect_verbose_does_not_mark_a_short_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _verbose_cassette(tmp_path / "c.yaml")
    assert main(["inspect", "-v", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[5] == '     request: {"prompt": "go"}'


# --- import goes on past a bad file ------------------------------------------------------------


def test_import_reports_a_bad_file_and_converts_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = f"{RUNTIME}/model/meta.llama3-8b-instruct-v1%3A0/invoke"
    vcrpy = doc(item(uri, response_body=json.dumps(LLAMA_ANSWER)))
    bad = tmp_path / "a_bad.yaml"
    bad.write_text("interactions: [\n  unclosed", encoding="utf-8")
    good = tmp_path / "b_good.yaml"
    good.write_text(yaml.safe_dump(vcrpy), encoding="utf-8")
    assert main(["import", str(bad), str(good)]) == 1
    captured = capsys.readouterr()
    assert (tmp_path / "b_good.bedrock.yaml").is_file()
    assert not (tmp_path / "a_bad.bedrock.yaml").exists()
    assert f"converted 1 of 1 interaction(s) from {good}" in captured.out
    assert str(bad) in captured.err
    assert captured.err.splitlines()[-1] == "bedrock-vcr import: 1 of 2 cassette(s) failed"


# --- validate --strict-models and a misspelled model id ----------------------------------------


def _llama_cassette(path: Path, model_id: str) -> Path:
    interaction = Interaction(
        RecordedRequest("InvokeModel", model_id, body=b'{"prompt": "hi"}'),
        RecordedResponse(200, {}, body=json.dumps(LLAMA_ANSWER).encode()),
    )
    path.write_text(serialize.dumps([interaction]), encoding="utf-8")
    return path


def test_strict_models_names_the_nearest_known_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _llama_cassette(tmp_path / "c.yaml", "meta.llama3-8b-instruct-v1:O")
    assert main(["validate", "--strict-models", str(path)]) == 1
    out = capsys.readouterr().out
    assert (
        "1 interaction(s) with model 'meta.llama3-8b-instruct-v1:O': not a known model id "
        "(did you mean 'meta.llama3-8b-instruct-v1:0'?)"
    ) in out


def test_strict_models_accepts_known_ids_in_every_spelling(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = [
        LLAMA,
        "us.meta.llama3-2-11b-instruct-v1:0",
        "meta.llama3-8b-instruct-v1%3A0",
        "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-70b-instruct-v1:0",
    ]
    paths = [_llama_cassette(tmp_path / f"c{i}.yaml", m) for i, m in enumerate(ids)]
    assert main(["validate", "--strict-models", *map(str, paths)]) == 0, capsys.readouterr().out


def test_a_misspelled_id_is_only_a_note_without_strict_models(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _llama_cassette(tmp_path / "c.yaml", "meta.llama3-8b-instruct-v1:O")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert (
        "note: model 'meta.llama3-8b-instruct-v1:O' is not a known model id "
        "(did you mean 'meta.llama3-8b-instruct-v1:0'?)"
    ) in out
