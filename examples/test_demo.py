"""The bedrock-vcr demo: the AWS examples' own call patterns, replayed offline from cassettes.

Each test runs application code from ``bedrock_app.py`` (which creates its own boto3 client, as
the AWS examples do) under ``@pytest.mark.bedrock_cassette``: the plugin answers every Bedrock
Runtime call from ``cassettes/examples/test_demo/<test id>.bedrock.yaml`` through botocore's own
parsers, so the code reads bodies, headers and event streams exactly as it would from AWS. No
credential and no network are needed. ``record_cassettes.py`` re-records the cassettes.
"""

from __future__ import annotations

import pytest
from bedrock_app import (
    JAMBA_INSTRUCT,
    MEETING_TRANSCRIPT,
    TITAN_EXPRESS,
    TITAN_PREMIER,
    Reply,
    ask_jamba,
    ask_llama2_chat,
    ask_llama3,
    converse,
    converse_stream,
    stream_llama3,
    titan_action_items,
)
from demo_report import Demo

pytestmark = pytest.mark.bedrock_cassette

LLAMA_STOP_REASONS = {"stop", "length"}
#: AWS documents ``FINISHED``; the service answers ``FINISH`` for a completed generation.
TITAN_FINISHED = {"FINISH", "FINISHED"}
CONVERSE_STOP_REASONS = {"end_turn", "max_tokens", "stop_sequence"}


def assert_headers_agree(reply: Reply) -> None:
    """InvokeModel: the ``x-amzn-bedrock-*`` headers report the body's own token counts."""
    assert reply.header_tokens == (reply.input_tokens, reply.output_tokens)
    assert int(reply.headers["x-amzn-bedrock-invocation-latency"]) > 0


def test_llama2_chat(demo: Demo) -> None:
    reply = demo.run(
        "Llama 2 Chat, InvokeModel with an [INST] prompt",
        ask_llama2_chat,
        "In one sentence, why do programmers write unit tests?",
    )
    (sent,) = demo.requests
    assert sent.json["prompt"].startswith("<s>[INST] ") and sent.json["prompt"].endswith("[/INST]")
    assert reply.text.strip()
    assert reply.stop_reason in LLAMA_STOP_REASONS
    assert reply.input_tokens and reply.output_tokens
    assert_headers_agree(reply)


def test_llama3_instruct(demo: Demo) -> None:
    reply = demo.run(
        "Llama 3 Instruct, InvokeModel with header tokens",
        ask_llama3,
        "Give me three short tips for writing a good commit message.",
    )
    (sent,) = demo.requests
    assert sent.json["prompt"].startswith("<|begin_of_text|><|start_header_id|>user")
    assert sent.json["prompt"].endswith("<|start_header_id|>assistant<|end_header_id|>\n\n")
    assert reply.text.strip()
    assert reply.stop_reason in LLAMA_STOP_REASONS
    assert reply.input_tokens and reply.output_tokens
    assert_headers_agree(reply)


@pytest.mark.bedrock_cassette(replay_speed=1.0)  # replay at the recorded pace, to watch it
def test_llama3_streaming(demo: Demo) -> None:
    reply = demo.run(
        "Llama 3 streaming, InvokeModelWithResponseStream printed chunk by chunk",
        stream_llama3,
        "Write a four-line poem about a lighthouse keeper.",
    )
    chunks = reply.chunks
    assert len(chunks) > 1
    assert reply.text.strip()
    # Only the last chunk says why generation stopped and carries Bedrock's metrics.
    assert [c["stop_reason"] for c in chunks[:-1]] == [None] * (len(chunks) - 1)
    assert reply.stop_reason in LLAMA_STOP_REASONS
    running = [c["generation_token_count"] for c in chunks]
    assert running == sorted(running)
    metrics = reply.invocation_metrics
    assert metrics is not None
    assert (metrics["inputTokenCount"], metrics["outputTokenCount"]) == (
        reply.input_tokens,
        reply.output_tokens,
    )
    assert 0 < metrics["firstByteLatency"] <= metrics["invocationLatency"]
    assert reply.headers["content-type"] == "application/vnd.amazon.eventstream"


@pytest.mark.parametrize(
    ("model_id", "name"),
    [(TITAN_PREMIER, "Premier"), (TITAN_EXPRESS, "Express")],
    ids=["premier", "express"],
)
def test_titan_action_items(demo: Demo, model_id: str, name: str) -> None:
    reply = demo.run(
        f"Titan Text {name}, action items from a meeting transcript",
        titan_action_items,
        model_id,
    )
    (sent,) = demo.requests
    assert sent.json["inputText"] == MEETING_TRANSCRIPT
    assert reply.stop_reason in TITAN_FINISHED
    assert len(reply.body["results"]) == 1
    for person in ("Priya", "Tomas", "Wen"):
        assert person in reply.text, f"no action item for {person}"
    assert_headers_agree(reply)


def test_jamba_instruct(demo: Demo) -> None:
    reply = demo.run(
        "Jamba-Instruct, InvokeModel with messages",
        ask_jamba,
        "You are a concise outdoor guide.",
        "What should I pack for a three-day hike in autumn?",
    )
    (sent,) = demo.requests
    assert [m["role"] for m in sent.json["messages"]] == ["system", "user"]
    assert reply.model_id == JAMBA_INSTRUCT
    assert reply.text.strip()
    assert reply.body["choices"][0]["message"]["role"] == "assistant"
    assert reply.stop_reason == "stop"
    usage = reply.body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert_headers_agree(reply)


def test_converse(demo: Demo) -> None:
    reply = demo.run(
        "Converse, one user turn",
        converse,
        "What is the difference between a list and a tuple in Python?",
    )
    assert reply.text.strip()
    assert reply.body["output"]["message"]["role"] == "assistant"
    assert reply.stop_reason in CONVERSE_STOP_REASONS
    usage = reply.body["usage"]
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"] > 0
    assert reply.body["metrics"]["latencyMs"] > 0


@pytest.mark.bedrock_cassette(replay_speed=1.0)
def test_converse_stream(demo: Demo) -> None:
    reply = demo.run(
        "ConverseStream, text printed as it arrives",
        converse_stream,
        "Summarise the plot of Romeo and Juliet in three sentences.",
    )
    kinds = [next(iter(event)) for event in reply.chunks]
    assert kinds[0] == "messageStart"
    assert kinds[-2:] == ["messageStop", "metadata"]
    assert kinds.count("contentBlockDelta") > 1
    assert reply.text.strip()
    assert reply.stop_reason in CONVERSE_STOP_REASONS
    usage = reply.chunks[-1]["metadata"]["usage"]
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"] > 0
