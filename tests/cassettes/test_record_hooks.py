"""before_record_request / before_record_response: what is matched is what is written.

Recorded for real against the project's local server with boto3, then replayed from the written
file with the same hooks (which also see every incoming request while replaying).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bedrock_vcr import BedrockServer, RecordedRequest, RecordedResponse, use_cassette
from bedrock_vcr.cassettes import storage

from ..helpers import bedrock_client

NOVA = "us.amazon.nova-lite-v1:0"
USER = "user-8c1f42d7"
MESSAGES = [{"role": "user", "content": [{"text": "hello"}]}]

pytestmark = pytest.mark.usefixtures("aws_env")


def without_user_id(request: RecordedRequest) -> RecordedRequest:
    """Keep the caller's user id out of the cassette (a body key the service does not need)."""
    body = dict(request.json)
    body.pop("requestMetadata", None)
    request.body = json.dumps(body).encode()
    return request


def without_request_id(response: RecordedResponse) -> RecordedResponse:
    response.headers.pop("x-amzn-requestid", None)
    return response


def converse(url: str, operation: str) -> Any:
    client = bedrock_client(url)
    call = getattr(client, operation)
    answer = call(modelId=NOVA, messages=MESSAGES, requestMetadata={"user_id": USER})
    headers = answer.pop("ResponseMetadata")["HTTPHeaders"]
    if operation == "converse_stream":
        answer["stream"] = list(answer["stream"])
    return answer, headers


@pytest.mark.parametrize("operation", ["converse", "converse_stream"])
def test_a_hook_that_drops_a_body_key_writes_a_cassette_that_replays(
    server: BedrockServer, tmp_path: Path, operation: str
) -> None:
    path = tmp_path / "cassette.yaml"
    hooks = {"before_record_request": without_user_id}
    with use_cassette(path, record_mode="once", **hooks):
        recorded, _ = converse(server.url, operation)
    assert USER not in path.read_text(encoding="utf-8")
    (written,) = storage.load_file(path)
    assert "requestMetadata" not in written.request.json
    server.stop()  # replay must not need the server

    with use_cassette(path, **hooks) as cassette:
        replayed, _ = converse(server.url, operation)
    assert replayed == recorded
    assert cassette.play_count == 1


def test_the_response_hook_shapes_what_is_written_and_replayed(
    server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "cassette.yaml"
    hooks = {"before_record_request": without_user_id, "before_record_response": without_request_id}
    with use_cassette(path, record_mode="once", **hooks):
        _, live_headers = converse(server.url, "converse")
    assert "x-amzn-requestid" in live_headers  # the caller got the live answer unchanged
    (written,) = storage.load_file(path)
    assert written.response is not None and "x-amzn-requestid" not in written.response.headers
    server.stop()

    with use_cassette(path, **hooks):
        _, replayed_headers = converse(server.url, "converse")
    assert "x-amzn-requestid" not in replayed_headers


def test_without_the_hook_the_scrubbed_cassette_does_not_match(
    server: BedrockServer, tmp_path: Path
) -> None:
    """The hook is part of matching: replaying without it sends the key the file lacks."""
    from bedrock_vcr import UnmatchedRequestError

    path = tmp_path / "cassette.yaml"
    with use_cassette(path, record_mode="once", before_record_request=without_user_id):
        converse(server.url, "converse")
    server.stop()
    with pytest.raises(UnmatchedRequestError, match="requestMetadata"), use_cassette(path):
        converse(server.url, "converse")
