"""aiobotocore clients: record against the local server, replay offline, simulate with the mock."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest

from bedrock_vcr import RecordedRequest, RecordedResponse, StreamEvent, use_cassette
from bedrock_vcr.intercept.mock import BedrockMock
from bedrock_vcr.server.http1 import BedrockServer
from bedrock_vcr.server.sources import ScriptedSource
from bedrock_vcr.simulation import Answer

from .. import scripted
from ..helpers import NO_RETRY

aiobotocore_session = pytest.importorskip("aiobotocore.session")
aiohttp = pytest.importorskip("aiohttp")

from bedrock_vcr.errors import UnfinishedStreamWarning  # noqa: E402  (needs aiobotocore)

LLAMA = "meta.llama3-70b-instruct-v1:0"
NOVA = "us.amazon.nova-lite-v1:0"
OPERATIONS = ["invoke_model", "invoke_model_with_response_stream", "converse", "converse_stream"]

pytestmark = pytest.mark.usefixtures("aws_env")


def run_async(url: str, use: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run ``use(client)`` with a fresh aiobotocore client, closed afterwards."""

    async def main() -> Any:
        session = aiobotocore_session.get_session()
        async with session.create_client(
            "bedrock-runtime", endpoint_url=url, config=NO_RETRY
        ) as client:
            return await use(client)

    return asyncio.run(main())


def _metadata(response: dict[str, Any]) -> dict[str, Any]:
    meta = dict(response["ResponseMetadata"])
    skip = ("date", "server", "transfer-encoding", "content-length", "connection")
    meta["HTTPHeaders"] = {k: v for k, v in meta.pop("HTTPHeaders").items() if k not in skip}
    return meta


def _invoke_body(prompt: str) -> str:
    return json.dumps({"prompt": prompt, "max_gen_len": 32})


