"""Reading vcrpy files leniently and converting them (``cassettes.vcrpy_convert``).

Synthetic vcrpy documents pin down what ``convert_file`` writes and what it refuses; a cassette
written by vcrpy itself (recording boto3 calls to the project's local server) shows that what
vcrpy writes today replays through bedrock-vcr, directly and after conversion, exactly as the
calls went live and as vcrpy replays them.
"""

from __future__ import annotations

import contextlib
import gc
import json
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from bedrock_vcr import (
    CassetteError,
    CassetteFormatError,
    SecretInCassetteError,
    use_cassette,
)
from bedrock_vcr.cassettes import storage
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cassettes.vcrpy import interactions_from_vcrpy
from bedrock_vcr.cassettes.vcrpy_convert import ImportReport, convert_file, load_document
from bedrock_vcr.server.http1 import BedrockServer

from ..helpers import NO_RETRY
from ..intercept.test_real_cassettes_replay import Call, load_recorded, outcome
from .samples import stream_lines
from .vcrpy_samples import CHUNKS, LLAMA, LLAMA_PATH, RUNTIME, doc, frames, item

pytestmark = pytest.mark.usefixtures("aws_env")


def test_older_vcrpy_python_tags_are_read_and_unsafe_ones_refused() -> None:
    text = (
        "interactions:\n"
        "- request:\n"
        "    body: !!python/object/new:_io.BytesIO\n"
        "      state: !!python/tuple [!!binary eyJwcm9tcHQiOiAiaGkifQ==, 0, null]\n"
        "    headers: {Accept: [!!python/unicode 'application/json']}\n"
        "    method: POST\n"
        f"    uri: {RUNTIME}{LLAMA_PATH}/invoke\n"
        "  response:\n"
        "    body: {string: !!python/unicode '{}'}\n"
        "    headers: {}\n"
        "    status: {code: 200, message: OK}\n"
        "version: 1\n"
    )
    [interaction] = interactions_from_vcrpy(load_document(text))
    assert interaction.request.body == b'{"prompt": "hi"}'
    assert interaction.request.headers == {"accept": "application/json"}
    unsafe = text.replace("!!python/object/new:_io.BytesIO", "!!python/object/apply:os.system")
    with pytest.raises(CassetteFormatError, match="not valid YAML at line 3"):
        load_document(unsafe, "old.yaml")


# --- convert_file ------------------------------------------------------------------------------


def write_vcrpy(path: Path, *items: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(doc(*items)))  # bytes become !!binary, as vcrpy writes them
    return path


def test_convert_writes_readable_cassette_and_leaves_source_alone(tmp_path: Path) -> None:
    stream = item(
        f"{RUNTIME}{LLAMA_PATH}/invoke-with-response-stream",
        request_headers={"Authorization": ["AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/x"]},
        headers={"Content-Type": ["application/vnd.amazon.eventstream"]},
        response_body=frames(*CHUNKS),
    )
    src = write_vcrpy(tmp_path / "vcrpy.yaml", item(), item("https://sts.amazonaws.com/"), stream)
    before, mtime = src.read_bytes(), src.stat().st_mtime_ns
    dest = tmp_path / "out" / "converted.yaml"

    report = convert_file(src, dest)

    assert (src.read_bytes(), src.stat().st_mtime_ns) == (before, mtime)
    assert isinstance(report, ImportReport)
    assert [(i.index, i.operation, i.stream_events) for i in report.imported] == [
        (0, "InvokeModel", None),
        (2, "InvokeModelWithResponseStream", 2),
    ]
    assert [s.index for s in report.skipped] == [1]
    assert report.dropped_request_headers == ("authorization",)
    summary = report.summary()
    assert "converted 2 of 3 interaction(s)" in summary
    assert "#1 POST https://sts.amazonaws.com/: not a Bedrock Runtime call" in summary
    assert "request headers not kept: authorization" in summary

    text = dest.read_text()
    assert "AKIA" not in text and "!!binary" not in text
    stored = yaml.safe_load(text)["interactions"][1]["response"]["stream"]
    assert [p["bytes"]["generation"] for _, _, p in stream_lines(stored)] == ["Hel", "lo"]
    reread = storage.load_file(dest)
    original = interactions_from_vcrpy(yaml.safe_load(before))
    assert [i.response.body for i in reread if i.response] == [
        i.response.body for i in original if i.response
    ]


