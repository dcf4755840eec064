"""Real vcrpy recordings replay through boto3 exactly as botocore parses their recorded bytes.

For every interaction of the vcrpy cassettes in ``real-cassettes/openllmetry`` and
``real-cassettes/otel-contrib`` the request is rebuilt from the recording (operation and model id
from the URI, body and modelled headers from the recorded request) and sent three times:

- **reference**: a ``before-send`` handler of this module answers with an ``AWSResponse`` over a
  urllib3 ``HTTPResponse`` holding the *original* recorded bytes and headers, so what comes out is
  botocore's own parse of what the service sent;
- through ``use_cassette(<the vcrpy file>)`` (direct replay);
- through ``use_cassette(<the file written by convert_file>)``.

The three must agree on the parsed response, ``body.read()``, the sequence of stream events and
the exception (class, code, message). The helpers here are shared with ``test_vcrpy_import``.
"""

from __future__ import annotations

import base64
import io
import json
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
import botocore.session
import pytest
import yaml
from botocore.awsrequest import AWSResponse
from botocore.eventstream import EventStream, EventStreamBuffer
from botocore.exceptions import ClientError, EventStreamError
from botocore.model import Shape
from botocore.response import StreamingBody
from urllib3 import HTTPResponse
from urllib3._collections import HTTPHeaderDict

from bedrock_vcr import use_cassette
from bedrock_vcr.cassettes import records as model
from bedrock_vcr.cassettes.vcrpy_convert import convert_file

from ..cassettes.samples import stream_lines
from ..helpers import NO_RETRY, REAL_CASSETTES

FOLDERS = ("openllmetry", "otel-contrib")
STREAM_CONTENT_TYPE = "application/vnd.amazon.eventstream"

pytestmark = pytest.mark.usefixtures("aws_env")

try:
    _FAST_LOADER: Any = yaml.CSafeLoader
except AttributeError:  # PyYAML without libyaml
    _FAST_LOADER = yaml.SafeLoader


# --- the recorded exchange, read independently of bedrock_vcr ---------------------------------


def _joined(value: Any) -> str:
    items = value if isinstance(value, list) else [value]
    return ", ".join(v.decode() if isinstance(v, bytes) else str(v) for v in items)


@dataclass(frozen=True)
class Recorded:
    """One vcrpy interaction as the test reads it (plain PyYAML, no bedrock_vcr code)."""

    uri: str
    request_body: bytes | None
    request_headers: dict[str, str]
    status: int
    response_headers: list[tuple[str, str]]  # as recorded: names in their case, every value
    response_body: bytes

    @classmethod
    def from_doc(cls, item: dict[str, Any]) -> Recorded:
        request, response = item["request"], item["response"]
        body = request["body"]
        raw = response["body"]["string"]
        headers = []
        for name, values in response["headers"].items():
            for value in values if isinstance(values, list) else [values]:
                headers.append((name, value.decode() if isinstance(value, bytes) else str(value)))
        return cls(
            uri=request["uri"],
            request_body=body.encode() if isinstance(body, str) else body,
            request_headers={k.lower(): _joined(v) for k, v in request["headers"].items()},
            status=int(response["status"]["code"]),
            response_headers=headers,
            response_body=raw.encode() if isinstance(raw, str) else raw,
        )

    def header(self, name: str) -> str | None:
        for key, value in self.response_headers:
            if key.lower() == name:
                return value
        return None

    @property
    def is_stream(self) -> bool:
        content_type = self.header("content-type") or ""
        return content_type.startswith(STREAM_CONTENT_TYPE) and self.status < 300

    def same_request(self, other: Recorded) -> bool:
        return self.uri == other.uri and _canonical(self.request_body) == _canonical(
            other.request_body
        )


def _canonical(body: bytes | None) -> Any:
    try:
        return json.loads(body) if body else body
    except ValueError:
        return body


@cache
def load_recorded(path: Path) -> tuple[Recorded, ...]:
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_FAST_LOADER)
    return tuple(Recorded.from_doc(item) for item in doc["interactions"])


