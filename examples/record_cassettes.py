"""Re-record the demo's cassettes with bedrock-vcr's own recorder.

    python examples/record_cassettes.py

No machine here reaches AWS, so the answers come from the project's local Bedrock-compatible
server (:class:`bedrock_vcr.BedrockServer`) with a :class:`ScriptedSource`: realistic native
bodies per model family (Llama, Titan Text, Jamba, Converse), streams as event sequences with
Bedrock's invocation metrics on the final chunk, and the ``x-amzn-bedrock-*`` headers InvokeModel
sends. The server paces streams by their offsets, so the recorder stores realistic arrival times.

The script then runs the demo suite with ``--bedrock-record-mode=rewrite`` and
``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` pointing at the server (botocore's per-service endpoint
variable, so the application code stays as it is) and dummy credentials. The plugin writes the
cassettes into a temporary folder; only when every request body fitted its model's schema, every
scripted answer fitted its schema, the recording run passed and a replay-only run of the new
cassettes passed, do they replace ``cassettes/examples/test_demo/``. The cassettes are never
edited by hand.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bedrock_vcr import (
    BedrockServer,
    RecordedRequest,
    RecordedResponse,
    ScriptedSource,
    StreamEvent,
    error_response,
)
from bedrock_vcr.cassettes.storage import load_file
from bedrock_vcr.validation.validate import (
    bedrock_validation_message,
    validate_chunk,
    validate_request,
    validate_response,
)

ROOT = Path(__file__).resolve().parents[1]
DEMO_MODULE = "test_demo"
BUNDLED = ROOT / "cassettes" / "examples" / DEMO_MODULE
STREAM_TYPE = "application/vnd.amazon.eventstream"
PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

# --- what the models answer --------------------------------------------------------------------
# Keyed by (operation, model id); the demo sends one request per key.

ANSWERS: dict[tuple[str, str], str] = {
    ("InvokeModel", "meta.llama2-13b-chat-v1"): (
        "  Programmers write unit tests to catch bugs early, to document how each piece of code "
        "is meant to behave, and to make it safe to change the code later without breaking "
        "what already works."
    ),
    ("InvokeModel", "meta.llama3-8b-instruct-v1:0"): (
        "Here are three short tips for writing a good commit message:\n\n"
        "1. Keep the subject line under about 50 characters and write it in the imperative "
        'mood ("Add retry to upload", not "Added retries").\n'
        "2. Leave a blank line after the subject, then explain what changed and why, not how.\n"
        "3. Make each commit one logical change, so a single sentence can describe it."
    ),
    ("InvokeModelWithResponseStream", "meta.llama3-70b-instruct-v1:0"): (
        "He climbs the spiral stair at fall of night,\n"
        "And trims the wick while gulls go quiet below;\n"
        "No sailor knows the keeper of the light,\n"
        "Yet every ship comes home by its slow glow."
    ),
    ("InvokeModel", "amazon.titan-text-premier-v1:0"): (
        "Here are the action items for each person:\n\n"
        "Priya:\n- Update the customer FAQ.\n- Email the beta group on Monday.\n\n"
        "Tomas:\n- Write the release notes for the beta build by Friday.\n\n"
        "Wen:\n- Send Tomas the final list of fixed bugs by Wednesday.\n"
        "- Book the staging environment for Thursday and rerun the load test against the new "
        "database."
    ),
    ("InvokeModel", "amazon.titan-text-express-v1"): (
        "\nAction items:\n"
        "Tomas: Write the release notes by Friday, once QA has sent the list of fixed bugs.\n"
        "Wen: Send Tomas the final list of fixed bugs by Wednesday; book the staging "
        "environment for Thursday and rerun the load test on the new database.\n"
        "Priya: Update the customer FAQ and email the beta group on Monday."
    ),
    ("InvokeModel", "ai21.jamba-instruct-v1:0"): (
        "For a three-day hike in autumn, pack:\n\n"
        "- Layers: a moisture-wicking base layer, a fleece and a waterproof shell.\n"
        "- A warm hat, gloves and spare wool socks; nights get cold.\n"
        "- A headlamp with spare batteries, since the days are short.\n"
        "- Map and compass, a first-aid kit and a water filter.\n"
        "- Food for three days plus one spare meal.\n\n"
        "Check the forecast the day before you leave and tell someone your route."
    ),
    ("Converse", "meta.llama3-8b-instruct-v1:0"): (
        "A list is mutable: you can add, remove or change its items after creating it, and it "
        "is written with square brackets, like [1, 2, 3]. A tuple is immutable: once created it "
        "cannot change, and it is written with parentheses, like (1, 2, 3).\n\n"
        "Because tuples cannot change, they can be dictionary keys and suit fixed records such "
        "as coordinates, while lists suit collections that grow or shrink."
    ),
    ("ConverseStream", "amazon.titan-text-premier-v1:0"): (
        "Romeo and Juliet, children of two feuding families in Verona, fall in love at first "
        "sight and marry in secret. When Romeo kills Juliet's cousin Tybalt in a street fight "
        "he is banished, and Juliet takes a potion that makes her seem dead to escape an "
        "arranged marriage. Romeo, who never hears of the plan, poisons himself at her tomb, "
        "and Juliet wakes to find him dead and takes her own life, which at last reconciles "
        "their families."
    ),
}

#: Seconds before the answer (InvokeModel, Converse) or the first stream event arrives.
LATENCY = {
    "meta": 0.42,
    "amazon": 0.85,
    "ai21": 0.36,
}
#: Seconds between stream events.
STREAM_GAP = 0.035


def tokens(text: str) -> int:
    """A rough token count (words and punctuation), used consistently for every answer."""
    return len(re.findall(r"\w+|[^\w\s]", text))


def pieces(text: str, words_per_piece: int = 2) -> list[str]:
    """Split ``text`` the way a model streams it: a few words per chunk, spacing kept."""
    words = re.findall(r"\s*\S+", text)
    return ["".join(words[i : i + words_per_piece]) for i in range(0, len(words), words_per_piece)]


def _provider(model_id: str) -> str:
    return model_id.split(".", 1)[0]


def _request_id(request: RecordedRequest) -> str:
    digest = hashlib.sha256(request.body).hexdigest()
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{request.operation}/{request.model_id}/{digest}"))


def _prompt_text(body: dict[str, Any]) -> str:
    if "prompt" in body:
        return str(body["prompt"])
    if "inputText" in body:
        return str(body["inputText"])
    texts: list[str] = []
    for message in body.get("messages", []):
        content = message["content"]
        if isinstance(content, str):
            texts.append(content)
        else:
            texts.extend(str(block.get("text", "")) for block in content)
    for block in body.get("system", []) or []:
        texts.append(str(block.get("text", "")))
    return "\n".join(texts)


def _json(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def _padded_chunk(model_json: Any, index: int, offset: float) -> StreamEvent:
    """A ``chunk`` event as Bedrock sends it: base64 model JSON plus the ``p`` padding key."""
    inner = base64.b64encode(_json(model_json)).decode("ascii")
    padding = PADDING[: 3 + (index * 7) % (len(PADDING) - 3)]
    return StreamEvent.event("chunk", {"bytes": inner, "p": padding}, offset)


def _padded_event(
    event_type: str, payload: dict[str, Any], index: int, offset: float
) -> StreamEvent:
    padding = PADDING[: 3 + (index * 11) % (len(PADDING) - 3)]
    return StreamEvent.event(event_type, {**payload, "p": padding}, offset)


# --- native bodies per family ------------------------------------------------------------------


@dataclass
class Answer:
    """What one scripted call returns, before it becomes an HTTP response."""

    body: dict[str, Any] | None = None
    chunks: list[dict[str, Any]] | None = None  # IMWRS: decoded model JSON per chunk
    events: list[tuple[str, dict[str, Any]]] | None = None  # ConverseStream: (type, payload)
    input_tokens: int = 0
    output_tokens: int = 0


def _metrics(input_tokens: int, output_tokens: int, first: float, last: float) -> dict[str, int]:
    return {
        "inputTokenCount": input_tokens,
        "outputTokenCount": output_tokens,
        "invocationLatency": round(last * 1000),
        "firstByteLatency": round(first * 1000),
    }


def llama(prompt: str, text: str) -> Answer:
    used_in, used_out = tokens(prompt), tokens(text)
    body = {
        "generation": text,
        "prompt_token_count": used_in,
        "generation_token_count": used_out,
        "stop_reason": "stop",
    }
    return Answer(body=body, input_tokens=used_in, output_tokens=used_out)


def llama_stream(prompt: str, text: str, first: float) -> Answer:
    used_in = tokens(prompt)
    chunks: list[dict[str, Any]] = []
    running = 0
    for i, piece in enumerate(pieces(text)):
        running += tokens(piece)
        chunks.append(
            {
                "generation": piece,
                "prompt_token_count": used_in if i == 0 else None,
                "generation_token_count": running,
                "stop_reason": None,
            }
        )
    last = first + STREAM_GAP * len(chunks)
    chunks.append(
        {
            "generation": "",
            "prompt_token_count": None,
            "generation_token_count": running,
            "stop_reason": "stop",
            "amazon-bedrock-invocationMetrics": _metrics(used_in, running, first, last),
        }
    )
    return Answer(chunks=chunks, input_tokens=used_in, output_tokens=running)


def titan(prompt: str, text: str) -> Answer:
    used_in, used_out = tokens(prompt), tokens(text)
    body = {
        "inputTextTokenCount": used_in,
        "results": [{"tokenCount": used_out, "outputText": text, "completionReason": "FINISH"}],
    }
    return Answer(body=body, input_tokens=used_in, output_tokens=used_out)


def jamba(request: RecordedRequest, prompt: str, text: str, latency: float) -> Answer:
    used_in, used_out = tokens(prompt), tokens(text)
    body = {
        "id": _request_id(request),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": used_in,
            "completion_tokens": used_out,
            "total_tokens": used_in + used_out,
        },
        "meta": {"requestDurationMillis": round(latency * 1000)},
        "model": "jamba-instruct",
    }
    return Answer(body=body, input_tokens=used_in, output_tokens=used_out)


def converse(prompt: str, text: str, latency: float) -> Answer:
    used_in, used_out = tokens(prompt), tokens(text)
    body = {
        "metrics": {"latencyMs": round(latency * 1000)},
        "output": {"message": {"content": [{"text": text}], "role": "assistant"}},
        "stopReason": "end_turn",
        "usage": {
            "inputTokens": used_in,
            "outputTokens": used_out,
            "totalTokens": used_in + used_out,
        },
    }
    return Answer(body=body, input_tokens=used_in, output_tokens=used_out)


def converse_stream(prompt: str, text: str, first: float) -> Answer:
    used_in, used_out = tokens(prompt), tokens(text)
    events: list[tuple[str, dict[str, Any]]] = [("messageStart", {"role": "assistant"})]
    events += [
        ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}})
        for piece in pieces(text, words_per_piece=3)
    ]
    last = first + STREAM_GAP * (len(events) + 2)
    events += [
        ("contentBlockStop", {"contentBlockIndex": 0}),
        ("messageStop", {"stopReason": "end_turn"}),
        (
            "metadata",
            {
                "usage": {
                    "inputTokens": used_in,
                    "outputTokens": used_out,
                    "totalTokens": used_in + used_out,
                },
                "metrics": {"latencyMs": round(last * 1000)},
            },
        ),
    ]
    return Answer(events=events, input_tokens=used_in, output_tokens=used_out)


def build_answer(request: RecordedRequest) -> Answer:
    """The family's native answer to ``request`` (a ``KeyError`` if nothing is scripted)."""
    text = ANSWERS[(request.operation, request.model_id)]
    prompt = _prompt_text(request.json)
    latency = LATENCY[_provider(request.model_id)]
    provider, operation = _provider(request.model_id), request.operation
    if operation == "Converse":
        return converse(prompt, text, latency)
    if operation == "ConverseStream":
        return converse_stream(prompt, text, latency)
    if provider == "meta":
        if operation == "InvokeModelWithResponseStream":
            return llama_stream(prompt, text, latency)
        return llama(prompt, text)
    if provider == "amazon":
        return titan(prompt, text)
    if provider == "ai21":
        return jamba(request, prompt, text, latency)
    raise KeyError((operation, request.model_id))


