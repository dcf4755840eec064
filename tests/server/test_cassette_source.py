"""Serving cassettes (``server.sources.CassetteSource``, ``server.unmatched``): recordings of one
request are given in order, then the last repeats; a request no served cassette answers is
explained with the closest recordings across all of them, each with its file, and the fix is
the serve command's own matching flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bedrock_vcr.cassettes import storage
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cassettes.matching import MatchConfig
from bedrock_vcr.cassettes.records import Interaction, RecordedRequest
from bedrock_vcr.cli.main import build_parser
from bedrock_vcr.cli.serve import build
from bedrock_vcr.errors import ConfigError
from bedrock_vcr.server.http1 import BedrockServer
from bedrock_vcr.server.sources import CassetteSource

from .support import LLAMA, Recorder, client, plain

pytestmark = pytest.mark.usefixtures("aws_env")

CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"
PROMPT = "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nName a colour.<|eot_id|>"


def _converse_stream(i: int) -> Interaction:
    body = {
        "messages": [{"role": "user", "content": [{"text": f"question {i}"}]}],
        "inferenceConfig": {"maxTokens": 10 + i, "temperature": 0.1},
        "system": [{"text": "be brief"}],
    }
    request = RecordedRequest("ConverseStream", CLAUDE, json.dumps(body).encode(), {})
    return Interaction(request, Recorder()(request))


def _llama(prompt: str, temperature: float = 0.5) -> Interaction:
    body = {"prompt": prompt, "max_gen_len": 64, "temperature": temperature}
    request = RecordedRequest("InvokeModel", LLAMA, json.dumps(body).encode(), {})
    return Interaction(request, plain({"generation": "blue", "stop_reason": "stop"}))


@pytest.fixture
def seven(tmp_path: Path) -> list[Path]:
    """Six cassettes of ConverseStream/Claude calls, then the one Llama cassette."""
    paths = []
    for n in range(6):
        path = tmp_path / f"claude_{n}.yaml"
        storage.write_atomic(path, serialize.dumps([_converse_stream(n), _converse_stream(n + 10)]))
        paths.append(path)
    llama = tmp_path / "llama_colour.yaml"
    storage.write_atomic(llama, serialize.dumps([_llama("unrelated"), _llama(PROMPT)]))
    paths.append(llama)
    return paths


def test_the_closest_recording_across_every_served_cassette_is_shown(seven: list[Path]) -> None:
    source = CassetteSource(seven)
    changed = PROMPT.replace("colour", "color")  # one character
    body = json.dumps({"prompt": changed, "max_gen_len": 64, "temperature": 0.5}).encode()
    text = source.explain(RecordedRequest("InvokeModel", LLAMA, body, {}))
    assert "7 served cassettes" in text
    closest = text.split("closest recorded requests:", 1)[1].strip().splitlines()
    # the first candidate is the Llama recording one character away, named by its file
    assert "llama_colour.yaml" in closest[0] and "#1 InvokeModel" in closest[0], text
    assert closest[1].strip().startswith("- body #/prompt"), text
    assert "llama_colour.yaml #0" in text  # the other Llama recording comes next
    assert "claude_0.yaml" not in closest[0]
    # the fix is the server's own, not a pytest flag
    fix = text.split("fix:", 1)[1]
    assert "bedrock-vcr serve" in fix and "--ignore-body-key" in fix and "--match-on" in fix
    assert "pytest" not in fix


def test_the_no_answer_reply_carries_the_explanation(seven: list[Path]) -> None:
    with BedrockServer([CassetteSource(seven)]) as server:
        c = client(server.url)
        body = json.dumps({"prompt": PROMPT + "!", "max_gen_len": 64, "temperature": 0.5})
        with pytest.raises(c.exceptions.ResourceNotFoundException) as info:
            c.invoke_model(modelId=LLAMA, body=body)
    message = info.value.response["Error"]["Message"]
    assert "llama_colour.yaml #1 InvokeModel" in message
    assert "--ignore-body-key" in message


def test_serve_flags_relax_matching(seven: list[Path]) -> None:
    args = build_parser().parse_args(
        ["serve", *map(str, seven), "--ignore-body-key", "temperature", "--ignore-body-key", "x"]
    )
    sources, _ = build(args)
    source = sources[0]
    assert isinstance(source, CassetteSource)
    assert source.match == MatchConfig(ignore_body_keys=("temperature", "x"))
    body = json.dumps({"prompt": PROMPT, "max_gen_len": 64, "temperature": 0.9}).encode()
    found = source.answer(RecordedRequest("InvokeModel", LLAMA, body, {}))
    assert found is not None and json.loads(found.body)["generation"] == "blue"

    args = build_parser().parse_args(["serve", str(seven[-1]), "--match-on", "operation,model_id"])
    source = build(args)[0][0]
    assert source.match.match_on == ("operation", "model_id")
    assert source.answer(RecordedRequest("InvokeModel", LLAMA, b'{"prompt": "new"}', {}))


def test_a_misspelled_match_field_is_refused_with_the_valid_ones(seven: list[Path]) -> None:
    args = build_parser().parse_args(["serve", str(seven[-1]), "--match-on", "operation,modle"])
    with pytest.raises(ConfigError, match="valid fields: operation, model_id"):
        build(args)


def test_recordings_of_one_request_are_served_in_order_then_the_last_repeats(
    tmp_path: Path,
) -> None:
    path = tmp_path / "twice.yaml"
    request = _llama(PROMPT).request
    first = Interaction(request, plain({"generation": "first", "stop_reason": "stop"}))
    second = Interaction(request, plain({"generation": "second", "stop_reason": "stop"}))
    other = _llama("other")
    storage.write_atomic(path, serialize.dumps([first, other, second]))
    source = CassetteSource([path])
    spaced = json.dumps(json.loads(request.body), indent=1).encode()  # same JSON, other bytes

    def ask(body: bytes) -> str:
        found = source.answer(RecordedRequest("InvokeModel", LLAMA, body, {}))
        assert found is not None
        return str(json.loads(found.body)["generation"])

    assert [ask(request.body) for _ in range(4)] == ["first", "second", "second", "second"]
    assert ask(spaced) == "second"
    assert ask(other.request.body) == "blue"
    assert ask(request.body) == "second"
