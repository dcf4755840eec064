"""No credential the recording client holds is ever written: recorded for real against the local
server, with realistic credential values in the client (README section "Secrets")."""

from __future__ import annotations

import asyncio
import json
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from bedrock_vcr import RecordedRequest, RecordedResponse, StreamEvent, use_cassette
from bedrock_vcr.cassettes.redaction import KnownSecrets
from bedrock_vcr.errors import SecretInCassetteError, SecretRedactedWarning
from bedrock_vcr.intercept.credentials import held_credentials, note_credentials
from bedrock_vcr.server.http1 import BedrockServer
from bedrock_vcr.server.sources import ScriptedSource

from ..helpers import NO_RETRY
from ..helpers import bedrock_client as _bedrock_client

LLAMA = "meta.llama3-70b-instruct-v1:0"
NOVA = "us.amazon.nova-lite-v1:0"

# realistic shapes: an access key id, a 40-character secret, a session token, a Bedrock API key
ACCESS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE/SESSION+TOKEN/value0123456789abcdefABCDEF=="
BEARER = "ABSK" + "QmVkcm9ja0FQSUtleS1leGFtcGxlOmV4YW1wbGVzZWNyZXRrZXk="
OTHER_KEY = "ASIA" + "Y34FZKBOKMUTVV7A"  # an access key id the client does not hold

ALL = {
    "aws_access_key_id": ACCESS_KEY,
    "aws_secret_access_key": SECRET_KEY,
    "aws_session_token": SESSION_TOKEN,
    "aws_bearer_token_bedrock": BEARER,
}


def bedrock_client(url: str | None = None) -> Any:
    """A client of a fresh session: boto3's default session keeps the credentials it first
    read, so a client from it may hold another test's."""
    return _bedrock_client(url, session=boto3.Session())


def _prompt(request: RecordedRequest) -> str:
    body = request.json or {}
    if "prompt" in body:
        return str(body["prompt"])
    return " ".join(
        str(block.get("text", "")) for m in body.get("messages", []) for block in m["content"]
    )


def _pieces(text: str) -> list[str]:
    return [text[i : i + 4] for i in range(0, len(text), 4)]  # four characters per chunk


USAGE = {"inputTokens": 3, "outputTokens": 5, "totalTokens": 8}
METRICS = {
    "inputTokenCount": 3,
    "outputTokenCount": 5,
    "invocationLatency": 9,
    "firstByteLatency": 4,
}


def _llama(generation: str, stop: str | None, **extra: object) -> dict[str, object]:
    counts = {"prompt_token_count": 3, "generation_token_count": 5}
    return {"generation": generation, **counts, "stop_reason": stop, **extra}


def echo(request: RecordedRequest) -> RecordedResponse:
    """Answers with the prompt (streams: four characters per chunk). A prompt ``HEADER:<v>`` puts
    ``<v>`` in a custom response header and answers ``ok``; ``REVERSED:<v>`` answers ``<v>``
    reversed."""
    prompt = _prompt(request)
    if prompt.startswith("REVERSED:"):
        prompt = prompt.removeprefix("REVERSED:")[::-1]
    headers = {"content-type": "application/json"}
    if prompt.startswith("HEADER:"):
        headers["x-echo-token"] = prompt.removeprefix("HEADER:")
        prompt = "ok"
    if request.operation == "InvokeModel":
        body = json.dumps(_llama(prompt, "stop")).encode()
        return RecordedResponse(200, headers, body=body)
    if request.operation == "Converse":
        message = {"role": "assistant", "content": [{"text": prompt}]}
        answer = {"output": {"message": message}, "stopReason": "end_turn"}
        body = json.dumps({**answer, "usage": USAGE, "metrics": {"latencyMs": 9}}).encode()
        return RecordedResponse(200, headers, body=body)
    headers["content-type"] = "application/vnd.amazon.eventstream"
    if request.operation == "InvokeModelWithResponseStream":
        events = [StreamEvent.chunk(_llama(p, None)) for p in _pieces(prompt)]
        last = _llama("", "stop", **{"amazon-bedrock-invocationMetrics": METRICS})
        events.append(StreamEvent.chunk(last))
    else:
        events = [StreamEvent.event("messageStart", {"role": "assistant"})]
        events += [
            StreamEvent.event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": p}})
            for p in _pieces(prompt)
        ]
        events.append(StreamEvent.event("contentBlockStop", {"contentBlockIndex": 0}))
        events.append(StreamEvent.event("messageStop", {"stopReason": "end_turn"}))
        events.append(StreamEvent.event("metadata", {"usage": USAGE, "metrics": {"latencyMs": 9}}))
    return RecordedResponse(200, headers, events=events)