# --- checks and HTTP responses -----------------------------------------------------------------


def answer_violations(request: RecordedRequest, answer: Answer) -> list[str]:
    """Every schema violation of a scripted answer, as ``where: what`` lines."""
    model_id, operation = request.model_id, request.operation
    found: list[str] = []
    if answer.body is not None:
        found += [
            f"response {v}" for v in validate_response(model_id, answer.body, operation=operation)
        ]
    for i, chunk in enumerate(answer.chunks or []):
        found += [f"chunk {i} {v}" for v in validate_chunk(model_id, chunk, operation=operation)]
    for i, (event_type, payload) in enumerate(answer.events or []):
        found += [
            f"event {i} ({event_type}) {v}"
            for v in validate_chunk(model_id, payload, operation=operation, event_type=event_type)
        ]
    return found


def to_response(request: RecordedRequest, answer: Answer) -> RecordedResponse:
    latency = LATENCY[_provider(request.model_id)]
    headers = {"x-amzn-requestid": _request_id(request)}
    if answer.chunks is not None or answer.events is not None:
        if answer.chunks is not None:
            events = [
                _padded_chunk(chunk, i, latency + STREAM_GAP * i)
                for i, chunk in enumerate(answer.chunks)
            ]
            headers["x-amzn-bedrock-content-type"] = "application/json"
        else:
            events = [
                _padded_event(event_type, payload, i, latency + STREAM_GAP * i)
                for i, (event_type, payload) in enumerate(answer.events or [])
            ]
        return RecordedResponse(
            200, {"content-type": STREAM_TYPE, **headers}, events=events, latency=latency
        )
    if request.operation == "InvokeModel":
        headers.update(
            {
                "x-amzn-bedrock-invocation-latency": str(round(latency * 1000)),
                "x-amzn-bedrock-output-token-count": str(answer.output_tokens),
                "x-amzn-bedrock-input-token-count": str(answer.input_tokens),
            }
        )
    return RecordedResponse(
        200,
        {"content-type": "application/json", **headers},
        body=_json(answer.body),
        latency=latency,
    )