def _messages(prompt: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": prompt}]}]


async def run_operation_async(c: Any, operation: str, prompt: str = "hello") -> Any:
    """Call one operation through an async client; everything the caller can observe."""
    try:
        if operation == "invoke_model":
            r = await c.invoke_model(modelId=LLAMA, body=_invoke_body(prompt))
            async with r["body"] as body:
                data = await body.read()
            return {"body": data, "contentType": r["contentType"], "meta": _metadata(r)}
        if operation == "invoke_model_with_response_stream":
            r = await c.invoke_model_with_response_stream(modelId=LLAMA, body=_invoke_body(prompt))
            return {"events": [e async for e in r["body"]], "meta": _metadata(r)}
        if operation == "converse":
            r = await c.converse(modelId=NOVA, messages=_messages(prompt))
            meta = _metadata(r)
            r.pop("ResponseMetadata")
            return {"result": r, "meta": meta}
        r = await c.converse_stream(modelId=NOVA, messages=_messages(prompt))
        return {"events": [e async for e in r["stream"]], "meta": _metadata(r)}
    except botocore.exceptions.ClientError as exc:
        return _error(exc)


def run_operation_sync(c: Any, operation: str, prompt: str = "hello") -> Any:
    """The same observation through a boto3 client."""
    try:
        if operation == "invoke_model":
            r = c.invoke_model(modelId=LLAMA, body=_invoke_body(prompt))
            return {"body": r["body"].read(), "contentType": r["contentType"], "meta": _metadata(r)}
        if operation == "invoke_model_with_response_stream":
            r = c.invoke_model_with_response_stream(modelId=LLAMA, body=_invoke_body(prompt))
            return {"events": list(r["body"]), "meta": _metadata(r)}
        if operation == "converse":
            r = c.converse(modelId=NOVA, messages=_messages(prompt))
            meta = _metadata(r)
            r.pop("ResponseMetadata")
            return {"result": r, "meta": meta}
        r = c.converse_stream(modelId=NOVA, messages=_messages(prompt))
        return {"events": list(r["stream"]), "meta": _metadata(r)}
    except botocore.exceptions.ClientError as exc:
        return _error(exc)


def _error(exc: botocore.exceptions.ClientError) -> dict[str, Any]:
    error = dict(exc.response)
    meta = error.pop("ResponseMetadata", None)
    return {
        "raised": type(exc).__name__,
        "error": error.get("Error"),
        "status": meta and meta.get("HTTPStatusCode"),
    }


def sync_client(url: str) -> Any:
    return boto3.client("bedrock-runtime", endpoint_url=url, config=NO_RETRY)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_operation_recorded_then_replayed_offline_alike_for_async_and_sync_clients(
    server: BedrockServer, tmp_path: Path, operation: str
) -> None:
    path = tmp_path / "cassette.yaml"
    with use_cassette(path, record_mode="once") as cassette:
        recorded = run_async(server.url, lambda c: run_operation_async(c, operation))
    assert len(cassette.new_interactions) == 1
    assert cassette.new_interactions[0].response is not None
    server.stop()  # replay must not need the server

    with use_cassette(path) as cassette:
        replayed = run_async(server.url, lambda c: run_operation_async(c, operation))
    assert cassette.play_count == 1
    with use_cassette(path):
        from_sync = run_operation_sync(sync_client(server.url), operation)

    assert "raised" not in recorded
    assert replayed == recorded
    assert from_sync == recorded


def test_stream_recorded_by_sync_client_replays_to_async_client(
    server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "cassette.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = run_operation_sync(sync_client(server.url), "converse_stream")
    server.stop()
    with use_cassette(path):
        replayed = run_async(server.url, lambda c: run_operation_async(c, "converse_stream"))
    assert replayed == recorded
    assert len(recorded["events"]) == 9


@pytest.mark.parametrize("operation", ["invoke_model_with_response_stream", "converse_stream"])
def test_stream_reaches_caller_incrementally_while_recording_and_replaying(
    server: BedrockServer, tmp_path: Path, operation: str
) -> None:
    path = tmp_path / "cassette.yaml"

    async def arrivals(c: Any, in_flight: list[bool] | None = None, cassette: Any = None) -> Any:
        start = time.monotonic()
        if operation == "converse_stream":
            r = await c.converse_stream(modelId=NOVA, messages=_messages("hi"))
            stream = r["stream"]
        else:
            r = await c.invoke_model_with_response_stream(modelId=LLAMA, body=_invoke_body("hi"))
            stream = r["body"]
        times = []
        async for _ in stream:
            times.append(time.monotonic() - start)
            if in_flight is not None:
                in_flight.append(cassette.new_interactions[0].response is None)
        return times

    in_flight: list[bool] = []
    with use_cassette(path, record_mode="once") as cassette:
        live = run_async(server.url, lambda c: arrivals(c, in_flight, cassette))
    assert in_flight[0] is True  # the first event arrived before the recording was complete
    assert cassette.new_interactions[0].response is not None
    spread = 4 * scripted.STREAM_GAP * 0.5
    assert live[-1] - live[0] >= spread, live
    server.stop()

    with use_cassette(path, replay_speed=1.0):
        paced = run_async(server.url, arrivals)
    assert len(paced) == len(live)
    assert paced[-1] - paced[0] >= spread, paced  # one by one, at the recorded pace

    with use_cassette(path):
        fast = run_async(server.url, arrivals)
    assert len(fast) == len(live)


@pytest.mark.parametrize(
    ("operation", "code", "before_error"),
    [
        ("invoke_model_with_response_stream", "modelStreamErrorException", 3),
        ("converse_stream", "throttlingException", 6),
    ],
    ids=["invoke-stream", "converse-stream"],
)
def test_midstream_exception_frame_raises_and_is_recorded_whole(
    server: BedrockServer, tmp_path: Path, operation: str, code: str, before_error: int
) -> None:
    path = tmp_path / "cassette.yaml"

    async def consume(c: Any) -> tuple[list[Any], dict[str, Any]]:
        if operation == "converse_stream":
            r = await c.converse_stream(modelId=NOVA, messages=_messages("MIDSTREAM"))
            stream = r["stream"]
        else:
            r = await c.invoke_model_with_response_stream(
                modelId=LLAMA, body=_invoke_body("MIDSTREAM")
            )
            stream = r["body"]
        received: list[Any] = []
        with pytest.raises(botocore.exceptions.EventStreamError, match=code) as info:
            async for event in stream:
                received.append(event)
        return received, info.value.response["Error"]

    with use_cassette(path, record_mode="once") as cassette:
        recorded = run_async(server.url, consume)
        # finished as soon as the exception frame arrived, before the cassette closes
        response = cassette.new_interactions[0].response
    assert response is not None and response.events is not None
    assert response.events[-1].message_type == "exception"
    assert len(response.events) == before_error + 1
    assert response.stream_end == "complete"
    server.stop()

    with use_cassette(path):
        replayed = run_async(server.url, consume)
    assert replayed == recorded
    assert len(recorded[0]) == before_error
    assert recorded[1]["Code"] == code


@pytest.mark.parametrize(
    ("code", "status"),
    [("ValidationException", 400), ("ThrottlingException", 429), ("ModelErrorException", 424)],
    ids=["validation", "throttling", "model-error"],
)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_http_error_raises_the_modelled_exception_class(
    server: BedrockServer, tmp_path: Path, operation: str, code: str, status: int
) -> None:
    path = tmp_path / "cassette.yaml"
    prompt = f"ERROR:{code}:{status}"

    async def call(c: Any) -> tuple[Any, str]:
        observed = await run_operation_async(c, operation, prompt)
        modelled = getattr(c.exceptions, code)
        with pytest.raises(modelled, match=f"scripted {code}"):
            if operation.startswith("invoke"):
                await getattr(c, operation)(modelId=LLAMA, body=_invoke_body(prompt))
            else:
                await getattr(c, operation)(modelId=NOVA, messages=_messages(prompt))
        return observed, modelled.__name__

    with use_cassette(path, record_mode="once", allow_playback_repeats=True):
        recorded = run_async(server.url, call)
    server.stop()
    with use_cassette(path, allow_playback_repeats=True):
        replayed = run_async(server.url, call)
    assert replayed == recorded
    assert recorded[0]["error"]["Code"] == code
    assert recorded[0]["status"] == status
    assert recorded[1] == code


def _dropped(request: RecordedRequest) -> RecordedResponse | None:
    events = [StreamEvent.event("messageStart", {"role": "assistant"})]
    events.append(
        StreamEvent.event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}})
    )
    headers = {"content-type": "application/vnd.amazon.eventstream"}
    return RecordedResponse(200, headers, events=events, stream_end="dropped")


