"""Simulated ApplyGuardrail: a guardrail that lets the content through or intervenes.

``GuardrailResult()`` answers ``action: NONE`` (no outputs, one assessment holding only the
invocation metrics); ``GuardrailResult(intervened=True)`` answers ``GUARDRAIL_INTERVENED`` with
the blocked messaging as output and a content-filter assessment (``filter``: its type, BLOCKED
with HIGH confidence). ``assessments=[...]`` replaces the assessments with your own (Bedrock's
shape: ``topicPolicy``, ``contentPolicy``, ``wordPolicy``, ``sensitiveInformationPolicy``...).
Usage counts text units as Bedrock bills them: one per started 1,000 characters of text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..cassettes.records import RecordedRequest, RecordedResponse
from ..errors import UnsupportedAnswerError
from .render import json_body, request_id

#: Bedrock's default blocked messaging (what a guardrail outputs when it intervenes).
BLOCKED_MESSAGE = "Sorry, the model cannot answer this question."
#: The content filter types of the service model (GuardrailContentFilterType).
FILTER_TYPES = ("INSULTS", "HATE", "SEXUAL", "VIOLENCE", "MISCONDUCT", "PROMPT_ATTACK")
_UNIT_CHARS = 1000


def _characters(body: Any) -> int:
    content = body.get("content") if isinstance(body, dict) else None
    total = 0
    for block in content if isinstance(content, list) else []:
        text = block.get("text") if isinstance(block, dict) else None
        if isinstance(text, dict) and isinstance(text.get("text"), str):
            total += len(text["text"])
    return total


@dataclass(frozen=True)
class GuardrailResult:
    """The answer of ApplyGuardrail (see the module docstring)."""

    intervened: bool = False
    output: str = BLOCKED_MESSAGE
    filter: str = "VIOLENCE"
    assessments: Sequence[Mapping[str, Any]] | None = None
    reason: str | None = None
    latency: float = 0.0

    def __post_init__(self) -> None:
        if self.filter not in FILTER_TYPES:
            raise UnsupportedAnswerError(
                f"unknown content filter type {self.filter!r}",
                operation="ApplyGuardrail",
                valid=FILTER_TYPES,
            )

    def check(self, operation: str | None) -> None:
        """Refuse a route of another operation (called when the outcome is declared)."""
        if operation not in (None, "ApplyGuardrail"):
            raise UnsupportedAnswerError(
                "GuardrailResult answers ApplyGuardrail only",
                operation=operation,
                fix="declare the route with operation='ApplyGuardrail'; a guardrail inside "
                "Converse is an Answer(stop_reason='guardrail_intervened')",
            )

    def body(self, request: RecordedRequest | None = None) -> dict[str, Any]:
        """The JSON answer for ``request`` (its text sets the usage and coverage)."""
        chars = _characters(request.json if request is not None else None)
        units = -(-chars // _UNIT_CHARS)
        usage = {
            "topicPolicyUnits": 0,
            "contentPolicyUnits": units,
            "wordPolicyUnits": 0,
            "sensitiveInformationPolicyUnits": 0,
            "sensitiveInformationPolicyFreeUnits": 0,
            "contextualGroundingPolicyUnits": 0,
        }
        coverage = {"textCharacters": {"guarded": chars, "total": chars}}
        metrics = {
            "guardrailProcessingLatency": round(self.latency * 1000),
            "usage": usage,
            "guardrailCoverage": coverage,
        }
        if self.assessments is not None:
            assessments = [dict(a) for a in self.assessments]
        elif self.intervened:
            hit = {
                "type": self.filter,
                "confidence": "HIGH",
                "filterStrength": "HIGH",
                "action": "BLOCKED",
                "detected": True,
            }
            assessments = [{"contentPolicy": {"filters": [hit]}, "invocationMetrics": metrics}]
        else:
            assessments = [{"invocationMetrics": metrics}]
        out: dict[str, Any] = {
            "usage": usage,
            "action": "GUARDRAIL_INTERVENED" if self.intervened else "NONE",
            "outputs": [{"text": self.output}] if self.intervened else [],
            "assessments": assessments,
            "guardrailCoverage": coverage,
        }
        if self.intervened or self.reason is not None:
            out["actionReason"] = self.reason or "Guardrail blocked."
        return out

    def build(self, request: RecordedRequest | None = None) -> RecordedResponse:
        if request is not None:
            self.check(request.operation)
        headers = {"content-type": "application/json", "x-amzn-requestid": request_id()}
        return RecordedResponse(
            200, headers, body=json_body(self.body(request)), latency=self.latency
        )