class Script:
    """The server's answering function, keeping a log of what it served and what was wrong."""

    def __init__(self) -> None:
        self.served: list[RecordedRequest] = []
        self.problems: list[str] = []

    def __call__(self, request: RecordedRequest) -> RecordedResponse:
        self.served.append(request)
        where = f"{request.operation} {request.model_id}"
        violations = validate_request(
            request.model_id, request.body, operation=request.operation, strict=True
        )
        if violations:
            self.problems += [f"{where}: request {v}" for v in violations]
            return error_response(
                400, "ValidationException", bedrock_validation_message(violations)
            )
        try:
            answer = build_answer(request)
        except KeyError:
            self.problems.append(f"{where}: nothing is scripted for this call (see ANSWERS)")
            return error_response(404, "ResourceNotFoundException", f"no scripted answer: {where}")
        bad = answer_violations(request, answer)
        if bad:
            self.problems += [f"{where}: scripted {line}" for line in bad]
            return error_response(500, "InternalServerException", "scripted answer is invalid")
        return to_response(request, answer)


# --- the run -----------------------------------------------------------------------------------


def recording_env(server_url: str, scratch: Path) -> dict[str, str]:
    """The caller's environment with the endpoint redirected and dummy credentials only."""
    env = dict(os.environ)
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_BEARER_TOKEN_BEDROCK",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "AWS_ENDPOINT_URL",
    ):
        env.pop(name, None)
    env.update(
        {
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": server_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(scratch / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(scratch / "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": ",".join(filter(None, [env.get("NO_PROXY"), "127.0.0.1", "localhost"])),
        }
    )
    return env


