"""Amazon's native text formats: Titan Text (``results``, ``completionReason``) and Nova (the
Converse message layout, with cache token counts). Titan embeddings are in :mod:`.embeddings`."""

from __future__ import annotations

from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from .converse import block_events, converse_content, converse_usage
from .render import METRICS_KEY, Chunks, Render, flat


def titan_response(r: Render) -> dict[str, Any]:
    return {
        "inputTextTokenCount": r.input_tokens,
        "results": [
            {"tokenCount": r.output_tokens, "outputText": r.text, "completionReason": r.stop}
        ],
    }


def _titan_chunk(r: Render, i: int, piece: str, last: bool) -> dict[str, Any]:
    return {
        "outputText": piece,
        "index": 0,
        "totalOutputTextTokenCount": r.running_at(i),
        "completionReason": r.stop if last else None,
        "inputTextTokenCount": r.input_tokens if i == 0 else None,
    }


titan_chunks = flat(_titan_chunk)


def _nova_usage(r: Render) -> dict[str, int]:
    return {**converse_usage(r), "cacheReadInputTokenCount": 0, "cacheWriteInputTokenCount": 0}


def nova_response(r: Render) -> dict[str, Any]:
    return {
        "output": {"message": {"content": converse_content(r), "role": "assistant"}},
        "stopReason": r.stop,
        "usage": _nova_usage(r),
    }


def nova_chunks(r: Render) -> Chunks:
    out: Chunks = [(0, {"messageStart": {"role": "assistant"}})]
    out += block_events(r, wrap=True)
    out.append((r.last, {"messageStop": {"stopReason": r.stop}}))
    metrics = r.metrics()
    metrics.update(cacheReadInputTokenCount=0, cacheWriteInputTokenCount=0)
    out.append(
        (
            r.last,
            {
                "metadata": {"usage": _nova_usage(r), "metrics": {}, "trace": {}},
                METRICS_KEY: metrics,
            },
        )
    )
    return out
