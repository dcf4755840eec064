"""Record each operation against the local server, then replay it offline and compare."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from bedrock_vcr import UnmatchedRequestError, use_cassette
from bedrock_vcr.server.http1 import BedrockServer

from .. import scripted
from ..helpers import NO_RETRY

LLAMA = "meta.llama3-70b-instruct-v1:0"
NOVA = "us.amazon.nova-lite-v1:0"

pytestmark = pytest.mark.usefixtures("aws_env")


def client(url: str, config: Config = NO_RETRY, session: boto3.Session | None = None) -> Any:
    maker = session.client if session is not None else boto3.client
    return maker("bedrock-runtime", endpoint_url=url, config=config)


def _metadata(response: dict[str, Any]) -> dict[str, Any]:
    meta = dict(response["ResponseMetadata"])
    headers = {k: v for k, v in meta.pop("HTTPHeaders").items() if k not in ("date", "server")}
    meta["HTTPHeaders"] = headers
    return meta


def run_operation(c: Any, operation: str, prompt: str = "hello") -> Any:
    """Call one operation and return everything the caller can observe."""
    try:
        if operation == "invoke_model":
            r = c.invoke_model(
                modelId=LLAMA, body=json.dumps({"prompt": prompt, "max_gen_len": 32})
            )
            return {"body": r["body"].read(), "contentType": r["contentType"], "meta": _metadata(r)}
        if operation == "invoke_model_with_response_stream":
            r = c.invoke_model_with_response_stream(
                modelId=LLAMA, body=json.dumps({"prompt": prompt, "max_gen_len": 32})
            )
            return {"events": list(r["body"]), "meta": _metadata(r)}
        messages = [{"role": "user", "content": [{"text": prompt}]}]
        if operation == "converse":
            r = c.converse(modelId=NOVA, messages=messages)
            meta = _metadata(r)
            r.pop("ResponseMetadata")
            return {"result": r, "meta": meta}
        r = c.converse_stream(modelId=NOVA, messages=messages)
        return {"events": list(r["stream"]), "meta": _metadata(r)}
    except botocore.exceptions.ClientError as exc:
        error = dict(exc.response)
        meta = error.pop("ResponseMetadata", None)
        return {
            "raised": type(exc).__name__,
            "error": error.get("Error"),
            "status": meta and meta.get("HTTPStatusCode"),
            "retries": meta and meta.get("RetryAttempts"),
        }


OPERATIONS = ["invoke_model", "invoke_model_with_response_stream", "converse", "converse_stream"]


@pytest.mark.parametrize("operation", OPERATIONS)
def test_operation_recorded_then_replayed_offline(
    server: BedrockServer, tmp_path: Path, operation: str
) -> None:
    path = tmp_path / "cassette.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = run_operation(client(server.url), operation)
    server.stop()  # replay must not need the server

    with use_cassette(path) as cassette:
        replayed = run_operation(client(server.url), operation)

    assert replayed == recorded
    assert cassette.play_count == 1
    assert "raised" not in recorded


def test_every_operation_in_one_cassette_replays_in_any_order(
    server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "cassette.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = {op: run_operation(client(server.url), op) for op in OPERATIONS}
    server.stop()
    with use_cassette(path):
        replayed = {op: run_operation(client(server.url), op) for op in reversed(OPERATIONS)}
    assert replayed == recorded


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ValidationException", 400),
        ("AccessDeniedException", 403),
        ("ResourceNotFoundException", 404),
        ("ModelTimeoutException", 408),
        ("ModelErrorException", 424),
        ("ThrottlingException", 429),
        ("InternalServerException", 500),
        ("ServiceUnavailableException", 503),
    ],
)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_error_status_replayed_as_botocore_raises_it(
    server: BedrockServer, tmp_path: Path, operation: str, code: str, status: int
) -> None:
    path = tmp_path / "cassette.yaml"
    prompt = f"ERROR:{code}:{status}"
    with use_cassette(path, record_mode="once"):
        recorded = run_operation(client(server.url), operation, prompt)
    server.stop()
    with use_cassette(path, allow_playback_repeats=True):
        c = client(server.url)
        replayed = run_operation(c, operation, prompt)
        # the modeled exception class, as from AWS
        modeled = getattr(c.exceptions, code)
        with pytest.raises(modeled):
            run_operation_raising(c, operation, prompt)
    assert replayed == recorded
    assert recorded["raised"] == code
    assert recorded["status"] == status
    assert recorded["error"]["Code"] == code


def run_operation_raising(c: Any, operation: str, prompt: str) -> None:
    if operation.startswith("invoke"):
        getattr(c, operation)(modelId=LLAMA, body=json.dumps({"prompt": prompt, "max_gen_len": 32}))
    else:
        getattr(c, operation)(
            modelId=NOVA, messages=[{"role": "user", "content": [{"text": prompt}]}]
        )


def test_retries_are_recorded_per_attempt_and_replayed(
    server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "cassette.yaml"
    retrying = Config(retries={"max_attempts": 3, "mode": "standard"})
    recording = use_cassette(path, record_mode="once", skip_backoff=True)
    with recording as cassette:
        recorded = run_operation(client(server.url, retrying), "invoke_model", "THROTTLE")
    attempts = len(cassette.new_interactions)  # one interaction per attempt
    assert recorded["retries"] >= 2
    assert attempts == recorded["retries"] + 1
    server.stop()
    replaying = use_cassette(path, skip_backoff=True)
    with replaying as cassette:
        player = replaying.player
        assert player is not None
        replayed = run_operation(client(server.url, retrying), "invoke_model", "THROTTLE")
    assert replayed == recorded
    assert cassette.play_count == attempts
    # botocore computed a backoff before each retry; skip_backoff kept it from sleeping.
    assert len(player.backoff_delays) == recorded["retries"]
    assert all(delay > 0 for delay in player.backoff_delays)


@pytest.mark.parametrize(
    ("operation", "code", "before_error"),
    [
        ("invoke_model_with_response_stream", "modelStreamErrorException", 3),
        ("converse_stream", "throttlingException", 6),
    ],
)
def test_midstream_exception_frame_recorded_whole_and_replayed(
    server: BedrockServer, tmp_path: Path, operation: str, code: str, before_error: int
) -> None:
    path = tmp_path / "cassette.yaml"

    def consume(c: Any) -> tuple[list[Any], dict[str, Any]]:
        received: list[Any] = []
        if operation == "converse_stream":
            stream = c.converse_stream(
                modelId=NOVA, messages=[{"role": "user", "content": [{"text": "MIDSTREAM"}]}]
            )["stream"]
        else:
            stream = c.invoke_model_with_response_stream(
                modelId=LLAMA, body=json.dumps({"prompt": "MIDSTREAM"})
            )["body"]
        with pytest.raises(botocore.exceptions.EventStreamError) as info:
            for event in stream:
                received.append(event)
        return received, info.value.response["Error"]

    with use_cassette(path, record_mode="once") as cassette:
        recorded = consume(client(server.url))
    # the recorder drained the stream itself: the exception frame is in the cassette
    events = cassette.new_interactions[0].response.events
    assert events is not None
    assert events[-1].message_type == "exception"
    assert len(events) == before_error + 1
    server.stop()
    with use_cassette(path):
        replayed = consume(client(server.url))
    assert replayed == recorded
    assert len(recorded[0]) == before_error
    assert recorded[1]["Code"] == code


@pytest.mark.parametrize("operation", ["invoke_model_with_response_stream", "converse_stream"])
def test_stream_reaches_caller_incrementally_while_recording_and_replaying(
    server: BedrockServer, tmp_path: Path, operation: str
) -> None:
    path = tmp_path / "cassette.yaml"

    def arrivals(
        c: Any, during_record: list[bool] | None = None, cassette: Any = None
    ) -> list[float]:
        start = time.monotonic()
        if operation == "converse_stream":
            stream = c.converse_stream(
                modelId=NOVA, messages=[{"role": "user", "content": [{"text": "hi"}]}]
            )["stream"]
        else:
            stream = c.invoke_model_with_response_stream(
                modelId=LLAMA, body=json.dumps({"prompt": "hi"})
            )["body"]
        times = []
        for _ in stream:
            times.append(time.monotonic() - start)
            if during_record is not None:
                during_record.append(cassette.new_interactions[0].response is None)
        return times

    incomplete: list[bool] = []
    with use_cassette(path, record_mode="once") as cassette:
        live = arrivals(client(server.url), incomplete, cassette)
    # The first event reached the caller while the recording was still in flight.
    assert incomplete[0] is True
    assert incomplete[-1] is True or len(incomplete) > 1
    spread = 4 * scripted.STREAM_GAP * 0.5
    assert live[-1] - live[0] >= spread, live
    server.stop()

    with use_cassette(path, replay_speed=1.0):
        paced = arrivals(client(server.url))
    assert len(paced) == len(live)
    assert paced[-1] - paced[0] >= spread, paced  # yielded one by one, at recorded pace

    with use_cassette(path):
        fast = arrivals(client(server.url))
    assert len(fast) == len(live)


def test_no_secret_is_written(
    server: BedrockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEXAMPLETOKENVALUE1234567890")
    path = tmp_path / "cassette.yaml"
    with use_cassette(path, record_mode="once"):
        c = client(server.url)
        for op in OPERATIONS:
            run_operation(c, op)
    text = path.read_text()
    for secret in (
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI",
        "FwoGZXIvYXdzEXAMPLETOKENVALUE",
        "AWS4-HMAC-SHA256",
        "Signature=",
        "X-Amz-Date",
        "x-amz-date",
        "authorization",
        "Authorization",
        "amz-sdk-invocation-id",
        "x-amz-security-token",
        "X-Amz-Security-Token",
    ):
        assert secret not in text


def test_clients_from_custom_sessions_and_earlier_clients_are_covered(
    server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "cassette.yaml"
    early = client(server.url)  # created before any cassette is active
    with use_cassette(path, record_mode="once"):
        run_operation(early, "invoke_model", "early")
        run_operation(client(server.url, session=boto3.Session()), "invoke_model", "session")
    server.stop()
    with use_cassette(path) as cassette:
        run_operation(early, "invoke_model", "early")
        run_operation(client(server.url, session=boto3.Session()), "invoke_model", "session")
    assert cassette.play_count == 2


def test_other_services_pass_through_untouched(server: BedrockServer, tmp_path: Path) -> None:
    path = tmp_path / "cassette.yaml"
    path.write_text("version: 1\ninteractions: []\n")
    with use_cassette(path):
        s3 = boto3.client("s3", endpoint_url=server.url, config=NO_RETRY)
        # The request reaches the local server (which knows no S3) instead of the cassette.
        with pytest.raises(botocore.exceptions.ClientError) as info:
            s3.list_buckets()
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_no_handler_stays_registered_after_the_cassette(
    server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "cassette.yaml"
    c = client(server.url)
    with use_cassette(path, record_mode="once"):
        run_operation(c, "invoke_model", "first")
    # Outside the cassette the call goes to the server again, and nothing gets recorded.
    before = path.read_text()
    result = run_operation(c, "invoke_model", "outside")
    assert json.loads(result["body"])["generation"].startswith("word0")
    assert path.read_text() == before


def test_unmatched_request_in_none_mode_explains_the_closest(
    server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "cassette.yaml"
    with use_cassette(path, record_mode="once"):
        run_operation(client(server.url), "invoke_model", "recorded prompt")
    server.stop()
    with use_cassette(path), pytest.raises(UnmatchedRequestError) as info:
        run_operation(client(server.url), "invoke_model", "another prompt")
    message = str(info.value)
    assert f"InvokeModel request to model '{LLAMA}'" in message
    assert str(path) in message
    assert "record mode: none" in message
    assert '#/prompt: recorded "recorded prompt", request "another prompt"' in message
    assert "--bedrock-record-mode" in message


def test_new_episodes_keeps_old_interactions_and_appends(
    server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "cassette.yaml"
    with use_cassette(path, record_mode="once"):
        run_operation(client(server.url), "invoke_model", "one")
    with use_cassette(path, record_mode="new_episodes") as cassette:
        run_operation(client(server.url), "invoke_model", "one")
        run_operation(client(server.url), "invoke_model", "two")
    assert cassette.play_count == 1
    assert len(cassette.new_interactions) == 1
    with use_cassette(path) as cassette:
        run_operation(client(server.url), "invoke_model", "two")
        run_operation(client(server.url), "invoke_model", "one")
    assert len(cassette.interactions) == 2


def test_exception_in_test_keeps_existing_cassette(server: BedrockServer, tmp_path: Path) -> None:
    path = tmp_path / "cassette.yaml"
    with use_cassette(path, record_mode="once"):
        run_operation(client(server.url), "invoke_model", "one")
    before = path.read_text()
    with pytest.raises(RuntimeError), use_cassette(path):
        run_operation(client(server.url), "invoke_model", "one")
        raise RuntimeError("test failed mid-way")
    assert path.read_text() == before
    # beside it only the git-ignored work folder of its writes (lock), with no temporary file
    assert sorted(p.name for p in tmp_path.iterdir()) == [".bedrock-vcr", "cassette.yaml"]
    assert list((tmp_path / ".bedrock-vcr").glob("*.tmp")) == []


def test_decorator_form_records_then_replays(server: BedrockServer, tmp_path: Path) -> None:
    path = tmp_path / "decorated.yaml"
    url = server.url

    @use_cassette(path, record_mode="once")
    def ask() -> Any:
        return run_operation(client(url), "invoke_model", "decorated")

    recorded = ask()
    server.stop()
    replay = use_cassette(path)(lambda: run_operation(client(url), "invoke_model", "decorated"))
    assert replay() == recorded
    assert path.exists()


def test_async_function_decorated(server: BedrockServer, tmp_path: Path) -> None:
    import asyncio

    path = tmp_path / "async.yaml"
    url = server.url

    @use_cassette(path, record_mode="once")
    async def ask() -> Any:
        return run_operation(client(url), "converse", "from a coroutine")

    recorded = asyncio.run(ask())
    server.stop()
    with use_cassette(path):
        assert run_operation(client(url), "converse", "from a coroutine") == recorded


def test_a_client_made_before_bedrock_vcr_watched_is_covered(
    server: BedrockServer, tmp_path: Path
) -> None:
    # This used to reach the live server until patch_client was called: a silent leak in
    # replay-only mode. Clients that exist when watching starts are now adopted.
    from bedrock_vcr import patch_client
    from bedrock_vcr.intercept import clients as interception

    path = tmp_path / "cassette.yaml"
    with use_cassette(path, record_mode="once"):
        run_operation(client(server.url), "invoke_model", "patched")
    # A client created while no tracker runs (as in a library that imported boto3 first).
    interception.uninstall_tracker()
    try:
        unseen = client(server.url)
    finally:
        interception.install_tracker()
    with use_cassette(path, allow_playback_repeats=True) as cassette:
        with pytest.raises(UnmatchedRequestError):
            run_operation(unseen, "invoke_model", "not in the cassette")
        assert patch_client(unseen) is unseen  # still accepted, and harmless
        run_operation(unseen, "invoke_model", "patched")
        assert cassette.play_count == 1


def test_replay_needs_no_credentials_even_for_clients_made_before(
    server: BedrockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cassette.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = run_operation(client(server.url), "invoke_model", "no keys")
    server.stop()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # e.g. made at import time, from a fresh session: botocore found no credentials
    early = client(server.url, session=boto3.Session())
    with pytest.raises(botocore.exceptions.NoCredentialsError):
        run_operation(early, "invoke_model", "outside any cassette")
    with use_cassette(path):
        assert run_operation(early, "invoke_model", "no keys") == recorded
    # A cassette that records must sign, so it needs real credentials as usual.
    with use_cassette(path, record_mode="new_episodes"):
        with pytest.raises(botocore.exceptions.NoCredentialsError):
            run_operation(early, "invoke_model", "a new request")


def test_watch_clients_covers_clients_made_before_the_first_cassette(
    server: BedrockServer, tmp_path: Path
) -> None:
    from bedrock_vcr import watch_clients
    from bedrock_vcr.intercept import clients as interception

    path = tmp_path / "cassette.yaml"
    with use_cassette(path, record_mode="once"):
        run_operation(client(server.url), "invoke_model", "watched")
    server.stop()
    interception.uninstall_tracker()  # as in a plain script: nothing watches yet
    try:
        watch_clients()
        early = client(server.url)  # e.g. created at import time, before any cassette
        with use_cassette(path) as cassette:
            run_operation(early, "invoke_model", "watched")
        assert cassette.play_count == 1
    finally:
        interception.install_tracker()
