"""What the replay benchmark sends and what it gets back, and how its cassettes are built.

Every interaction is identified by its index ``i`` in the cassette. Interaction ``i`` is either an
``InvokeModel`` or a 50-chunk ``InvokeModelWithResponseStream`` call to Llama 3 Instruct (the
AWS examples' pattern: ``json.dumps`` of a native request with header tokens in the prompt). Its
request body names ``i`` in the prompt, so every interaction has a distinct body and the local
server can tell which answer to give. The same :func:`answer_for` produces the answer the local
server serves while recording and the answer a generated cassette holds, so both ways of building
a cassette describe the same exchanges.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.client import BaseClient
from botocore.config import Config

from bedrock_vcr import use_cassette
from bedrock_vcr.bedrock.operations import model_path
from bedrock_vcr.cassettes import storage
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cassettes.records import (
    Interaction,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)
from bedrock_vcr.server.sources import ScriptedSource

MODEL_ID = "meta.llama3-8b-instruct-v1:0"
INVOKE = "InvokeModel"
STREAM = "InvokeModelWithResponseStream"
OPERATIONS = (INVOKE, STREAM)
OP_LABEL = {INVOKE: "invoke_model", STREAM: "stream"}
_INDEX = re.compile(rb"Question (\d+):")
_WORDS = (
    "The replay path hands botocore the recorded bytes so its parsers run unchanged and the "
    "caller cannot tell a cassette from the service itself while the test runs offline"
).split()


@dataclass(frozen=True)
class Workload:
    """The shape of every cassette in one benchmark run."""

    chunks: int = 50
    #: Fraction of interactions that are streams (the rest are ``InvokeModel``).
    stream_share: float = 0.5

    def operation(self, i: int) -> str:
        """Spread streams evenly: interaction ``i`` is a stream when the running share steps up."""
        share = self.stream_share
        return STREAM if int((i + 1) * share) > int(i * share) else INVOKE

    def indices(self, size: int, operation: str) -> list[int]:
        return [i for i in range(size) if self.operation(i) == operation]

    # --- requests -----------------------------------------------------------------------

    @staticmethod
    def request_doc(i: int) -> dict[str, Any]:
        prompt = (
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"
            f"Question {i}: summarise what a cassette recorder does for a test suite."
            "<|eot_id|>\n<|start_header_id|>assistant<|end_header_id|>\n"
        )
        return {"prompt": prompt, "max_gen_len": 256, "temperature": 0.5, "top_p": 0.9}

    def request_body(self, i: int) -> bytes:
        return json.dumps(self.request_doc(i)).encode()

    def recorded_request(self, i: int) -> RecordedRequest:
        operation = self.operation(i)
        return RecordedRequest(
            operation=operation,
            model_id=MODEL_ID,
            body=self.request_body(i),
            headers={},  # botocore sends none of the kept headers for these calls
            path=model_path(MODEL_ID, operation),
        )

    # --- answers ------------------------------------------------------------------------

    def answer_for(self, i: int) -> RecordedResponse:
        return _answer(self, i)

    def answer(self, request: RecordedRequest) -> RecordedResponse | None:
        """The local server's source function: find ``i`` in the prompt, answer for it."""
        found = _INDEX.search(request.body)
        if found is None:
            return None
        return self.answer_for(int(found.group(1)))

    def source(self) -> ScriptedSource:
        return ScriptedSource(self.answer)

    def interactions(self, size: int) -> Iterator[Interaction]:
        for i in range(size):
            yield Interaction(
                self.recorded_request(i), self.answer_for(i), "2025-01-01T00:00:00+00:00"
            )