def run_pytest(args: list[str], env: dict[str, str]) -> int:
    command = [sys.executable, "-m", "pytest", "examples", "-p", "no:cacheprovider", *args]
    print("$", " ".join(command[1:]), flush=True)
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def record(speed: float, report: Callable[[str], None] = print) -> int:
    script = Script()
    with tempfile.TemporaryDirectory(prefix="bedrock-vcr-record-") as tmp:
        scratch = Path(tmp)
        folder = scratch / "cassettes"
        with BedrockServer([ScriptedSource(script)], speed=speed) as server:
            report(f"local Bedrock server on {server.url} (scripted answers, speed {speed})")
            env = recording_env(server.url, scratch)
            recorded = run_pytest(
                [
                    "--bedrock-record-mode=rewrite",
                    "-o",
                    f"bedrock_cassette_dir={folder}",
                    "-q",
                ],
                env,
            )
        if script.problems:
            report("schema problems (nothing was replaced):")
            for line in script.problems:
                report(f"  {line}")
            return 1
        if recorded != 0:
            report(f"the recording run failed (pytest exit code {recorded}); nothing was replaced")
            return 1
        written = sorted((folder / "examples" / DEMO_MODULE).glob("*.bedrock.yaml"))
        interactions = sum(len(load_file(path)) for path in written)
        if interactions != len(script.served):
            report(
                f"{len(script.served)} requests were served but the cassettes hold "
                f"{interactions} interactions; nothing was replaced"
            )
            return 1
        report(f"recorded {interactions} interactions into {len(written)} cassettes; replaying")
        offline = recording_env("http://127.0.0.1:9", scratch)  # nothing listens there
        replayed = run_pytest(
            ["--bedrock-record-mode=none", "-o", f"bedrock_cassette_dir={folder}", "-q"],
            offline,
        )
        if replayed != 0:
            report(f"replaying the new cassettes failed (exit code {replayed}); nothing replaced")
            return 1
        if BUNDLED.exists():
            shutil.rmtree(BUNDLED)
        shutil.copytree(
            folder / "examples" / DEMO_MODULE,
            BUNDLED,
            ignore=shutil.ignore_patterns(".bedrock-vcr"),
        )
    report(f"wrote {len(written)} cassettes to {BUNDLED.relative_to(ROOT)}/")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="server pacing: 1.0 plays the scripted latencies in real time (default), "
        "0 answers at once (offsets near zero)",
    )
    options = parser.parse_args(argv)
    return record(options.speed)


if __name__ == "__main__":
    sys.exit(main())