# --- turning a recorded request into a boto3 call ----------------------------------------------


@cache
def _service_model() -> Any:
    return botocore.session.get_session().get_service_model("bedrock-runtime")


def _operation_for(path: str) -> tuple[str, str]:
    """Match the path against botocore's request URI templates: (operation name, model id)."""
    service = _service_model()
    for name in service.operation_names:
        template = service.operation_model(name).http["requestUri"]
        if "{modelId}" not in template:
            continue
        pattern = re.escape(template).replace(re.escape("{modelId}"), "(?P<model>[^/]+)")
        found = re.fullmatch(pattern, path)
        if found:
            return name, unquote(found["model"])
    raise AssertionError(f"no bedrock-runtime operation has the path {path}")


def _params(shape: Shape, value: Any) -> Any:
    """JSON from the wire back to boto3 parameters (base64 blobs become bytes)."""
    if shape.type_name == "structure" and isinstance(value, dict):
        members = shape.members
        return {k: _params(members[k], v) if k in members else v for k, v in value.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [_params(shape.member, v) for v in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: _params(shape.value, v) for k, v in value.items()}
    if shape.type_name == "blob" and isinstance(value, str):
        return base64.b64decode(value)
    return value


@dataclass(frozen=True)
class Call:
    operation: str  # botocore operation name
    method: str  # boto3 client method
    kwargs: dict[str, Any]


def call_for(recorded: Recorded) -> Call:
    """The boto3 call that sends ``recorded``'s request (JSON bodies re-sent compact)."""
    path = urlsplit(recorded.uri).path
    name, model_id = _operation_for(path)
    op = _service_model().operation_model(name)
    kwargs: dict[str, Any] = {"modelId": model_id}
    for member, shape in op.input_shape.members.items():
        if shape.serialization.get("location") == "header":
            value = recorded.request_headers.get(shape.serialization["name"].lower())
            if value is not None:
                kwargs[member] = value
    payload = op.input_shape.serialization.get("payload")
    body = recorded.request_body
    if payload:  # InvokeModel*: the body is the model's own bytes
        if body is not None:
            parsed = _canonical(body)
            kwargs[payload] = (
                json.dumps(parsed, separators=(",", ":")).encode()
                if not isinstance(parsed, bytes)
                else body
            )
    elif body:
        kwargs.update(_params(op.input_shape, json.loads(body)))
    return Call(name, botocore.xform_name(name), kwargs)


# --- what a caller observes --------------------------------------------------------------------


def _metadata(meta: dict[str, Any], recorded: Recorded | None) -> dict[str, Any]:
    """ResponseMetadata minus RetryAttempts, with headers bedrock-vcr never stores removed.

    A replayed plain body carries a ``content-length`` even when the recording had none; it must
    then be the recorded body's length, and is left out of the comparison.
    """
    out = {k: v for k, v in meta.items() if k != "RetryAttempts"}
    headers = {
        k: v for k, v in out["HTTPHeaders"].items() if k not in model.DROPPED_RESPONSE_HEADERS
    }
    if recorded is not None and recorded.header("content-length") is None:
        length = headers.pop("content-length", None)
        assert length is None or int(length) == len(recorded.response_body)
    out["HTTPHeaders"] = headers
    return out


def _error(exc: ClientError | EventStreamError) -> dict[str, Any]:
    return {
        "class": type(exc).__name__,
        "error": exc.response.get("Error"),
        "message": str(exc),
    }


def outcome(client: Any, call: Call, recorded: Recorded | None = None) -> dict[str, Any]:
    """Everything the caller can see: parsed fields, bytes read, events, exceptions."""
    try:
        response = getattr(client, call.method)(**call.kwargs)
    except ClientError as exc:
        meta = exc.response.get("ResponseMetadata", {})
        return {
            "raised": _error(exc),
            "status": meta.get("HTTPStatusCode"),
            "metadata": _metadata(meta, recorded),
        }
    result: dict[str, Any] = {"metadata": _metadata(response.pop("ResponseMetadata"), recorded)}
    for key, value in response.items():
        if isinstance(value, StreamingBody):
            result[key] = value.read()
        elif isinstance(value, EventStream):
            events: list[Any] = []
            try:
                for event in value:
                    events.append(event)
            except EventStreamError as exc:
                events.append({"raised": _error(exc)})
            result[key] = events
        else:
            result[key] = value
    return result


def reference_handler(recorded: Recorded) -> Callable[..., AWSResponse]:
    """A ``before-send`` handler answering with the recorded bytes, as urllib3 would hand them."""

    def before_send(request: Any, **_: Any) -> AWSResponse:
        headers = HTTPHeaderDict()
        for name, value in recorded.response_headers:
            headers.add(name, value)
        raw = HTTPResponse(
            body=io.BytesIO(recorded.response_body),
            headers=headers,
            status=recorded.status,
            preload_content=False,
            decode_content=False,
        )
        return AWSResponse(request.url, recorded.status, headers, raw)

    return before_send


def reference_outcome(recorded: Recorded) -> dict[str, Any]:
    client = boto3.client("bedrock-runtime", config=NO_RETRY)
    client.meta.events.register("before-send.bedrock-runtime", reference_handler(recorded))
    return outcome(client, call_for(recorded), recorded)


def replayed_outcome(
    cassette: Path, recorded: Recorded, earlier: Sequence[Recorded] = ()
) -> dict[str, Any]:
    """Replay ``recorded`` from ``cassette``, first consuming identical earlier requests.

    Replay runs with default settings, schema validation included; models without a schema (an
    imported SageMaker endpoint, ``does-not-exist``) get validation's one-time notice, which is
    not what this test is about.
    """
    with warnings.catch_warnings(), use_cassette(cassette):
        warnings.filterwarnings("ignore", "bedrock-vcr: no schema for model", UserWarning)
        client = boto3.client("bedrock-runtime", config=NO_RETRY)
        for other in earlier:
            if other.same_request(recorded):
                outcome(client, call_for(other), other)
        return outcome(client, call_for(recorded), recorded)


# --- the cases ---------------------------------------------------------------------------------


def _cases() -> list[Any]:
    files = [p for folder in FOLDERS for p in sorted((REAL_CASSETTES / folder).glob("*.yaml"))]
    if not files:
        reason = f"real cassettes not found under {REAL_CASSETTES} (set BEDROCK_VCR_REAL_CASSETTES)"
        return [pytest.param(None, 0, marks=pytest.mark.skip(reason=reason), id="absent")]
    return [
        pytest.param(path, index, id=f"{path.parent.name}/{path.name}#{index}")
        for path in files
        for index in range(len(load_recorded(path)))
    ]


def _files() -> list[Any]:
    seen: dict[Path, Any] = {}
    for case in _cases():
        path = case.values[0]
        if path is None:
            return [pytest.param(None, marks=case.marks, id="absent")]
        seen.setdefault(path, pytest.param(path, id=f"{path.parent.name}/{path.name}"))
    return list(seen.values())


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[Path], Path]]:
    """Convert each vcrpy file once per module run; returns the converted path."""
    out = tmp_path_factory.mktemp("converted")
    done: dict[Path, Path] = {}

    def get(path: Path) -> Path:
        if path not in done:
            dest = out / f"{path.parent.name}__{path.name}"
            convert_file(path, dest)
            done[path] = dest
        return done[path]

    yield get