def test_convert_refuses_to_overwrite_unless_asked(tmp_path: Path) -> None:
    src = write_vcrpy(tmp_path / "vcrpy.yaml", item())
    dest = tmp_path / "converted.yaml"
    dest.write_text("keep me")
    with pytest.raises(CassetteError, match="destination already exists; nothing was written"):
        convert_file(src, dest)
    assert dest.read_text() == "keep me"
    convert_file(src, dest, overwrite=True)
    assert storage.load_file(dest)[0].request.operation == "InvokeModel"


def test_convert_refuses_its_own_source(tmp_path: Path) -> None:
    src = write_vcrpy(tmp_path / "vcrpy.yaml", item())
    before = src.read_bytes()
    with pytest.raises(CassetteError, match="onto itself"):
        convert_file(src, tmp_path / "." / "vcrpy.yaml", overwrite=True)
    assert src.read_bytes() == before


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            lambda d: serialize.dumps(interactions_from_vcrpy(doc(item()))),
            "already a bedrock-vcr cassette",
        ),
        (
            lambda d: yaml.safe_dump({"interactions": [{"request": {"path": "/"}}]}),
            "not a vcrpy cassette",
        ),
        (
            lambda d: yaml.safe_dump(doc(item("https://sts.amazonaws.com/"))),
            r"no Bedrock Runtime interaction to convert \(#0 POST https://sts",
        ),
        (lambda d: "interactions: [\n", "not valid YAML"),
    ],
    ids=["ours", "foreign", "nothing-to-convert", "broken-yaml"],
)
def test_convert_refuses_what_it_cannot_convert(
    tmp_path: Path, content: Callable[[Any], str], problem: str
) -> None:
    src = tmp_path / "in.yaml"
    src.write_text(content(None))
    dest = tmp_path / "out.yaml"
    with pytest.raises(CassetteFormatError, match=problem):
        convert_file(src, dest)
    assert not dest.exists()


def test_convert_refuses_a_credential_in_a_body(tmp_path: Path) -> None:
    leaky = item(response_body='{"generation": "key AKIAIOSFODNN7EXAMPLE"}')
    src = write_vcrpy(tmp_path / "vcrpy.yaml", leaky)
    with pytest.raises(SecretInCassetteError, match="an AWS access key id"):
        convert_file(src, tmp_path / "out" / "converted.yaml")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# --- a cassette written by vcrpy itself ----------------------------------------------------------

NOVA = "us.amazon.nova-lite-v1:0"


def _converse(prompt: str) -> dict[str, Any]:
    return {"modelId": NOVA, "messages": [{"role": "user", "content": [{"text": prompt}]}]}


def _invoke(prompt: str) -> dict[str, Any]:
    return {"modelId": LLAMA, "body": json.dumps({"prompt": prompt, "max_gen_len": 32})}


CALLS = [
    Call("InvokeModel", "invoke_model", _invoke("hello")),
    Call("InvokeModelWithResponseStream", "invoke_model_with_response_stream", _invoke("hello")),
    Call(
        "InvokeModelWithResponseStream", "invoke_model_with_response_stream", _invoke("MIDSTREAM")
    ),
    Call("Converse", "converse", _converse("hello")),
    Call("ConverseStream", "converse_stream", _converse("hello")),
    Call("ConverseStream", "converse_stream", _converse("MIDSTREAM")),
    Call("InvokeModel", "invoke_model", _invoke("THROTTLE")),
    Call("Converse", "converse", _converse("ERROR:ValidationException:400")),
    Call("InvokeModel", "invoke_model", _invoke("hello")),  # asked again: replayed in order
]


