"""The marker replays other recorders' files as they are (issue 9.3), through inner pytest runs."""

from __future__ import annotations

import shutil
import textwrap

import pytest

from .cassettes import format_samples as samples

pytest_plugins = ["pytester"]

TEST = textwrap.dedent(
    """
    import json
    import boto3
    import pytest

    @pytest.fixture(autouse=True)
    def dummy_keys(monkeypatch):
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")

    @pytest.mark.bedrock_cassette("{name}")
    def test_replay():
        client = boto3.client("bedrock-runtime", region_name="us-east-1")
        body = json.dumps({{"prompt": "Say hello", "max_gen_len": 32}}, separators=(",", ":"))
        answer = client.invoke_model(modelId="meta.llama3-8b-instruct-v1:0", body=body)
        assert json.loads(answer["body"].read())["generation"] == "Hello!"
        stream = client.invoke_model_with_response_stream(
            modelId="meta.llama3-8b-instruct-v1:0", body=body
        )["body"]
        words = [json.loads(e["chunk"]["bytes"])["generation"] for e in stream]
        assert words == ["Hel", "lo"]
    """
)


@pytest.mark.parametrize("name", ["nock_otel_js_contrib.json", "langchain_aws.yaml.gz"])
def test_the_marker_replays_another_recorders_file(pytester: pytest.Pytester, name: str) -> None:
    folder = pytester.path / "cassettes" / "test_story"
    folder.mkdir(parents=True)
    shutil.copy(samples.FOLDER / name, folder / name)
    pytester.makepyfile(test_story=TEST.format(name=name))
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)
