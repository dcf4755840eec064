"""Faults raised through boto3 exactly as botocore raises them from AWS.

Every error of every operation (class, code, status, header, retry count), every exception
frame each stream allows, dropped connections, corrupted frames, and the backoff switch.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config
from botocore.eventstream import ChecksumMismatch
from urllib3.exceptions import ProtocolError

from bedrock_vcr.cassettes.records import RecordedRequest
from bedrock_vcr.errors import ConfigError
from bedrock_vcr.intercept.mock import BedrockMock
from bedrock_vcr.simulation import Answer, error_shapes, faults

pytestmark = pytest.mark.usefixtures("aws_env")

MODEL = "meta.llama3-8b-instruct-v1:0"
BODY = json.dumps({"prompt": "hi", "max_gen_len": 64})
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]
MAX_ATTEMPTS = 3  # botocore: 3 retries after the first attempt

# Written out from AWS's documented behaviour, not computed from the service model: which
# errors botocore retries (throttling, 5xx, and ModelNotReady, modelled as retryable).
STATUS_AND_RETRIED = {
    "AccessDeniedException": (403, False),
    "ResourceNotFoundException": (404, False),
    "ThrottlingException": (429, True),
    "ModelTimeoutException": (408, False),
    "InternalServerException": (500, True),
    "ServiceUnavailableException": (503, True),
    "ValidationException": (400, False),
    "ServiceQuotaExceededException": (400, False),
    "ModelNotReadyException": (429, True),
    "ModelErrorException": (424, False),
    "ModelStreamErrorException": (424, False),
    "ConflictException": (400, False),  # StartAsyncInvoke's
}
OPERATIONS = ("InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream")
STREAM_EXCEPTIONS = {
    "InvokeModelWithResponseStream": (
        "internalServerException",
        "modelStreamErrorException",
        "validationException",
        "throttlingException",
        "modelTimeoutException",
        "serviceUnavailableException",
    ),
    "ConverseStream": (
        "internalServerException",
        "modelStreamErrorException",
        "validationException",
        "throttlingException",
        "serviceUnavailableException",
    ),
}


def _client(mode: str = "standard") -> Any:
    config = Config(retries={"mode": mode, "max_attempts": MAX_ATTEMPTS})
    return boto3.client("bedrock-runtime", region_name="us-east-1", config=config)


def _call(client: Any, operation: str) -> Any:
    if operation == "InvokeModel":
        return client.invoke_model(modelId=MODEL, body=BODY)
    if operation == "InvokeModelWithResponseStream":
        return client.invoke_model_with_response_stream(modelId=MODEL, body=BODY)
    if operation == "Converse":
        return client.converse(modelId=MODEL, messages=MESSAGES)
    return client.converse_stream(modelId=MODEL, messages=MESSAGES)


def _events(result: dict[str, Any]) -> Any:
    return result["body"] if "body" in result else result["stream"]


def test_the_service_model_lists_what_the_table_expects() -> None:
    for operation in OPERATIONS:
        assert set(error_shapes.operation_errors(operation)) <= set(STATUS_AND_RETRIED)
    assert set(error_shapes.all_error_codes()) == set(STATUS_AND_RETRIED)
    for operation, codes in STREAM_EXCEPTIONS.items():
        assert tuple(error_shapes.stream_exceptions(operation)) == codes


def _error_cases() -> list[Any]:
    return [
        pytest.param(operation, code, mode, id=f"{operation}-{code}-{mode}")
        for operation in OPERATIONS
        for code in error_shapes.operation_errors(operation)
        for mode in ("standard", "legacy")
    ]


@pytest.mark.parametrize(("operation", "code", "mode"), _error_cases())
def test_every_modelled_error_raises_its_class_with_real_retries(
    operation: str, code: str, mode: str
) -> None:
    status, retried = STATUS_AND_RETRIED[code]
    with BedrockMock() as mock:
        route = mock.on(operation=operation, return_value=faults.Fault(code))
        client = _client(mode)
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            _call(client, operation)
    error = caught.value
    assert type(error) is getattr(client.exceptions, code)
    assert error.response["Error"]["Code"] == code
    assert error.response["Error"]["Message"] == error_shapes.DEFAULT_MESSAGES[code]
    meta = error.response["ResponseMetadata"]
    assert meta["HTTPStatusCode"] == status
    assert meta["HTTPHeaders"]["x-amzn-errortype"].startswith(code + ":")
    assert meta["RetryAttempts"] == (MAX_ATTEMPTS if retried else 0)
    assert route.call_count == (MAX_ATTEMPTS + 1 if retried else 1)
    assert len(mock.backoff_delays) == meta["RetryAttempts"]


def test_modelled_members_reach_the_caller() -> None:
    with BedrockMock() as mock:
        mock.on(return_value=mock.model_error("boom", original_status_code=503, resource_name="m"))
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            _client().invoke_model(modelId=MODEL, body=BODY)
    assert caught.value.response["originalStatusCode"] == 503
    assert caught.value.response["resourceName"] == "m"
    assert caught.value.response["Error"]["Message"] == "boom"


def test_throttle_throttle_success_retries_without_sleeping() -> None:
    with BedrockMock() as mock:
        route = mock.on(model_id=MODEL)
        route.side_effect = [mock.throttling(), mock.throttling(), Answer("done")]
        client = _client()  # made before the clock starts: only the retries are timed
        started = time.monotonic()
        result = client.invoke_model(modelId=MODEL, body=BODY)
        elapsed = time.monotonic() - started
    assert json.loads(result["body"].read())["generation"] == "done"
    assert result["ResponseMetadata"]["RetryAttempts"] == 2
    assert route.call_count == 3
    assert len(mock.backoff_delays) == 2 and all(d >= 0 for d in mock.backoff_delays)
    assert elapsed < 0.5


def test_exceptions_are_raised_into_botocore_and_retried_as_connection_errors() -> None:
    timeout = botocore.exceptions.ReadTimeoutError(endpoint_url="https://bedrock")
    with BedrockMock() as mock:
        route = mock.on(side_effect=[timeout, Answer("after a timeout")])
        result = _client().invoke_model(modelId=MODEL, body=BODY)
    assert json.loads(result["body"].read())["generation"] == "after a timeout"
    assert result["ResponseMetadata"]["RetryAttempts"] == 1
    assert route.call_count == 2


# --- stream faults -----------------------------------------------------------------------------


def _stream_cases() -> list[Any]:
    return [
        pytest.param(operation, code, id=f"{operation}-{code}")
        for operation, codes in STREAM_EXCEPTIONS.items()
        for code in codes
    ]


@pytest.mark.parametrize(("operation", "code"), _stream_cases())
def test_every_stream_exception_surfaces_as_event_stream_error(operation: str, code: str) -> None:
    answer = Answer(["one", " two", " three", " four"])
    with BedrockMock() as mock:
        route = mock.on(operation=operation, return_value=mock.stream_error(code, 3, answer))
        result = _call(_client(), operation)
        received = []
        with pytest.raises(botocore.exceptions.EventStreamError) as caught:
            for event in _events(result):
                received.append(event)
    assert len(received) == 3
    assert caught.value.response["Error"]["Code"] == code
    assert caught.value.response["Error"]["Message"]
    assert route.call_count == 1  # botocore never retries a stream that already started


def test_model_stream_error_frame_carries_its_original_status() -> None:
    request = RecordedRequest("InvokeModelWithResponseStream", MODEL, BODY.encode())
    spec = faults.StreamError(
        "ModelStreamErrorException", after=1, original_status_code=500, original_message="reset"
    )
    events = spec.build(request).events
    assert events is not None and len(events) == 2
    last = events[-1]
    assert (last.message_type, last.event_type) == ("exception", "modelStreamErrorException")
    assert json.loads(last.message.payload) == {
        "message": error_shapes.DEFAULT_MESSAGES["ModelStreamErrorException"],
        "originalStatusCode": 500,
        "originalMessage": "reset",
    }


@pytest.mark.parametrize("after", [0, 2])
@pytest.mark.parametrize("operation", ["InvokeModelWithResponseStream", "ConverseStream"])
def test_dropped_connection_after_n_frames(operation: str, after: int) -> None:
    with BedrockMock() as mock:
        mock.on(operation=operation, return_value=mock.disconnect(after, Answer(["a", "b", "c"])))
        result = _call(_client(), operation)
        received = []
        with pytest.raises(ProtocolError, match="closed mid-stream"):
            for event in _events(result):
                received.append(event)
    assert len(received) == after


@pytest.mark.parametrize("operation", ["InvokeModelWithResponseStream", "ConverseStream"])
def test_corrupted_frame_fails_its_crc(operation: str) -> None:
    with BedrockMock() as mock:
        mock.on(operation=operation, return_value=mock.corrupt_frame(1, Answer(["a", "b", "c"])))
        result = _call(_client(), operation)
        received = []
        with pytest.raises(ChecksumMismatch, match="Checksum mismatch"):
            for event in _events(result):
                received.append(event)
    assert len(received) == 1


# --- refused when declared ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "outcome", "match"),
    [
        (
            "ConverseStream",
            lambda: faults.StreamError("modelTimeoutException"),
            r"ConverseStream stream cannot carry modelTimeoutException; its exception events: "
            r"internalServerException",
        ),
        (
            "Converse",
            lambda: faults.service_quota_exceeded(),
            r"Converse never fails with ServiceQuotaExceededException.*its errors: "
            r"AccessDeniedException",
        ),
        (
            "InvokeModel",
            lambda: faults.Disconnect(2),
            r"a dropped connection needs a streaming operation, not InvokeModel",
        ),
        (
            "InvokeModel",
            lambda: faults.CorruptFrame(0),
            r"a corrupted frame needs a streaming operation",
        ),
        (
            "InvokeModel",
            lambda: faults.Fault("ModelErrorException", fields={"originalMessage": "x"}),
            r"ModelErrorException has no member 'originalMessage'; its members: message, "
            r"originalStatusCode, resourceName",
        ),
    ],
    ids=[
        "timeout-in-converse-stream",
        "quota-on-converse",
        "drop-plain",
        "corrupt-plain",
        "member",
    ],
)
def test_impossible_faults_are_refused_when_declared(
    operation: str, outcome: Any, match: str
) -> None:
    route = BedrockMock().on(operation=operation)
    with pytest.raises(ConfigError, match=match):
        route.return_value = outcome()


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: faults.Fault("TooManyRequests"), r"unknown Bedrock Runtime error code"),
        (
            lambda: faults.StreamError("bogusException"),
            r"unknown stream exception 'bogusException'",
        ),
        (
            lambda: faults.StreamError("throttlingException", original_status_code=500),
            r"belong to modelStreamErrorException only",
        ),
        (lambda: faults.Disconnect(-1), r"after must be a frame count >= 0"),
    ],
    ids=["unknown-code", "unknown-stream-exception", "original-status-elsewhere", "negative"],
)
def test_malformed_faults_are_refused(make: Any, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        make()


def test_a_fault_beyond_the_end_of_the_stream_fails_when_served() -> None:
    request = RecordedRequest("InvokeModelWithResponseStream", MODEL, BODY.encode())
    with pytest.raises(ConfigError, match=r"at frame 9, but the stream has only 2 frames"):
        faults.Disconnect(9, Answer(["a", "b"])).build(request)


@pytest.mark.parametrize(("helper", "code"), sorted(faults.HELPERS.items()))
def test_helpers_are_named_after_the_error_codes(helper: str, code: str) -> None:
    assert faults.snake_name(code) == helper
    assert getattr(faults, helper)().code == code
    assert getattr(BedrockMock(), helper)().code == code


def test_every_error_code_has_a_helper() -> None:
    assert {faults.snake_name(code) for code in error_shapes.all_error_codes()} == set(
        faults.HELPERS
    )
