"""The Converse API's format (``output.message``, ``stopReason``) and ConverseStream's events;
Amazon Nova's native format reuses its content blocks (see :mod:`.amazon`)."""

from __future__ import annotations

from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from .render import Chunks, Render, tool_arguments


def converse_content(r: Render) -> list[dict[str, Any]]:
    """The message's content blocks: the text (when there is text or no tool call), then one
    ``toolUse`` block per tool call."""
    content: list[dict[str, Any]] = []
    if r.text or not r.tool_calls:
        content.append({"text": r.text})
    for n, call in enumerate(r.tool_calls):
        content.append(
            {
                "toolUse": {
                    "toolUseId": r.tool_id(call, n, "tooluse_"),
                    "name": call.name,
                    "input": dict(call.input),
                }
            }
        )
    return content


def converse_usage(r: Render) -> dict[str, int]:
    return {
        "inputTokens": r.input_tokens,
        "outputTokens": r.output_tokens,
        "totalTokens": r.input_tokens + r.output_tokens,
    }


def block_events(r: Render, wrap: bool) -> Chunks:
    """Content events shared by Nova chunks and ConverseStream (``wrap``: Nova's one-block-per-
    piece layout, seen in the real recordings; otherwise one text block)."""
    out: Chunks = []
    index = 0
    for i, piece in enumerate(r.pieces):
        out.append(
            (i, {"contentBlockDelta": {"delta": {"text": piece}, "contentBlockIndex": index}})
        )
        if wrap:
            out.append((i, {"contentBlockStop": {"contentBlockIndex": index}}))
            index += 1
    if r.pieces and not wrap:
        out.append((len(r.pieces) - 1, {"contentBlockStop": {"contentBlockIndex": 0}}))
        index = 1
    for n, call in enumerate(r.tool_calls):
        slot = len(r.pieces) + n
        start = {"toolUse": {"toolUseId": r.tool_id(call, n, "tooluse_"), "name": call.name}}
        out.append((slot, {"contentBlockStart": {"start": start, "contentBlockIndex": index}}))
        out.append(
            (
                slot,
                {
                    "contentBlockDelta": {
                        "delta": {"toolUse": {"input": tool_arguments(call)}},
                        "contentBlockIndex": index,
                    }
                },
            )
        )
        out.append((slot, {"contentBlockStop": {"contentBlockIndex": index}}))
        index += 1
    return out


def converse_response(r: Render) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": converse_content(r)}},
        "stopReason": r.stop,
        "usage": converse_usage(r),
        "metrics": {"latencyMs": r.ms(r.total_latency)},
    }


def converse_events(r: Render) -> Chunks:
    out: Chunks = [(0, {"messageStart": {"role": "assistant"}})]
    out += block_events(r, wrap=False)
    out.append((r.last, {"messageStop": {"stopReason": r.stop}}))
    out.append(
        (
            r.last,
            {
                "metadata": {
                    "usage": converse_usage(r),
                    "metrics": {"latencyMs": r.ms(r.total_latency)},
                }
            },
        )
    )
    return out
