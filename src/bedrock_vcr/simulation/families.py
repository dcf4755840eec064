"""The family table: for each native format, its stop reasons (and the neutral names they map
to), where its requests put the max-token setting, and its encoders. Which family answers a
given request is decided in :mod:`.selection`.

Stop reasons are given either by a neutral name, mapped per family (:data:`NEUTRAL_STOP_REASONS`),
or by the family's native value (``CONTENT_FILTERED`` for Titan, ``refusal`` for Claude, ...).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import ai21, amazon, anthropic, cohere, converse, meta, mistral
from .errors import UnsupportedAnswerError
from .render import Chunks, Render

#: Neutral stop reasons, mapped to each family's native value.
NEUTRAL_STOP_REASONS = ("stop", "length", "stop_sequence", "tool_use", "content_filtered")
OPERATIONS = ("InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream")
STREAMING = frozenset({"InvokeModelWithResponseStream", "ConverseStream"})
EMBEDDING_FAMILIES = frozenset({"amazon.titan-embed-v1", "amazon.titan-embed-v2", "cohere.embed"})


@dataclass(frozen=True)
class Family:
    """One native format: ``stops`` its stop reasons, ``neutral`` the neutral names it maps,
    ``max_paths`` where a request body may hold the max-token setting (first found wins),
    ``default_max`` the service's default for it, ``response``/``chunks`` its encoders
    (``chunks`` None: it does not stream)."""

    name: str
    stops: tuple[str, ...]
    neutral: Mapping[str, str]
    max_paths: tuple[tuple[str, ...], ...] = ()
    default_max: int | None = None
    tool_stops: tuple[str, ...] = ()
    length_stops: tuple[str, ...] = ()
    response: Callable[[Render], dict[str, Any]] | None = None
    chunks: Callable[[Render], Chunks] | None = None

    def native_stop(self, name: str) -> str | None:
        # neutral names win over a native value spelled the same (AI21 J2's native ``stop`` is
        # a stop sequence: ask for it as ``stop_sequence``)
        if name in self.neutral:
            return self.neutral[name]
        return name if name in self.stops else None

    def require_stop(self, name: str, *, model_id: str, operation: str, of: str = "model") -> str:
        """The native value of ``name``; refused when this family has none (``of``: what the
        message says the stop reason does not exist for)."""
        native = self.native_stop(name)
        if native is None:
            raise UnsupportedAnswerError(
                f"stop reason {name!r} does not exist for this {of}",
                model_id=model_id,
                family=self.name,
                operation=operation,
                valid=self.valid_stop_names(),
            )
        return native

    def valid_stop_names(self) -> tuple[str, ...]:
        neutral = tuple(n for n in NEUTRAL_STOP_REASONS if n in self.neutral)
        return (*neutral, *(s for s in self.stops if s not in neutral))

    def max_tokens(self, body: Any) -> int | None:
        for path in self.max_paths:
            value = lookup(body, path)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
        return None


def lookup(body: Any, path: Sequence[str]) -> Any:
    """The value at ``path`` in a JSON body (None where a step is missing)."""
    value = body
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


# --- the table ---------------------------------------------------------------------------------

# Converse and Nova's native API share one vocabulary; so do Cohere's two text APIs, and
# Mistral's two body styles.
_CONVERSE_NEUTRAL = {
    "stop": "end_turn",
    "length": "max_tokens",
    "stop_sequence": "stop_sequence",
    "tool_use": "tool_use",
    "content_filtered": "content_filtered",
}
_COHERE_NEUTRAL = {
    "stop": "COMPLETE",
    "length": "MAX_TOKENS",
    "stop_sequence": "STOP_SEQUENCE",
    "content_filtered": "ERROR_TOXIC",
}
_MISTRAL_STOPS = ("stop", "length", "tool_calls", "model_length", "error")

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "meta.llama",
            ("stop", "length"),
            {"stop": "stop", "length": "length"},
            (("max_gen_len",),),
            512,
            length_stops=("length",),
            response=meta.llama_response,
            chunks=meta.llama_chunks,
        ),
        Family(
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
            response=amazon.titan_response,
            chunks=amazon.titan_chunks,
        ),
        Family(
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
            response=ai21.jamba_response,
            chunks=ai21.jamba_chunks,
        ),
        Family(
            "ai21.j2",
            ("endoftext", "length", "stop"),
            {"stop": "endoftext", "length": "length", "stop_sequence": "stop"},
            (("maxTokens",),),
            16,
            length_stops=("length",),
            response=ai21.j2_response,
        ),
        Family(
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
            response=anthropic.claude_response,
            chunks=anthropic.claude_chunks,
        ),
        Family(
            "anthropic.claude-text",
            ("stop_sequence", "max_tokens"),
            {"stop": "stop_sequence", "length": "max_tokens", "stop_sequence": "stop_sequence"},
            (("max_tokens_to_sample",),),
            None,
            length_stops=("max_tokens",),
            response=anthropic.claude_text_response,
            chunks=anthropic.claude_text_chunks,
        ),
        Family(
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
            _COHERE_NEUTRAL,
            (("max_tokens",),),
            20,
            length_stops=("MAX_TOKENS",),
            response=cohere.command_response,
            chunks=cohere.command_chunks,
        ),
        Family(
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
            _COHERE_NEUTRAL,
            (("max_tokens",),),
            4000,
            length_stops=("MAX_TOKENS",),
            response=cohere.command_r_response,
            chunks=cohere.command_r_chunks,
        ),
        Family(
            "mistral.text",
            _MISTRAL_STOPS,
            {"stop": "stop", "length": "length"},
            (("max_tokens",),),
            512,
            length_stops=("length", "model_length"),
            response=mistral.text_response,
            chunks=mistral.text_chunks,
        ),
        Family(
            "mistral.chat",
            _MISTRAL_STOPS,
            {"stop": "stop", "length": "length", "tool_use": "tool_calls"},
            (("max_tokens",),),
            8192,
            tool_stops=("tool_calls",),
            length_stops=("length", "model_length"),
            response=mistral.chat_response,
            chunks=mistral.chat_chunks,
        ),
        Family(
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
            _CONVERSE_NEUTRAL,
            (("inferenceConfig", "max_new_tokens"), ("inferenceConfig", "maxTokens")),
            5000,
            tool_stops=("tool_use",),
            length_stops=("max_tokens",),
            response=amazon.nova_response,
            chunks=amazon.nova_chunks,
        ),
    )
}


@functools.cache
def _converse_stop_reasons() -> tuple[str, ...]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    return tuple(model.shape_for("StopReason").enum)


@functools.cache
def converse_family() -> Family:
    """The Converse/ConverseStream format (its stop reasons come from botocore's model)."""
    return Family(
        "bedrock.converse",
        _converse_stop_reasons(),
        _CONVERSE_NEUTRAL,
        (("inferenceConfig", "maxTokens"),),
        None,
        tool_stops=("tool_use",),
        length_stops=("max_tokens",),
        response=converse.converse_response,
        chunks=converse.converse_events,
    )


@functools.cache
def all_stop_reasons() -> frozenset[str]:
    """Every stop reason an :class:`Answer` may name (neutral and native of any family)."""
    names = set(NEUTRAL_STOP_REASONS) | set(_converse_stop_reasons())
    for family in FAMILIES.values():
        names.update(family.stops)
    return frozenset(names)