def test_dropped_connection_replays_as_aiohttp_reports_it(tmp_path: Path) -> None:
    path = tmp_path / "cassette.yaml"

    async def consume(c: Any) -> tuple[list[Any], type[BaseException]]:
        r = await c.converse_stream(modelId=NOVA, messages=_messages("hi"))
        received: list[Any] = []
        with pytest.raises(aiohttp.ClientPayloadError) as info:
            async for event in r["stream"]:
                received.append(event)
        return received, info.type

    with BedrockServer([ScriptedSource(_dropped)]) as srv:
        with use_cassette(path, record_mode="once") as cassette:
            recorded = run_async(srv.url, consume)
        url = srv.url
    response = cassette.new_interactions[0].response
    assert response is not None and response.stream_end == "dropped"
    with use_cassette(path):
        replayed = run_async(url, consume)
    assert replayed == recorded
    assert len(recorded[0]) == 2


def test_stream_left_unread_is_not_recorded_and_warns(
    server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "cassette.yaml"

    async def first_event_only(c: Any) -> Any:
        r = await c.converse_stream(modelId=NOVA, messages=_messages("hi"))
        async for event in r["stream"]:
            r["stream"].close()
            return event

    with pytest.warns(UnfinishedStreamWarning, match=r"not read to its end \(1 event"):
        with use_cassette(path, record_mode="once"):
            first = run_async(server.url, first_event_only)
    assert first == {"messageStart": {"role": "assistant"}}
    assert not path.exists()


def test_mock_answers_an_async_client() -> None:
    async def ask(c: Any) -> tuple[str, list[Any]]:
        r = await c.invoke_model(modelId=LLAMA, body=_invoke_body("hi"))
        async with r["body"] as body:
            text = json.loads(await body.read())["generation"]
        s = await c.converse_stream(modelId=NOVA, messages=_messages("hi"))
        return text, [e async for e in s["stream"]]

    with BedrockMock() as mock:
        mock.on(model_id=LLAMA, operation="invoke_model", return_value=Answer("Hi!"))
        stream_route = mock.on(
            model_id=NOVA, operation="converse_stream", return_value=Answer("Hello there")
        )
        text, events = run_async("https://bedrock-runtime.us-east-1.amazonaws.com", ask)
    assert text == "Hi!"
    deltas = [e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e]
    assert "".join(deltas) == "Hello there"
    assert stream_route.call_count == 1


def test_mock_fault_raises_modelled_exception_for_an_async_client() -> None:
    async def ask(c: Any) -> None:
        await c.converse(modelId=NOVA, messages=_messages("hi"))

    with BedrockMock() as mock:
        mock.on(model_id=NOVA, side_effect=mock.throttling("slow down"))
        with pytest.raises(botocore.exceptions.ClientError, match="slow down") as info:
            run_async("https://bedrock-runtime.us-east-1.amazonaws.com", ask)
    assert info.value.response["Error"]["Code"] == "ThrottlingException"
