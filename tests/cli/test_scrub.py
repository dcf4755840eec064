"""Commands that must not destroy data (issue 8.5): ``scrub``, ``inspect`` and ``import`` on
vcrpy cassettes, several inputs, output folders, missing paths and bad files in a batch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bedrock_vcr import Interaction, RecordedRequest, RecordedResponse
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cli.main import main

from ..cassettes.vcrpy_samples import doc, item

LLAMA = "meta.llama3-70b-instruct-v1:0"


def _cassette(path: Path, text: str = "hi") -> Path:
    interaction = Interaction(
        RecordedRequest("InvokeModel", LLAMA, body=json.dumps({"prompt": text}).encode()),
        RecordedResponse(
            200,
            {"content-type": "application/json", "date": "Mon", "x-amzn-requestid": "r-1"},
            body=json.dumps({"generation": f"echo {text}"}).encode(),
        ),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(serialize.dumps([interaction]), encoding="utf-8")
    return path


def _vcrpy_cassette(path: Path) -> Path:
    s3 = item(
        "https://bucket.s3.amazonaws.com/key.txt",
        method="GET",
        body=None,
        headers={"Content-Type": ["text/plain"], "Date": ["Mon"]},
        response_body="s3 object",
    )
    bedrock = item(headers={"Content-Type": ["application/json"], "Date": ["Mon"]})
    path.write_text(yaml.safe_dump(doc(bedrock, s3)), encoding="utf-8")
    return path


def _generations(path: Path) -> list[str]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [i["response"]["body"]["json"]["generation"] for i in loaded["interactions"]]


# --- scrub on a vcrpy cassette ---------------------------------------------------------------


def test_scrub_refuses_a_vcrpy_cassette_and_leaves_it_readable_by_vcrpy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _vcrpy_cassette(tmp_path / "vcr.yaml")
    before = source.read_bytes()
    assert main(["scrub", str(source)]) == 1
    err = capsys.readouterr().err
    assert f"{source}" in err
    assert "vcrpy cassette" in err and "bedrock-vcr import" in err
    assert source.read_bytes() == before  # nothing rewritten, the S3 entry is still there
    from vcr.serializers import yamlserializer

    loaded = yamlserializer.deserialize(source.read_text(encoding="utf-8"))
    assert [i["request"]["uri"] for i in loaded["interactions"]][1].startswith("https://bucket.s3")


def test_scrub_refuses_a_vcrpy_cassette_with_an_output_too(tmp_path: Path) -> None:
    source = _vcrpy_cassette(tmp_path / "vcr.yaml")
    out = tmp_path / "out.yaml"
    assert main(["scrub", str(source), "-o", str(out)]) == 1
    assert not out.exists()


def test_scrub_file_raises_a_typed_error_for_vcrpy(tmp_path: Path) -> None:
    from bedrock_vcr.cli.scrub import scrub_file
    from bedrock_vcr.errors import VcrpyCassetteError

    source = _vcrpy_cassette(tmp_path / "vcr.yaml")
    with pytest.raises(VcrpyCassetteError) as info:
        scrub_file(source, source, {"date"})
    assert info.value.path == source
    assert "bedrock-vcr import" in str(info.value)


# --- several inputs and -o -------------------------------------------------------------------


def test_scrub_of_several_into_one_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = _cassette(tmp_path / "a.yaml", "A"), _cassette(tmp_path / "b.yaml", "B")
    out = tmp_path / "one.yaml"
    assert main(["scrub", str(a), str(b), "-o", str(out)]) == 2
    assert "--output must be a folder" in capsys.readouterr().err
    assert not out.exists()


def test_scrub_of_several_into_a_folder_writes_one_file_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = _cassette(tmp_path / "a.yaml", "A"), _cassette(tmp_path / "b.yaml", "B")
    folder = tmp_path / "out"
    folder.mkdir()
    assert main(["scrub", str(a), str(b), "-o", str(folder)]) == 0
    assert _generations(folder / "a.yaml") == ["echo A"]
    assert _generations(folder / "b.yaml") == ["echo B"]
    assert "wrote " + str(folder / "b.yaml") in capsys.readouterr().out


def test_scrub_of_one_into_a_folder_keeps_its_name(tmp_path: Path) -> None:
    a = _cassette(tmp_path / "a.yaml", "A")
    folder = tmp_path / "out"
    folder.mkdir()
    assert main(["scrub", str(a), "-o", str(folder)]) == 0
    assert _generations(folder / "a.yaml") == ["echo A"]


def test_scrub_refuses_two_inputs_of_the_same_name_into_one_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _cassette(tmp_path / "x" / "c.yaml", "A")
    b = _cassette(tmp_path / "y" / "c.yaml", "B")
    folder = tmp_path / "out"
    folder.mkdir()
    assert main(["scrub", str(a), str(b), "-o", str(folder)]) == 2
    err = capsys.readouterr().err
    assert str(a) in err and str(b) in err and "c.yaml" in err
    assert list(folder.iterdir()) == []


# --- missing paths and bad files -------------------------------------------------------------


@pytest.mark.parametrize("command", ["inspect", "scrub"])
def test_a_missing_path_is_a_one_line_message(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.yaml"
    assert main([command, str(missing)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"bedrock-vcr {command}: {missing}: ")
    assert "no such file" in err.lower()
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["inspect", "scrub"])
def test_a_bad_file_does_not_stop_the_others(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _cassette(tmp_path / "good.yaml")
    assert main([command, str(tmp_path / "nope.yaml"), str(good)]) == 1
    captured = capsys.readouterr()
    assert "nope.yaml" in captured.err
    assert str(good) in captured.out


def test_import_goes_on_after_a_bad_file_and_fails_at_the_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(doc(item())), encoding="utf-8")
    ours = _cassette(tmp_path / "ours.yaml")
    folder = tmp_path / "out"
    folder.mkdir()
    args = ["import", str(tmp_path / "nope.yaml"), str(ours), str(good), "-o", str(folder)]
    assert main(args) == 1
    captured = capsys.readouterr()
    assert (folder / "good.yaml").exists()
    assert "converted 1 of 1" in captured.out
    assert "nope.yaml" in captured.err and "does not exist" in captured.err
    assert "ours.yaml" in captured.err and "already a bedrock-vcr cassette" in captured.err
    assert "2 of 3 cassette(s) failed" in captured.err


def test_import_refuses_two_inputs_of_the_same_name_into_one_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for sub in ("x", "y"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "c.yaml").write_text(yaml.safe_dump(doc(item())), encoding="utf-8")
    folder = tmp_path / "out"
    folder.mkdir()
    args = ["import", str(tmp_path / "x/c.yaml"), str(tmp_path / "y/c.yaml"), "-o", str(folder)]
    assert main(args) == 2
    assert "c.yaml" in capsys.readouterr().err
    assert list(folder.iterdir()) == []


def test_serve_on_a_port_in_use_is_a_message_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bedrock-vcr serve: ") and "in use" in err
    assert "Traceback" not in err
