"""What a route answers when no outcome is declared, per operation, and what answers each of the
operations that do not answer with text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..bedrock.models import resolve_model
from ..cassettes.records import RecordedRequest
from .answer import Answer, Embedding
from .count_tokens import TokenCount
from .families import EMBEDDING_FAMILIES
from .guardrail import GuardrailResult

#: The outcome class that answers each simulated operation beyond inference.
SERVICE_ANSWERS: dict[str, type[Any]] = {
    "CountTokens": TokenCount,
    "ApplyGuardrail": GuardrailResult,
}


def default_outcome(request: RecordedRequest, overrides: Mapping[str, str] | None = None) -> Any:
    """The outcome of a route that declares none: the operation's own default answer."""
    answer = SERVICE_ANSWERS.get(request.operation)
    if answer is not None:
        return answer()
    family = resolve_model(request.model_id, overrides).family
    return Embedding() if family in EMBEDDING_FAMILIES else Answer()
