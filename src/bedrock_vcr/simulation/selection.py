"""Choosing the family that answers a request (the operation and, for models that accept two
body styles, the body decide), and the request-level queries built on that choice: valid stop
reasons, a stop reason's native value, the request's max-token setting."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..bedrock.models import ModelInfo, resolve_model
from ..bedrock.operations import INFERENCE as OPERATIONS
from ..bedrock.operations import NAMES, STREAMING
from ..cassettes.records import RecordedRequest
from ..errors import UnsupportedAnswerError
from .families import (
    EMBEDDING_FAMILIES,
    FAMILIES,
    Family,
    converse_family,
    lookup,
)
from .render import json_body

_RECORDED = "answer it with a RecordedResponse (or a fault); it has no simulated answer"
_NOT_TEXT = {
    "CountTokens": "answer it with TokenCount(...) (or declare no outcome)",
    "ApplyGuardrail": "answer it with GuardrailResult(...) (or declare no outcome)",
}


def operations_of(info: ModelInfo) -> tuple[str, ...]:
    """The operations the model answers."""
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


def family_for(info: ModelInfo, operation: str, body: Any = None) -> Family:
    """The family whose format answers ``operation`` on this model (refused when none does)."""
    if operation in NAMES and operation not in OPERATIONS:
        raise UnsupportedAnswerError(
            f"{operation} does not answer with generated text",
            model_id=info.model_id,
            operation=operation,
            fix=_NOT_TEXT.get(operation, _RECORDED),
        )
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
        return converse_family()
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
    return family_for(resolve_model(model_id, overrides), operation, body).valid_stop_names()


def native_stop_reason(
    model_id: str,
    stop_reason: str,
    operation: str = "InvokeModel",
    *,
    overrides: Mapping[str, str] | None = None,
    body: Any = None,
) -> str:
    """The native value ``stop_reason`` takes for this model (raises when it has none)."""
    family = family_for(resolve_model(model_id, overrides), operation, body)
    return family.require_stop(stop_reason, model_id=model_id, operation=operation)


def max_tokens_setting(
    request: RecordedRequest, *, overrides: Mapping[str, str] | None = None
) -> int | None:
    """The request's max-token setting (``max_gen_len``, ``maxTokenCount``, ...), if it has one."""
    info = resolve_model(request.model_id, overrides)
    try:
        family = family_for(info, request.operation, request.json)
    except UnsupportedAnswerError:
        return None
    return family.max_tokens(request.json)


def family_of(request: RecordedRequest, *, overrides: Mapping[str, str] | None = None) -> str:
    """The family whose native format answers ``request`` (``bedrock.converse`` for Converse
    operations; the body style decides for models that accept two)."""
    info = resolve_model(request.model_id, overrides)
    return family_for(info, request.operation, request.json).name


def with_max_tokens(
    request: RecordedRequest, tokens: int, *, overrides: Mapping[str, str] | None = None
) -> RecordedRequest:
    """A copy of ``request`` whose max-token setting is ``tokens`` (the family's own field)."""
    body = request.json
    family = family_for(resolve_model(request.model_id, overrides), request.operation, body)
    if not isinstance(body, dict) or not family.max_paths:
        raise UnsupportedAnswerError(
            "the request has no JSON body with a max-token setting",
            model_id=request.model_id,
            family=family.name,
            operation=request.operation,
        )
    path = next((p for p in family.max_paths if lookup(body, p) is not None), family.max_paths[0])
    body = json.loads(json.dumps(body))
    target = body
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = tokens
    return replace(request, body=json_body(body))
