"""Meta Llama's native format (``generation``, ``stop_reason``), plain and streamed."""

from __future__ import annotations

from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from .render import Render, flat


def llama_response(r: Render) -> dict[str, Any]:
    return {
        "generation": r.text,
        "prompt_token_count": r.input_tokens,
        "generation_token_count": r.output_tokens,
        "stop_reason": r.stop,
    }


def _llama_chunk(r: Render, i: int, piece: str, last: bool) -> dict[str, Any]:
    return {
        "generation": piece,
        "prompt_token_count": r.input_tokens if i == 0 else None,
        "generation_token_count": r.running_at(i),
        "stop_reason": r.stop if last else None,
    }


llama_chunks = flat(_llama_chunk)
