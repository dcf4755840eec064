"""Which request gets which answer (``server.app``, ``server.sources``): paths, ids, errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import botocore.exceptions
import pytest
import yaml

from bedrock_vcr.bedrock.operations import model_path
from bedrock_vcr.cassettes.records import (
    RecordedRequest,
    RecordedResponse,
    error_response,
)
from bedrock_vcr.errors import CassetteNotFoundError
from bedrock_vcr.server.app import INVALID_MODEL_MESSAGE
from bedrock_vcr.server.http1 import BedrockServer
from bedrock_vcr.server.sources import CassetteSource, ScriptedSource

from ..helpers import REAL_CASSETTES
from .support import (
    FOUNDATION_ARN,
    JSON,
    LLAMA,
    NOVA,
    PROFILE_ARN,
    Recorder,
    assert_still_serving,
    call,
    client,
    post,
    raw_exchange,
)

pytestmark = pytest.mark.usefixtures("aws_env")


# --- paths and model ids -----------------------------------------------------------------------

OPS = ["invoke_model", "invoke_model_with_response_stream", "converse", "converse_stream"]
OPERATION_NAMES = {
    "invoke_model": "InvokeModel",
    "invoke_model_with_response_stream": "InvokeModelWithResponseStream",
    "converse": "Converse",
    "converse_stream": "ConverseStream",
}


@pytest.mark.parametrize(
    "model_id",
    [LLAMA, NOVA, PROFILE_ARN, FOUNDATION_ARN],
    ids=["foundation-id", "profile-id", "profile-arn", "foundation-arn"],
)
@pytest.mark.parametrize("operation", OPS)
def test_each_operation_and_model_id_spelling_reaches_the_source(
    srv: BedrockServer, recorder: Recorder, operation: str, model_id: str
) -> None:
    text = call(client(srv.url), operation, model_id, "hi")
    assert text.startswith("echo hi") or text.startswith("hi:0")
    (seen,) = recorder.seen
    assert (seen.operation, seen.model_id) == (OPERATION_NAMES[operation], model_id)
    # botocore percent-encodes ':' and '/' in the path; the server decodes them
    assert seen.path == model_path(model_id, OPERATION_NAMES[operation])


def test_arn_with_a_literal_slash_in_the_path(srv: BedrockServer, recorder: Recorder) -> None:
    path = f"/model/{PROFILE_ARN}/converse"  # not encoded, as lenient clients send it
    body = json.dumps({"messages": [{"role": "user", "content": [{"text": "x"}]}]}).encode()
    status, _, data = raw_exchange(srv, post(path, body, **{"Content-Type": "application/json"}))
    assert status == 200, data
    assert json.loads(data)["output"]["message"]["content"][0]["text"] == "echo x"
    assert recorder.seen[0].model_id == PROFILE_ARN


def test_missing_cassette_is_refused_up_front(tmp_path: Path) -> None:
    with pytest.raises(CassetteNotFoundError, match="does not exist"):
        CassetteSource([tmp_path / "nope.yaml"])


@pytest.mark.parametrize("operation", OPS)
def test_unknown_model_answers_like_bedrock(srv: BedrockServer, operation: str) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call(client(srv.url), operation, "does-not-exist", "hi")
    error = info.value.response
    assert error["Error"] == {"Code": "ValidationException", "Message": INVALID_MODEL_MESSAGE}
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unknown_model_error_matches_the_real_recordings(srv: BedrockServer) -> None:
    folder = REAL_CASSETTES / "otel-contrib"
    files = sorted(folder.glob("*invalid_model*.yaml"))
    if not files:
        pytest.skip(f"real recordings not found under {folder}")
    for file in files:
        recorded = yaml.safe_load(file.read_text())["interactions"][0]
        uri = recorded["request"]["uri"].split(".amazonaws.com", 1)[1]
        body = (recorded["request"]["body"] or "").encode()
        status, headers, data = raw_exchange(srv, post(uri, body, **JSON))
        real = recorded["response"]
        assert status == real["status"]["code"], file.name
        assert headers["x-amzn-errortype"] == real["headers"]["x-amzn-ErrorType"][0]
        assert json.loads(data) == json.loads(real["body"]["string"])


def test_bad_json_through_boto3_raises_the_modelled_class(srv: BedrockServer) -> None:
    c = client(srv.url)
    with pytest.raises(c.exceptions.ValidationException, match="Malformed input request"):
        c.invoke_model(modelId=LLAMA, body=b"{not json")


def test_a_source_that_raises_gets_a_500_and_the_server_serves_on(recorder: Recorder) -> None:
    def broken(request: RecordedRequest) -> RecordedResponse:
        if "boom" in request.body.decode():
            raise RuntimeError("source bug")
        return recorder(request)

    logged: list[str] = []
    with BedrockServer([ScriptedSource(broken)]) as server:
        server.app.log = logged.append
        c = client(server.url)
        with pytest.raises(c.exceptions.InternalServerException, match="source bug"):
            c.invoke_model(modelId=LLAMA, body=json.dumps({"prompt": "boom"}))
        assert_still_serving(server)
    assert any("source bug" in line for line in logged)


def test_a_known_model_nobody_answers_is_a_404_that_says_why() -> None:
    with BedrockServer([ScriptedSource(lambda r: None)]) as server:
        c = client(server.url)
        with pytest.raises(c.exceptions.ResourceNotFoundException, match="has no answer"):
            c.invoke_model(modelId=LLAMA, body=json.dumps({"prompt": "x"}))


def test_scripted_source_can_vouch_for_custom_model_names() -> None:
    source = ScriptedSource(lambda r: None, models=["my-model-*"])
    with BedrockServer([source]) as server:
        c = client(server.url)
        with pytest.raises(c.exceptions.ResourceNotFoundException):
            c.invoke_model(modelId="my-model-7", body=b"{}")
        with pytest.raises(
            c.exceptions.ValidationException, match=re.escape(INVALID_MODEL_MESSAGE)
        ):
            c.invoke_model(modelId="other-model", body=b"{}")


def test_http_error_response_helper_shape() -> None:
    response = error_response(429, "ThrottlingException", "slow down", extra=1)
    assert response.status == 429
    assert response.headers["x-amzn-errortype"].startswith("ThrottlingException:")
    assert json.loads(response.body) == {"message": "slow down", "extra": 1}
