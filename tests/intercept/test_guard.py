"""Bedrock traffic that does not go through a botocore client cannot leak in replay-only mode.

The callers here are what litellm, the Anthropic SDK and plain scripts do: ``requests`` with a
Bedrock API key, httpx (sync and async), urllib3. httpx and ``requests`` are answered by the
transport adapters (tests/intercept/transports); urllib3 has none, so the guard refuses it. A
real TCP listener on 127.0.0.1 is the configured Bedrock endpoint and counts connections.
"""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bedrock_vcr import (
    BedrockMock,
    CassetteNotFoundError,
    MockVerificationError,
    NetworkBlockedError,
    UncoveredRequestWarning,
    UnexpectedRequestError,
    use_cassette,
)
from bedrock_vcr.intercept import guard

from .test_no_network import Listener

httpx = pytest.importorskip("httpx")
requests = pytest.importorskip("requests")
urllib3 = pytest.importorskip("urllib3")

PATH = "/model/meta.llama3-8b-instruct-v1%3A0/invoke"
BODY = json.dumps({"prompt": "hi"})
BEARER = {"Authorization": "Bearer bedrock-api-key-AAAAexample", "content-type": "application/json"}


@pytest.fixture
def listener(monkeypatch: pytest.MonkeyPatch) -> Any:
    server = Listener()
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", server.url)
    yield server
    server.close()


def _requests(url: str) -> Any:
    return requests.post(url + PATH, data=BODY, headers=BEARER, timeout=5)


def _httpx(url: str) -> Any:
    with httpx.Client(timeout=5) as client:
        return client.post(url + PATH, content=BODY, headers=BEARER)


def _httpx_async(url: str) -> Any:
    async def post() -> Any:
        async with httpx.AsyncClient(timeout=5) as client:
            return await client.post(url + PATH, content=BODY, headers=BEARER)

    return asyncio.run(post())


def _urllib3(url: str) -> Any:
    with urllib3.PoolManager() as pool:
        return pool.request("POST", url + PATH, body=BODY, headers=BEARER, retries=False)


CALLERS: dict[str, Callable[[str], Any]] = {
    "requests": _requests,
    "httpx": _httpx,
    "httpx-async": _httpx_async,
    "urllib3": _urllib3,
}


#: callers the transport adapters answer (the others only the guard stops)
ADAPTED = ("httpx", "httpx-async", "requests")


@pytest.mark.parametrize("name", sorted(CALLERS))
def test_replay_only_cassette_answers_or_blocks_and_names_the_library(
    listener: Listener, tmp_path: Path, name: str
) -> None:
    # the behaviour this pinned before the adapters (httpx and requests blocked, not answered)
    # was the defect of issue 9.1: now the cassette answers them (here: it does not exist)
    with use_cassette(tmp_path / "c.yaml"):
        if name in ADAPTED:
            with pytest.raises(CassetteNotFoundError):
                CALLERS[name](listener.url)
        else:
            with pytest.raises(NetworkBlockedError, match=rf"sent by {name}") as info:
                CALLERS[name](listener.url)
            assert info.value.url.endswith(PATH)
            assert "pip install 'bedrock-vcr[requests]'" in str(info.value)
    assert listener.connections == 0


@pytest.mark.parametrize("name", sorted(CALLERS))
def test_a_mock_without_passthrough_blocks_too(listener: Listener, name: str) -> None:
    if name in ADAPTED:  # the mock answers: no route, so the call fails and so does its exit
        with pytest.raises(MockVerificationError), BedrockMock(assert_all_called=False):
            with pytest.raises(UnexpectedRequestError):
                CALLERS[name](listener.url)
    else:
        with BedrockMock(assert_all_called=False), pytest.raises(NetworkBlockedError):
            CALLERS[name](listener.url)
    assert listener.connections == 0


def test_a_real_bedrock_host_is_recognised() -> None:
    assert guard.is_bedrock_runtime("https://bedrock-runtime.us-west-2.amazonaws.com/model/x")
    assert guard.is_bedrock_runtime("https://bedrock-runtime-fips.us-east-1.amazonaws.com/")
    assert guard.is_bedrock_runtime("https://bedrock-runtime.cn-north-1.amazonaws.com.cn/")
    assert not guard.is_bedrock_runtime("https://bedrock.us-east-1.amazonaws.com/")
    assert not guard.is_bedrock_runtime("https://s3.us-east-1.amazonaws.com/")


def test_other_hosts_and_inactive_times_pass(listener: Listener, tmp_path: Path) -> None:
    with use_cassette(tmp_path / "c.yaml"):
        with pytest.raises(requests.ConnectionError):  # not Bedrock: goes on (and fails there)
            requests.get("http://127.0.0.1:9/", timeout=2)
    with pytest.raises(requests.ConnectionError):  # nothing active: goes on to the listener
        _requests(listener.url)
    assert listener.connections == 1


def test_while_recording_the_request_goes_on_with_a_warning(
    listener: Listener, tmp_path: Path
) -> None:
    with use_cassette(tmp_path / "c.yaml", record_mode="all"):
        with pytest.warns(UncoveredRequestWarning, match="did not record POST"):
            with warnings.catch_warnings(), pytest.raises(urllib3.exceptions.HTTPError):
                _urllib3(listener.url)
    assert listener.connections == 1
