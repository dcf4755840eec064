"""The client registry: which clients are watched, and how a request reaches the active handlers.

Real boto3 clients against the local server (127.0.0.1): a request no handler answers goes on to
the server, so what reached it shows whether a handler was in the way.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.exceptions
import pytest

from bedrock_vcr import BedrockVCRError, RecordedRequest, RecordedResponse, patch_client
from bedrock_vcr.cassettes.records import error_response
from bedrock_vcr.intercept import aliases, clients
from bedrock_vcr.intercept.raw import replay_response
from bedrock_vcr.server.http1 import BedrockServer
from bedrock_vcr.server.sources import ScriptedSource

from ..helpers import NO_RETRY, bedrock_client
from .handlers import Handler, active

NOVA = "us.amazon.nova-lite-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]

pytestmark = pytest.mark.usefixtures("aws_env")


class Counting:
    """The local server's source: answers "from the server" and keeps what reached it."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []

    def __call__(self, request: RecordedRequest) -> RecordedResponse:
        self.requests.append(request)
        return _converse_answer("from the server")


def _converse_answer(text: str) -> RecordedResponse:
    body = {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
        "metrics": {"latencyMs": 1},
    }
    return RecordedResponse(200, {"content-type": "application/json"}, json.dumps(body).encode())


@pytest.fixture
def reached() -> Counting:
    return Counting()


@pytest.fixture
def url(reached: Counting) -> Iterator[str]:
    with BedrockServer([ScriptedSource(reached)]) as srv:
        yield srv.url


def answering(text: str, **options: Any) -> Handler:
    return Handler(answer=lambda r: replay_response(r.url, _converse_answer(text)), **options)


def ask(client: Any) -> str:
    result = client.converse(modelId=NOVA, messages=MESSAGES)
    return str(result["output"]["message"]["content"][0]["text"])


def test_a_handler_answers_only_while_it_is_active(url: str, reached: Counting) -> None:
    client = bedrock_client(url)
    handler = answering("from the handler")
    assert ask(client) == "from the server"
    with active(handler):
        assert ask(client) == "from the handler"
    assert ask(client) == "from the server"  # unregistered: the request goes on again
    assert handler.operations == ["Converse"]
    assert len(reached.requests) == 2
    assert handler.seen[0].client is client


@pytest.mark.parametrize("aliased", [False, True])
def test_hooks_go_where_botocore_sends_the_events_whatever_its_aliases(
    url: str, reached: Counting, monkeypatch: pytest.MonkeyPatch, aliased: bool
) -> None:
    """The hooks skip the client's alias layer only while it holds botocore's default aliases
    and none of them can touch their event names; otherwise they go through the layer, so
    they still fire."""
    client = bedrock_client(url)
    if aliased:  # an alias of our service's name (a no-op, so botocore itself still works)
        layer = client.meta.events._event_aliases
        monkeypatch.setitem(layer, "bedrock-runtime", "bedrock-runtime")
    with active(answering("from the handler")):
        assert ask(client) == "from the handler"
        events = client.meta.events
        found = aliases.emitter_for(client, (clients.EVENT, clients.SIGNER_EVENT))
        assert found is (events if aliased else events._emitter)
    assert ask(client) == "from the server" and len(reached.requests) == 1


def test_the_innermost_handler_is_asked_first_and_none_passes_on(url: str) -> None:
    client = bedrock_client(url)
    outer, inner = answering("outer"), Handler()  # inner answers nothing
    with active(outer), active(inner):
        assert ask(client) == "outer"
        assert clients.active_handlers() == [outer, inner]
        innermost = answering("inner")
        with active(innermost):
            assert ask(client) == "inner"
        assert ask(client) == "outer"
    assert (outer.operations, inner.operations) == (["Converse", "Converse"], ["Converse"] * 2)
    assert innermost.operations == ["Converse"]
    assert clients.active_handlers() == []


def test_an_exception_from_a_handler_reaches_the_caller(url: str) -> None:
    def refuse(request: Any) -> Any:
        raise BedrockVCRError("refused")

    with active(Handler(answer=refuse)), pytest.raises(BedrockVCRError, match="refused"):
        ask(bedrock_client(url))


def test_an_error_answer_is_parsed_by_botocore(url: str) -> None:
    throttled = error_response(429, "ThrottlingException", "slow down")
    handler = Handler(answer=lambda r: replay_response(r.url, throttled))
    client = bedrock_client(url)
    with active(handler), pytest.raises(client.exceptions.ThrottlingException, match="slow down"):
        ask(client)


def test_requests_are_unsigned_while_no_active_handler_may_reach_the_network(url: str) -> None:
    client = bedrock_client(url)
    offline, unsure, online = (answering("x", network=False), answering("x"), Handler(network=True))
    with active(offline):
        ask(client)
    with active(online), active(offline):  # one handler that may send it on: sign
        ask(client)
    with active(unsure):  # a handler that does not say is assumed to reach the network
        ask(client)
    assert [s.signed for s in offline.seen + unsure.seen] == [False, True, True]
    ask(client)  # no handler: botocore signs as usual (the server answers)


