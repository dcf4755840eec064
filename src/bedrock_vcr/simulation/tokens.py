"""Token accounting and text shaping: the one token rule of bedrock-vcr, and text cut,
extended or split into stream pieces to match it.

The rule: **one token per started group of 4 characters** (Unicode code points), i.e.
``ceil(len(text) / 4)`` (:func:`estimate_tokens`). Input tokens are estimated from the text of
the request (:func:`prompt_text`: every string value of the body except format markers such as
``role`` or ``anthropic_version``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)

#: Characters per token of the estimate (see the module docstring).
CHARS_PER_TOKEN = 4
_FILLER = "lorem ipsum dolor sit amet "
_FORMAT_KEYS = frozenset(
    {
        "anthropic_version",
        "schemaVersion",
        "role",
        "type",
        "format",
        "media_type",
        "input_type",
        "truncate",
        "embedding_types",
        "embeddingTypes",
        "toolUseId",
        "tool_use_id",
        "id",
        "bytes",
        "data",
        "uri",
        "s3Location",
    }
)


def estimate_tokens(text: str) -> int:
    """Tokens in ``text`` by bedrock-vcr's rule: ``ceil(len(text) / 4)``."""
    return -(-len(text) // CHARS_PER_TOKEN)


def fit_text(text: str, tokens: int) -> str:
    """``text`` cut, or extended by repeating it, to exactly ``tokens`` estimated tokens."""
    if tokens <= 0:
        return ""
    want = tokens * CHARS_PER_TOKEN
    base = text if text.strip() else _FILLER
    out = text
    while len(out) < want:
        out += (" " if out and not out.endswith(" ") else "") + base
    return out[:want]


def split_text(text: str, chunk_size: int | None = None) -> list[str]:
    """Stream pieces of ``text``: ``chunk_size`` characters each, or one word (with its leading
    space) each when ``chunk_size`` is None, as the real streams mostly send them."""
    if not text:
        return []
    if chunk_size is not None:
        return [text[i : i + chunk_size] for i in range(0, len(text), chunk_size)]
    pieces = re.findall(r"\s*\S+|\s+$", text)
    return pieces or [text]


def running_counts(pieces: Sequence[str], total: int) -> list[int]:
    """Cumulative output tokens after each stream piece, ending at ``total``."""
    text_len = sum(len(p) for p in pieces)
    out: list[int] = []
    seen = 0
    for piece in pieces:
        seen += len(piece)
        if total == estimate_tokens("".join(pieces)):
            out.append(estimate_tokens("x" * seen))
        else:
            out.append(round(total * seen / text_len) if text_len else total)
    if out:
        out[-1] = total
    return out


def prompt_text(body: Any) -> str:
    """The text a request sends to the model (what input tokens are estimated from)."""
    parts: list[str] = []

    def walk(value: Any, key: str | None) -> None:
        if key in _FORMAT_KEYS:
            return
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, Mapping):
            for k, v in value.items():
                if k in ("inferenceConfig", "textGenerationConfig") or (
                    isinstance(v, (int, float, bool)) or v is None
                ):
                    continue
                walk(v, str(k))
        elif isinstance(value, list):
            for item in value:
                walk(item, key)

    walk(body, None)
    return "\n".join(parts)
