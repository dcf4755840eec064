"""Cohere's native text formats: Command (``generations``) and Command R (chat, streamed as
``stream-start`` / ``text-generation`` / ``stream-end`` events). Cohere embeddings are in
:mod:`.embeddings`."""

from __future__ import annotations

from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from .render import METRICS_KEY, Chunks, Render


def _generations(r: Render) -> list[dict[str, Any]]:
    return [{"id": r.uuid("generation"), "text": r.text, "finish_reason": r.stop}]


def command_response(r: Render) -> dict[str, Any]:
    return {"id": r.uuid("id"), "generations": _generations(r), "prompt": r.prompt}


def command_chunks(r: Render) -> Chunks:
    out: Chunks = [(i, {"text": piece, "is_finished": False}) for i, piece in enumerate(r.pieces)]
    final = {
        "is_finished": True,
        "finish_reason": r.stop,
        "generations": _generations(r),
        METRICS_KEY: r.metrics(),
    }
    out.append((r.last, final))
    return out


def command_r_response(r: Render) -> dict[str, Any]:
    return {
        "response_id": r.uuid("id"),
        "text": r.text,
        "generation_id": r.uuid("generation"),
        "chat_history": [
            {"role": "USER", "message": r.prompt},
            {"role": "CHATBOT", "message": r.text},
        ],
        "finish_reason": r.stop,
        "meta": {
            "api_version": {"version": "1"},
            "billed_units": {"input_tokens": r.input_tokens, "output_tokens": r.output_tokens},
        },
    }


def command_r_chunks(r: Render) -> Chunks:
    start = {
        "is_finished": False,
        "event_type": "stream-start",
        "generation_id": r.uuid("generation"),
    }
    out: Chunks = [(0, start)]
    for i, piece in enumerate(r.pieces):
        out.append((i, {"is_finished": False, "event_type": "text-generation", "text": piece}))
    final = {
        "is_finished": True,
        "event_type": "stream-end",
        "finish_reason": r.stop,
        "response": command_r_response(r),
        METRICS_KEY: r.metrics(),
    }
    out.append((r.last, final))
    return out