def test_a_client_made_while_nothing_watches_is_adopted_when_watching_starts(
    url: str, reached: Counting
) -> None:
    # This used to need patch_client (a silent leak otherwise): installing the tracker now
    # adopts every client that already exists.
    clients.uninstall_tracker()
    try:
        unseen = bedrock_client(url)
    finally:
        clients.install_tracker()
    handler = answering("patched")
    with active(handler):
        assert ask(unseen) == "patched"
        assert patch_client(unseen) is unseen
        patch_client(unseen)  # patching twice registers once
        assert ask(unseen) == "patched"
    assert handler.operations == ["Converse", "Converse"]
    assert reached.requests == []


def test_patching_a_client_while_no_handler_is_active_covers_it_later(url: str) -> None:
    clients.uninstall_tracker()
    try:
        unseen = bedrock_client(url)
    finally:
        clients.install_tracker()
    patch_client(unseen)
    assert ask(unseen) == "from the server"  # nothing is hooked while no handler is active
    with active(answering("later")):
        assert ask(unseen) == "later"


def test_patch_client_refuses_other_services() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    with pytest.raises(BedrockVCRError, match="expects a bedrock-runtime client, got 's3'"):
        patch_client(s3)


def test_the_tracker_stays_until_every_install_is_matched(url: str) -> None:
    clients.install_tracker()
    clients.install_tracker()
    clients.uninstall_tracker()
    try:
        watched = bedrock_client(url)  # one install of this test still stands (and the plugin's)
    finally:
        clients.uninstall_tracker()
    clients.uninstall_tracker()  # the plugin's too: the tracker is gone
    try:
        unwatched = bedrock_client(url)
    finally:
        clients.install_tracker()
    handler = answering("tracked")
    with active(handler):
        assert ask(watched) == "tracked"
        # made while nothing watched: adopted when the tracker came back (it used to leak)
        assert ask(unwatched) == "tracked"


def test_the_tracker_outlives_an_uninstall_while_a_handler_is_active(url: str) -> None:
    handler = answering("still watched")
    with active(handler):
        clients.uninstall_tracker()  # the plugin's: a handler is active, so the tracker stays
        try:
            made_meanwhile = bedrock_client(url)
            assert ask(made_meanwhile) == "still watched"
        finally:
            clients.install_tracker()


def test_watch_clients_covers_clients_made_after_it(url: str) -> None:
    clients.uninstall_tracker()
    try:
        clients.watch_clients()
        made_after = bedrock_client(url)
    finally:
        clients.install_tracker()
    with active(answering("watched")):
        assert ask(made_after) == "watched"


def test_other_services_are_never_hooked(url: str, reached: Counting) -> None:
    handler = answering("not for s3")
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=url, config=NO_RETRY)
    with active(handler):
        with pytest.raises(botocore.exceptions.ClientError, match=r"\(404\)"):
            s3.list_buckets()  # it reached the Bedrock server, which has no such path
    assert handler.seen == []


def test_an_async_client_awaits_handle_async(url: str) -> None:
    session = pytest.importorskip("aiobotocore.session")
    handler = answering("from handle_async")

    async def main() -> list[str]:
        async with session.get_session().create_client(
            "bedrock-runtime", endpoint_url=url, region_name="us-east-1", config=NO_RETRY
        ) as client:
            texts = [await _ask_async(client)]
            with active(handler):
                texts.append(await _ask_async(client))
            texts.append(await _ask_async(client))
            return texts

    assert asyncio.run(main()) == ["from the server", "from handle_async", "from the server"]
    assert handler.operations == ["Converse"]


async def _ask_async(client: Any) -> str:
    result = await client.converse(modelId=NOVA, messages=MESSAGES)
    return str(result["output"]["message"]["content"][0]["text"])


def test_lifecycle_hooks_run_at_every_activation_and_once_when_the_last_one_leaves() -> None:
    calls: list[str] = []

    def install() -> None:
        calls.append("install")

    def remove() -> None:
        calls.append("remove")

    clients.on_lifecycle(install, remove)
    try:
        outer, inner = Handler(), Handler()
        clients.activate(outer)
        clients.activate(inner)
        clients.deactivate(inner)
        assert calls == ["install", "install"]  # nothing removed while one is still active
        clients.deactivate(outer)
        assert calls == ["install", "install", "remove"]
        clients.on_lifecycle(install, remove)  # registered once only
        clients.activate(outer)
        clients.deactivate(outer)
        assert calls == ["install", "install", "remove", "install", "remove"]
    finally:
        clients._lifecycle.remove((install, remove))
