"""Printing for the demo: each call as it happens, and a table of every call at the end."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bedrock_app import Reply

from bedrock_vcr import Cassette, RecordedRequest

WIDTH = 96
INDENT = " " * 13


def _short(text: str, limit: int = WIDTH - len(INDENT)) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _block(text: str) -> str:
    """``text`` wrapped to the demo's width, continuation lines indented under the label."""
    lines: list[str] = []
    for paragraph in text.strip().splitlines():
        wrapped = textwrap.wrap(paragraph, WIDTH - len(INDENT)) or [""]
        lines.extend(wrapped)
    return ("\n" + INDENT).join(lines)


def token_line(reply: Reply) -> str:
    parts = [f"{reply.input_tokens} in, {reply.output_tokens} out"]
    if reply.header_tokens is not None:
        given_in, given_out = reply.header_tokens
        parts.append(f"x-amzn-bedrock-*-token-count headers: {given_in} in, {given_out} out")
    metrics = reply.invocation_metrics
    if metrics is not None:
        parts.append(
            f"invocation metrics: {metrics['inputTokenCount']} in, "
            f"{metrics['outputTokenCount']} out, {metrics['invocationLatency']} ms"
        )
    usage = reply.body.get("usage") or next(
        (c["metadata"]["usage"] for c in reply.chunks if "metadata" in c), None
    )
    if usage and "totalTokens" in usage:
        parts.append(f"{usage['totalTokens']} total")
    converse_metrics = reply.body.get("metrics") or next(
        (c["metadata"]["metrics"] for c in reply.chunks if "metadata" in c), None
    )
    if converse_metrics and "latencyMs" in converse_metrics:
        parts.append(f"latency {converse_metrics['latencyMs']} ms")
    return "; ".join(parts)


@dataclass
class Demo:
    """What a demo test uses: run a call, print it, remember it for the closing table."""

    cassette: Cassette
    calls: list[tuple[str, Reply]] = field(default_factory=list)

    def run(self, title: str, func: Callable[..., Reply], *args: Any) -> Reply:
        print(f"\n\n=== {title}")
        streaming = func.__name__.startswith("stream") or func.__name__.endswith("_stream")
        if streaming:
            print(f"{'streamed':>11}:")
        reply = func(*args)
        print(f"{'call':>11}: {reply.operation}")
        print(f"{'model':>11}: {reply.model_id}")
        print(f"{'prompt':>11}: {_short(reply.prompt)}")
        text = f"(streamed above, {len(reply.text)} characters)" if streaming else reply.text
        print(f"{'text':>11}: {_block(text)}")
        print(f"{'stop reason':>11}: {reply.stop_reason}")
        print(f"{'tokens':>11}: {token_line(reply)}")
        if reply.chunks:
            print(f"{'chunks':>11}: {len(reply.chunks)} stream events")
        self.calls.append((title, reply))
        return reply

    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests this test sent, whether replayed or (while recording) recorded."""
        interactions = self.cassette.played + self.cassette.new_interactions
        return [interaction.request for interaction in interactions]


def summary_table(calls: list[tuple[str, Reply]]) -> list[str]:
    """One row per call: model, operation, stop reason and token counts."""
    header = ("model", "operation", "stop reason", "in", "out")
    rows = [
        (
            reply.model_id,
            reply.operation,
            str(reply.stop_reason),
            str(reply.input_tokens),
            str(reply.output_tokens),
        )
        for _, reply in calls
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    right = {3, 4}

    def fmt(row: tuple[str, ...]) -> str:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    return [fmt(header), fmt(tuple("-" * w for w in widths)), *(fmt(row) for row in rows)]
