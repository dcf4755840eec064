"""Replay cost per call through the httpx and requests adapters, side by side with boto3's hook.

    python benchmarks/bench_transports.py [--calls N] [--rounds R]

One Converse interaction is recorded once (against the local server); then every caller replays
it from the same cassette, in alternating rounds so that machine load hits all alike: a boto3
client (the ``before-send`` hook), an ``httpx.Client`` and a ``requests.Session`` with a bearer
key (the transport adapters). Printed: the median milliseconds per call over the rounds, and
each caller's ratio to boto3.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import httpx
import requests

from bedrock_vcr import Answer, BedrockMock, use_cassette
from bedrock_vcr.server.http1 import BedrockServer

MODEL = "meta.llama3-8b-instruct-v1:0"
HOST = "https://bedrock-runtime.us-east-1.amazonaws.com"
MESSAGES = [{"role": "user", "content": [{"text": "Say hello"}]}]
BODY = json.dumps({"messages": MESSAGES})
HEADERS = {"Authorization": "Bearer bench-bearer-key-0000", "content-type": "application/json"}


def _callers(url: str) -> dict[str, Callable[[], Any]]:
    client = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=url)
    http = httpx.Client()
    session = requests.Session()
    path = f"{url}/model/{MODEL}/converse"
    return {
        "boto3 (before-send hook)": lambda: client.converse(modelId=MODEL, messages=MESSAGES),
        "httpx adapter": lambda: http.post(path, content=BODY, headers=HEADERS).json(),
        "requests adapter": lambda: session.post(path, data=BODY, headers=HEADERS).json(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per caller per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.update(AWS_ACCESS_KEY_ID="bench-access-key", AWS_SECRET_ACCESS_KEY="bench-secret")
    path = Path(tempfile.mkdtemp()) / "bench.yaml"
    mock = BedrockMock()
    mock.on().return_value = Answer("Hello there")
    with BedrockServer([mock]) as server, use_cassette(path, record_mode="all"):
        for call in _callers(server.url).values():
            call()
    times: dict[str, list[float]] = {}
    with use_cassette(path, allow_playback_repeats=True, match_on=["operation", "model_id"]):
        callers = _callers(HOST)
        for _ in range(args.rounds):
            for name, call in callers.items():
                started = time.perf_counter()
                for _ in range(args.calls):
                    call()
                per_call = (time.perf_counter() - started) / args.calls * 1000
                times.setdefault(name, []).append(per_call)
    base = statistics.median(times["boto3 (before-send hook)"])
    print(f"{'caller':28} {'ms/call':>8} {'ratio':>6}   ({args.rounds} rounds x {args.calls})")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:28} {median:8.3f} {median / base:6.2f}")


if __name__ == "__main__":
    main()
