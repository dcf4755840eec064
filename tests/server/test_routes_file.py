"""Simulated routes (``server.routes``, ``server.routes_file``): config files, options, faults."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest
import yaml

from bedrock_vcr.errors import ServeConfigError
from bedrock_vcr.intercept.backoff import skip_backoff
from bedrock_vcr.server.app import INVALID_MODEL_MESSAGE
from bedrock_vcr.server.http1 import BedrockServer
from bedrock_vcr.server.routes_file import (
    SimulationSource,
    load_config,
    option_routes,
    parse_config,
)

from .support import (
    LLAMA,
    NOVA,
    call,
    client,
)

pytestmark = pytest.mark.usefixtures("aws_env")


CONFIG = """
routes:
  - match: {prompt: "RETRY ME"}
    sequence:
      - fault: ThrottlingException
      - fault: {code: ServiceUnavailableException, message: "try later"}
      - answer: "Recovered."
  - match: {prompt: "TWICE"}
    times: 2
    fault: ThrottlingException
  - match: {operation: invoke_model_with_response_stream, prompt: "MIDSTREAM"}
    stream_error: {code: modelStreamErrorException, after: 2, message: "model stream broke",
                   original_status_code: 500, original_message: "upstream reset",
                   answer: "one two three four"}
  - match: {model: "meta.llama3-*"}
    answer: {text: "Hello from the config.", stop_reason: length, output_tokens: 6}
  - answer: {text: "Generic answer.", chunk_size: 4}
