"""The two ways a simulated answer is refused: it cannot exist for the model/operation
(:class:`UnsupportedAnswerError`, raised when the answer is declared), or the request being
answered contradicts it (:class:`AnswerConflictError`, raised when it is served)."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import BedrockVCRError, ConfigError


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
