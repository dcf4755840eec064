"""AI21 Labs' native formats: Jamba (OpenAI-style chat completions, plain and streamed) and
Jurassic-2 (``completions``, ``finishReason``; it does not stream)."""

from __future__ import annotations

from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from .render import (
    METRICS_KEY,
    Chunks,
    Render,
    openai_message,
    openai_tool_calls,
    openai_usage,
    short_model,
)


def jamba_response(r: Render) -> dict[str, Any]:
    message = openai_message(r, "call_")
    return {
        "id": f"chatcmpl-{r.uuid('id')}",
        "choices": [{"index": 0, "message": message, "finish_reason": r.stop}],
        "usage": openai_usage(r),
        "meta": {"requestDurationMillis": r.ms(r.total_latency)},
        "model": short_model(r, "ai21"),
    }


def jamba_chunks(r: Render) -> Chunks:
    ident = f"chatcmpl-{r.uuid('id')}"

    def chunk(delta: dict[str, Any], finish: str | None, usage: Any = None) -> dict[str, Any]:
        return {
            "id": ident,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            "usage": usage,
        }

    out: Chunks = [(0, chunk({"role": "assistant", "content": ""}, None))]
    for i, piece in enumerate(r.pieces):
        out.append((i, chunk({"content": piece}, None)))
    for n, call in enumerate(openai_tool_calls(r, "call_")):
        out.append((len(r.pieces) + n, chunk({"tool_calls": [{"index": n, **call}]}, None)))
    final = chunk({}, r.stop, openai_usage(r))
    final[METRICS_KEY] = r.metrics()
    out.append((r.last, final))
    return out


def j2_response(r: Render) -> dict[str, Any]:
    reason: dict[str, Any] = {"reason": r.stop}
    if r.stop == "length":
        reason["length"] = r.output_tokens
    elif r.stop == "stop" and r.stop_sequence is not None:
        reason["sequence"] = r.stop_sequence
    return {
        "id": 1234,
        "prompt": {"text": r.prompt, "tokens": []},
        "completions": [{"data": {"text": r.text, "tokens": []}, "finishReason": reason}],
    }