@pytest.fixture
def echo_server() -> Iterator[BedrockServer]:
    with BedrockServer([ScriptedSource(echo)]) as srv:
        yield srv


@pytest.fixture
def held(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Realistic credentials in the environment, so every client made in the test holds them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)


@pytest.fixture
def bearer(held: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Bedrock API key too: botocore then authenticates with ``Authorization: Bearer``."""
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", BEARER)


def call(client: Any, operation: str, prompt: str) -> str:
    """The answer text, read to its end."""
    if operation == "invoke_model":
        body = json.dumps({"prompt": prompt, "max_gen_len": 32})
        answer = json.loads(client.invoke_model(modelId=LLAMA, body=body)["body"].read())
        return str(answer["generation"])
    if operation == "invoke_model_with_response_stream":
        body = json.dumps({"prompt": prompt, "max_gen_len": 32})
        stream = client.invoke_model_with_response_stream(modelId=LLAMA, body=body)["body"]
        return "".join(json.loads(e["chunk"]["bytes"])["generation"] for e in stream)
    messages = [{"role": "user", "content": [{"text": prompt}]}]
    if operation == "converse":
        answer = client.converse(modelId=NOVA, messages=messages)
        return str(answer["output"]["message"]["content"][0]["text"])
    stream = client.converse_stream(modelId=NOVA, messages=messages)["stream"]
    return "".join(
        e["contentBlockDelta"]["delta"]["text"] for e in stream if "contentBlockDelta" in e
    )


OPERATIONS = ["invoke_model", "invoke_model_with_response_stream", "converse", "converse_stream"]


def assert_clean(path: Path, *values: str) -> str:
    text = path.read_text(encoding="utf-8")
    for value in values:
        assert value not in text
        for piece in _pieces(value)[:-1]:  # no chunk of four holds a piece of it either
            assert f"generation: {piece}\n" not in text and f"text: {piece}\n" not in text
    return text


# --- what the client holds -------------------------------------------------------------------


def test_the_values_a_client_holds_are_read_access_key_secret_token_and_bearer(
    bearer: None,
) -> None:
    assert dict(held_credentials(bedrock_client())) == ALL


def test_explicit_credentials_are_read(aws_env: None) -> None:
    client = boto3.client(
        "bedrock-runtime",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=SESSION_TOKEN,
    )
    found = held_credentials(client)
    assert ("aws_access_key_id", ACCESS_KEY) in found
    assert ("aws_secret_access_key", SECRET_KEY) in found
    assert ("aws_session_token", SESSION_TOKEN) in found


def test_refreshable_credentials_are_read_without_refreshing(
    aws_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # credential_process credentials with an expiry are RefreshableCredentials in botocore
    issued = {
        "Version": 1,
        "AccessKeyId": ACCESS_KEY,
        "SecretAccessKey": SECRET_KEY,
        "SessionToken": SESSION_TOKEN,
        "Expiration": "2999-01-01T00:00:00Z",
    }
    script = tmp_path / "issue.py"
    script.write_text(f"print({json.dumps(json.dumps(issued))})\n")
    config = tmp_path / "config"
    config.write_text(f"[profile p]\ncredential_process = {sys.executable} {script}\n")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    client = boto3.Session(profile_name="p").client("bedrock-runtime")
    found = dict(held_credentials(client))
    assert found["aws_secret_access_key"] == SECRET_KEY
    assert found["aws_session_token"] == SESSION_TOKEN


def test_short_placeholder_values_are_not_treated_as_credentials(aws_env: None) -> None:
    # aws_env holds "testing": no real AWS credential is that short
    secrets = KnownSecrets()
    note_credentials(secrets, bedrock_client(), None)
    assert not secrets


# --- recording: known values are redacted, everything is kept --------------------------------


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("name", ["aws_secret_access_key", "aws_session_token"])
def test_a_held_credential_in_the_prompt_and_answer_is_redacted_and_replays(
    held: None, echo_server: BedrockServer, tmp_path: Path, operation: str, name: str
) -> None:
    value = ALL[name]
    prompt = f"my credential is {value} ok"
    path = tmp_path / "c.yaml"
    with pytest.warns(SecretRedactedWarning, match=name) as caught:
        with use_cassette(path, record_mode="once"):
            live = call(bedrock_client(echo_server.url), operation, prompt)
    assert live == prompt  # the caller sees the real answer while recording
    text = assert_clean(path, value)
    assert f"<redacted:{name}>" in text
    message = str(caught[0].message)
    assert (
        "interaction 0" in message
        and "#/request/body/json/" in message
        and "#/response/" in message
    )
    # replayed offline: the request (still holding the real value) finds its recording
    with use_cassette(path):
        replayed = call(bedrock_client(echo_server.url), operation, prompt)
    assert replayed == f"my credential is <redacted:{name}> ok"


@pytest.mark.parametrize(
    ("operation", "chunks"),
    [("invoke_model_with_response_stream", "0-4"), ("converse_stream", "1-5")],
)
def test_an_access_key_id_streamed_four_characters_per_chunk_is_redacted(
    held: None, echo_server: BedrockServer, tmp_path: Path, operation: str, chunks: str
) -> None:
    path = tmp_path / "c.yaml"
    # the answer spells the key out four characters per chunk (after messageStart, in Converse)
    with pytest.warns(SecretRedactedWarning, match=rf"split across chunks {chunks}"):
        with use_cassette(path, record_mode="once"):
            client = bedrock_client(echo_server.url)
            assert call(client, operation, ACCESS_KEY) == ACCESS_KEY
    text = assert_clean(path, ACCESS_KEY)
    assert "<redacted:aws_access_key_id>" in text
    with use_cassette(path):
        assert call(bedrock_client(echo_server.url), operation, ACCESS_KEY) == (
            "<redacted:aws_access_key_id>"
        )


def test_a_bearer_api_key_in_a_prompt_answer_and_custom_header_is_redacted(
    bearer: None, echo_server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    with pytest.warns(SecretRedactedWarning, match="aws_bearer_token_bedrock") as caught:
        with use_cassette(path, record_mode="once"):
            client = bedrock_client(echo_server.url)
            call(client, "invoke_model", f"key {BEARER}")
            call(client, "converse_stream", f"key {BEARER}")
            response = client.converse(
                modelId=NOVA, messages=[{"role": "user", "content": [{"text": f"HEADER:{BEARER}"}]}]
            )
            assert response["ResponseMetadata"]["HTTPHeaders"]["x-echo-token"] == BEARER
    text = assert_clean(path, BEARER, BEARER[4:24])
    assert "x-echo-token: <redacted:aws_bearer_token_bedrock>" in text
    assert "interaction 2, #/response/headers/x-echo-token" in str(caught[0].message)


def test_one_leaking_recording_costs_none_of_the_others(
    held: None, echo_server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    with pytest.warns(SecretRedactedWarning, match="interaction 3"):
        with use_cassette(path, record_mode="once"):
            client = bedrock_client(echo_server.url)
            for i in range(5):
                call(client, OPERATIONS[i % 4], f"good {i}")
                if i == 2:
                    call(client, "converse", f"bad {SECRET_KEY}")
    text = assert_clean(path, SECRET_KEY)
    with use_cassette(path):
        client = bedrock_client(echo_server.url)
        for i in range(5):
            assert call(client, OPERATIONS[i % 4], f"good {i}") == f"good {i}"
        assert call(client, "converse", f"bad {SECRET_KEY}") == (
            "bad <redacted:aws_secret_access_key>"
        )
    assert text.count("operation:") == 6


def test_redaction_of_the_recording_client_s_value_matches_another_client_s_value(
    held: None, echo_server: BedrockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # recorded with one secret, replayed by a client holding another: both redact alike
    path = tmp_path / "c.yaml"
    with pytest.warns(SecretRedactedWarning):
        with use_cassette(path, record_mode="once"):
            call(bedrock_client(echo_server.url), "invoke_model", f"k={SECRET_KEY}")
    other = SECRET_KEY[::-1]
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", other)
    with use_cassette(path):
        answer = call(bedrock_client(echo_server.url), "invoke_model", f"k={other}")
    assert answer == "k=<redacted:aws_secret_access_key>"


def test_an_environment_credential_set_during_a_recording_is_redacted_when_saved(
    held: None, echo_server: BedrockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The environment's credentials are read on entering and again before saving, not at
    every request: one set after the client was made (which holds the others) is redacted."""
    path = tmp_path / "c.yaml"
    later = SECRET_KEY[::-1]
    with pytest.warns(SecretRedactedWarning):
        with use_cassette(path, record_mode="once"):
            client = bedrock_client(echo_server.url)
            monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", later)
            call(client, "invoke_model", f"k={later}")
    assert "k=<redacted:aws_secret_access_key>" in assert_clean(path, later)


# --- recording: unknown secret-shaped text is refused ----------------------------------------


def test_an_unknown_access_key_id_split_across_chunks_is_refused_naming_where(
    held: None, echo_server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    with pytest.raises(SecretInCassetteError) as caught:
        with use_cassette(path, record_mode="once"):
            client = bedrock_client(echo_server.url)
            call(client, "invoke_model", "fine")
            # only the answer holds the key, four characters per chunk
            answer = call(
                client, "invoke_model_with_response_stream", f"REVERSED:{OTHER_KEY[::-1]}"
            )
            assert answer == OTHER_KEY
    assert not path.exists()
    locations = caught.value.locations
    assert any(
        "interaction 1" in where and "chunks 0-4" in where and "generation" in where
        for where in locations
    ), locations
    assert "an AWS access key id" in str(caught.value)


def test_an_unknown_key_after_letters_is_refused(
    held: None, echo_server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    with pytest.raises(SecretInCassetteError, match="an AWS access key id") as caught:
        with use_cassette(path, record_mode="once"):
            call(bedrock_client(echo_server.url), "converse", f"arn-key{OTHER_KEY}")
    assert not path.exists()
    assert set(caught.value.locations) >= {
        "interaction 0, #/request/body/json/messages/0/content/0/text (an AWS access key id)",
        "interaction 0, #/response/body/json/output/message/content/0/text (an AWS access key id)",
    }


# --- aiobotocore -----------------------------------------------------------------------------


def test_an_async_client_s_credentials_are_redacted_too(
    bearer: None, echo_server: BedrockServer, tmp_path: Path
) -> None:
    session_module = pytest.importorskip("aiobotocore.session")
    path = tmp_path / "c.yaml"

    async def main() -> tuple[dict[str, str], str]:
        session = session_module.get_session()
        async with session.create_client(
            "bedrock-runtime", endpoint_url=echo_server.url, config=NO_RETRY
        ) as client:
            found = dict(held_credentials(client))
            body = json.dumps({"prompt": f"s={SECRET_KEY} t={BEARER}"})
            response = await client.invoke_model_with_response_stream(modelId=LLAMA, body=body)
            async for _ in response["body"]:
                pass
            return found, ""

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with use_cassette(path, record_mode="once"):
            found, _ = asyncio.run(main())
    assert found == ALL
    assert any(isinstance(w.message, SecretRedactedWarning) for w in caught)
    assert_clean(path, SECRET_KEY, BEARER)
