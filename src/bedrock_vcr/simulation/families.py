"""The family table: for each native format, where its stop reasons are defined (and the neutral
names they map to), where its requests put the max-token setting, and its encoders. Which family
answers a given request is decided in :mod:`.selection`.

Stop reasons are given either by a neutral name, mapped per family (:data:`NEUTRAL_STOP_REASONS`),
or by the family's native value (``CONTENT_FILTERED`` for Titan, ``refusal`` for Claude, ...).
The native values are not listed here: each family names the ``enum`` of its shipped response
schema that defines them (:class:`SchemaEnum`), so a schema change reaches the simulator.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..errors import UnsupportedAnswerError
from . import ai21, amazon, anthropic, cohere, converse, meta, mistral
from .render import Chunks, Render

#: Neutral stop reasons, mapped to each family's native value.
NEUTRAL_STOP_REASONS = ("stop", "length", "stop_sequence", "tool_use", "content_filtered")
EMBEDDING_FAMILIES = frozenset({"amazon.titan-embed-v1", "amazon.titan-embed-v2", "cohere.embed"})


@dataclass(frozen=True)
class SchemaEnum:
    """Where a family's native stop reasons are defined: the ``enum`` at JSON ``pointer`` of the
    shipped schema ``schema``."""

    schema: str
    pointer: str

    def values(self) -> tuple[str, ...]:
        return _schema_stops(self.schema, self.pointer)


@functools.cache
def _schema_stops(schema: str, pointer: str) -> tuple[str, ...]:
    from bedrock_vcr.validation.schemas import enum_at

    # null in a stop-reason enum means "no stop reason": a stream chunk before the last one, or a
    # Messages answer that has not stopped. It is never a stop reason an answer can ask for.
    return tuple(str(value) for value in enum_at(schema, pointer) if value is not None)


@dataclass(frozen=True)
class Family:
    """One native format: ``vocabulary`` where its stop reasons are defined (a schema enum, or
    the values themselves where no schema enum exists; read them as :attr:`stops`), ``neutral``
    the neutral names it maps, ``max_paths`` where a request body may hold the max-token setting
    (first found wins), ``default_max`` the service's default for it, ``tool_stops`` /
    ``length_stops`` the native values meaning tool use / the token limit,
    ``response``/``chunks`` its encoders (``chunks`` None: it does not stream)."""

    name: str
    vocabulary: SchemaEnum | tuple[str, ...]
    neutral: Mapping[str, str]
    max_paths: tuple[tuple[str, ...], ...] = ()
    default_max: int | None = None
    tool_stops: tuple[str, ...] = ()
    length_stops: tuple[str, ...] = ()
    response: Callable[[Render], dict[str, Any]] | None = None
    chunks: Callable[[Render], Chunks] | None = None

    @property
    def stops(self) -> tuple[str, ...]:
        """The native stop reasons, in schema order."""
        if isinstance(self.vocabulary, SchemaEnum):
            return self.vocabulary.values()
        return self.vocabulary

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
_MISTRAL_LENGTH = ("length", "model_length")
# The AI21 J2 response schema leaves ``finishReason.reason`` a free string (its description names
# these three values), so there is no enum to read: the vocabulary is listed here instead.
_J2_STOPS = ("endoftext", "length", "stop")

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "meta.llama",
            SchemaEnum("meta.llama.response", "#/properties/stop_reason"),
            {"stop": "stop", "length": "length"},
            (("max_gen_len",),),
            512,
            length_stops=("length",),
            response=meta.llama_response,
            chunks=meta.llama_chunks,
        ),
        Family(
            "amazon.titan-text",
            SchemaEnum(
                "amazon.titan-text.response",
                "#/properties/results/items/properties/completionReason",
            ),
            # the schema accepts both FINISH and FINISHED; real recordings show FINISH, so the
            # neutral "stop" maps to it (FINISHED stays available by its native name)
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
            SchemaEnum(
                "ai21.jamba.response", "#/properties/choices/items/properties/finish_reason"
            ),
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
            _J2_STOPS,
            {"stop": "endoftext", "length": "length", "stop_sequence": "stop"},
            (("maxTokens",),),
            16,
            length_stops=("length",),
            response=ai21.j2_response,
        ),
        Family(
            "anthropic.claude-messages",
            SchemaEnum("anthropic.claude-messages.response", "#/properties/stop_reason"),
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
            SchemaEnum("anthropic.claude-text.response", "#/properties/stop_reason"),
            {"stop": "stop_sequence", "length": "max_tokens", "stop_sequence": "stop_sequence"},
            (("max_tokens_to_sample",),),
            None,
            length_stops=("max_tokens",),
            response=anthropic.claude_text_response,
            chunks=anthropic.claude_text_chunks,
        ),
        Family(
            "cohere.command",
            SchemaEnum(
                "cohere.command.response", "#/properties/generations/items/properties/finish_reason"
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
            SchemaEnum("cohere.command-r.response", "#/properties/finish_reason"),
            _COHERE_NEUTRAL,
            (("max_tokens",),),
            4000,
            length_stops=("MAX_TOKENS",),
            response=cohere.command_r_response,
            chunks=cohere.command_r_chunks,
        ),
        Family(
            "mistral.text",
            SchemaEnum(
                "mistral.text.response", "#/properties/outputs/items/properties/stop_reason"
            ),
            {"stop": "stop", "length": "length"},
            (("max_tokens",),),
            512,
            length_stops=_MISTRAL_LENGTH,
            response=mistral.text_response,
            chunks=mistral.text_chunks,
        ),
        Family(
            "mistral.chat",
            # the schema also accepts ``finish_reason`` (same enum); the simulator writes
            # ``stop_reason``
            SchemaEnum(
                "mistral.chat.response", "#/properties/choices/items/properties/stop_reason"
            ),
            {"stop": "stop", "length": "length", "tool_use": "tool_calls"},
            (("max_tokens",),),
            8192,
            tool_stops=("tool_calls",),
            length_stops=_MISTRAL_LENGTH,
            response=mistral.chat_response,
            chunks=mistral.chat_chunks,
        ),
        Family(
            "amazon.nova",
            SchemaEnum("amazon.nova.response", "#/properties/stopReason"),
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


# The Converse schemas are generated from botocore's service model, so its StopReason enum is
# botocore's.
CONVERSE_STOPS = SchemaEnum("bedrock.converse.response", "#/$defs/StopReason")


@functools.cache
def converse_family() -> Family:
    """The Converse/ConverseStream format."""
    return Family(
        "bedrock.converse",
        CONVERSE_STOPS,
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
    names = set(NEUTRAL_STOP_REASONS) | set(converse_family().stops)
    for family in FAMILIES.values():
        names.update(family.stops)
    return frozenset(names)