@pytest.mark.parametrize(("path", "index"), _cases())
@pytest.mark.parametrize("via", ["vcrpy-file", "converted"])
def test_replay_matches_botocore_parsing_the_recorded_bytes(
    path: Path, index: int, via: str, converted: Callable[[Path], Path]
) -> None:
    recorded = load_recorded(path)
    expected = reference_outcome(recorded[index])
    before = path.read_bytes()
    cassette = path if via == "vcrpy-file" else converted(path)
    actual = replayed_outcome(cassette, recorded[index], recorded[:index])
    assert actual == expected
    assert path.read_bytes() == before  # replaying a vcrpy file never rewrites it


def test_reference_sees_what_the_service_sent() -> None:
    """The reference itself parses: a stream yields events, an error raises (not vacuous)."""
    cases = {c.id: c.values for c in _cases() if c.values[0] is not None}
    if not cases:
        pytest.skip("real cassettes absent")
    path, _ = cases["openllmetry/traces__test_titan__test_titan_invoke_stream.yaml#0"]
    stream = reference_outcome(load_recorded(path)[0])
    assert len(stream["body"]) == 3 and all("chunk" in e for e in stream["body"])
    path, _ = cases["otel-contrib/test_converse_with_invalid_model.yaml#0"]
    error = reference_outcome(load_recorded(path)[0])
    assert error["raised"]["class"] == "ValidationException"
    assert error["raised"]["error"]["Message"] == "The provided model identifier is invalid."


