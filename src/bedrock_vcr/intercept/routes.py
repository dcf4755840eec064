"""Routes of a :class:`~bedrock_vcr.intercept.mock.BedrockMock`: which requests they take, which
outcome each call gets, and the checks that refuse an impossible outcome when it is declared.

A route knows its mock only through :class:`RouteOwner` (the model-family overrides it matches
with, and withdrawing a route whose first outcome was refused), so the mock imports this module
and nothing here imports the mock back.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..bedrock.models import resolve_model
from ..bedrock.operations import OPERATIONS
from ..cassettes.calls import CallLog
from ..cassettes.records import Interaction, RecordedRequest, RecordedResponse
from ..errors import ConfigError, RouteExhaustedError, did_you_mean
from ..simulation import Answer, Embedding, GuardrailResult, TokenCount, faults

Outcome = Any  # Answer | Embedding | Fault | StreamError | Disconnect | CorruptFrame |
# RecordedResponse | Interaction | BaseException | type[BaseException] | Callable[[request], ...]

#: The specs an outcome may be that have ``check(operation)`` and ``build(request)``: the faults,
#: and the answers of the operations that do not answer with text.
FAULT_SPECS = (
    faults.Fault,
    faults.StreamError,
    faults.Disconnect,
    faults.CorruptFrame,
    TokenCount,
    GuardrailResult,
)
_METHOD_TO_OPERATION = {op.method: op.name for op in OPERATIONS if op.sendable}
_NAMES = tuple(op.name for op in OPERATIONS if op.sendable)


class RouteOwner(Protocol):
    """What a route needs of its mock (:class:`~bedrock_vcr.intercept.mock.BedrockMock`)."""

    @property
    def overrides(self) -> Mapping[str, str] | None:
        """Model id -> family, as in :func:`bedrock_vcr.resolve_model`."""

    def withdraw(self, route: Route) -> None:
        """Forget ``route`` (declared, but its first outcome was refused)."""


@dataclass
class Call:
    """One request a route answered: what came in, what went out (None when it raised)."""

    request: RecordedRequest
    outcome: Outcome
    response: RecordedResponse | None = None
    route: Route | None = None


def _normalise_operation(operation: str | None) -> str | None:
    if operation is None:
        return None
    if operation in _NAMES:
        return operation
    if operation in _METHOD_TO_OPERATION:
        return _METHOD_TO_OPERATION[operation]
    hint = did_you_mean(operation, [*_NAMES, *_METHOD_TO_OPERATION])
    raise ConfigError(f"unknown operation {operation!r}{hint}; valid: {', '.join(_NAMES)}")


def _is_pattern(model_id: str) -> bool:
    return any(ch in model_id for ch in "*?[")


def _is_exception(outcome: Any) -> bool:
    return isinstance(outcome, BaseException) or (
        isinstance(outcome, type) and issubclass(outcome, BaseException)
    )


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, (str, bytes, Mapping))


class Route:
    """Requests a :class:`BedrockMock` answers one way; created by :meth:`BedrockMock.on`.

    ``return_value``: the outcome of every call. ``side_effect``: an outcome or callable used
    instead of ``return_value``, or a sequence consumed one outcome per call (a callable gets
    the :class:`~bedrock_vcr.cassettes.records.RecordedRequest` and returns an outcome, or None for
    ``return_value``). Neither set: a default :class:`Answer` (an :class:`Embedding` for
    embedding models).
    """

    def __init__(
        self,
        mock: RouteOwner,
        model_id: str | None = None,
        operation: str | None = None,
        *,
        match: Callable[[RecordedRequest], bool] | None = None,
        optional: bool = False,
        name: str | None = None,
    ) -> None:
        self._mock = mock
        self.model_id = model_id
        self.operation = _normalise_operation(operation)
        self.match = match
        self.optional = optional
        self.name = name
        self.calls: CallLog[Call] = CallLog(source=repr(self))
        self._return_value: Outcome = None
        self._side_effect: Outcome = None
        self._sequence: Iterator[Outcome] | None = None
        self._remaining: list[Outcome] | None = None

    def __repr__(self) -> str:
        if self.name:
            return f"route {self.name!r}"
        parts = []
        if self.operation:
            parts.append(self.operation)
        if self.model_id:
            parts.append(f"model_id={self.model_id!r}")
        if self.match is not None:
            parts.append("match=...")
        return f"route({', '.join(parts) or 'any request'})"

    # --- declaring -------------------------------------------------------------------------

    @property
    def return_value(self) -> Outcome:
        return self._return_value

    @return_value.setter
    def return_value(self, outcome: Outcome) -> None:
        self._check(outcome)
        self._return_value = outcome

    @property
    def side_effect(self) -> Outcome:
        return self._side_effect

    @side_effect.setter
    def side_effect(self, effect: Outcome) -> None:
        if _is_sequence(effect):
            items = list(effect)
            for item in items:
                self._check(item)
            self._side_effect = items
            self._remaining = list(items)
        else:
            self._check(effect)
            self._side_effect = effect
            self._remaining = None

    def respond(self, *outcomes: Outcome) -> Route:
        """One outcome: the ``return_value``; several: the ``side_effect`` sequence."""
        if len(outcomes) == 1:
            self.return_value = outcomes[0]
        else:
            self.side_effect = list(outcomes)
        return self

    def _check(self, outcome: Outcome) -> None:
        """Refuse now what this route's model/operation could never produce.

        A route whose first outcome is refused is withdrawn, so the refusal is the only error
        the test reports (no "never called" at teardown on top of it).
        """
        try:
            self._check_outcome(outcome)
        except Exception:
            if self._return_value is None and self._side_effect is None and not self.calls:
                self._mock.withdraw(self)
            raise

    def _check_outcome(self, outcome: Outcome) -> None:
        model_id = self.model_id if self.model_id and not _is_pattern(self.model_id) else None
        operation = self.operation
        overrides = self._mock.overrides
        if isinstance(outcome, (Answer, Embedding)):
            if model_id is not None:
                outcome.check(model_id, operation, overrides=overrides)
            elif isinstance(outcome, Embedding) and operation not in (None, "InvokeModel"):
                outcome.check("amazon.titan-embed-text-v2:0", operation)
        elif isinstance(outcome, FAULT_SPECS):
            outcome.check(operation)
            answer = getattr(outcome, "answer", None)
            if answer is not None and model_id is not None:
                answer.check(model_id, operation, overrides=overrides)
        elif outcome is None or _is_exception(outcome) or callable(outcome):
            return
        elif not isinstance(outcome, (RecordedResponse, Interaction)):
            raise ConfigError(
                f"{self} cannot answer with {outcome!r}; an outcome is an Answer, Embedding, "
                "TokenCount, GuardrailResult, "
                "a Fault, StreamError, Disconnect or CorruptFrame spec, a RecordedResponse or "
                "Interaction, an exception, or "
                "a callable taking the request"
            )

    # --- matching and answering ------------------------------------------------------------

    def why_not(self, request: RecordedRequest) -> str | None:
        """None when this route matches ``request``, else the reason it does not."""
        if self.operation is not None and request.operation != self.operation:
            return f"operation is {request.operation}, the route wants {self.operation}"
        if self.model_id is not None:
            info = resolve_model(request.model_id, self._mock.overrides)
            candidates = {request.model_id, info.base_id}
            if _is_pattern(self.model_id):
                hit = any(fnmatch.fnmatchcase(c, self.model_id) for c in candidates)
            else:
                hit = self.model_id in candidates
            if not hit:
                return f"model is {request.model_id!r}, the route wants {self.model_id!r}"
        if self.match is not None and not self.match(request):
            return "its match function returned False"
        return None

    def next_outcome(self, request: RecordedRequest) -> Outcome:
        """The outcome this call gets (the mock records the call; this only chooses)."""
        effect = self._side_effect
        if self._remaining is not None:
            if not self._remaining:
                raise RouteExhaustedError(self, len(self.calls) + 1)
            return self._remaining.pop(0)
        if effect is not None:
            if _is_exception(effect) or isinstance(effect, (Answer, Embedding, *FAULT_SPECS)):
                return effect
            if callable(effect):
                produced = effect(request)
                if produced is not None:
                    self._check(produced)
                    return produced
                return self._return_value
            return effect
        return self._return_value

    # --- assertions ------------------------------------------------------------------------

    @property
    def called(self) -> bool:
        return bool(self.calls)

    @property
    def call_count(self) -> int:
        return len(self.calls)

    @property
    def last_request(self) -> RecordedRequest | None:
        return self.calls[-1].request if self.calls else None

    @property
    def remaining(self) -> int:
        """Outcomes of the ``side_effect`` sequence not used yet (0 without a sequence)."""
        return len(self._remaining) if self._remaining is not None else 0

    def reset(self) -> None:
        """Forget the calls received and restart the ``side_effect`` sequence."""
        self.calls.clear()
        if isinstance(self._side_effect, list):
            self._remaining = list(self._side_effect)
