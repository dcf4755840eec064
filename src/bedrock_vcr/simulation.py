"""Simulated answers: describe an answer once, get it in the native format of any model family.

An :class:`Answer` is provider-neutral: the text (or its stream pieces), a stop reason, token
counts and timing. :func:`build_response` encodes it for one concrete request as a
:class:`~bedrock_vcr.model.RecordedResponse` (a plain JSON body for ``InvokeModel``/``Converse``,
event-stream frames for the streaming operations), which then travels the same botocore path as a
replayed recording. :class:`Embedding` does the same for embedding models.

Token counts, when not given, are estimated with one rule used everywhere in bedrock-vcr:
**one token per started group of 4 characters** (Unicode code points), i.e.
``ceil(len(text) / 4)`` (:func:`estimate_tokens`). Input tokens are estimated from the text of
the request (every string value of the body except format markers such as ``role`` or
``anthropic_version``). The rule is an approximation of real tokenizers, chosen because it is
simple to reason about: a ``length`` stop for a request with ``max_gen_len: 8`` yields exactly
32 characters and ``generation_token_count: 8``.

Stop reasons are given either by a neutral name, mapped per family (``stop``, ``length``,
``stop_sequence``, ``tool_use``, ``content_filtered``), or by the family's native value
(``CONTENT_FILTERED`` for Titan, ``refusal`` for Claude, ...). A stop reason the family does not
have, tool calls it cannot carry, or an embedding model asked for text is refused by
:meth:`Answer.check` (called when an answer is declared for a known model) with an
:class:`UnsupportedAnswerError` listing the valid values.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import random
import re
import struct
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import BedrockVCRError, ConfigError
from .model import RecordedRequest, RecordedResponse, StreamEvent
from .models import ModelInfo, resolve_model
from .raw import STREAM_CONTENT_TYPE

#: Characters per token of the estimate (see the module docstring).
CHARS_PER_TOKEN = 4
#: Neutral stop reasons, mapped to each family's native value.
NEUTRAL_STOP_REASONS = ("stop", "length", "stop_sequence", "tool_use", "content_filtered")
OPERATIONS = ("InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream")
STREAMING = frozenset({"InvokeModelWithResponseStream", "ConverseStream"})
EMBEDDING_FAMILIES = frozenset({"amazon.titan-embed-v1", "amazon.titan-embed-v2", "cohere.embed"})
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


# --- errors ------------------------------------------------------------------------------------


class UnsupportedAnswerError(ConfigError):
    """An answer cannot exist for this model/operation (refused when it is declared)."""

    def __init__(
        self,
        problem: str,
        *,
        model_id: str | None = None,
        family: str | None = None,
        operation: str | None = None,
        valid: Sequence[str] = (),
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.model_id = model_id
        self.family = family
        self.operation = operation
        self.valid = tuple(valid)
        self.fix = fix
        where = []
        if operation:
            where.append(operation)
        if model_id:
            where.append(f"model {model_id!r}")
        if family:
            where.append(f"family {family}")
        text = problem
        if where:
            text += f" ({', '.join(where)})"
        if self.valid:
            text += f"; valid values: {', '.join(self.valid)}"
        if fix:
            text += f"\n  fix: {fix}"
        super().__init__(text)


class AnswerConflictError(BedrockVCRError, AssertionError):
    """The request being answered contradicts the declared answer (e.g. its max-token setting)."""

    def __init__(self, problem: str, *, model_id: str, operation: str, fix: str) -> None:
        self.problem = problem
        self.model_id = model_id
        self.operation = operation
        self.fix = fix
        super().__init__(f"{operation} on {model_id!r}: {problem}\n  fix: {fix}")


# --- the answer specs --------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolCall:
    """A tool the model asks to run (Claude ``tool_use``, Converse/Nova ``toolUse``, ...)."""

    name: str
    input: Mapping[str, Any] = field(default_factory=dict)
    id: str | None = None

    def tokens(self) -> int:
        return estimate_tokens(self.name + json.dumps(dict(self.input), separators=(",", ":")))


@dataclass(frozen=True)
class Answer:
    """A text answer, described once for every model family.

    ``text``: the whole text, or the list of stream pieces (then it is streamed exactly so).
    ``stop_reason``: a neutral name (:data:`NEUTRAL_STOP_REASONS`) or a family's native value.
    ``input_tokens``/``output_tokens``: estimated when None (see :func:`estimate_tokens`); with
    ``length`` the output is made exactly the request's max-token setting.
    ``first_chunk_delay``: seconds until the first chunk (the whole answer for plain calls);
    ``chunk_delay``: seconds between chunks. ``chunk_size``: characters per stream piece when
    ``text`` is a string (default: one word per piece).
    ``tool_calls``: tools the model calls (needs the family's tool-use stop reason).
    ``stop_sequence``: the matched stop sequence for a ``stop_sequence`` stop.
    """

    text: str | Sequence[str] = "Hello! This is a simulated answer."
    stop_reason: str = "stop"
    input_tokens: int | None = None
    output_tokens: int | None = None
    first_chunk_delay: float = 0.0
    chunk_delay: float = 0.0
    chunk_size: int | None = None
    tool_calls: Sequence[ToolCall] = ()
    stop_sequence: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            pieces = tuple(self.text)
            if not all(isinstance(p, str) for p in pieces):
                raise ConfigError("Answer.text must be a string or a list of strings")
            object.__setattr__(self, "text", pieces)
        object.__setattr__(self, "tool_calls", tuple(self.tool_calls))
        if self.stop_reason not in all_stop_reasons():
            raise UnsupportedAnswerError(
                f"unknown stop reason {self.stop_reason!r}",
                valid=(*NEUTRAL_STOP_REASONS, "<a family's native value>"),
                fix="use a neutral name, or a native value listed by "
                "bedrock_vcr.simulation.stop_reasons(model_id)",
            )
        for name in ("input_tokens", "output_tokens"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ConfigError(f"Answer.{name} must be an integer >= 0, got {value!r}")
        for name in ("first_chunk_delay", "chunk_delay"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(f"Answer.{name} must be a number of seconds >= 0, got {value!r}")
        if self.chunk_size is not None and (
            not isinstance(self.chunk_size, int) or self.chunk_size < 1
        ):
            raise ConfigError(f"Answer.chunk_size must be an integer >= 1, got {self.chunk_size!r}")

    @property
    def full_text(self) -> str:
        return self.text if isinstance(self.text, str) else "".join(self.text)

    def pieces(self) -> list[str]:
        if isinstance(self.text, str):
            return split_text(self.text, self.chunk_size)
        return list(self.text)

    def check(
        self,
        model_id: str,
        operation: str | None = None,
        *,
        overrides: Mapping[str, str] | None = None,
    ) -> None:
        """Refuse (:class:`UnsupportedAnswerError`) what this model cannot answer.

        With ``operation`` None the answer must fit at least one operation the model supports
        (the error given is the one for ``InvokeModel``); serving it for another fails then.
        """
        info = resolve_model(model_id, overrides)
        if operation is not None:
            self._check_one(info, operation)
            return
        errors: list[UnsupportedAnswerError] = []
        for op in _operations_of(info):
            try:
                self._check_one(info, op)
                return
            except UnsupportedAnswerError as exc:
                errors.append(exc)
        raise errors[0]

    def _check_one(self, info: ModelInfo, op: str) -> None:
        model_id = info.model_id
        family = _family_for(info, op)
        native = family.native_stop(self.stop_reason)
        if native is None:
            raise UnsupportedAnswerError(
                f"stop reason {self.stop_reason!r} does not exist for this model",
                model_id=model_id,
                family=family.name,
                operation=op,
                valid=family.valid_stop_names(),
            )
        if self.tool_calls and native not in family.tool_stops:
            raise UnsupportedAnswerError(
                "tool_calls need the family's tool-use stop reason",
                model_id=model_id,
                family=family.name,
                operation=op,
                valid=family.tool_stops or ("<none: this family does not call tools>",),
            )
        if native in family.tool_stops and not self.tool_calls:
            raise UnsupportedAnswerError(
                f"stop reason {self.stop_reason!r} means the model calls a tool, but the "
                "answer has no tool_calls",
                model_id=model_id,
                family=family.name,
                operation=op,
                fix="add tool_calls=[ToolCall(name, input)]",
            )
        if (
            native in family.length_stops
            and self.output_tokens is not None
            and info.max_tokens is not None
            and self.output_tokens > info.max_tokens
        ):
            raise UnsupportedAnswerError(
                f"a length stop after {self.output_tokens} tokens is impossible: the model "
                f"generates at most {info.max_tokens}",
                model_id=model_id,
                family=family.name,
                operation=op,
            )


@dataclass(frozen=True)
class Embedding:
    """An embedding answer: a vector per input text, deterministic from the text.

    ``vector``: use this vector (for every input) instead of the derived one; its length must
    be the requested dimension. ``input_tokens``: estimated from the input when None.
    ``latency``: seconds until the answer.
    """

    vector: Sequence[float] | None = None
    input_tokens: int | None = None
    latency: float = 0.0

    def check(
        self,
        model_id: str,
        operation: str | None = None,
        *,
        overrides: Mapping[str, str] | None = None,
    ) -> None:
        info = resolve_model(model_id, overrides)
        if info.family not in EMBEDDING_FAMILIES:
            raise UnsupportedAnswerError(
                "an Embedding answer needs an embedding model",
                model_id=model_id,
                family=info.family,
                operation=operation,
                valid=sorted(EMBEDDING_FAMILIES),
                fix="answer text models with Answer(...)",
            )
        if operation is not None and operation != "InvokeModel":
            raise UnsupportedAnswerError(
                "embedding models answer InvokeModel only (they do not stream or converse)",
                model_id=model_id,
                family=info.family,
                operation=operation,
                valid=("InvokeModel",),
            )


# --- rendering context -------------------------------------------------------------------------


@dataclass
class _Render:
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


Chunks = list[tuple[int, dict[str, Any]]]  # (time slot, decoded chunk JSON)


@dataclass(frozen=True)
class _Family:
    name: str
    stops: tuple[str, ...]
    neutral: Mapping[str, str]
    max_paths: tuple[tuple[str, ...], ...] = ()
    default_max: int | None = None
    tool_stops: tuple[str, ...] = ()
    length_stops: tuple[str, ...] = ()
    response: Callable[[_Render], dict[str, Any]] | None = None
    chunks: Callable[[_Render], Chunks] | None = None

    def native_stop(self, name: str) -> str | None:
        # neutral names win over a native value spelled the same (AI21 J2's native ``stop`` is
        # a stop sequence: ask for it as ``stop_sequence``)
        if name in self.neutral:
            return self.neutral[name]
        return name if name in self.stops else None

    def valid_stop_names(self) -> tuple[str, ...]:
        neutral = tuple(n for n in NEUTRAL_STOP_REASONS if n in self.neutral)
        return (*neutral, *(s for s in self.stops if s not in neutral))

    def max_tokens(self, body: Any) -> int | None:
        for path in self.max_paths:
            value = _lookup(body, path)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
        return None


def _lookup(body: Any, path: Sequence[str]) -> Any:
    value = body
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


# --- encoders per family -----------------------------------------------------------------------


def _flat(make: Callable[[_Render, int, str, bool], dict[str, Any]]) -> Callable[[_Render], Chunks]:
    """Families that send one chunk per text piece, the last one carrying the stop reason."""

    def chunks(r: _Render) -> Chunks:
        pieces = r.pieces or [""]
        out: Chunks = []
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            payload = make(r, i, piece, last)
            if last:
                payload["amazon-bedrock-invocationMetrics"] = r.metrics()
            out.append((i, payload))
        return out

    return chunks


def _running(r: _Render, i: int) -> int:
    return r.running[i] if r.running else r.output_tokens


def _llama_response(r: _Render) -> dict[str, Any]:
    return {
        "generation": r.text,
        "prompt_token_count": r.input_tokens,
        "generation_token_count": r.output_tokens,
        "stop_reason": r.stop,
    }


def _llama_chunk(r: _Render, i: int, piece: str, last: bool) -> dict[str, Any]:
    return {
        "generation": piece,
        "prompt_token_count": r.input_tokens if i == 0 else None,
        "generation_token_count": _running(r, i),
        "stop_reason": r.stop if last else None,
    }


def _titan_response(r: _Render) -> dict[str, Any]:
    return {
        "inputTextTokenCount": r.input_tokens,
        "results": [
            {"tokenCount": r.output_tokens, "outputText": r.text, "completionReason": r.stop}
        ],
    }


def _titan_chunk(r: _Render, i: int, piece: str, last: bool) -> dict[str, Any]:
    return {
        "outputText": piece,
        "index": 0,
        "totalOutputTextTokenCount": _running(r, i),
        "completionReason": r.stop if last else None,
        "inputTextTokenCount": r.input_tokens if i == 0 else None,
    }


def _openai_tool_calls(r: _Render, prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "id": r.tool_id(call, n, prefix),
            "type": "function",
            "function": {
                "name": call.name,
                "arguments": json.dumps(dict(call.input), separators=(",", ":")),
            },
        }
        for n, call in enumerate(r.tool_calls)
    ]


def _usage_openai(r: _Render) -> dict[str, int]:
    return {
        "prompt_tokens": r.input_tokens,
        "completion_tokens": r.output_tokens,
        "total_tokens": r.input_tokens + r.output_tokens,
    }


def _jamba_model(r: _Render) -> str:
    return re.sub(r"^ai21\.|-v\d+(:\d+)?$", "", r.info.base_id)


def _jamba_response(r: _Render) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": r.text}
    if r.tool_calls:
        message["tool_calls"] = _openai_tool_calls(r, "call_")
    return {
        "id": f"chatcmpl-{r.uuid('id')}",
        "choices": [{"index": 0, "message": message, "finish_reason": r.stop}],
        "usage": _usage_openai(r),
        "meta": {"requestDurationMillis": r.ms(r.total_latency)},
        "model": _jamba_model(r),
    }


def _jamba_chunks(r: _Render) -> Chunks:
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
    for n, call in enumerate(_openai_tool_calls(r, "call_")):
        out.append((len(r.pieces) + n, chunk({"tool_calls": [{"index": n, **call}]}, None)))
    final = chunk({}, r.stop, _usage_openai(r))
    final["amazon-bedrock-invocationMetrics"] = r.metrics()
    out.append((r.last, final))
    return out


def _j2_response(r: _Render) -> dict[str, Any]:
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


def _claude_model(r: _Render) -> str:
    return re.sub(r"^anthropic\.|-v\d+(:\d+)?$", "", r.info.base_id)


def _claude_content(r: _Render) -> list[dict[str, Any]]:
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


def _claude_stop_sequence(r: _Render) -> str | None:
    return r.stop_sequence if r.stop == "stop_sequence" else None


def _claude_response(r: _Render) -> dict[str, Any]:
    return {
        "id": f"msg_bdrk_{r.ident('msg')}",
        "type": "message",
        "role": "assistant",
        "model": _claude_model(r),
        "content": _claude_content(r),
        "stop_reason": r.stop,
        "stop_sequence": _claude_stop_sequence(r),
        "usage": {"input_tokens": r.input_tokens, "output_tokens": r.output_tokens},
    }


def _claude_chunks(r: _Render) -> Chunks:
    start = {
        "type": "message_start",
        "message": {
            "id": f"msg_bdrk_{r.ident('msg')}",
            "type": "message",
            "role": "assistant",
            "model": _claude_model(r),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": r.input_tokens, "output_tokens": min(1, r.output_tokens)},
        },
    }
    out: Chunks = [(0, start)]
    index = 0
    if r.pieces or not r.tool_calls:
        out.append(
            (
                0,
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            )
        )
        for i, piece in enumerate(r.pieces):
            out.append(
                (
                    i,
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "text_delta", "text": piece},
                    },
                )
            )
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
        arguments = json.dumps(dict(call.input), separators=(",", ":"))
        out.append((slot, {"type": "content_block_start", "index": index, "content_block": block}))
        for part in ("", arguments):
            out.append(
                (
                    slot,
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": part},
                    },
                )
            )
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
    out.append((r.last, {"type": "message_stop", "amazon-bedrock-invocationMetrics": r.metrics()}))
    return out


def _claude_text_stop(r: _Render) -> str | None:
    if r.stop == "stop_sequence":
        return r.stop_sequence if r.stop_sequence is not None else "\n\nHuman:"
    return None


def _claude_text_response(r: _Render) -> dict[str, Any]:
    return {
        "type": "completion",
        "completion": r.text,
        "stop_reason": r.stop,
        "stop": _claude_text_stop(r),
    }


def _claude_text_chunk(r: _Render, i: int, piece: str, last: bool) -> dict[str, Any]:
    return {
        "type": "completion",
        "completion": piece,
        "stop_reason": r.stop if last else None,
        "stop": _claude_text_stop(r) if last else None,
    }


def _cohere_response(r: _Render) -> dict[str, Any]:
    return {
        "id": r.uuid("id"),
        "generations": [{"id": r.uuid("generation"), "text": r.text, "finish_reason": r.stop}],
        "prompt": r.prompt,
    }


def _cohere_chunks(r: _Render) -> Chunks:
    out: Chunks = [(i, {"text": piece, "is_finished": False}) for i, piece in enumerate(r.pieces)]
    final = {
        "is_finished": True,
        "finish_reason": r.stop,
        "generations": [{"id": r.uuid("generation"), "text": r.text, "finish_reason": r.stop}],
        "amazon-bedrock-invocationMetrics": r.metrics(),
    }
    out.append((r.last, final))
    return out


def _command_r_response(r: _Render) -> dict[str, Any]:
    body: dict[str, Any] = {
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
    return body


def _command_r_chunks(r: _Render) -> Chunks:
    out: Chunks = [
        (
            0,
            {
                "is_finished": False,
                "event_type": "stream-start",
                "generation_id": r.uuid("generation"),
            },
        )
    ]
    for i, piece in enumerate(r.pieces):
        out.append((i, {"is_finished": False, "event_type": "text-generation", "text": piece}))
    final = {
        "is_finished": True,
        "event_type": "stream-end",
        "finish_reason": r.stop,
        "response": _command_r_response(r),
        "amazon-bedrock-invocationMetrics": r.metrics(),
    }
    out.append((r.last, final))
    return out


def _mistral_text_response(r: _Render) -> dict[str, Any]:
    return {"outputs": [{"text": r.text, "stop_reason": r.stop}]}


def _mistral_text_chunk(r: _Render, i: int, piece: str, last: bool) -> dict[str, Any]:
    return {"outputs": [{"text": piece, "stop_reason": r.stop if last else None}]}


def _mistral_chat_response(r: _Render) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": r.text}
    if r.tool_calls:
        message["tool_calls"] = _openai_tool_calls(r, "")
    return {
        "id": r.uuid("id"),
        "object": "chat.completion",
        "model": re.sub(r"^mistral\.|-v\d+(:\d+)?$", "", r.info.base_id),
        "choices": [{"index": 0, "message": message, "stop_reason": r.stop}],
        "usage": _usage_openai(r),
    }


def _mistral_chat_chunks(r: _Render) -> Chunks:
    def chunk(message: dict[str, Any], stop: str | None) -> dict[str, Any]:
        return {"choices": [{"index": 0, "message": message, "stop_reason": stop}]}

    pieces = r.pieces or ([""] if not r.tool_calls else [])
    out: Chunks = [
        (i, chunk({"role": "assistant", "content": p}, None)) for i, p in enumerate(pieces)
    ]
    for n, call in enumerate(_openai_tool_calls(r, "")):
        out.append(
            (
                len(pieces) + n,
                chunk({"role": "assistant", "content": "", "tool_calls": [call]}, None),
            )
        )
    final = chunk({"role": "assistant", "content": ""}, r.stop)
    final["amazon-bedrock-invocationMetrics"] = r.metrics()
    out.append((r.last, final))
    return out


def _converse_content(r: _Render) -> list[dict[str, Any]]:
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


def _nova_usage(r: _Render) -> dict[str, int]:
    return {
        "inputTokens": r.input_tokens,
        "outputTokens": r.output_tokens,
        "totalTokens": r.input_tokens + r.output_tokens,
        "cacheReadInputTokenCount": 0,
        "cacheWriteInputTokenCount": 0,
    }


def _nova_response(r: _Render) -> dict[str, Any]:
    return {
        "output": {"message": {"content": _converse_content(r), "role": "assistant"}},
        "stopReason": r.stop,
        "usage": _nova_usage(r),
    }


def _block_events(r: _Render, wrap: bool) -> Chunks:
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
        arguments = json.dumps(dict(call.input), separators=(",", ":"))
        out.append((slot, {"contentBlockStart": {"start": start, "contentBlockIndex": index}}))
        out.append(
            (
                slot,
                {
                    "contentBlockDelta": {
                        "delta": {"toolUse": {"input": arguments}},
                        "contentBlockIndex": index,
                    }
                },
            )
        )
        out.append((slot, {"contentBlockStop": {"contentBlockIndex": index}}))
        index += 1
    return out


def _nova_chunks(r: _Render) -> Chunks:
    out: Chunks = [(0, {"messageStart": {"role": "assistant"}})]
    out += _block_events(r, wrap=True)
    out.append((r.last, {"messageStop": {"stopReason": r.stop}}))
    metrics = r.metrics()
    metrics.update(cacheReadInputTokenCount=0, cacheWriteInputTokenCount=0)
    out.append(
        (
            r.last,
            {
                "metadata": {"usage": _nova_usage(r), "metrics": {}, "trace": {}},
                "amazon-bedrock-invocationMetrics": metrics,
            },
        )
    )
    return out


def _converse_usage(r: _Render) -> dict[str, int]:
    return {
        "inputTokens": r.input_tokens,
        "outputTokens": r.output_tokens,
        "totalTokens": r.input_tokens + r.output_tokens,
    }


def _converse_response(r: _Render) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": _converse_content(r)}},
        "stopReason": r.stop,
        "usage": _converse_usage(r),
        "metrics": {"latencyMs": r.ms(r.total_latency)},
    }


def _converse_events(r: _Render) -> Chunks:
    out: Chunks = [(0, {"messageStart": {"role": "assistant"}})]
    out += _block_events(r, wrap=False)
    out.append((r.last, {"messageStop": {"stopReason": r.stop}}))
    out.append(
        (
            r.last,
            {
                "metadata": {
                    "usage": _converse_usage(r),
                    "metrics": {"latencyMs": r.ms(r.total_latency)},
                }
            },
        )
    )
    return out


# --- the family table --------------------------------------------------------------------------

FAMILIES: dict[str, _Family] = {
    f.name: f
    for f in (
        _Family(
            "meta.llama",
            ("stop", "length"),
            {"stop": "stop", "length": "length"},
            (("max_gen_len",),),
            512,
            length_stops=("length",),
            response=_llama_response,
            chunks=_flat(_llama_chunk),
        ),
        _Family(
            "amazon.titan-text",
            (
                "FINISH",
                "FINISHED",
                "LENGTH",
                "STOP_CRITERIA_MET",
                "RAG_QUERY_WHEN_RAG_DISABLED",
                "CONTENT_FILTERED",
            ),
            {
                "stop": "FINISH",
                "length": "LENGTH",
                "stop_sequence": "STOP_CRITERIA_MET",
                "content_filtered": "CONTENT_FILTERED",
            },
            (("textGenerationConfig", "maxTokenCount"),),
            512,
            length_stops=("LENGTH",),
            response=_titan_response,
            chunks=_flat(_titan_chunk),
        ),
        _Family(
            "ai21.jamba",
            ("stop", "length", "content_filter", "tool_calls"),
            {
                "stop": "stop",
                "length": "length",
                "content_filtered": "content_filter",
                "tool_use": "tool_calls",
            },
            (("max_tokens",),),
            4096,
            tool_stops=("tool_calls",),
            length_stops=("length",),
            response=_jamba_response,
            chunks=_jamba_chunks,
        ),
        _Family(
            "ai21.j2",
            ("endoftext", "length", "stop"),
            {"stop": "endoftext", "length": "length", "stop_sequence": "stop"},
            (("maxTokens",),),
            16,
            length_stops=("length",),
            response=_j2_response,
        ),
        _Family(
            "anthropic.claude-messages",
            (
                "end_turn",
                "max_tokens",
                "stop_sequence",
                "tool_use",
                "pause_turn",
                "refusal",
                "model_context_window_exceeded",
            ),
            {
                "stop": "end_turn",
                "length": "max_tokens",
                "stop_sequence": "stop_sequence",
                "tool_use": "tool_use",
            },
            (("max_tokens",),),
            4096,
            tool_stops=("tool_use",),
            length_stops=("max_tokens",),
            response=_claude_response,
            chunks=_claude_chunks,
        ),
        _Family(
            "anthropic.claude-text",
            ("stop_sequence", "max_tokens"),
            {"stop": "stop_sequence", "length": "max_tokens", "stop_sequence": "stop_sequence"},
            (("max_tokens_to_sample",),),
            None,
            length_stops=("max_tokens",),
            response=_claude_text_response,
            chunks=_flat(_claude_text_chunk),
        ),
        _Family(
            "cohere.command",
            (
                "COMPLETE",
                "MAX_TOKENS",
                "ERROR",
                "ERROR_TOXIC",
                "ERROR_LIMIT",
                "USER_CANCEL",
                "STOP_SEQUENCE",
            ),
            {
                "stop": "COMPLETE",
                "length": "MAX_TOKENS",
                "stop_sequence": "STOP_SEQUENCE",
                "content_filtered": "ERROR_TOXIC",
            },
            (("max_tokens",),),
            20,
            length_stops=("MAX_TOKENS",),
            response=_cohere_response,
            chunks=_cohere_chunks,
        ),
        _Family(
            "cohere.command-r",
            (
                "COMPLETE",
                "STOP_SEQUENCE",
                "MAX_TOKENS",
                "ERROR",
                "ERROR_TOXIC",
                "ERROR_LIMIT",
                "USER_CANCEL",
            ),
            {
                "stop": "COMPLETE",
                "length": "MAX_TOKENS",
                "stop_sequence": "STOP_SEQUENCE",
                "content_filtered": "ERROR_TOXIC",
            },
            (("max_tokens",),),
            4000,
            length_stops=("MAX_TOKENS",),
            response=_command_r_response,
            chunks=_command_r_chunks,
        ),
        _Family(
            "mistral.text",
            ("stop", "length", "tool_calls", "model_length", "error"),
            {"stop": "stop", "length": "length"},
            (("max_tokens",),),
            512,
            length_stops=("length", "model_length"),
            response=_mistral_text_response,
            chunks=_flat(_mistral_text_chunk),
        ),
        _Family(
            "mistral.chat",
            ("stop", "length", "tool_calls", "model_length", "error"),
            {"stop": "stop", "length": "length", "tool_use": "tool_calls"},
            (("max_tokens",),),
            8192,
            tool_stops=("tool_calls",),
            length_stops=("length", "model_length"),
            response=_mistral_chat_response,
            chunks=_mistral_chat_chunks,
        ),
        _Family(
            "amazon.nova",
            (
                "end_turn",
                "max_tokens",
                "stop_sequence",
                "tool_use",
                "content_filtered",
                "guardrail_intervened",
                "malformed_model_output",
                "malformed_tool_use",
            ),
            {
                "stop": "end_turn",
                "length": "max_tokens",
                "stop_sequence": "stop_sequence",
                "tool_use": "tool_use",
                "content_filtered": "content_filtered",
            },
            (("inferenceConfig", "max_new_tokens"), ("inferenceConfig", "maxTokens")),
            5000,
            tool_stops=("tool_use",),
            length_stops=("max_tokens",),
            response=_nova_response,
            chunks=_nova_chunks,
        ),
    )
}


@functools.cache
def _converse_stop_reasons() -> tuple[str, ...]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    return tuple(model.shape_for("StopReason").enum)


@functools.cache
def _converse_family() -> _Family:
    return _Family(
        "bedrock.converse",
        _converse_stop_reasons(),
        {
            "stop": "end_turn",
            "length": "max_tokens",
            "stop_sequence": "stop_sequence",
            "tool_use": "tool_use",
            "content_filtered": "content_filtered",
        },
        (("inferenceConfig", "maxTokens"),),
        None,
        tool_stops=("tool_use",),
        length_stops=("max_tokens",),
        response=_converse_response,
        chunks=_converse_events,
    )


@functools.cache
def all_stop_reasons() -> frozenset[str]:
    """Every stop reason an :class:`Answer` may name (neutral and native of any family)."""
    names = set(NEUTRAL_STOP_REASONS) | set(_converse_stop_reasons())
    for family in FAMILIES.values():
        names.update(family.stops)
    return frozenset(names)


def _operations_of(info: ModelInfo) -> tuple[str, ...]:
    if info.family in EMBEDDING_FAMILIES:
        return ("InvokeModel",)
    if info.family == "ai21.j2":
        return ("InvokeModel", "Converse")
    return OPERATIONS


def _body_style(family: str, body: Any) -> str:
    """Models that accept two body styles answer in the style the request used."""
    if not isinstance(body, Mapping):
        return family
    if family == "anthropic.claude-text" and "messages" in body:
        return "anthropic.claude-messages"
    if family == "mistral.text" and "messages" in body:
        return "mistral.chat"
    if family == "mistral.chat" and "prompt" in body:
        return "mistral.text"
    return family


def _family_for(info: ModelInfo, operation: str, body: Any = None) -> _Family:
    if operation not in OPERATIONS:
        raise UnsupportedAnswerError(
            f"unknown operation {operation!r}", model_id=info.model_id, valid=OPERATIONS
        )
    if info.family in EMBEDDING_FAMILIES:
        raise UnsupportedAnswerError(
            "an embedding model answers with vectors, not text",
            model_id=info.model_id,
            family=info.family,
            operation=operation,
            fix="use Embedding(...) for this model",
        )
    if operation in ("Converse", "ConverseStream"):
        return _converse_family()
    family = FAMILIES.get(_body_style(info.family, body))
    if family is None:
        raise UnsupportedAnswerError(
            "no native format is known for this model, so its answer cannot be encoded",
            model_id=info.model_id,
            family=info.family,
            operation=operation,
            valid=sorted(FAMILIES),
            fix="map the model to a family with overrides={'<model id or pattern>': '<family>'}",
        )
    if operation in STREAMING and family.chunks is None:
        raise UnsupportedAnswerError(
            "this model family does not stream",
            model_id=info.model_id,
            family=family.name,
            operation=operation,
            valid=("InvokeModel", "Converse"),
        )
    return family


def stop_reasons(
    model_id: str,
    operation: str = "InvokeModel",
    *,
    overrides: Mapping[str, str] | None = None,
    body: Any = None,
) -> tuple[str, ...]:
    """The stop reasons (neutral names first, then native values) valid for this model
    (``body``: the request body, for models that accept two body styles)."""
    return _family_for(resolve_model(model_id, overrides), operation, body).valid_stop_names()


def native_stop_reason(
    model_id: str,
    stop_reason: str,
    operation: str = "InvokeModel",
    *,
    overrides: Mapping[str, str] | None = None,
    body: Any = None,
) -> str:
    """The native value ``stop_reason`` takes for this model (raises when it has none)."""
    family = _family_for(resolve_model(model_id, overrides), operation, body)
    native = family.native_stop(stop_reason)
    if native is None:
        raise UnsupportedAnswerError(
            f"stop reason {stop_reason!r} does not exist for this model",
            model_id=model_id,
            family=family.name,
            operation=operation,
            valid=family.valid_stop_names(),
        )
    return native


def max_tokens_setting(
    request: RecordedRequest, *, overrides: Mapping[str, str] | None = None
) -> int | None:
    """The request's max-token setting (``max_gen_len``, ``maxTokenCount``, ...), if it has one."""
    info = resolve_model(request.model_id, overrides)
    try:
        family = _family_for(info, request.operation, request.json)
    except UnsupportedAnswerError:
        return None
    return family.max_tokens(request.json)


def family_of(request: RecordedRequest, *, overrides: Mapping[str, str] | None = None) -> str:
    """The family whose native format answers ``request`` (``bedrock.converse`` for Converse
    operations; the body style decides for models that accept two)."""
    info = resolve_model(request.model_id, overrides)
    return _family_for(info, request.operation, request.json).name


def with_max_tokens(
    request: RecordedRequest, tokens: int, *, overrides: Mapping[str, str] | None = None
) -> RecordedRequest:
    """A copy of ``request`` whose max-token setting is ``tokens`` (the family's own field)."""
    body = request.json
    family = _family_for(resolve_model(request.model_id, overrides), request.operation, body)
    if not isinstance(body, dict) or not family.max_paths:
        raise UnsupportedAnswerError(
            "the request has no JSON body with a max-token setting",
            model_id=request.model_id,
            family=family.name,
            operation=request.operation,
        )
    path = next((p for p in family.max_paths if _lookup(body, p) is not None), family.max_paths[0])
    body = json.loads(json.dumps(body))
    target = body
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = tokens
    return replace(request, body=_json_body(body))


# --- building responses ------------------------------------------------------------------------


def _running_counts(pieces: Sequence[str], total: int) -> list[int]:
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


def _fit_pieces(answer: Answer, tokens: int) -> list[str]:
    """The answer's pieces cut or extended so the text is exactly ``tokens`` tokens long."""
    text = fit_text(answer.full_text, tokens)
    pieces = answer.pieces()
    out: list[str] = []
    used = 0
    for piece in pieces:
        if used >= len(text):
            break
        take = text[used : used + len(piece)]
        out.append(take)
        used += len(take)
    if used < len(text):
        out += split_text(text[used:], answer.chunk_size)
    return out


def _render(
    answer: Answer, request: RecordedRequest, overrides: Mapping[str, str] | None
) -> tuple[_Family, _Render]:
    info = resolve_model(request.model_id, overrides)
    operation = request.operation
    answer.check(request.model_id, operation, overrides=overrides)
    body = request.json
    family = _family_for(info, operation, body)
    stop = family.native_stop(answer.stop_reason)
    if stop is None:  # the body style chose another family than the model id alone
        raise UnsupportedAnswerError(
            f"stop reason {answer.stop_reason!r} does not exist for this request",
            model_id=request.model_id,
            family=family.name,
            operation=operation,
            valid=family.valid_stop_names(),
        )
    requested = family.max_tokens(body)
    tool_tokens = sum(call.tokens() for call in answer.tool_calls)
    if stop in family.length_stops:
        if requested is not None and answer.output_tokens not in (None, requested):
            raise AnswerConflictError(
                f"the answer declares a length stop after {answer.output_tokens} tokens, but the "
                f"request's max-token setting is {requested}",
                model_id=request.model_id,
                operation=operation,
                fix="drop output_tokens (the request's setting is used) or change the request",
            )
        if answer.output_tokens is not None:  # declared counts are trusted, text kept as given
            output_tokens = answer.output_tokens
            pieces = answer.pieces()
        else:
            output_tokens = (
                requested
                or family.default_max
                or info.max_tokens
                or max(1, estimate_tokens(answer.full_text))
            )
            pieces = _fit_pieces(answer, output_tokens)
    else:
        pieces = answer.pieces()
        output_tokens = (
            answer.output_tokens
            if answer.output_tokens is not None
            else estimate_tokens(answer.full_text) + tool_tokens
        )
        if requested is not None and output_tokens > requested:
            raise AnswerConflictError(
                f"the answer is {output_tokens} tokens long but the request allows at most "
                f"{requested} (a stop reason of {answer.stop_reason!r} cannot exceed it)",
                model_id=request.model_id,
                operation=operation,
                fix="use stop_reason='length' (the text is then cut to the request's setting), "
                "a shorter text, or a larger max-token setting",
            )
    prompt = prompt_text(body)
    input_tokens = (
        answer.input_tokens if answer.input_tokens is not None else estimate_tokens(prompt)
    )
    text_tokens = max(0, output_tokens - tool_tokens)
    render = _Render(
        info=info,
        operation=operation,
        pieces=pieces,
        stop=stop,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        running=_running_counts(pieces, text_tokens),
        tool_calls=tuple(answer.tool_calls),
        stop_sequence=answer.stop_sequence,
        first=float(answer.first_chunk_delay),
        gap=float(answer.chunk_delay),
        prompt=prompt,
        seed=f"{request.model_id}|{operation}|{''.join(pieces)}",
    )
    return family, render


def _request_id() -> str:
    return str(uuid.uuid4())


def _json_body(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def build_response(
    answer: Answer | Embedding,
    request: RecordedRequest,
    *,
    overrides: Mapping[str, str] | None = None,
) -> RecordedResponse:
    """Encode ``answer`` as the native response to ``request`` (operation and model from it).

    Raises :class:`UnsupportedAnswerError` when the model cannot give this answer and
    :class:`AnswerConflictError` when the request contradicts it (a max-token setting below the
    answer's length).
    """
    if isinstance(answer, Embedding):
        return _build_embedding(answer, request, overrides)
    family, r = _render(answer, request, overrides)
    operation = request.operation
    if operation in STREAMING:
        assert family.chunks is not None
        events: list[StreamEvent] = []
        for slot, payload in family.chunks(r):
            offset = r.first + r.gap * slot
            if operation == "ConverseStream":
                ((event_type, data),) = payload.items()
                events.append(StreamEvent.event(event_type, data, offset))
            else:
                events.append(StreamEvent.chunk(payload, offset))
        headers = {"content-type": STREAM_CONTENT_TYPE, "x-amzn-requestid": _request_id()}
        if operation == "InvokeModelWithResponseStream":
            headers["x-amzn-bedrock-content-type"] = "application/json"
        return RecordedResponse(200, headers, events=events, latency=r.first)
    assert family.response is not None
    body = _json_body(family.response(r))
    headers = {"content-type": "application/json", "x-amzn-requestid": _request_id()}
    if operation == "InvokeModel":
        headers.update(
            {
                "x-amzn-bedrock-invocation-latency": str(r.ms(r.total_latency)),
                "x-amzn-bedrock-output-token-count": str(r.output_tokens),
                "x-amzn-bedrock-input-token-count": str(r.input_tokens),
            }
        )
    return RecordedResponse(200, headers, body=body, latency=r.total_latency)


# --- embeddings --------------------------------------------------------------------------------

_EMBED_DIMENSIONS = {
    "amazon.titan-embed-v1": 1536,
    "amazon.titan-embed-v2": 1024,
    "cohere.embed": 1024,
}


def embedding_vector(text: str, dimensions: int, *, normalize: bool = True) -> list[float]:
    """A deterministic pseudo-embedding of ``text`` (same text, same vector)."""
    seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
    rng = random.Random(seed)
    vector = [rng.uniform(-1.0, 1.0) for _ in range(dimensions)]
    if normalize:
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        vector = [v / norm for v in vector]
    # round-trip through float32 as the service's vectors are single precision
    return [struct.unpack("f", struct.pack("f", v))[0] for v in vector]


def _build_embedding(
    answer: Embedding, request: RecordedRequest, overrides: Mapping[str, str] | None
) -> RecordedResponse:
    answer.check(request.model_id, request.operation, overrides=overrides)
    family = resolve_model(request.model_id, overrides).family
    body = request.json if isinstance(request.json, Mapping) else {}
    dims = _EMBED_DIMENSIONS[family]
    if family == "amazon.titan-embed-v2":
        dims = int(body.get("dimensions", dims))
    normalize = bool(body.get("normalize", True)) if family == "amazon.titan-embed-v2" else False
    texts = (
        list(body.get("texts", []))
        if family == "cohere.embed"
        else [str(body.get("inputText", ""))]
    )
    if answer.vector is not None and len(answer.vector) != dims:
        raise AnswerConflictError(
            f"the declared vector has {len(answer.vector)} dimensions, the request asks for {dims}",
            model_id=request.model_id,
            operation=request.operation,
            fix=f"declare a vector of {dims} numbers or omit it",
        )
    vectors = [
        list(answer.vector)
        if answer.vector is not None
        else embedding_vector(t, dims, normalize=normalize)
        for t in texts
    ]
    input_tokens = (
        answer.input_tokens
        if answer.input_tokens is not None
        else sum(estimate_tokens(t) for t in texts)
    )
    payload: dict[str, Any]
    if family == "cohere.embed":
        types = body.get("embedding_types")
        seed = hashlib.sha256("|".join(texts).encode()).hexdigest()
        payload = {"id": str(uuid.UUID(seed[:32])), "texts": texts}
        if types:
            payload["response_type"] = "embeddings_by_type"
            payload["embeddings"] = {t: [_quantize(v, t) for v in vectors] for t in types}
        else:
            payload["response_type"] = "embeddings_floats"
            payload["embeddings"] = vectors
    else:
        payload = {"embedding": vectors[0], "inputTextTokenCount": input_tokens}
        if family == "amazon.titan-embed-v2":
            types = body.get("embeddingTypes") or ["float"]
            payload["embeddingsByType"] = {
                t: _quantize(vectors[0], "titan-binary" if t == "binary" else t) for t in types
            }
    headers = {
        "content-type": "application/json",
        "x-amzn-requestid": _request_id(),
        "x-amzn-bedrock-invocation-latency": str(int(round(answer.latency * 1000))),
        "x-amzn-bedrock-input-token-count": str(input_tokens),
    }
    return RecordedResponse(200, headers, body=_json_body(payload), latency=answer.latency)


def _quantize(vector: Sequence[float], kind: str) -> list[Any]:
    if kind == "float":
        return list(vector)
    if kind == "int8":
        return [max(-128, min(127, round(v * 127))) for v in vector]
    if kind == "uint8":
        return [max(0, min(255, round((v + 1) * 127.5))) for v in vector]
    bits = [1 if v > 0 else 0 for v in vector]
    if kind == "titan-binary":  # Titan V2: one 0/1 value per dimension
        return bits
    if kind in ("binary", "ubinary"):  # Cohere: 8 dimensions packed per (u)int8
        packed = []
        for i in range(0, len(bits), 8):
            byte = 0
            for bit in bits[i : i + 8]:
                byte = (byte << 1) | bit
            packed.append(byte - 128 if kind == "binary" else byte)
        return packed
    return list(vector)
