"""The cassette player: what it captures of a request, when it may reach the network, its checks,
and what it refuses before a replay-only cassette reports "no match"."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bedrock_vcr import (
    CassetteNotFoundError,
    RecordedRequest,
    RecordedResponse,
    RequestBodyError,
    UnmatchedRequestError,
    cassette_player,
    use_cassette,
)
from bedrock_vcr.intercept import settings
from bedrock_vcr.intercept.player import CassettePlayer
from bedrock_vcr.server.http1 import BedrockServer

from ..helpers import bedrock_client

LLAMA = "meta.llama3-70b-instruct-v1:0"
BODY = {"prompt": "hello", "max_gen_len": 32}

pytestmark = pytest.mark.usefixtures("aws_env")


@pytest.fixture
def recorded(server: BedrockServer, tmp_path: Path) -> Path:
    """A cassette holding one InvokeModel answer (the server is stopped afterwards)."""
    path = tmp_path / "cassette.yaml"
    with use_cassette(path, record_mode="once"):
        bedrock_client(server.url).invoke_model(modelId=LLAMA, body=json.dumps(BODY))
    server.stop()
    return path


def test_a_file_body_is_captured_without_being_used_up(
    server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "cassette.yaml"
    body = io.BytesIO(json.dumps(BODY).encode())
    with cassette_player(path, record_mode="once") as player:
        result = bedrock_client(server.url).invoke_model(modelId=LLAMA, body=body)
    # the server got the whole body after the player read it, and so did the cassette
    assert json.loads(result["body"].read())["prompt_token_count"] == 1
    [request] = player.requests
    assert isinstance(request, RecordedRequest)
    assert (request.operation, request.model_id, request.method) == ("InvokeModel", LLAMA, "POST")
    assert request.json == BODY
    assert request.path == f"/model/{LLAMA.replace(':', '%3A')}/invoke"  # as sent
    assert "authorization" not in request.headers and "x-amz-date" not in request.headers
    with use_cassette(path) as cassette:  # it replays: the recorded body is the one sent
        bedrock_client(server.url).invoke_model(modelId=LLAMA, body=json.dumps(BODY))
    assert cassette.play_count == 1


def test_a_body_that_is_not_json_is_named_before_no_match(recorded: Path) -> None:
    client = bedrock_client("http://127.0.0.1:9")  # replay only: never reached
    with use_cassette(recorded):  # by default the schema check answers as Bedrock does
        with pytest.raises(client.exceptions.ValidationException, match="not valid JSON"):
            client.invoke_model(modelId=LLAMA, body=b"prompt=hello")
    with use_cassette(recorded, validate_requests="off"), pytest.raises(RequestBodyError) as info:
        client.invoke_model(modelId=LLAMA, body=b"prompt=hello")
    assert info.value.operation == "InvokeModel" and info.value.model_id == LLAMA
    assert info.value.problem.startswith("Expecting value")
    no_body_check = {"validate_requests": "off", "require_json_body": False}
    with use_cassette(recorded, **no_body_check), pytest.raises(UnmatchedRequestError):
        client.invoke_model(modelId=LLAMA, body=b"prompt=hello")
    with use_cassette(recorded), pytest.raises(UnmatchedRequestError):  # JSON, only different
        client.invoke_model(modelId=LLAMA, body=json.dumps({**BODY, "prompt": "other"}))


def test_a_missing_replay_only_cassette_fails_at_the_first_request(tmp_path: Path) -> None:
    client = bedrock_client("http://127.0.0.1:9")
    with use_cassette(tmp_path / "missing.yaml"):  # entering is fine: no request yet
        with pytest.raises(CassetteNotFoundError):
            client.invoke_model(modelId=LLAMA, body=json.dumps(BODY))
    assert not (tmp_path / "missing.yaml").exists()


def test_only_a_recording_cassette_may_reach_the_network(recorded: Path, tmp_path: Path) -> None:
    def player(path: Path, mode: str) -> CassettePlayer:
        return CassettePlayer.open(path, settings.build({"record_mode": mode}))

    assert player(recorded, "none").may_reach_network() is False
    assert player(recorded, "once").may_reach_network() is False  # it exists: once replays
    assert player(recorded, "new_episodes").may_reach_network() is True
    assert player(tmp_path / "new.yaml", "once").may_reach_network() is True


def test_checks_are_installed_once(recorded: Path) -> None:
    player = CassettePlayer.open(recorded, settings.build({}))
    player.install_checks()
    checks = (list(player.request_checks), list(player.response_checks))
    assert checks != ([], [])  # the default settings validate requests and responses
    player.install_checks()
    with player:  # entering installs them too, once
        pass
    assert (player.request_checks, player.response_checks) == checks
    off = CassettePlayer.open(
        recorded, settings.build({"validate_requests": "off", "validate_responses": "off"})
    )
    off.install_checks()
    assert (off.request_checks, off.response_checks) == ([], [])


def test_a_raising_response_check_runs_after_the_recording_is_saved(
    server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "cassette.yaml"
    seen: list[tuple[str, int]] = []

    def check(request: RecordedRequest, response: RecordedResponse) -> None:
        seen.append((request.operation, response.status))
        raise AssertionError("drift")

    player = CassettePlayer.open(path, settings.build({"record_mode": "once"}))
    player.response_checks.append(check)
    client = bedrock_client(server.url)
    with pytest.raises(AssertionError, match="drift"), player:
        # a plain body is complete at once: its check runs here, in the call
        client.invoke_model(modelId=LLAMA, body=json.dumps(BODY))
    assert seen == [("InvokeModel", 200)]
    with use_cassette(path) as cassette:  # the answer was recorded all the same
        client.invoke_model(modelId=LLAMA, body=json.dumps(BODY))
    assert cassette.play_count == 1
    path.unlink()

    player = CassettePlayer.open(path, settings.build({"record_mode": "once"}))
    player.response_checks.append(check)
    seen.clear()
    with pytest.raises(AssertionError, match="drift"):
        with player:
            response = client.invoke_model_with_response_stream(
                modelId=LLAMA, body=json.dumps(BODY)
            )
            assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
            assert seen == []  # a stream nobody read is completed by the save, on exit
    assert seen == [("InvokeModelWithResponseStream", 200)]
    assert path.exists()  # checked after the save: the check did not cost the recording
