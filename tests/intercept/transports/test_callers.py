"""The proof of issue 9.1: callers that never make a botocore client, as a user's suite runs them.

litellm (Converse, ConverseStream with ``stream=True``, ``bedrock/invoke/`` Llama 3), the
Anthropic SDK's ``AnthropicBedrock`` (messages create and stream) and a plain ``requests`` call
with a bearer API key, each in an inner pytest run (pytester) under
``@pytest.mark.bedrock_cassette``: recorded once against the project's local server standing in
for AWS, replayed with the server stopped and no credential in the environment, and simulated
under ``bedrock_mock`` with a throttle and then an answer.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bedrock_vcr import Answer, BedrockMock
from bedrock_vcr.server.http1 import BedrockServer

# litellm fetches its model price list from GitHub when imported, unless told not to
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
pytest.importorskip("litellm")
pytest.importorskip("anthropic")
pytest.importorskip("responses")

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
API_KEY = "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlLWtleQ"
TEXT = "Hello from the stand-in"

# What a user's code does; STAND_IN_AWS is the local server while recording, unset in replay
# (then every call goes to the real bedrock-runtime host, which this machine cannot reach).
CALLERS = textwrap.dedent(
    f'''
    import asyncio, os
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import anthropic, litellm, requests

    litellm.suppress_debug_info = True
    LLAMA = "meta.llama3-8b-instruct-v1:0"
    CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"
    MESSAGES = [{{"role": "user", "content": "Say hello"}}]

    def endpoint():
        return os.environ.get("STAND_IN_AWS")

    def _litellm(model, **options):
        return litellm.completion(model=model, messages=MESSAGES, aws_region_name="us-east-1",
                                  aws_bedrock_runtime_endpoint=endpoint(), **options)

    def litellm_converse():
        return _litellm("bedrock/converse/" + LLAMA).choices[0].message.content

    def litellm_converse_stream():
        chunks = _litellm("bedrock/converse/" + LLAMA, stream=True)
        return "".join(c.choices[0].delta.content or "" for c in chunks)

    def litellm_invoke_llama():
        return _litellm("bedrock/invoke/" + LLAMA).choices[0].message.content

    def litellm_async_converse_stream():  # litellm's async calls go through aiohttp
        async def call():
            chunks = await litellm.acompletion(
                model="bedrock/converse/" + LLAMA, messages=MESSAGES, stream=True,
                aws_region_name="us-east-1", aws_bedrock_runtime_endpoint=endpoint())
            return "".join([c.choices[0].delta.content or "" async for c in chunks])
        return asyncio.run(call())

    def _claude(**options):
        return anthropic.AnthropicBedrock(aws_region="us-east-1", base_url=endpoint(), **options)

    # this SDK's default anthropic_version is not the one Bedrock's schema allows
    VERSION = {{"anthropic_version": "bedrock-2023-05-31"}}

    def anthropic_create(**options):
        message = _claude(**options).messages.create(
            model=CLAUDE, max_tokens=64, messages=MESSAGES, extra_body=VERSION)
        return message.content[0].text

    def anthropic_stream():
        with _claude().messages.stream(
                model=CLAUDE, max_tokens=64, messages=MESSAGES, extra_body=VERSION) as stream:
            return "".join(stream.text_stream)

    def requests_bearer(session=requests):
        base = endpoint() or "https://bedrock-runtime.us-east-1.amazonaws.com"
        response = session.post(
            base + "/model/" + LLAMA + "/invoke",
            json={{"prompt": "Say hello", "max_gen_len": 64}},
            headers={{"Authorization": "Bearer " + os.environ.get("KEY", "{API_KEY}")}},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()["generation"]

    CALLS = ["litellm_converse", "litellm_converse_stream", "litellm_invoke_llama",
             "litellm_async_converse_stream", "anthropic_create", "anthropic_stream",
             "requests_bearer"]
    '''
)

CASSETTE_TEST = textwrap.dedent(
    f"""
    import pytest
    import callers

    @pytest.mark.bedrock_cassette
    @pytest.mark.parametrize("call", callers.CALLS)
    def test_call(call):
        assert getattr(callers, call)() == {TEXT!r}
    """
)

OPERATIONS = {
    "litellm_converse": "Converse",
    "litellm_converse_stream": "ConverseStream",
    "litellm_invoke_llama": "InvokeModel",
    "litellm_async_converse_stream": "ConverseStream",
    "anthropic_create": "InvokeModel",
    "anthropic_stream": "InvokeModelWithResponseStream",
    "requests_bearer": "InvokeModel",
}


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makepyfile(callers=CALLERS)
    # warnings are errors, as in this project, but for what pydantic says about litellm
    pytester.makeini(
        "[pytest]\nfilterwarnings =\n    error\n    ignore:.*ReadOnly.*:UserWarning\n"
        "    ignore::DeprecationWarning\n"
    )
    pytester.syspathinsert()
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"):
        monkeypatch.delenv(name, raising=False)
    return pytester


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[BedrockServer]:
    """The local server in AWS's place, with the credentials a recording run has."""
    mock = BedrockMock()
    mock.on().return_value = Answer(TEXT, chunk_size=6)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("KEY", API_KEY)
    with BedrockServer([mock]) as server:
        monkeypatch.setenv("STAND_IN_AWS", server.url)
        yield server


