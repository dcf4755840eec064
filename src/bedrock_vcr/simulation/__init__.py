"""Simulated answers: describe an answer once, get it in the native format of any model family.

An :class:`Answer` is provider-neutral: the text (or its stream pieces), a stop reason, token
counts and timing. :func:`build_response` encodes it for one concrete request as a
:class:`~bedrock_vcr.RecordedResponse` (a plain JSON body for ``InvokeModel``/``Converse``,
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

The package, from the bottom up (each module imports only those above it):

- :mod:`.tokens`: the token rule, text fitting and splitting (the two refusals are in
  :mod:`bedrock_vcr.errors`);
- :mod:`.render`: :class:`ToolCall`, the per-request rendering context and encoder helpers;
- one encoder module per provider: :mod:`.meta`, :mod:`.converse`, :mod:`.amazon` (Titan Text,
  Nova), :mod:`.ai21`, :mod:`.anthropic`, :mod:`.cohere`, :mod:`.mistral`;
- :mod:`.families`: the family table; :mod:`.selection`: which family answers a request;
- :mod:`.answer`: :class:`Answer` and :class:`Embedding` with their checks;
- :mod:`.embeddings`: embedding vectors and formats; :mod:`.responses`: :func:`build_response`;
  :mod:`.memo`: the same answer to the same request built once (what a mock answers with);
- the operations that do not answer with text: :mod:`.count_tokens` (:class:`TokenCount`),
  :mod:`.guardrail` (:class:`GuardrailResult`), :mod:`.defaults` (each operation's default);
- faults: :mod:`.error_shapes` (the errors botocore's service model lists),
  :mod:`.stream_breaks` (breaking a stream at frame N), :mod:`.faults` (the fault specs);
- variants of a recording: :mod:`.recorded` (a recorded answer read back as an :class:`Answer`),
  :mod:`.mutate` (the variants).
"""

from __future__ import annotations

from ..bedrock.operations import NAMES as OPERATIONS
from ..bedrock.operations import STREAMING
from ..errors import AnswerConflictError, UnsupportedAnswerError
from .answer import Answer, Embedding
from .count_tokens import TokenCount, count_input_tokens
from .defaults import SERVICE_ANSWERS, default_outcome
from .embeddings import embedding_vector
from .families import (
    EMBEDDING_FAMILIES,
    FAMILIES,
    NEUTRAL_STOP_REASONS,
    all_stop_reasons,
)
from .guardrail import GuardrailResult
from .render import Chunks, ToolCall
from .responses import build_response
from .selection import (
    family_of,
    max_tokens_setting,
    native_stop_reason,
    stop_reasons,
    with_max_tokens,
)
from .tokens import CHARS_PER_TOKEN, estimate_tokens, fit_text, prompt_text, split_text

__all__ = [
    "CHARS_PER_TOKEN",
    "EMBEDDING_FAMILIES",
    "FAMILIES",
    "NEUTRAL_STOP_REASONS",
    "OPERATIONS",
    "STREAMING",
    "Answer",
    "AnswerConflictError",
    "Chunks",
    "Embedding",
    "GuardrailResult",
    "SERVICE_ANSWERS",
    "TokenCount",
    "ToolCall",
    "UnsupportedAnswerError",
    "all_stop_reasons",
    "build_response",
    "count_input_tokens",
    "default_outcome",
    "embedding_vector",
    "estimate_tokens",
    "family_of",
    "fit_text",
    "max_tokens_setting",
    "native_stop_reason",
    "prompt_text",
    "split_text",
    "stop_reasons",
    "with_max_tokens",
]
