"""pytest-xdist is the supported way to scale a suite: recording and replay under ``-n 2``.

Eight inner tests share one cassette (``path="cassettes/shared.yaml"``) and make ten calls each;
the inner run records them against the project's local server on 127.0.0.1 (its URL reaches the
code through ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``), then replays them with nothing listening.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bedrock_vcr.cassettes import storage
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cassettes.records import Interaction, RecordedRequest, RecordedResponse
from bedrock_vcr.server.http1 import BedrockServer
from bedrock_vcr.server.sources import ScriptedSource

from . import scripted

pytest_plugins = ["pytester"]
pytest.importorskip("xdist")

TESTS, CALLS = 8, 10
INNER = f"""
import json

import boto3
import pytest

@pytest.mark.bedrock_cassette(path="cassettes/shared.yaml")
@pytest.mark.parametrize("test", range({TESTS}))
def test_calls(test):
    client = boto3.client("bedrock-runtime", region_name="us-east-1")  # endpoint from the env
    for call in range({CALLS}):
        out = client.invoke_model(
            modelId="meta.llama3-8b-instruct-v1:0",
            body=json.dumps({{"prompt": f"test {{test}} call {{call}}"}}),
        )
        assert json.loads(out["body"].read())["generation"]
"""
EXPECTED = sorted(f"test {t} call {c}" for t in range(TESTS) for c in range(CALLS))


@pytest.fixture
def inner(
    pytester: pytest.Pytester, aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[pytest.Pytester]:
    pytester.makepyfile(test_shared=INNER)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.delenv("PYTEST_XDIST_TESTRUNUID", raising=False)  # the outer run's, if any
    with BedrockServer([ScriptedSource(scripted.answer)]) as srv:
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", srv.url)
        yield pytester


def prompts(path: Path) -> list[str]:
    return sorted(json.loads(i.request.body)["prompt"] for i in storage.load_file(path))


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-n", "2", "-p", "no:cacheprovider", "-p", "no:randomly", *args, timeout=120
    )


def test_recording_under_xdist_keeps_every_test_and_replays(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = inner.path / "cassettes" / "shared.yaml"
    result = run(inner, "--bedrock-record-mode=new_episodes")
    result.assert_outcomes(passed=TESTS)
    assert prompts(shared) == EXPECTED  # today "8 passed", and about half of the 80 saved
    recorded = shared.read_bytes()

    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://127.0.0.1:9")  # no server
    replayed = run(inner)
    replayed.assert_outcomes(passed=TESTS)
    assert shared.read_bytes() == recorded  # replay writes nothing


def test_rewriting_under_xdist_keeps_this_run_and_drops_the_earlier_one(
    inner: pytest.Pytester,
) -> None:
    shared = inner.path / "cassettes" / "shared.yaml"
    shared.parent.mkdir()
    old = Interaction(
        RecordedRequest("InvokeModel", "meta.llama3-8b-instruct-v1:0", b'{"prompt":"old"}'),
        RecordedResponse(200, {}, body=b'{"generation":"old"}'),
    )
    storage.write_atomic(shared, serialize.dumps([old]))
    result = run(inner, "--bedrock-record-mode=rewrite")
    result.assert_outcomes(passed=TESTS)
    # every test of the run, on both workers, and nothing of what an earlier run recorded
    assert prompts(shared) == EXPECTED