@contextlib.contextmanager
def _vcrpy_own_sockets_collected(vcrpy_version: str) -> Iterator[None]:
    """vcrpy before 9 (the newest on Python 3.10) never closes the connections it records through.

    Its unclosed sockets would raise ResourceWarnings under ``filterwarnings=error`` whenever the
    garbage collector gets to them, in whichever test runs then; they are vcrpy's, not ours, so
    they are collected here, inside this test, with that one warning ignored.
    """
    if int(vcrpy_version.split(".")[0]) >= 9:
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        yield
        gc.collect()


def test_cassette_recorded_by_vcrpy_replays_like_the_live_calls(
    server: BedrockServer, tmp_path: Path
) -> None:
    vcr = pytest.importorskip("vcr")
    path = tmp_path / "vcrpy.yaml"

    def run_all() -> list[dict[str, Any]]:
        client = boto3.client("bedrock-runtime", endpoint_url=server.url, config=NO_RETRY)
        recorded = load_recorded(path) if path.exists() else [None] * len(CALLS)
        return [outcome(client, call, rec) for call, rec in zip(CALLS, recorded, strict=True)]

    with (
        _vcrpy_own_sockets_collected(vcr.__version__),
        vcr.use_cassette(str(path), record_mode="all"),
    ):
        live = run_all()
    recorded = load_recorded(path)
    assert len(recorded) == len(CALLS)
    # vcrpy stored each stream as one binary blob and kept the signature header
    assert isinstance(
        yaml.safe_load(path.read_text())["interactions"][1]["response"]["body"]["string"], bytes
    )
    authorization = recorded[0].request_headers["authorization"]
    live = [_comparable(o) for o in live]
    server.stop()  # from here on nothing may reach the network

    with vcr.use_cassette(str(path), record_mode="none"):
        by_vcrpy = [_comparable(o) for o in run_all()]
    with use_cassette(path):
        direct = [_comparable(o) for o in run_all()]
    converted = tmp_path / "converted.yaml"
    convert_file(path, converted)
    with use_cassette(converted):
        after_conversion = [_comparable(o) for o in run_all()]

    assert by_vcrpy == live
    assert direct == live
    assert after_conversion == live
    # the outcomes are the interesting ones, not all alike
    assert live[2]["body"][-1]["raised"]["error"]["Code"] == "modelStreamErrorException"
    assert live[5]["stream"][-1]["raised"]["error"]["Code"] == "throttlingException"
    assert live[6]["raised"]["class"] == "ThrottlingException"
    assert live[7]["raised"]["class"] == "ValidationException"
    assert authorization not in converted.read_text()


def _comparable(result: dict[str, Any]) -> dict[str, Any]:
    """Leave out the two headers that depend on who delivers the body, not on the answer.

    vcrpy's response stub removes ``transfer-encoding`` from what the caller sees (it has read
    the whole body), while urllib3 and bedrock-vcr pass on the recorded one; a plain answer
    carries a ``content-length``, which must then be the length of the body read.
    """
    headers = result["metadata"]["HTTPHeaders"]
    headers.pop("transfer-encoding", None)
    length = headers.pop("content-length", None)
    if length is not None and isinstance(result.get("body"), bytes):
        assert int(length) == len(result["body"])
    return result


@pytest.mark.parametrize("mode", ["new_episodes", "all"])
def test_recording_into_a_vcrpy_cassette_is_refused(tmp_path: Path, mode: str) -> None:
    from bedrock_vcr import ConfigError, use_cassette

    source = tmp_path / "vcr.yaml"
    source.write_text(
        "interactions:\n"
        "- request:\n"
        '    body: \'{"prompt": "hi"}\'\n'
        "    headers: {}\n"
        "    method: POST\n"
        "    uri: https://bedrock-runtime.us-east-1.amazonaws.com/model/meta.llama3-8b-instruct-v1%3A0/invoke\n"
        "  response:\n"
        '    body: {string: \'{"generation": "x"}\'}\n'
        "    headers: {Content-Type: [application/json]}\n"
        "    status: {code: 200, message: OK}\n"
        "version: 1\n"
    )
    before = source.read_text()
    with pytest.raises(ConfigError, match="is a vcrpy cassette.*bedrock-vcr import"):
        with use_cassette(source, record_mode=mode):
            pass
    assert source.read_text() == before
