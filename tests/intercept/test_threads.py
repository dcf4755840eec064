"""Cassettes and mocks are scoped to the thread or asyncio task that activated them.

Each thread (and each asyncio task) sees the cassettes and mocks it activated itself, innermost
first. A thread that activated none, such as a pool worker the code under test starts, uses the
ones active in the process when they all belong to one flow; when several threads or tasks have
their own, its request fails with an error naming them rather than landing in a guessed cassette.
Real boto3 clients against the project's local server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bedrock_vcr import Answer, BedrockMock, use_cassette
from bedrock_vcr.cassettes import storage
from bedrock_vcr.errors import AmbiguousCassetteError
from bedrock_vcr.intercept import clients
from bedrock_vcr.server.http1 import BedrockServer
from bedrock_vcr.server.sources import ScriptedSource

from .. import scripted
from ..helpers import bedrock_client

LLAMA = "meta.llama3-8b-instruct-v1:0"
WAIT = 30  # seconds any barrier or join may take

pytestmark = pytest.mark.usefixtures("aws_env")


@pytest.fixture
def url() -> Iterator[str]:
    with BedrockServer([ScriptedSource(scripted.answer)]) as srv:
        yield srv.url


def call(client: Any, prompt: str) -> str:
    out = client.invoke_model(modelId=LLAMA, body=json.dumps({"prompt": prompt}))
    return str(json.loads(out["body"].read())["generation"])


def prompts(path: Path) -> list[str]:
    return [json.loads(i.request.body)["prompt"] for i in storage.load_file(path)]


def run_threads(*targets: Callable[[], None]) -> None:
    """Run each target in its own thread; re-raise the first error one of them raised."""
    errors: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)

    threads = [
        threading.Thread(target=guarded, args=(t,), name=f"t{i}") for i, t in enumerate(targets)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
        assert not thread.is_alive()
    if errors:
        raise errors[0]


def test_two_threads_each_record_into_their_own_cassette(url: str, tmp_path: Path) -> None:
    client = bedrock_client(url)  # one client, shared: boto3 clients are thread-safe
    inside = threading.Barrier(2, timeout=WAIT)

    def recorder(tag: str) -> Callable[[], None]:
        def run() -> None:
            with use_cassette(tmp_path / f"{tag}.yaml", record_mode="once"):
                inside.wait()  # both blocks are active from here on
                for i in range(5):
                    call(client, f"{tag} {i}")
                inside.wait()

        return run

    run_threads(recorder("a"), recorder("b"))
    # today: every call lands in the block entered last, and a.yaml is never written
    assert prompts(tmp_path / "a.yaml") == [f"a {i}" for i in range(5)]
    assert prompts(tmp_path / "b.yaml") == [f"b {i}" for i in range(5)]


def test_pool_workers_started_inside_a_block_are_covered(url: str, tmp_path: Path) -> None:
    path = tmp_path / "pool.yaml"
    client = bedrock_client(url)
    with use_cassette(path, record_mode="once"), ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: call(client, f"job {i}"), range(8)))
    assert sorted(prompts(path)) == sorted(f"job {i}" for i in range(8))
    offline = bedrock_client("http://127.0.0.1:9")  # nothing listens: replay only
    with use_cassette(path), ThreadPoolExecutor(4) as pool:
        assert len(list(pool.map(lambda i: call(offline, f"job {i}"), range(8)))) == 8


def test_a_thread_of_no_block_fails_loudly_while_two_threads_have_their_own(
    url: str, tmp_path: Path
) -> None:
    client = bedrock_client(url)
    inside, done = threading.Barrier(3, timeout=WAIT), threading.Barrier(3, timeout=WAIT)

    def holder(tag: str) -> Callable[[], None]:
        def run() -> None:
            with use_cassette(tmp_path / f"{tag}.yaml", record_mode="once"):
                inside.wait()
                done.wait()

        return run

    def stray() -> None:
        inside.wait()
        try:
            with pytest.raises(AmbiguousCassetteError) as caught:
                call(client, "whose?")
        finally:
            done.wait()
        message = str(caught.value)
        assert str(tmp_path / "a.yaml") in message and str(tmp_path / "b.yaml") in message
        assert "copy_context" in message  # the fix

    run_threads(holder("a"), holder("b"), stray)
    assert not (tmp_path / "a.yaml").exists() and not (tmp_path / "b.yaml").exists()


def test_a_thread_given_a_copy_of_the_context_uses_its_parents_cassette(
    url: str, tmp_path: Path
) -> None:
    client = bedrock_client(url)
    inside = threading.Barrier(2, timeout=WAIT)

    def parent(tag: str) -> Callable[[], None]:
        def run() -> None:
            with use_cassette(tmp_path / f"{tag}.yaml", record_mode="once"):
                inside.wait()
                context = contextvars.copy_context()
                child = threading.Thread(target=context.run, args=(call, client, f"{tag} child"))
                child.start()
                child.join(WAIT)
                inside.wait()

        return run

    run_threads(parent("a"), parent("b"))
    assert prompts(tmp_path / "a.yaml") == ["a child"]
    assert prompts(tmp_path / "b.yaml") == ["b child"]


def test_nesting_inside_a_thread_stays_in_that_thread(url: str, tmp_path: Path) -> None:
    client = bedrock_client(url)
    inside = threading.Barrier(2, timeout=WAIT)
    texts: dict[str, list[str]] = {"a": [], "b": []}

    def with_mock() -> None:
        with use_cassette(tmp_path / "a.yaml", record_mode="once"):
            with BedrockMock() as mock:
                mock.on(model_id=LLAMA).return_value = Answer("mocked")
                inside.wait()
                texts["a"].append(call(client, "a mocked"))
                inside.wait()
            texts["a"].append(call(client, "a recorded"))  # the mock is gone: the cassette

    def plain() -> None:
        with use_cassette(tmp_path / "b.yaml", record_mode="once"):
            inside.wait()
            texts["b"].append(call(client, "b recorded"))  # not answered by a's mock
            inside.wait()

    run_threads(with_mock, plain)
    assert texts["a"][0] == "mocked" and texts["a"][1] != "mocked"
    assert texts["b"][0] != "mocked"
    assert prompts(tmp_path / "a.yaml") == ["a recorded"]
    assert prompts(tmp_path / "b.yaml") == ["b recorded"]
    assert clients.active_handlers() == []


def test_asyncio_tasks_each_record_into_their_own_cassette(url: str, tmp_path: Path) -> None:
    session = pytest.importorskip("aiobotocore.session")

    async def recorder(client: Any, tag: str, inside: asyncio.Barrier) -> None:
        with use_cassette(tmp_path / f"{tag}.yaml", record_mode="once"):
            await inside.wait()
            for i in range(3):
                out = await client.invoke_model(
                    modelId=LLAMA, body=json.dumps({"prompt": f"{tag} {i}"})
                )
                await out["body"].read()
                await asyncio.sleep(0)  # let the other task run in between
            await inside.wait()

    async def main() -> None:
        inside = asyncio.Barrier(2)
        async with session.get_session().create_client(
            "bedrock-runtime", endpoint_url=url, region_name="us-east-1"
        ) as client:
            await asyncio.wait_for(
                asyncio.gather(recorder(client, "a", inside), recorder(client, "b", inside)),
                WAIT,
            )

    if not hasattr(asyncio, "Barrier"):  # Python < 3.11
        pytest.skip("asyncio.Barrier needs Python 3.11")
    asyncio.run(main())
    assert prompts(tmp_path / "a.yaml") == [f"a {i}" for i in range(3)]
    assert prompts(tmp_path / "b.yaml") == [f"b {i}" for i in range(3)]


def test_a_task_started_inside_a_block_inherits_it(url: str, tmp_path: Path) -> None:
    session = pytest.importorskip("aiobotocore.session")

    async def ask(client: Any, prompt: str) -> None:
        out = await client.invoke_model(modelId=LLAMA, body=json.dumps({"prompt": prompt}))
        await out["body"].read()

    async def main() -> None:
        async with session.get_session().create_client(
            "bedrock-runtime", endpoint_url=url, region_name="us-east-1"
        ) as client:
            with use_cassette(tmp_path / "c.yaml", record_mode="once"):
                await asyncio.wait_for(asyncio.gather(ask(client, "x"), ask(client, "y")), WAIT)

    asyncio.run(main())
    assert sorted(prompts(tmp_path / "c.yaml")) == ["x", "y"]