def _no_credentials(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("STAND_IN_AWS", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "none"))


def test_each_caller_records_once_then_replays_offline_without_credentials_and_matches(
    project: pytest.Pytester, stand_in: BedrockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makepyfile(test_app=CASSETTE_TEST)
    project.runpytest("--bedrock-record-mode=once", "-p", "no:randomly").assert_outcomes(passed=7)
    folder = project.path / "cassettes" / "test_app"
    files = sorted(folder.glob("*.yaml"))
    assert len(files) == 7, files
    for path in files:
        text = path.read_text()
        for secret in (ACCESS_KEY, SECRET_KEY, API_KEY, "Bearer", "AWS4-HMAC-SHA256"):
            assert secret not in text, (path.name, secret)
        call = path.name.split("[", 1)[1].split("]", 1)[0]
        (interaction,) = yaml.safe_load(text)["interactions"]
        assert interaction["request"]["operation"] == OPERATIONS[call], path.name
        streamed = "stream" in interaction["response"]
        assert streamed == OPERATIONS[call].endswith("Stream"), path.name

    stand_in.stop()
    _no_credentials(monkeypatch, project.path)
    written = {f: f.read_bytes() for f in files}
    project.runpytest("-p", "no:randomly").assert_outcomes(passed=7)
    assert {f: f.read_bytes() for f in files} == written

    # the same matching as for boto3: a changed prompt is not answered with the old one
    callers = project.path / "callers.py"
    callers.write_text(callers.read_text().replace('"Say hello"', '"Say goodbye"'))
    result = project.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=7)
    assert result.stdout.str().count("UnmatchedRequestError") >= 7


MOCK_TEST = textwrap.dedent(
    """
    import litellm
    import pytest
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry
    from bedrock_vcr import Answer
    import callers

    @pytest.mark.parametrize("call", ["litellm_converse", "litellm_converse_stream",
                                      "litellm_invoke_llama", "litellm_async_converse_stream"])
    def test_litellm(bedrock_mock, call):
        route = bedrock_mock.on()
        route.side_effect = [bedrock_mock.throttling(), Answer("Recovered")]
        with pytest.raises(litellm.RateLimitError):
            getattr(callers, call)()
        assert getattr(callers, call)() == "Recovered"
        assert route.call_count == 2

    def test_anthropic_retries(bedrock_mock):
        route = bedrock_mock.on()
        route.side_effect = [bedrock_mock.throttling(), Answer("Recovered")]
        assert callers.anthropic_create(max_retries=1) == "Recovered"
        assert route.call_count == 2

    def test_anthropic_stream(bedrock_mock):
        bedrock_mock.on().side_effect = [bedrock_mock.throttling(), Answer("Recovered")]
        import anthropic
        with pytest.raises(anthropic.RateLimitError):
            callers._claude(max_retries=0).messages.create(
                model=callers.CLAUDE, max_tokens=9, messages=callers.MESSAGES,
                extra_body=callers.VERSION)
        assert callers.anthropic_stream() == "Recovered"

    def test_requests_retries(bedrock_mock):
        route = bedrock_mock.on()
        route.side_effect = [bedrock_mock.throttling(), Answer("Recovered")]
        session = requests.Session()
        retry = Retry(total=1, status_forcelist=[429], allowed_methods=None, backoff_factor=0)
        session.mount("https://", HTTPAdapter(max_retries=retry))
        assert callers.requests_bearer(session) == "Recovered"
        assert route.call_count == 2
    """
)


def test_each_caller_under_bedrock_mock_gets_a_throttle_then_the_answer(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_credentials(monkeypatch, project.path)
    project.makepyfile(test_mocked=MOCK_TEST)
    project.runpytest("-p", "no:randomly").assert_outcomes(passed=7)
