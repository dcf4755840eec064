"""The server answers every operation botocore sends: from cassettes, from simulated routes, and
with a message naming the operation it cannot serve."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import Any

import pytest

from bedrock_vcr import use_cassette
from bedrock_vcr.errors import ServeConfigError
from bedrock_vcr.server.http1 import BedrockServer
from bedrock_vcr.server.routes_file import SimulationSource, option_routes, parse_config
from bedrock_vcr.server.sources import CassetteSource

from ..helpers import bedrock_client
from ..intercept.test_operations import CALLS, call

pytestmark = pytest.mark.usefixtures("aws_env")

NOVA = "amazon.nova-lite-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "twelve chars"}]}]


def _guard(c: Any, text: str) -> dict[str, Any]:
    return dict(
        c.apply_guardrail(
            guardrailIdentifier="gr-1",
            guardrailVersion="DRAFT",
            source="OUTPUT",
            content=[{"text": {"text": text}}],
        )
    )


def test_recorded_operations_are_served_from_the_cassette(
    server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "ops.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = {op: call(bedrock_client(server.url), op) for op in sorted(CALLS)}
    with BedrockServer([CassetteSource([path])]) as replaying:
        served = {op: call(bedrock_client(replaying.url), op) for op in sorted(CALLS)}
    assert served == recorded


def test_routes_file_simulates_count_tokens_and_guardrail() -> None:
    config = parse_config(
        {
            "routes": [
                {"match": {"operation": "CountTokens", "model": "meta.*"}, "token_count": 7},
                {
                    "match": {"operation": "ApplyGuardrail", "prompt": "BAD"},
                    "guardrail": {"intervened": True, "output": "Blocked.", "filter": "INSULTS"},
                },
                {"match": {"operation": "ApplyGuardrail"}, "guardrail": "NONE"},
                {"answer": "Hello."},
            ]
        },
        "test",
    )
    with BedrockServer(config.sources()) as srv:
        c = bedrock_client(srv.url)
        fixed = c.count_tokens(
            modelId="meta.llama3-8b-instruct-v1:0", input={"converse": {"messages": MESSAGES}}
        )
        counted = c.count_tokens(modelId=NOVA, input={"converse": {"messages": MESSAGES}})
        blocked = _guard(c, "a BAD word")
        passed = _guard(c, "fine")
        usage = c.converse(modelId=NOVA, messages=MESSAGES)["usage"]
    assert fixed["inputTokens"] == 7
    assert counted["inputTokens"] == usage["inputTokens"] == 3  # the default route: counted
    assert (blocked["action"], blocked["outputs"]) == (
        "GUARDRAIL_INTERVENED",
        [{"text": "Blocked."}],
    )
    assert blocked["assessments"][0]["contentPolicy"]["filters"][0]["type"] == "INSULTS"
    assert (passed["action"], passed["outputs"]) == ("NONE", [])


def test_serve_answer_option_covers_count_tokens_and_guardrail() -> None:
    sources = [SimulationSource(option_routes(answer="Hi"))]
    with BedrockServer(sources) as srv:
        c = bedrock_client(srv.url)
        assert (
            c.count_tokens(modelId=NOVA, input={"converse": {"messages": MESSAGES}})["inputTokens"]
            == 3
        )
        assert _guard(c, "anything")["action"] == "NONE"


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"routes": [{"guardrail": "MAYBE"}]}, r"routes\[0\]\.guardrail: guardrail is NONE"),
        ({"routes": [{"token_count": {"tokens": 3}}]}, r"unknown key 'tokens'"),
        (
            {"routes": [{"match": {"operation": "Converse"}, "token_count": 3}]},
            "TokenCount answers CountTokens only",
        ),
    ],
    ids=["guardrail-value", "token-count-key", "wrong-operation"],
)
def test_bad_outcomes_are_refused_on_load(config: dict[str, Any], problem: str) -> None:
    with pytest.raises(ServeConfigError, match=problem):
        parse_config(config, "test")


def _post(srv: BedrockServer, path: str) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        conn.request("POST", path, body=b"{}", headers={"content-type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_bidirectional_stream_is_named_not_served(server: BedrockServer) -> None:
    status, body = _post(server, "/model/amazon.nova-sonic-v1%3A0/invoke-with-bidirectional-stream")
    assert status == 404
    assert body["message"].startswith(
        "bedrock-vcr does not serve InvokeModelWithBidirectionalStream"
    )
    status, body = _post(server, "/guardrail/gr-1/apply")
    assert (
        status == 404 and "CountTokens" in body["message"] and "ApplyGuardrail" in body["message"]
    )
