"""Anthropic Claude's native formats: the Messages API (content blocks, ``tool_use``; streamed
as ``message_start`` ... ``message_stop`` events) and the older Text Completions API."""

from __future__ import annotations

from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from .render import METRICS_KEY, Chunks, Render, flat, short_model, tool_arguments


def _claude_content(r: Render) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    if r.text or not r.tool_calls:
        content.append({"type": "text", "text": r.text})
    for n, call in enumerate(r.tool_calls):
        content.append(
            {
                "type": "tool_use",
                "id": r.tool_id(call, n, "toolu_bdrk_"),
                "name": call.name,
                "input": dict(call.input),
            }
        )
    return content


def _claude_stop_sequence(r: Render) -> str | None:
    return r.stop_sequence if r.stop == "stop_sequence" else None


def _message_head(r: Render) -> dict[str, Any]:
    """What identifies the message, in the answer and at the start of its stream."""
    return {
        "id": f"msg_bdrk_{r.ident('msg')}",
        "type": "message",
        "role": "assistant",
        "model": short_model(r, "anthropic"),
    }


def claude_response(r: Render) -> dict[str, Any]:
    return {
        **_message_head(r),
        "content": _claude_content(r),
        "stop_reason": r.stop,
        "stop_sequence": _claude_stop_sequence(r),
        "usage": {"input_tokens": r.input_tokens, "output_tokens": r.output_tokens},
    }


def _delta(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}


def claude_chunks(r: Render) -> Chunks:
    start = {
        "type": "message_start",
        "message": {
            **_message_head(r),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": r.input_tokens, "output_tokens": min(1, r.output_tokens)},
        },
    }
    out: Chunks = [(0, start)]
    index = 0
    if r.pieces or not r.tool_calls:
        text_block = {"type": "text", "text": ""}
        out.append((0, {"type": "content_block_start", "index": 0, "content_block": text_block}))
        for i, piece in enumerate(r.pieces):
            out.append((i, _delta(0, {"type": "text_delta", "text": piece})))
        out.append((max(0, len(r.pieces) - 1), {"type": "content_block_stop", "index": 0}))
        index = 1
    for n, call in enumerate(r.tool_calls):
        slot = len(r.pieces) + n
        block = {
            "type": "tool_use",
            "id": r.tool_id(call, n, "toolu_bdrk_"),
            "name": call.name,
            "input": {},
        }
        out.append((slot, {"type": "content_block_start", "index": index, "content_block": block}))
        for part in ("", tool_arguments(call)):
            out.append((slot, _delta(index, {"type": "input_json_delta", "partial_json": part})))
        out.append((slot, {"type": "content_block_stop", "index": index}))
        index += 1
    out.append(
        (
            r.last,
            {
                "type": "message_delta",
                "delta": {"stop_reason": r.stop, "stop_sequence": _claude_stop_sequence(r)},
                "usage": {"output_tokens": r.output_tokens},
            },
        )
    )
    out.append((r.last, {"type": "message_stop", METRICS_KEY: r.metrics()}))
    return out


def _claude_text_stop(r: Render) -> str | None:
    if r.stop == "stop_sequence":
        return r.stop_sequence if r.stop_sequence is not None else "\n\nHuman:"
    return None


def claude_text_response(r: Render) -> dict[str, Any]:
    return {
        "type": "completion",
        "completion": r.text,
        "stop_reason": r.stop,
        "stop": _claude_text_stop(r),
    }


def _claude_text_chunk(r: Render, i: int, piece: str, last: bool) -> dict[str, Any]:
    return {
        "type": "completion",
        "completion": piece,
        "stop_reason": r.stop if last else None,
        "stop": _claude_text_stop(r) if last else None,
    }


claude_text_chunks = flat(_claude_text_chunk)
