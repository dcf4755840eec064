"""Errors and warnings of schema validation and simulated answers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .base import SCHEMAS_DOCS, BedrockVCRError, BedrockVCRWarning
from .replay import ConfigError

# --- schemas and validation -----------------------------------------------------------------------


class UnknownModelWarning(BedrockVCRWarning):
    """A model id resolved to no schema family, so its payloads were not validated."""


class UnknownModelError(BedrockVCRError, LookupError):
    """Strict validation was asked for a model id whose family is unknown."""

    def __init__(self, model_id: str, *, operation: str, base_id: str | None = None) -> None:
        self.model_id = model_id
        self.operation = operation
        self.base_id = base_id
        super().__init__(
            f"{operation}: no schema is known for model {model_id!r}"
            + (f" (foundation model {base_id!r})" if base_id and base_id != model_id else "")
            + ".\n  fix: map it to a family with overrides={'<id or pattern>': '<family>'} "
            f"(families are listed in bedrock_vcr.bedrock.models.FAMILIES; "
            f"see the {SCHEMAS_DOCS}), "
            "or validate without strict mode to skip it with a warning."
        )


class SchemaNotFoundError(BedrockVCRError, LookupError):
    """The model's family has no schema for this kind of message on this operation."""

    def __init__(
        self, *, model_id: str, family: str, kind: str, operation: str, reason: str
    ) -> None:
        self.model_id = model_id
        self.family = family
        self.kind = kind
        self.operation = operation
        self.reason = reason
        super().__init__(
            f"no {kind} schema for {operation} on model {model_id!r} (family {family}): {reason}"
        )


class SchemaValidationError(BedrockVCRError, AssertionError):
    """A payload does not fit its schema (raised by the ``assert_valid_*`` helpers)."""

    def __init__(
        self,
        *,
        model_id: str,
        kind: str,
        operation: str,
        schema_id: str,
        violations: Sequence[Any],
    ) -> None:
        self.model_id = model_id
        self.kind = kind
        self.operation = operation
        self.schema_id = schema_id
        self.violations = tuple(violations)
        count = len(self.violations)
        lines = [
            f"{operation} {kind} for model {model_id!r} has {count} schema violation"
            f"{'s' if count != 1 else ''} (schema {schema_id}):"
        ]
        lines += [f"  {v.path} [{v.keyword}]: {v.message}" for v in self.violations]
        lines.append(
            f"  fix: correct the payload; `bedrock-vcr schema {model_id}` prints the schema "
            f"(see the {SCHEMAS_DOCS})."
        )
        super().__init__("\n".join(lines))


class SchemaPointerError(BedrockVCRError, LookupError):
    """A JSON pointer into a shipped schema leads nowhere, or not to an ``enum``."""

    def __init__(self, schema_name: str, pointer: str, reason: str) -> None:
        self.schema_name = schema_name
        self.pointer = pointer
        self.reason = reason
        super().__init__(
            f"schema {schema_name!r} at {pointer!r}: {reason}.\n  fix: point at a node that "
            f"holds an enum (`bedrock-vcr schema` prints the shipped schemas)."
        )


class SchemaDriftWarning(BedrockVCRWarning):
    """Recorded Bedrock traffic does not fit its schema: the schema is wrong or the API changed."""


class CassetteSchemaError(BedrockVCRError, AssertionError):
    """``validate_responses="fail"``: recorded answers do not fit their schemas."""

    def __init__(
        self, message: str, *, findings: Sequence[Any], cassette: Path | None, recording: bool
    ) -> None:
        self.findings = tuple(findings)
        self.cassette = cassette
        self.recording = recording
        super().__init__(message)


class InvalidRequestError(SchemaValidationError):
    """``validate_requests="fail"``: a request made under a cassette breaks its model's schema."""

    def __init__(
        self,
        request: Any,
        violations: Sequence[Any],
        *,
        schema_id: str,
        cassette: Path | None,
    ) -> None:
        super().__init__(
            model_id=request.model_id,
            kind="request",
            operation=request.operation,
            schema_id=schema_id,
            violations=violations,
        )
        self.request = request
        self.cassette = cassette
        extra = [f"  cassette: {cassette}"] if cassette is not None else []
        extra.append(
            "  validate_requests='fail' raised this; 'bedrock' answers HTTP 400 "
            "ValidationException as Bedrock would, 'off' lets the request through."
        )
        self.args = ("\n".join([str(self.args[0]), *extra]),)


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
