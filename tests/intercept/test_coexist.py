"""bedrock-vcr beside moto (``mock_aws``) and vcrpy (pytest-recording's engine) in one process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import boto3
import pytest
import vcr
from moto import mock_aws
from moto.core.models import botocore_stubber

from bedrock_vcr import Answer, mock_bedrock, use_cassette
from bedrock_vcr.server.http1 import BedrockServer

from ..helpers import NO_RETRY, bedrock_client

NOVA = "us.amazon.nova-lite-v1:0"
LLAMA = "meta.llama3-8b-instruct-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hello"}]}]

pytestmark = pytest.mark.usefixtures("aws_env")


def _converse_both(client: Any) -> tuple[Any, list[Any]]:
    answer = client.converse(modelId=NOVA, messages=MESSAGES)["output"]
    events = list(client.converse_stream(modelId=NOVA, messages=MESSAGES)["stream"])
    return answer, events


def _text(events: list[Any]) -> str:
    deltas = [e["contentBlockDelta"]["delta"] for e in events if "contentBlockDelta" in e]
    return "".join(d["text"] for d in deltas)


# --- moto ----------------------------------------------------------------------------------------


def test_simulated_converse_and_stream_under_mock_aws() -> None:
    with mock_bedrock() as bedrock, mock_aws():
        bedrock.on(model_id=NOVA).return_value = Answer("from the mock")
        answer, events = _converse_both(bedrock_client())
    assert answer["message"]["content"] == [{"text": "from the mock"}]
    assert _text(events) == "from the mock"


def test_invoke_model_under_mock_aws_is_answered_by_bedrock_vcr_not_moto() -> None:
    with mock_aws(), mock_bedrock() as bedrock:  # moto first this time: the order is irrelevant
        bedrock.on(model_id=LLAMA).return_value = Answer("simulated")
        client = bedrock_client()
        response = client.invoke_model(
            modelId=LLAMA, body=json.dumps({"prompt": "hi", "max_gen_len": 8})
        )
        # a body that is not JSON: Bedrock's 400, where moto's stub would crash parsing it
        with pytest.raises(client.exceptions.ValidationException):
            client.invoke_model(modelId=LLAMA, body=b"not json")
    assert json.loads(response["body"].read())["generation"] == "simulated"


def test_moto_imported_after_the_mock_started_is_kept_off_too() -> None:
    code = textwrap.dedent(
        """
        import sys, boto3
        from bedrock_vcr import Answer, mock_bedrock
        with mock_bedrock() as bedrock:
            bedrock.on().return_value = Answer("late")
            assert "moto" not in sys.modules
            from moto import mock_aws
            with mock_aws():
                client = boto3.client("bedrock-runtime", region_name="us-east-1")
                answer = client.converse(modelId="us.amazon.nova-lite-v1:0",
                    messages=[{"role": "user", "content": [{"text": "hi"}]}])
        print(answer["output"]["message"]["content"][0]["text"])
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "late", done.stderr[-2000:]


def test_replay_under_mock_aws(server: BedrockServer, tmp_path: Path) -> None:
    path = tmp_path / "nova.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = _converse_both(bedrock_client(server.url))
    with use_cassette(path), mock_aws():
        replayed = _converse_both(bedrock_client())
    assert replayed[0] == recorded[0]
    assert _text(replayed[1]) == _text(recorded[1]) != ""


def test_moto_keeps_every_other_service_and_gets_bedrock_runtime_back_afterwards() -> None:
    with mock_aws():
        with mock_bedrock(assert_all_called=False):
            s3 = boto3.client("s3", region_name="us-east-1")
            s3.create_bucket(Bucket="still-moto")
            assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["still-moto"]
            assert "process_request" in vars(botocore_stubber)
        assert "process_request" not in vars(botocore_stubber)  # moto's own method again
        with pytest.raises(NotImplementedError, match="converse"):
            bedrock_client().converse(modelId=NOVA, messages=MESSAGES)


def test_neither_library_is_imported_by_bedrock_vcr() -> None:
    code = textwrap.dedent(
        """
        import sys, boto3
        from bedrock_vcr import Answer, mock_bedrock
        with mock_bedrock() as bedrock:
            bedrock.on().return_value = Answer("x")
            boto3.client("bedrock-runtime", region_name="us-east-1").converse(
                modelId="us.amazon.nova-lite-v1:0",
                messages=[{"role": "user", "content": [{"text": "hi"}]}])
        print(sorted(m for m in ("moto", "vcr", "responses") if m in sys.modules))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == "[]"


# --- vcrpy ---------------------------------------------------------------------------------------


def _vcr_cassette(path: Path) -> Any:
    """vcrpy in its replay-only mode, on a cassette it recorded with nothing in it."""
    path.write_text("interactions: []\nversion: 1\n")
    return vcr.VCR(record_mode="none").use_cassette(str(path))


def test_recording_under_a_vcrpy_cassette_bypasses_vcrpy(
    server: BedrockServer, tmp_path: Path
) -> None:
    vcr_path = tmp_path / "vcrpy.yaml"
    bedrock_path = tmp_path / "bedrock.yaml"
    with _vcr_cassette(vcr_path) as vcr_cassette, use_cassette(bedrock_path, record_mode="once"):
        client = bedrock_client(server.url, config=NO_RETRY)
        recorded = _converse_both(client)
    # vcrpy in "none" mode would have refused the request; in a recording mode kept it with
    # its SigV4 Authorization header
    assert len(vcr_cassette) == 0
    assert "Authorization" not in vcr_path.read_text()
    with use_cassette(bedrock_path):
        assert _converse_both(bedrock_client()) == (recorded[0], recorded[1])


def test_vcrpy_records_its_own_traffic_while_bedrock_vcr_records(
    server: BedrockServer, tmp_path: Path
) -> None:
    import requests

    vcr_path = tmp_path / "vcrpy.yaml"
    with vcr.VCR(record_mode="once").use_cassette(str(vcr_path)) as vcr_cassette:
        with use_cassette(tmp_path / "bedrock.yaml", record_mode="once"):
            bedrock_client(server.url).converse(modelId=NOVA, messages=MESSAGES)
        with requests.get(f"{server.url}/ping", timeout=5) as response:
            status = response.status_code
    assert len(vcr_cassette) == 1
    assert vcr_cassette.requests[0].path == "/ping"
    text = vcr_path.read_text()
    assert "converse" not in text and "Authorization" not in text
    with vcr.VCR(record_mode="none").use_cassette(str(vcr_path)):  # and vcrpy replays it
        with requests.get(f"{server.url}/ping", timeout=5) as response:
            assert response.status_code == status
