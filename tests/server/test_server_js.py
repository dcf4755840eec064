"""Any SDK: the AWS SDK for JavaScript v3 talks to the local server as to Bedrock Runtime.

The server is configured with a YAML file of simulated routes; ``tests/js/bedrock_client.mjs``
makes the calls a JavaScript application makes (the AWS streaming example's pattern, then
``InvokeModel``, ``Converse``, ``ConverseStream``, an inference-profile ARN, a mid-stream error,
throttles) and prints what the SDK gave it as JSON Lines. It runs twice: with the client's default
HTTP/2 handler and with its HTTP/1.1 handler. Skipped where Node.js or the SDK
(``bash .ci/install-js.sh``) is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bedrock_vcr.server.app import INVALID_MODEL_MESSAGE
from bedrock_vcr.server.http1 import BedrockServer
from bedrock_vcr.server.routes_file import SimulationSource, load_config
from bedrock_vcr.simulation import estimate_tokens

JS = Path(__file__).resolve().parent / "js"
SCRIPT = JS / "bedrock_client.mjs"
NODE = shutil.which("node")
SDK = JS / "node_modules" / "@aws-sdk" / "client-bedrock-runtime"

pytestmark = [
    pytest.mark.skipif(NODE is None, reason="Node.js is not installed"),
    pytest.mark.skipif(
        not SDK.is_dir(), reason="the JavaScript SDK is not installed (bash .ci/install-js.sh)"
    ),
]

ANSWER = "Hello from bedrock-vcr, one chunk at a time."
STREAMED = "alpha beta gamma delta epsilon"
CONFIG = f"""
routes:
  - name: retry
    match: {{prompt: "THROTTLE TWICE"}}
    sequence:
      - fault: ThrottlingException
      - fault: ThrottlingException
      - answer: "Third time lucky."
  - match: {{prompt: "THROTTLE"}}
    fault: {{code: ThrottlingException, message: "Too many requests, please wait."}}
  - match: {{prompt: "MIDSTREAM"}}
    stream_error:
      code: modelStreamErrorException
      after: 3
      message: "The model stream broke."
      original_status_code: 500
      original_message: "upstream reset"
      answer: "{STREAMED}"
  - answer: {{text: "{ANSWER}", chunk_delay: 0.01}}
"""


@pytest.fixture(scope="module", params=["http2", "http1"])
def js_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[str, list[dict[str, Any]]], SimulationSource]]:
    """Serve the config, run every scenario once with node, group its output by scenario."""
    if request.param == "http2":
        pytest.importorskip("h2", reason="the server speaks HTTP/2 with the 'h2' package")
    path = tmp_path_factory.mktemp("js") / "serve.yaml"
    path.write_text(CONFIG)
    sources = load_config(path).sources()
    (simulation,) = sources
    with BedrockServer(sources, speed=1.0) as server:
        args = [str(NODE), "--no-warnings", str(SCRIPT), server.url]
        if request.param == "http1":
            args.append("--http1")
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
        done = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env, cwd=JS)
    assert done.returncode == 0, done.stderr
    lines: dict[str, list[dict[str, Any]]] = {}
    for line in done.stdout.splitlines():
        record = json.loads(line)
        lines.setdefault(record["scenario"], []).append(record)
    yield lines, simulation


def outcome(js_run: Any, scenario: str) -> tuple[list[str], dict[str, Any]]:
    """The generations printed as they arrived, and the final result or error record."""
    records = js_run[0][scenario]
    generations = [r["generation"] for r in records if "generation" in r]
    return generations, records[-1]


def test_streaming_example_pattern(js_run: Any) -> None:
    generations, last = outcome(js_run, "stream")
    result = last["result"]
    assert "".join(generations) == ANSWER
    assert generations == ANSWER.replace(" ", "\0 ").split("\0")  # one word per chunk
    assert result["stopReason"] == "stop"
    assert result["generationTokenCount"] == estimate_tokens(ANSWER)
    assert result["metrics"]["outputTokenCount"] == estimate_tokens(ANSWER)
    assert result["httpStatusCode"] == 200
    assert result["contentType"] == "application/json"


def test_invoke_model(js_run: Any) -> None:
    result = outcome(js_run, "invoke")[1]["result"]
    assert result["text"] == ANSWER
    assert result["stopReason"] == "stop"
    assert result["generationTokenCount"] == estimate_tokens(ANSWER)
    assert result["promptTokenCount"] > 0
    assert (result["httpStatusCode"], result["attempts"]) == (200, 1)
    assert result["requestId"]


@pytest.mark.parametrize("scenario", ["converse", "profile-arn"])
def test_converse(js_run: Any, scenario: str) -> None:
    result = outcome(js_run, scenario)[1]["result"]
    assert (result["text"], result["role"], result["stopReason"]) == (
        ANSWER,
        "assistant",
        "end_turn",
    )
    usage = result["usage"]
    assert usage["outputTokens"] == estimate_tokens(ANSWER)
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]


def test_converse_stream(js_run: Any) -> None:
    generations, last = outcome(js_run, "converse-stream")
    assert "".join(generations) == last["result"]["text"] == ANSWER
    assert last["result"]["stopReason"] == "end_turn"
    assert last["result"]["usage"]["outputTokens"] == estimate_tokens(ANSWER)


def test_midstream_error_has_the_sdks_own_name_and_fields(js_run: Any) -> None:
    generations, last = outcome(js_run, "midstream")
    assert generations == ["alpha", " beta", " gamma"]  # the chunks before the exception frame
    error = last["error"]
    assert error["name"] == "ModelStreamErrorException"
    assert error["isBedrockError"] is True
    assert error["message"] == "The model stream broke."
    assert (error["originalStatusCode"], error["originalMessage"]) == (500, "upstream reset")


def test_throttle_has_the_sdks_own_name(js_run: Any) -> None:
    error = outcome(js_run, "throttle")[1]["error"]
    assert (error["name"], error["fault"], error["httpStatusCode"]) == (
        "ThrottlingException",
        "client",
        429,
    )
    assert error["message"] == "Too many requests, please wait."
    assert error["attempts"] == 1
    assert error["isBedrockError"] is True


def test_throttles_then_success_are_retried_by_the_sdk(js_run: Any) -> None:
    result = outcome(js_run, "throttle-retry")[1]["result"]
    assert result["text"] == "Third time lucky."
    assert result["attempts"] == 3  # the SDK retried both throttles
    retry = next(spec for spec in js_run[1].specs if spec.name == "retry")
    assert retry.used == 3  # and the server saw exactly three requests


def test_invalid_model(js_run: Any) -> None:
    error = outcome(js_run, "invalid-model")[1]["error"]
    assert (error["name"], error["httpStatusCode"], error["message"]) == (
        "ValidationException",
        400,
        INVALID_MODEL_MESSAGE,
    )