"""


@pytest.fixture
def simulated(tmp_path: Path) -> Iterator[BedrockServer]:
    path = tmp_path / "serve.yaml"
    path.write_text(CONFIG)
    with BedrockServer(load_config(path).sources()) as server:
        yield server


def test_config_answers_in_each_models_native_format(simulated: BedrockServer) -> None:
    c = client(simulated.url)
    r = c.invoke_model(modelId=LLAMA, body=json.dumps({"prompt": "hi", "max_gen_len": 6}))
    body = json.loads(r["body"].read())
    assert body["generation"] == "Hello from the config."[:24]
    assert (body["stop_reason"], body["generation_token_count"]) == ("length", 6)
    assert r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-bedrock-output-token-count"] == "6"
    r = c.converse_stream(modelId=NOVA, messages=[{"role": "user", "content": [{"text": "x"}]}])
    deltas = [
        e["contentBlockDelta"]["delta"]["text"] for e in r["stream"] if "contentBlockDelta" in e
    ]
    assert deltas == ["Gene", "ric ", "answ", "er."]


def test_config_sequence_retries_through_boto3(simulated: BedrockServer) -> None:
    c = client(simulated.url, retries={"max_attempts": 2, "mode": "standard"})  # 2 retries
    with skip_backoff() as delays:
        text = call(c, "converse", NOVA, "please RETRY ME")
        assert text == "Recovered."
        assert len(delays) == 2  # two retries, without their sleeps
        assert call(c, "converse", NOVA, "RETRY ME again") == "Recovered."  # the last repeats


def test_config_times_limits_a_fault_then_falls_through(simulated: BedrockServer) -> None:
    c = client(simulated.url)
    for _ in range(2):
        with pytest.raises(c.exceptions.ThrottlingException):
            call(c, "converse", NOVA, "TWICE")
    assert call(c, "converse", NOVA, "TWICE") == "Generic answer."


def test_config_midstream_error(simulated: BedrockServer) -> None:
    body = client(simulated.url).invoke_model_with_response_stream(
        modelId=LLAMA, body=json.dumps({"prompt": "MIDSTREAM"})
    )["body"]
    received = []
    with pytest.raises(botocore.exceptions.EventStreamError) as info:
        for event in body:
            received.append(json.loads(event["chunk"]["bytes"])["generation"])
    body.close()  # botocore leaves the connection open after an exception frame
    assert received == ["one", " two"]
    # botocore keeps code and message of a stream exception (the JavaScript SDK test checks
    # that originalStatusCode arrives too)
    assert info.value.response["Error"] == {
        "Code": "modelStreamErrorException",
        "Message": "model stream broke",
    }


def test_catch_all_route_leaves_invalid_models_invalid(simulated: BedrockServer) -> None:
    with pytest.raises(botocore.exceptions.ClientError, match=re.escape(INVALID_MODEL_MESSAGE)):
        call(client(simulated.url), "converse", "does-not-exist", "hi")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("routes: [{anser: hi}]", r"routes\[0\]: unknown key 'anser' \(did you mean 'answer'\?\)"),
        ("routes: [{match: {modle: x}, answer: hi}]", r"routes\[0\]\.match: unknown key 'modle'"),
        (
            "routes: [{match: {model: meta.llama3-8b-instruct-v1:0, operation: invoke_model}, "
            "answer: {text: x, stop_reason: end_turn}}]",
            r"routes\[0\].*end_turn.*does not exist",
        ),
        (
            "routes: [{match: {operation: converse}, fault: ServiceQuotaExceededException}]",
            r"routes\[0\].*Converse never fails with ServiceQuotaExceededException",
        ),
        ("routes: [{fault: NoSuchException}]", r"routes\[0\]\.fault: unknown Bedrock Runtime"),
        ("routes: [{match: {operation: converse}, disconnect: 2}]", r"needs a streaming operation"),
        ("routes: [{answer: hi, fault: ThrottlingException}]", r"exactly one outcome"),
        ("routes: [{sequence: []}]", r"non-empty list"),
        ("routes: [{times: 0, answer: hi}]", r"times must be an integer >= 1"),
        ("version: 2", r"unknown config version 2"),
        ("speed: -1", r"speed must be a number >= 0"),
        ("rotues: []", r"did you mean 'routes'"),
    ],
    ids=[
        "route-key",
        "match-key",
        "stop-reason",
        "fault-for-operation",
        "fault-code",
        "stream-fault-plain-op",
        "two-outcomes",
        "empty-sequence",
        "times-zero",
        "version",
        "speed",
        "top-key",
    ],
)
def test_config_errors_say_where_and_why(config: str, message: str) -> None:
    with pytest.raises(ServeConfigError, match=message):
        parse_config(yaml.safe_load(config), "serve.yaml")


def test_config_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("routes: [\n")
    with pytest.raises(ServeConfigError, match=r"broken.yaml: not valid YAML"):
        load_config(path)
    with pytest.raises(ServeConfigError, match=r"cannot read the config"):
        load_config(tmp_path / "missing.yaml")


def test_an_outcome_that_does_not_fit_the_request_is_a_400_not_a_crash() -> None:
    """A pattern route is checked when served: Llama's InvokeModel has no ``end_turn``."""
    config = parse_config(
        yaml.safe_load("routes: [{match: {model: 'meta.*'}, answer: {stop_reason: end_turn}}]"),
        "serve.yaml",
    )
    logged: list[str] = []
    with BedrockServer(config.sources()) as server:
        server.app.log = logged.append
        c = client(server.url)
        with pytest.raises(c.exceptions.ValidationException, match="bedrock-vcr could not answer"):
            call(c, "invoke_model", LLAMA, "x")
        assert call(c, "converse", LLAMA, "x")  # Converse has end_turn: the same route answers
    assert any("end_turn" in line for line in logged)


def test_option_routes_fault_times_then_answer() -> None:
    routes = option_routes(answer="Fine.", fault="ThrottlingException", times=1)
    with BedrockServer([SimulationSource(routes)]) as server:
        c = client(server.url)
        with pytest.raises(c.exceptions.ThrottlingException):
            call(c, "invoke_model", LLAMA, "x")
        assert call(c, "invoke_model", LLAMA, "x") == "Fine."


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"times": 2}, r"--times goes with --fault"),
        ({"after": 2}, r"--after goes with --stream-error"),
        ({"stop_reason": "sideways"}, r"unknown stop reason 'sideways'"),
        (
            {"stream_error": "modelTimeoutException", "operation": "ConverseStream"},
            r"cannot carry modelTimeoutException",
        ),
    ],
    ids=["times-alone", "after-alone", "stop-reason", "stream-error-for-operation"],
)
def test_option_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ServeConfigError, match=message):
        option_routes(**options)
