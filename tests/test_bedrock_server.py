"""The ``bedrock_server`` fixture: a live local endpoint for subprocesses and other languages,
answering from the test's mock or cassette (pytester: real inner runs)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

import pytest

from bedrock_vcr import Answer, BedrockMock
from bedrock_vcr.server.http1 import BedrockServer

pytest_plugins = ["pytester"]

# a program in another process: it only knows the endpoint from the environment
CHILD = textwrap.dedent(
    """
    import json, subprocess, sys

    CODE = '''
    import json, boto3
    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    body = client.invoke_model(modelId="meta.llama3-8b-instruct-v1:0",
                               body=json.dumps({"prompt": "hi"}))["body"].read()
    print(json.loads(body)["generation"])
    '''

    def ask():
        done = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()
    """
)


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makepyfile(child=CHILD)
    pytester.syspathinsert()
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"):
        monkeypatch.delenv(name, raising=False)
    return pytester


def test_a_subprocess_is_answered_from_the_tests_mock(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_child=textwrap.dedent(
            """
            import os, requests
            from bedrock_vcr import Answer
            from child import ask

            def test_it(bedrock_server, bedrock_mock):
                assert os.environ["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] == bedrock_server.url
                route = bedrock_mock.on()
                route.side_effect = [bedrock_mock.throttling(), Answer("from the fixture")]
                assert ask() == "from the fixture"  # boto3 in the child retried once
                assert route.call_count == 2

            def test_without_a_mock_or_cassette_it_simulates(bedrock_server):
                response = requests.post(
                    bedrock_server.url + "/model/meta.llama3-8b-instruct-v1:0/invoke",
                    json={"prompt": "hi"}, timeout=10)
                assert response.status_code == 200 and "generation" in response.json()

            def test_the_variable_is_gone_after_the_test():
                assert "AWS_ENDPOINT_URL_BEDROCK_RUNTIME" not in os.environ
            """
        )
    )
    project.runpytest("-p", "no:randomly").assert_outcomes(passed=3)


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[BedrockServer]:
    mock = BedrockMock()
    mock.on().return_value = Answer("recorded in-process")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    with BedrockServer([mock]) as server:
        yield server


def test_a_subprocess_replays_the_tests_cassette(
    project: pytest.Pytester, stand_in: BedrockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makepyfile(
        test_record=textwrap.dedent(
            f"""
            import json, boto3, pytest

            @pytest.mark.bedrock_cassette("shared")
            def test_record():
                client = boto3.client("bedrock-runtime", region_name="us-east-1",
                                      endpoint_url={stand_in.url!r})
                body = client.invoke_model(modelId="meta.llama3-8b-instruct-v1:0",
                                           body=json.dumps({{"prompt": "hi"}}))["body"].read()
                assert json.loads(body)["generation"] == "recorded in-process"
            """
        )
    )
    project.runpytest("--bedrock-record-mode=once", "test_record.py").assert_outcomes(passed=1)
    stand_in.stop()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    project.makepyfile(
        test_replay=textwrap.dedent(
            """
            import pytest
            from child import ask

            @pytest.mark.bedrock_cassette(path="cassettes/test_record/shared.yaml")
            def test_replay(bedrock_server, bedrock_cassette):
                assert ask() == "recorded in-process"
                assert len(bedrock_cassette.played) == 1
            """
        )
    )
    project.runpytest("test_replay.py").assert_outcomes(passed=1)
