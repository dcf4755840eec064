"""What looking for schema drift costs when answers are validated (recording, cassette load).

    python benchmarks/bench_drift.py            # Converse answers and ConverseStream events
    python benchmarks/bench_drift.py --calls 5000

Each answer fit for its schema is checked once against the open schema (violations) and once
against the same schema closed to unlisted keys (drift, :mod:`bedrock_vcr.validation.drift`).
This times ``validate_response`` / ``validate_chunk`` with the drift check and without it
(``CLOSABLE`` emptied), in alternating batches, and prints the medians and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from bedrock_vcr.validation import validate

MODEL = "us.anthropic.claude-sonnet-4-20250514-v1:0"
USAGE = {"inputTokens": 12, "outputTokens": 40, "totalTokens": 52}
ANSWER = {
    "output": {"message": {"role": "assistant", "content": [{"text": "word " * 40}]}},
    "stopReason": "end_turn",
    "usage": USAGE,
    "metrics": {"latencyMs": 420},
}
EVENTS = [
    {"messageStart": {"role": "assistant", "p": "abcd"}},
    *({"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "word "}}},) * 8,
    {"contentBlockStop": {"contentBlockIndex": 0}},
    {"messageStop": {"stopReason": "end_turn"}},
    {"metadata": {"usage": USAGE, "metrics": {"latencyMs": 420}}},
]


def converse() -> None:
    validate.validate_response(MODEL, ANSWER, operation="Converse")


def stream() -> None:
    for event in EVENTS:
        validate.validate_chunk(MODEL, event, operation="ConverseStream")


def batch(work: Callable[[], None], calls: int, drift_check: bool) -> float:
    saved = validate.CLOSABLE
    validate.CLOSABLE = saved if drift_check else frozenset()  # type: ignore[misc]
    try:
        start = time.perf_counter()
        for _ in range(calls):
            work()
        return (time.perf_counter() - start) * 1e6 / calls
    finally:
        validate.CLOSABLE = saved  # type: ignore[misc]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    for name, work in (("Converse answer", converse), ("ConverseStream, 12 events", stream)):
        for flag in (True, False):
            batch(work, 50, flag)  # warm-up: schemas compiled
        runs: dict[bool, list[float]] = {True: [], False: []}
        for repeat in range(args.repeats):
            for flag in (True, False) if repeat % 2 == 0 else (False, True):
                runs[flag].append(batch(work, args.calls, flag))
        on, off = (statistics.median(runs[flag]) for flag in (True, False))
        print(
            f"{name:28} without drift check {off:8.1f} us, with {on:8.1f} us, ratio {on / off:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
