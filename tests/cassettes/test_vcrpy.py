"""Reading vcrpy / pytest-recording cassettes (``cassettes.vcrpy``): each mapping rule and each
malformed-input error, pinned down on synthetic vcrpy documents."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bedrock_vcr import (
    CassetteFormatError,
    StreamEvent,
    use_cassette,
)
from bedrock_vcr.cassettes.vcrpy import interactions_from_vcrpy, read_vcrpy

from .vcrpy_samples import CHUNKS, LLAMA, LLAMA_PATH, RUNTIME, STREAM_HEADERS, doc, frames, item

pytestmark = pytest.mark.usefixtures("aws_env")


# --- mapping rules -----------------------------------------------------------------------------

PRETTY = '{\n  "message": "The provided model identifier is invalid."\n}'


@pytest.mark.parametrize(
    ("given", "operation", "model_id", "request_body", "status", "response_body"),
    [
        (item(), "InvokeModel", LLAMA, b'{"prompt": "hi"}', 200, b'{"generation": "hello"}'),
        (
            item(
                f"{RUNTIME}/model/does-not-exist/invoke",
                body=None,
                status=400,
                response_body=PRETTY,
            ),
            "InvokeModel",
            "does-not-exist",
            b"",
            400,
            PRETTY.encode(),
        ),
        (
            item(body=b'{"prompt": "\xc3\xa9"}', response_body=b"\xff\x00 not utf-8"),
            "InvokeModel",
            LLAMA,
            '{"prompt": "é"}'.encode(),
            200,
            b"\xff\x00 not utf-8",
        ),
        (
            item(
                f"{RUNTIME}/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A012345678901%3A"
                "inference-profile%2Fus.anthropic.claude-3-haiku-20240307-v1%3A0/converse"
            ),
            "Converse",
            "arn:aws:bedrock:us-east-1:012345678901:inference-profile/"
            "us.anthropic.claude-3-haiku-20240307-v1:0",
            b'{"prompt": "hi"}',
            200,
            b'{"generation": "hello"}',
        ),
        (
            item(
                "http://127.0.0.1:8080/model/amazon.nova-lite-v1%3A0/converse-stream",
                status=403,
                headers=STREAM_HEADERS,
                response_body="",
            ),
            "ConverseStream",
            "amazon.nova-lite-v1:0",
            b'{"prompt": "hi"}',
            403,
            b"",
        ),
    ],
    ids=[
        "compact-json",
        "pretty-error-null-request",
        "binary-bodies",
        "arn-model-id",
        "custom-endpoint-error-on-stream-operation",
    ],
)
def test_interaction_maps_to_operation_model_and_exact_bytes(
    given: dict[str, Any],
    operation: str,
    model_id: str,
    request_body: bytes,
    status: int,
    response_body: bytes,
) -> None:
    [interaction] = interactions_from_vcrpy(doc(given))
    assert interaction.request.operation == operation
    assert interaction.request.model_id == model_id
    assert interaction.request.body == request_body
    assert interaction.response is not None
    assert interaction.response.status == status
    assert interaction.response.body == response_body
    assert interaction.response.events is None  # error answers are plain bodies


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "authorization",
        "X-Amz-Date",
        "X-Amz-Security-Token",
        "User-Agent",
        "amz-sdk-invocation-id",
        "amz-sdk-request",
        "X-Amz-Content-SHA256",
        "Content-Length",
        "X-Amzn-Trace-Id",
    ],
)
def test_credentials_and_sdk_headers_are_never_kept(name: str) -> None:
    value = [b"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240829/us-east-1/bedrock"]
    given = item(request_headers={name: value, "Content-Type": ["application/json"]})
    [interaction] = interactions_from_vcrpy(doc(given))
    assert interaction.request.headers == {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("recorded", "kept"),
    [
        ({"Accept": ["application/json"]}, {"accept": "application/json"}),
        ({"X-Amzn-Bedrock-Accept": [b"*/*"]}, {"x-amzn-bedrock-accept": "*/*"}),
        (
            {
                "X-Amzn-Bedrock-GuardrailIdentifier": ["gr-1"],
                "X-Amzn-Bedrock-GuardrailVersion": ["DRAFT"],
                "X-Amzn-Bedrock-Trace": "ENABLED",
            },
            {
                "x-amzn-bedrock-guardrailidentifier": "gr-1",
                "x-amzn-bedrock-guardrailversion": "DRAFT",
                "x-amzn-bedrock-trace": "ENABLED",
            },
        ),
    ],
    ids=["accept", "bytes-value", "guardrail-and-bare-value"],
)
def test_request_headers_that_change_the_answer_are_kept(
    recorded: dict[str, Any], kept: dict[str, str]
) -> None:
    [interaction] = interactions_from_vcrpy(doc(item(request_headers=recorded)))
    assert interaction.request.headers == kept


def test_response_headers_lower_cased_joined_and_cookies_dropped() -> None:
    headers = {
        "Content-Type": [b"application/json"],
        "x-amzn-RequestId": ["49f48fb6"],
        "X-Amzn-Bedrock-Input-Token-Count": [8],
        "Vary": ["Accept", "Origin"],
        "Set-Cookie": "session=abc",
        "Date": ["Thu, 29 Aug 2024 18:49:03 GMT"],
    }
    [interaction] = interactions_from_vcrpy(doc(item(headers=headers)))
    assert interaction.response is not None
    assert interaction.response.headers == {
        "content-type": "application/json",
        "x-amzn-requestid": "49f48fb6",
        "x-amzn-bedrock-input-token-count": "8",
        "vary": "Accept, Origin",
        "date": "Thu, 29 Aug 2024 18:49:03 GMT",
    }
    assert interaction.recorded_at == "2024-08-29T18:49:03+00:00"


def test_event_stream_body_becomes_its_frames() -> None:
    error = StreamEvent.exception(
        "modelStreamErrorException", {"message": "boom", "originalStatusCode": 500}
    )
    body = frames(*CHUNKS, error)
    given = item(
        f"{RUNTIME}{LLAMA_PATH}/invoke-with-response-stream",
        headers={"Content-Type": ["application/vnd.amazon.eventstream"]},
        response_body=body,
    )
    [interaction] = interactions_from_vcrpy(doc(given))
    events = interaction.response.events if interaction.response else None
    assert events is not None
    assert b"".join(e.frame for e in events) == body
    assert [e.message_type for e in events] == ["event", "event", "exception"]
    assert [e.offset for e in events] == [0.0, 0.0, 0.0]
    assert all(e.frame_override is None for e in events)


@pytest.mark.parametrize(
    ("uri", "method", "reason"),
    [
        ("https://sts.amazonaws.com/", "POST", r"not a Bedrock Runtime call \(host sts"),
        (
            "https://bedrock.us-east-1.amazonaws.com/foundation-models",
            "GET",
            r"host bedrock\.us-east-1",
        ),
        (
            f"{RUNTIME}{LLAMA_PATH}/invoke-with-bidirectional-stream",
            "POST",
            "not one of the operations bedrock-vcr replays",
        ),
        (f"{RUNTIME}/guardrail/gr-1/apply", "POST", "not one of the operations"),
        (f"{RUNTIME}{LLAMA_PATH}/invoke", "GET", r"GET /model/\S+/invoke is not one"),
    ],
    ids=["sts", "bedrock-control-plane", "bidirectional", "no-version", "get"],
)
def test_other_calls_are_skipped_and_reported(uri: str, method: str, reason: str) -> None:
    result = read_vcrpy(doc(item(uri, method=method), item()))
    assert [i.request.operation for i in result.interactions] == ["InvokeModel"]
    [skipped] = result.skipped
    assert (skipped.index, skipped.method, skipped.uri) == (0, method, uri)
    assert re.search(reason, skipped.reason)
    assert [i.index for i in result.imported] == [1]


@pytest.mark.parametrize(
    ("uri", "method", "body", "operation", "target"),
    [
        (f"{RUNTIME}{LLAMA_PATH}/count-tokens", "POST", '{"input": {}}', "CountTokens", LLAMA),
        (
            f"{RUNTIME}/guardrail/gr-1/version/1/apply",
            "POST",
            '{"source": "INPUT", "content": []}',
            "ApplyGuardrail",
            "gr-1:1",
        ),
        (f"{RUNTIME}/async-invoke", "POST", '{"modelId": "m.x-v1"}', "StartAsyncInvoke", "m.x-v1"),
        (
            f"{RUNTIME}/async-invoke?sortOrder=A&maxResults=2",
            "GET",
            None,
            "ListAsyncInvokes",
            "maxResults=2&sortOrder=A",
        ),
        (f"{RUNTIME}/async-invoke/arn%3Aaws%3Ab%2Fx", "GET", None, "GetAsyncInvoke", "arn:aws:b/x"),
    ],
    ids=["count-tokens", "apply-guardrail", "start-async", "list-async", "get-async"],
)
def test_every_operation_imports_with_its_target(
    uri: str, method: str, body: str | None, operation: str, target: str
) -> None:
    result = read_vcrpy(doc(item(uri, method=method, body=body, response_body='{"x": 1}')))
    assert not result.skipped
    [imported] = result.interactions
    assert (imported.request.operation, imported.request.model_id) == (operation, target)
    assert imported.request.method == method


# --- malformed input ---------------------------------------------------------------------------


def _truncated(i: dict[str, Any]) -> None:
    i["response"]["headers"] = STREAM_HEADERS
    i["response"]["body"]["string"] = frames(*CHUNKS)[:-5]


def _bad_crc(i: dict[str, Any]) -> None:
    data = bytearray(frames(*CHUNKS))
    data[-1] ^= 0xFF
    i["response"]["headers"] = STREAM_HEADERS
    i["response"]["body"]["string"] = bytes(data)


def _set(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(i: dict[str, Any]) -> None:
        node = i
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "problem", "json_path"),
    [
        (_set(("request",), "POST /invoke"), "expected a mapping, found str", "#/request"),
        (_set(("response",), None), "expected a mapping, found nothing", "#/response"),
        (_set(("request", "uri"), None), "expected the request URI as text", "#/request/uri"),
        (
            _set(("response", "status"), {"message": "OK"}),
            "expected an HTTP status code",
            "#/response/status/code",
        ),
        (_set(("response", "status", "code"), 700), "found 700", "#/response/status/code"),
        (
            _set(("request", "headers"), ["Accept: */*"]),
            "expected a mapping, found list",
            "#/request/headers",
        ),
        (
            _set(("response", "headers"), {"Content-Type": [{"x": 1}]}),
            "expected text, found dict",
            "#/response/headers/Content-Type/0",
        ),
        (
            _set(("request", "body"), 12),
            "a body must be text, !!binary or null, found int",
            "#/request/body",
        ),
        (_set(("response", "body", "string"), ["a"]), "found list", "#/response/body/string"),
        (
            _truncated,
            r"cannot be decoded after 1 frame\(s\): stream ended inside a frame",
            "#/response/body/string",
        ),
        (
            _bad_crc,
            r"cannot be decoded after 1 frame\(s\): message CRC mismatch",
            "#/response/body/string",
        ),
    ],
    ids=[
        "request-not-mapping",
        "response-missing",
        "uri-missing",
        "status-code-missing",
        "status-code-out-of-range",
        "headers-list",
        "header-value-mapping",
        "body-number",
        "response-string-list",
        "truncated-stream",
        "broken-crc",
    ],
)
def test_malformed_interaction_names_file_index_and_json_path(
    tmp_path: Path, mutate: Callable[[dict[str, Any]], None], problem: str, json_path: str
) -> None:
    broken = item(f"{RUNTIME}{LLAMA_PATH}/invoke-with-response-stream")
    mutate(broken)
    path = tmp_path / "vcrpy.yaml"
    with pytest.raises(CassetteFormatError, match=problem) as info:
        interactions_from_vcrpy(doc(item(), broken), path)
    assert (info.value.path, info.value.interaction, info.value.json_path) == (path, 1, json_path)
    assert f"where: {path}, interaction 1, {json_path}" in str(info.value)


@pytest.mark.parametrize(
    ("given", "problem", "json_path"),
    [
        ({"version": 2, "interactions": [item()]}, "unknown vcrpy cassette version 2", "#/version"),
        (
            {"version": 1, "interactions": {"request": {}}},
            "'interactions' must be a list",
            "#/interactions",
        ),
    ],
    ids=["version", "interactions-mapping"],
)
def test_malformed_document(given: dict[str, Any], problem: str, json_path: str) -> None:
    with pytest.raises(CassetteFormatError, match=problem) as info:
        read_vcrpy(given, "c.yaml")
    assert info.value.json_path == json_path


def test_use_cassette_on_a_malformed_vcrpy_file_fails_with_its_location(tmp_path: Path) -> None:
    path = tmp_path / "vcrpy.yaml"
    path.write_text(yaml.safe_dump(doc(item(status="teapot"))))
    with pytest.raises(CassetteFormatError, match=r"interaction 0, #/response/status/code"):
        with use_cassette(path):
            pass
