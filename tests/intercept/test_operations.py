"""Every operation botocore can send records against the local server and replays offline."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.awsrequest import AWSPreparedRequest

from bedrock_vcr import (
    UnmatchedRequestError,
    UnsupportedOperationError,
    mock_bedrock,
    use_cassette,
)
from bedrock_vcr.bedrock.operations import NAMES, OPERATIONS
from bedrock_vcr.cassettes.cassette import Cassette
from bedrock_vcr.intercept.player import CassettePlayer
from bedrock_vcr.server.http1 import BedrockServer

from ..cassettes.vcrpy_samples import RUNTIME, doc, item
from ..helpers import NO_RETRY
from ..scripted_operations import INVOCATION

pytestmark = pytest.mark.usefixtures("aws_env")

NOVA = "amazon.nova-lite-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "count me"}]}]

CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "CountTokens": (
        "count_tokens",
        {"modelId": NOVA, "input": {"converse": {"messages": MESSAGES}}},
    ),
    "ApplyGuardrail": (
        "apply_guardrail",
        {
            "guardrailIdentifier": "gr-abc123",
            "guardrailVersion": "DRAFT",
            "source": "INPUT",
            "content": [{"text": {"text": "please BLOCK this"}}],
        },
    ),
    "InvokeGuardrailChecks": (
        "invoke_guardrail_checks",
        {
            "messages": [{"role": "user", "content": [{"text": "hi"}]}],
            "checks": {"contentFilter": {"categories": [{"category": "HATE"}]}},
        },
    ),
    "StartAsyncInvoke": (
        "start_async_invoke",
        {
            "modelId": "amazon.nova-reel-v1:0",
            "modelInput": {"taskType": "TEXT_VIDEO"},
            "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://bucket/out/"}},
            "clientRequestToken": "token-1",
        },
    ),
    "GetAsyncInvoke": ("get_async_invoke", {"invocationArn": INVOCATION}),
    "ListAsyncInvokes": ("list_async_invokes", {"statusEquals": "Completed", "maxResults": 5}),
}


def client(url: str) -> Any:
    return boto3.client("bedrock-runtime", endpoint_url=url, config=NO_RETRY)


def call(c: Any, operation: str) -> dict[str, Any]:
    method, params = CALLS[operation]
    result = dict(getattr(c, method)(**params))
    meta = result.pop("ResponseMetadata")
    return {"result": result, "status": meta["HTTPStatusCode"]}


def test_every_sendable_operation_is_covered() -> None:
    assert set(CALLS) | {
        "InvokeModel",
        "InvokeModelWithResponseStream",
        "Converse",
        "ConverseStream",
    } == set(NAMES)
    assert [op.name for op in OPERATIONS if not op.sendable] == [
        "InvokeModelWithBidirectionalStream"
    ]


@pytest.mark.parametrize("operation", sorted(CALLS))
def test_operation_recorded_then_replayed_offline(
    server: BedrockServer, tmp_path: Path, operation: str
) -> None:
    path = tmp_path / "cassette.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = call(client(server.url), operation)
    assert recorded["status"] == 200
    stored = Cassette(path).interactions
    assert [i.request.operation for i in stored] == [operation]
    with use_cassette(path, record_mode="none"):
        replayed = call(client("http://127.0.0.1:9"), operation)  # nothing listens there
    assert replayed == recorded


def test_targets_are_what_requests_name(server: BedrockServer, tmp_path: Path) -> None:
    path = tmp_path / "cassette.yaml"
    with use_cassette(path, record_mode="once"):
        for operation in sorted(CALLS):
            call(client(server.url), operation)
    targets = {i.request.operation: i.request.model_id for i in Cassette(path).interactions}
    assert targets == {
        "ApplyGuardrail": "gr-abc123:DRAFT",
        "CountTokens": NOVA,
        "GetAsyncInvoke": INVOCATION,
        "InvokeGuardrailChecks": "",
        "ListAsyncInvokes": "maxResults=5&statusEquals=Completed",
        "StartAsyncInvoke": "amazon.nova-reel-v1:0",
    }


def test_list_pages_replay_by_query(server: BedrockServer, tmp_path: Path) -> None:
    path = tmp_path / "cassette.yaml"

    def pages(url: str) -> list[Any]:
        paginator = client(url).get_paginator("list_async_invokes")
        return [page["asyncInvokeSummaries"] for page in paginator.paginate()]

    with use_cassette(path, record_mode="once"):
        recorded = pages(server.url)
    assert len(recorded) == 2
    with use_cassette(path, record_mode="none"):
        assert pages("http://127.0.0.1:9") == recorded


def test_unmatched_count_tokens_names_the_model_not_the_url(
    server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "cassette.yaml"
    with use_cassette(path, record_mode="once"):
        call(client(server.url), "CountTokens")
    with use_cassette(path, record_mode="none"):
        with pytest.raises(UnmatchedRequestError) as info:
            client("http://127.0.0.1:9").count_tokens(
                modelId=NOVA, input={"converse": {"messages": MESSAGES * 2}}
            )
    message = str(info.value)
    assert message.startswith(f"CountTokens request to model '{NOVA}' matches no recorded")
    assert "http" not in message.splitlines()[0]
    assert "body #/input/converse/messages" in message


def test_unmatched_guardrail_names_the_guardrail(server: BedrockServer, tmp_path: Path) -> None:
    path = tmp_path / "cassette.yaml"
    with use_cassette(path, record_mode="once"):
        call(client(server.url), "ApplyGuardrail")
    _, params = CALLS["ApplyGuardrail"]
    with use_cassette(path, record_mode="none"):
        with pytest.raises(UnmatchedRequestError, match=r"^ApplyGuardrail request to guardrail "):
            client("http://127.0.0.1:9").apply_guardrail(**{**params, "guardrailVersion": "2"})


def test_an_operation_bedrock_vcr_does_not_know_is_named(tmp_path: Path) -> None:
    c = client("http://127.0.0.1:9")
    request = AWSPreparedRequest(
        "POST", "http://127.0.0.1:9/future/thing?x=1", {}, b"{}", stream_output=False
    )
    player = CassettePlayer.open(tmp_path / "c.yaml")
    with pytest.raises(UnsupportedOperationError) as info:
        player.handle(c, request, "InvokeFutureThing")
    message = str(info.value)
    assert "operation InvokeFutureThing (POST /future/thing)" in message
    assert "supported: InvokeModel, " in message and "x=1" not in message


def test_mock_names_an_operation_it_does_not_know() -> None:
    request = AWSPreparedRequest(
        "POST", "http://127.0.0.1:9/future", {}, b"{}", stream_output=False
    )
    with mock_bedrock(assert_all_called=False) as mock:
        with pytest.raises(UnsupportedOperationError, match=r"operation InvokeFutureThing \(POST"):
            mock.handle(client("http://127.0.0.1:9"), request, "InvokeFutureThing")


def test_a_vcrpy_count_tokens_recording_replays_directly(tmp_path: Path) -> None:
    path = tmp_path / "vcrpy.yaml"
    recorded = item(
        f"{RUNTIME}/model/{NOVA.replace(':', '%3A')}/count-tokens",
        body=json.dumps({"input": {"converse": {"messages": MESSAGES}}}),
        response_body='{"inputTokens": 11}',
    )
    path.write_text(yaml.safe_dump(doc(recorded)))
    with use_cassette(path, record_mode="none"):
        result = client("http://127.0.0.1:9").count_tokens(
            modelId=NOVA, input={"converse": {"messages": MESSAGES}}
        )
    assert result["inputTokens"] == 11


def test_aiobotocore_records_and_replays_count_tokens(
    server: BedrockServer, tmp_path: Path
) -> None:
    session = pytest.importorskip("aiobotocore.session")
    path = tmp_path / "aio.yaml"
    _, params = CALLS["CountTokens"]

    async def count(url: str) -> Any:
        async with session.get_session().create_client(
            "bedrock-runtime", endpoint_url=url, config=NO_RETRY
        ) as c:
            return (await c.count_tokens(**params))["inputTokens"]

    with use_cassette(path, record_mode="once"):
        recorded = asyncio.run(count(server.url))
    with use_cassette(path, record_mode="none"):
        assert asyncio.run(count("http://127.0.0.1:9")) == recorded
    assert [i.request.operation for i in Cassette(path).interactions] == ["CountTokens"]


def test_start_async_invoke_replays_despite_botocores_fresh_token(
    server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "cassette.yaml"
    _, params = CALLS["StartAsyncInvoke"]
    params = {k: v for k, v in params.items() if k != "clientRequestToken"}
    with use_cassette(path, record_mode="once"):
        recorded = client(server.url).start_async_invoke(**params)["invocationArn"]
    [stored] = Cassette(path).interactions
    token = stored.request.json["clientRequestToken"]  # botocore drew one
    with use_cassette(path, record_mode="none"):
        again = client("http://127.0.0.1:9").start_async_invoke(**params)
    assert again["invocationArn"] == recorded
    assert token
