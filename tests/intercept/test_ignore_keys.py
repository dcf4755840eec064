"""A misspelled ``ignore_body_keys`` entry: warned about once, at the end of the cassette's use."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from bedrock_vcr import Interaction, RecordedRequest, RecordedResponse, use_cassette
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.errors import UnusedIgnoreKeyWarning

from ..helpers import bedrock_client

LLAMA = "meta.llama3-8b-instruct-v1:0"
ANSWER = {
    "generation": "hi",
    "prompt_token_count": 1,
    "generation_token_count": 1,
    "stop_reason": "stop",
}


@pytest.fixture
def cassette(tmp_path: Path) -> Path:
    body = {"prompt": "hi", "temperature": 0.5, "max_gen_len": 10}
    interaction = Interaction(
        RecordedRequest("InvokeModel", LLAMA, body=json.dumps(body).encode()),
        RecordedResponse(
            200, {"content-type": "application/json"}, body=json.dumps(ANSWER).encode()
        ),
    )
    path = tmp_path / "c.yaml"
    path.write_text(serialize.dumps([interaction]), encoding="utf-8")
    return path


def _call(temperature: float) -> None:
    client = bedrock_client()
    body = {"prompt": "hi", "temperature": temperature, "max_gen_len": 10}
    client.invoke_model(modelId=LLAMA, body=json.dumps(body))


@pytest.mark.usefixtures("aws_env")
def test_a_misspelled_key_is_warned_with_a_did_you_mean(cassette: Path) -> None:
    with pytest.warns(UnusedIgnoreKeyWarning) as caught:
        with use_cassette(cassette, ignore_body_keys=["temprature"]):
            _call(0.5)
    assert len(caught) == 1
    warning = caught[0].message
    assert isinstance(warning, UnusedIgnoreKeyWarning)
    assert warning.keys == ("temprature",)
    assert "'temprature'" in str(warning) and "did you mean 'temperature'?" in str(warning)
    assert str(cassette) in str(warning)


@pytest.mark.usefixtures("aws_env")
def test_keys_that_match_are_quiet(cassette: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnusedIgnoreKeyWarning)
        with use_cassette(
            cassette, ignore_body_keys=["temperature", "top_p"], allow_playback_repeats=True
        ):
            _call(0.9)  # ignored, so it matches
            client = bedrock_client()
            body = {"prompt": "hi", "temperature": 0.1, "max_gen_len": 10, "top_p": 0.5}
            client.invoke_model(modelId=LLAMA, body=json.dumps(body))  # top_p: only in a request


@pytest.mark.usefixtures("aws_env")
def test_a_dotted_path_counts_only_where_it_points(tmp_path: Path, cassette: Path) -> None:
    with pytest.warns(UnusedIgnoreKeyWarning, match="'prompt.temperature'"):
        with use_cassette(cassette, ignore_body_keys=["prompt.temperature", "max_gen_len"]):
            _call(0.5)
