"""Reading vcrpy / pytest-recording cassettes and converting them (``bedrock_vcr.cassettes.vcrpy``).

Synthetic vcrpy documents pin down each mapping rule and each malformed-input error; a cassette
written by vcrpy itself (recording boto3 calls to the project's local server) shows that what
vcrpy writes today replays through bedrock-vcr, directly and after conversion, exactly as the
calls went live and as vcrpy replays them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from bedrock_vcr import (
    CassetteError,
    CassetteFormatError,
    SecretInCassetteError,
    StreamEvent,
    use_cassette,
)
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cassettes.vcrpy import (
    ImportReport,
    convert_file,
    interactions_from_vcrpy,
    load_document,
    read_vcrpy,
)
from bedrock_vcr.server.app import BedrockServer

from ..helpers import NO_RETRY
from ..intercept.test_real_cassettes_replay import Call, load_recorded, outcome

pytestmark = pytest.mark.usefixtures("aws_env")

RUNTIME = "https://bedrock-runtime.us-east-1.amazonaws.com"
LLAMA = "meta.llama3-70b-instruct-v1:0"
LLAMA_PATH = "/model/meta.llama3-70b-instruct-v1%3A0"


def item(
    uri: str = f"{RUNTIME}{LLAMA_PATH}/invoke",
    *,
    method: str = "POST",
    body: Any = '{"prompt": "hi"}',
    request_headers: dict[str, Any] | None = None,
    status: Any = 200,
    headers: dict[str, Any] | None = None,
    response_body: Any = '{"generation": "hello"}',
) -> dict[str, Any]:
    """One interaction shaped as vcrpy writes it."""
    return {
        "request": {
            "body": body,
            "headers": request_headers if request_headers is not None else {},
            "method": method,
            "uri": uri,
        },
        "response": {
            "body": {"string": response_body},
            "headers": headers if headers is not None else {"Content-Type": ["application/json"]},
            "status": {"code": status, "message": "OK"},
        },
    }


def doc(*items: dict[str, Any]) -> dict[str, Any]:
    return {"interactions": list(items), "version": 1}


def frames(*events: StreamEvent) -> bytes:
    return b"".join(e.frame for e in events)


STREAM_HEADERS = {"Content-Type": ["application/vnd.amazon.eventstream"]}
CHUNKS = (
    StreamEvent.chunk({"generation": "Hel", "stop_reason": None}),
    StreamEvent.chunk({"generation": "lo", "stop_reason": "stop"}),
)


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
        (f"{RUNTIME}{LLAMA_PATH}/count-tokens", "POST", "not one of the operations"),
        (f"{RUNTIME}/guardrail/gr-1/version/1/apply", "POST", "not one of the operations"),
        (f"{RUNTIME}{LLAMA_PATH}/invoke", "GET", "method GET"),
    ],
    ids=["sts", "bedrock-control-plane", "count-tokens", "apply-guardrail", "get"],
)
def test_other_calls_are_skipped_and_reported(uri: str, method: str, reason: str) -> None:
    result = read_vcrpy(doc(item(uri, method=method), item()))
    assert [i.request.operation for i in result.interactions] == ["InvokeModel"]
    [skipped] = result.skipped
    assert (skipped.index, skipped.method, skipped.uri) == (0, method, uri)
    assert re.search(reason, skipped.reason)
    assert [i.index for i in result.imported] == [1]


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
    assert [e["chunk"]["json"]["generation"] for e in stored] == ["Hel", "lo"]
    reread = serialize.load_file(dest)
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
    assert serialize.load_file(dest)[0].request.operation == "InvokeModel"


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


def test_cassette_recorded_by_vcrpy_replays_like_the_live_calls(
    server: BedrockServer, tmp_path: Path
) -> None:
    vcr = pytest.importorskip("vcr")
    path = tmp_path / "vcrpy.yaml"

    def run_all() -> list[dict[str, Any]]:
        client = boto3.client("bedrock-runtime", endpoint_url=server.url, config=NO_RETRY)
        recorded = load_recorded(path) if path.exists() else [None] * len(CALLS)
        return [outcome(client, call, rec) for call, rec in zip(CALLS, recorded, strict=True)]

    with vcr.use_cassette(str(path), record_mode="all"):
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
