"""Mistral's native formats: text completion (``outputs``) and chat (``choices`` with a
``message``, tool calls in the OpenAI-style layout)."""

from __future__ import annotations

from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from .render import (
    METRICS_KEY,
    Chunks,
    Render,
    flat,
    openai_message,
    openai_tool_calls,
    openai_usage,
    short_model,
)


def text_response(r: Render) -> dict[str, Any]:
    return {"outputs": [{"text": r.text, "stop_reason": r.stop}]}


def _text_chunk(r: Render, i: int, piece: str, last: bool) -> dict[str, Any]:
    return {"outputs": [{"text": piece, "stop_reason": r.stop if last else None}]}


text_chunks = flat(_text_chunk)


def chat_response(r: Render) -> dict[str, Any]:
    message = openai_message(r, "")
    return {
        "id": r.uuid("id"),
        "object": "chat.completion",
        "model": short_model(r, "mistral"),
        "choices": [{"index": 0, "message": message, "stop_reason": r.stop}],
        "usage": openai_usage(r),
    }


def chat_chunks(r: Render) -> Chunks:
    def chunk(message: dict[str, Any], stop: str | None) -> dict[str, Any]:
        return {"choices": [{"index": 0, "message": message, "stop_reason": stop}]}

    pieces = r.pieces or ([""] if not r.tool_calls else [])
    out: Chunks = [
        (i, chunk({"role": "assistant", "content": p}, None)) for i, p in enumerate(pieces)
    ]
    for n, call in enumerate(openai_tool_calls(r, "")):
        out.append(
            (
                len(pieces) + n,
                chunk({"role": "assistant", "content": "", "tool_calls": [call]}, None),
            )
        )
    final = chunk({"role": "assistant", "content": ""}, r.stop)
    final[METRICS_KEY] = r.metrics()
    out.append((r.last, final))
    return out