@functools.lru_cache(maxsize=4096)
def _answer(workload: Workload, i: int) -> RecordedResponse:
    """Cached so the live-server figure measures serving, not building, the answer."""
    request_id = str(uuid.UUID(int=i + 1))
    prompt_tokens = 28 + len(str(i))
    if workload.operation(i) == INVOKE:
        words = [_WORDS[(i + k) % len(_WORDS)] for k in range(60)]
        body = {
            "generation": " ".join(words),
            "prompt_token_count": prompt_tokens,
            "generation_token_count": len(words),
            "stop_reason": "stop",
        }
        headers = {
            "content-type": "application/json",
            "x-amzn-requestid": request_id,
            "x-amzn-bedrock-invocation-latency": "412",
            "x-amzn-bedrock-input-token-count": str(prompt_tokens),
            "x-amzn-bedrock-output-token-count": str(len(words)),
        }
        return RecordedResponse(200, headers, body=json.dumps(body).encode(), latency=0.412)
    events = []
    n = workload.chunks
    for k in range(n):
        last = k == n - 1
        chunk: dict[str, Any] = {
            "generation": " " + _WORDS[(i + k) % len(_WORDS)],
            "prompt_token_count": prompt_tokens if k == 0 else None,
            "generation_token_count": k + 1,
            "stop_reason": "stop" if last else None,
        }
        if last:
            chunk["amazon-bedrock-invocationMetrics"] = {
                "inputTokenCount": prompt_tokens,
                "outputTokenCount": n,
                "invocationLatency": 1210,
                "firstByteLatency": 190,
            }
        events.append(StreamEvent.chunk(chunk, offset=0.19 + 0.02 * k))
    headers = {
        "content-type": "application/vnd.amazon.eventstream",
        "x-amzn-requestid": request_id,
        "x-amzn-bedrock-content-type": "application/json",
    }
    return RecordedResponse(200, headers, events=events, latency=0.19)


# --- clients and calls ------------------------------------------------------------------------


def make_client(endpoint_url: str, *, signed: bool = True) -> BaseClient:
    """A real boto3 client with dummy credentials (nothing here reads a real credential);
    ``signed=False`` makes botocore skip SigV4 (the unsigned floor)."""
    options: dict[str, Any] = {} if signed else {"signature_version": UNSIGNED}
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, **options),
    )


Call = Callable[[int], None]


def caller(client: BaseClient, workload: Workload, operation: str, targets: list[int]) -> Call:
    """A function ``call(i)`` making request ``i`` and consuming the whole answer.

    Request bodies are built beforehand, so the timed call is the SDK call alone. InvokeModel
    reads the body to the end; a stream is iterated to its last event.
    """
    bodies = {i: workload.request_body(i) for i in set(targets)}
    if operation == INVOKE:
        invoke = client.invoke_model

        def call_invoke(i: int) -> None:
            data = invoke(modelId=MODEL_ID, body=bodies[i])["body"].read()
            if not data:
                raise AssertionError(f"interaction {i}: empty InvokeModel body")

        return call_invoke
    stream = client.invoke_model_with_response_stream
    expected = workload.chunks

    def call_stream(i: int) -> None:
        count = 0
        for event in stream(modelId=MODEL_ID, body=bodies[i])["body"]:
            if "chunk" in event:
                count += 1
        if count != expected:
            raise AssertionError(f"interaction {i}: {count} chunks, expected {expected}")

    return call_stream


def drive(client: BaseClient, workload: Workload, size: int) -> None:
    """Make calls 0..size-1 in order (how cassettes get recorded)."""
    calls = {op: caller(client, workload, op, workload.indices(size, op)) for op in OPERATIONS}
    for i in range(size):
        calls[workload.operation(i)](i)


# --- cassettes ---------------------------------------------------------------------------------


def record_bedrock_vcr(path: Path, workload: Workload, size: int, server_url: str) -> None:
    """Record through ``use_cassette(record_mode="all")`` against the local server."""
    with use_cassette(path, record_mode="all"):
        drive(make_client(server_url), workload, size)


def generate_bedrock_vcr(path: Path, workload: Workload, size: int) -> None:
    """Write the same exchanges without the network, through ``serialize.dumps``."""
    storage.write_atomic(path, serialize.dumps(workload.interactions(size)))


def vcrpy_replay_config() -> dict[str, Any]:
    """vcrpy as a user wanting correct matching configures it: the default fields plus the body."""
    return {
        "record_mode": "none",
        "match_on": ["method", "scheme", "host", "port", "path", "query", "body"],
    }


def record_vcrpy(path: Path, workload: Workload, size: int, server_url: str) -> None:
    """Record through vcrpy itself against the local server.

    While recording, vcrpy checks every new request against everything already recorded; with
    ``match_on=["method"]`` that check ends at the first entry, so building a large cassette
    does not take quadratic time. Matching while recording does not change what is written.
    """
    import vcr

    recorder = vcr.VCR(record_mode="all", match_on=["method"])
    with recorder.use_cassette(str(path)):
        drive(make_client(server_url), workload, size)
