"""What an encoder sees: :class:`Render`, an answer resolved for one request, and the helpers
several families' encoders share.

An encoder turns a :class:`Render` into the family's native JSON: ``response(r)`` gives the
``InvokeModel``/``Converse`` body, ``chunks(r)`` the stream as :data:`Chunks`, pairs of a time
slot (the answer's delays turn slots into offsets) and the decoded chunk or event.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..bedrock.models import ModelInfo
from .tokens import estimate_tokens

#: The key of the metrics Bedrock adds to the last chunk of an InvokeModel stream.
METRICS_KEY = "amazon-bedrock-invocationMetrics"

Chunks = list[tuple[int, dict[str, Any]]]  # (time slot, decoded chunk JSON)


@dataclass(frozen=True)
class ToolCall:
    """A tool the model asks to run (Claude ``tool_use``, Converse/Nova ``toolUse``, ...)."""

    name: str
    input: Mapping[str, Any] = field(default_factory=dict)
    id: str | None = None

    def tokens(self) -> int:
        return estimate_tokens(self.name + tool_arguments(self))


def tool_arguments(call: ToolCall) -> str:
    """The call's input as the compact JSON text the families stream or embed."""
    return json.dumps(dict(call.input), separators=(",", ":"))


@dataclass
class Render:
    """Everything an encoder needs, resolved for one request."""

    info: ModelInfo
    operation: str
    pieces: list[str]
    stop: str
    input_tokens: int
    output_tokens: int
    running: list[int]  # cumulative output tokens after each text piece
    tool_calls: tuple[ToolCall, ...]
    stop_sequence: str | None
    first: float
    gap: float
    prompt: str
    seed: str

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    @property
    def slots(self) -> int:
        return max(1, len(self.pieces) + len(self.tool_calls))

    @property
    def last(self) -> int:
        return self.slots - 1

    @property
    def total_latency(self) -> float:
        return self.first + self.gap * (self.slots - 1)

    def ms(self, seconds: float) -> int:
        return int(round(seconds * 1000))

    def running_at(self, i: int) -> int:
        """Output tokens so far after text piece ``i``."""
        return self.running[i] if self.running else self.output_tokens

    def metrics(self) -> dict[str, int]:
        return {
            "inputTokenCount": self.input_tokens,
            "outputTokenCount": self.output_tokens,
            "invocationLatency": self.ms(self.total_latency),
            "firstByteLatency": self.ms(self.first),
        }

    def ident(self, kind: str, length: int = 24) -> str:
        digest = hashlib.sha256(f"{kind}:{self.seed}".encode()).hexdigest()
        return digest[:length]

    def uuid(self, kind: str) -> str:
        return str(uuid.UUID(self.ident(kind, 32)))

    def tool_id(self, call: ToolCall, index: int, prefix: str) -> str:
        return call.id or f"{prefix}{self.ident(f'tool{index}', 24)}"


def flat(make: Callable[[Render, int, str, bool], dict[str, Any]]) -> Callable[[Render], Chunks]:
    """Families that send one chunk per text piece, the last one carrying the stop reason."""

    def chunks(r: Render) -> Chunks:
        pieces = r.pieces or [""]
        out: Chunks = []
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            payload = make(r, i, piece, last)
            if last:
                payload[METRICS_KEY] = r.metrics()
            out.append((i, payload))
        return out

    return chunks


def short_model(r: Render, provider: str) -> str:
    """The model name as the provider's own API spells it (no provider prefix, no version)."""
    return re.sub(rf"^{re.escape(provider)}\.|-v\d+(:\d+)?$", "", r.info.base_id)


def openai_tool_calls(r: Render, prefix: str) -> list[dict[str, Any]]:
    """Tool calls in the OpenAI-style chat layout (AI21 Jamba, Mistral chat)."""
    return [
        {
            "id": r.tool_id(call, n, prefix),
            "type": "function",
            "function": {"name": call.name, "arguments": tool_arguments(call)},
        }
        for n, call in enumerate(r.tool_calls)
    ]


def openai_message(r: Render, tool_id_prefix: str) -> dict[str, Any]:
    """The assistant message of an OpenAI-style chat completion (tool calls when there are)."""
    message: dict[str, Any] = {"role": "assistant", "content": r.text}
    if r.tool_calls:
        message["tool_calls"] = openai_tool_calls(r, tool_id_prefix)
    return message


def openai_usage(r: Render) -> dict[str, int]:
    """Token usage in the OpenAI-style chat layout."""
    return {
        "prompt_tokens": r.input_tokens,
        "completion_tokens": r.output_tokens,
        "total_tokens": r.input_tokens + r.output_tokens,
    }


def request_id() -> str:
    return str(uuid.uuid4())


def json_body(payload: Any) -> bytes:
    """``payload`` as the compact UTF-8 JSON body the service sends."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
