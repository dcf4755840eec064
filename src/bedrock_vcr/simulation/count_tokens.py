"""Simulated CountTokens: the input tokens a request would use, by the simulator's own rule.

``TokenCount()`` counts the ``input`` of the CountTokens request the way a simulated invoke counts
its prompt (:func:`~.tokens.prompt_text` then :func:`~.tokens.estimate_tokens`), so that
``count_tokens(input={"converse": {"messages": m}})`` gives the ``usage.inputTokens`` a simulated
``converse(messages=m)`` reports, and ``{"invokeModel": {"body": b}}`` the input count of a
simulated ``invoke_model(body=b)``. ``TokenCount(42)`` answers 42 whatever the request.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..cassettes.records import RecordedRequest, RecordedResponse
from ..errors import UnsupportedAnswerError
from .render import json_body, request_id
from .tokens import estimate_tokens, prompt_text


def _invoke_body(encoded: Any) -> Any:
    """The InvokeModel body inside a CountTokens input (base64 in JSON, as botocore sends it)."""
    if not isinstance(encoded, str):
        return None
    try:
        return json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def count_input_tokens(body: Any) -> int:
    """The input tokens of a CountTokens request body, by the simulator's rule."""
    given = body.get("input") if isinstance(body, dict) else None
    if not isinstance(given, dict):
        return 0
    if "invokeModel" in given:
        invoke = given["invokeModel"]
        return estimate_tokens(prompt_text(_invoke_body(invoke.get("body"))))
    return estimate_tokens(prompt_text(given.get("converse")))


@dataclass(frozen=True)
class TokenCount:
    """The answer of CountTokens. ``input_tokens`` None counts the request (see the module);
    ``latency``: seconds before the answer arrives."""

    input_tokens: int | None = None
    latency: float = 0.0

    def __post_init__(self) -> None:
        count = self.input_tokens
        if count is not None and (not isinstance(count, int) or isinstance(count, bool)):
            raise UnsupportedAnswerError(f"input_tokens must be an int >= 0, got {count!r}")
        if count is not None and count < 0:
            raise UnsupportedAnswerError(f"input_tokens must be >= 0, got {count}")

    def check(self, operation: str | None) -> None:
        """Refuse a route of another operation (called when the outcome is declared)."""
        if operation not in (None, "CountTokens"):
            raise UnsupportedAnswerError(
                "TokenCount answers CountTokens only",
                operation=operation,
                fix="declare the route with operation='CountTokens'",
            )

    def build(self, request: RecordedRequest | None = None) -> RecordedResponse:
        if request is not None:
            self.check(request.operation)
        count = self.input_tokens
        if count is None:
            count = count_input_tokens(request.json if request is not None else None)
        headers = {"content-type": "application/json", "x-amzn-requestid": request_id()}
        return RecordedResponse(
            200, headers, body=json_body({"inputTokens": count}), latency=self.latency
        )