# --- the converted files -----------------------------------------------------------------------

#: Request headers whose values are credentials or identify one signed request.
SENSITIVE = ("authorization", "x-amz-security-token", "x-amz-date", "amz-sdk-invocation-id")


@pytest.mark.parametrize("path", _files())
def test_converted_file_holds_no_credential(path: Path, converted: Callable[[Path], Path]) -> None:
    text = converted(path).read_text(encoding="utf-8")
    lowered = text.lower()
    for name in (*SENSITIVE, "user-agent", "amz-sdk-request", "x-amz-content-sha256"):
        assert name not in lowered
    for recorded in load_recorded(path):
        for name in SENSITIVE:
            value = recorded.request_headers.get(name)
            if value:
                assert value not in text
    assert not re.search(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", text)
    assert "bearer " not in lowered


def _walk(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


@pytest.mark.parametrize("path", _files())
def test_converted_file_is_readable(path: Path, converted: Callable[[Path], Path]) -> None:
    """No base64 anywhere; each chunk stored as the JSON that botocore's decoded bytes hold."""
    text = converted(path).read_text(encoding="utf-8")
    assert "!!binary" not in text
    doc = yaml.safe_load(text)
    assert not any(isinstance(n, dict) and "base64" in n for n in _walk(doc))
    recorded = load_recorded(path)
    assert len(doc["interactions"]) == len(recorded)
    for stored, original in zip(doc["interactions"], recorded, strict=True):
        assert "json" in stored["request"]["body"] or not original.request_body
        if not original.is_stream:
            # JSON whose numbers json.dumps would spell differently (``3.6E-6``) stays text.
            body = stored["response"]["body"]
            assert body.get("json") or json.loads(body["text"]) == json.loads(
                original.response_body
            )
            continue
        buffer = EventStreamBuffer()
        buffer.add_data(original.response_body)
        messages = list(buffer)
        lines = stream_lines(stored["response"]["stream"])  # every real stream has lines
        assert len(lines) == len(messages)
        for (_, kind, shown), message in zip(lines, messages, strict=True):
            payload = json.loads(message.payload)
            assert kind == message.headers[":event-type"]
            if kind == "chunk":
                inner = json.loads(base64.b64decode(payload.pop("bytes")))
                assert shown.pop("bytes") == inner  # decoded, in its place
            assert shown == payload


@pytest.mark.parametrize("path", _files())
def test_report_lists_every_interaction(path: Path, tmp_path: Path) -> None:
    report = convert_file(path, tmp_path / "out.yaml")
    recorded = load_recorded(path)
    assert report.skipped == ()
    assert [i.index for i in report.imported] == list(range(len(recorded)))
    for item, original in zip(report.imported, recorded, strict=True):
        call = call_for(original)
        assert (item.operation, item.model_id, item.status) == (
            call.operation,
            call.kwargs["modelId"],
            original.status,
        )
        if original.is_stream:
            buffer = EventStreamBuffer()
            buffer.add_data(original.response_body)
            assert item.stream_events == len(list(buffer))
        else:
            assert item.stream_events is None
    assert "x-amz-date" in report.dropped_request_headers
