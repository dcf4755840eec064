"""Schema drift in answers: values and keys Bedrock sends that the schema does not know yet.

AWS adds enum values over time (Converse's ``toolUse.type`` was ``server_tool_use`` in botocore's
model when Bedrock started sending ``tool_use``), and members. In a response or stream event an
unknown enum value, or a key the schemas derived from botocore's model do not list (Converse,
ConverseStream, CountTokens, ApplyGuardrail...; the hand-written native schemas are open on
purpose), is drift, not a violation: it is reported once per model (or operation) and JSON path
in the process as a :class:`~bedrock_vcr.errors.SchemaDriftWarning` naming the path, and never
fails a test or a validation. Requests stay strict: Bedrock rejects what it does not know.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..errors import SchemaDriftWarning

#: The keywords that make a violation in an answer drift.
DRIFT_KEYWORDS = frozenset({"enum"})
_README = "README section #schemas-and-validation"
_INDEX = re.compile(r"/\d+(?=/|$)")

_lock = threading.Lock()
_reported: set[tuple[str, str]] = set()


class _Violation(Protocol):
    path: str
    keyword: str
    message: str


@dataclass(frozen=True)
class UnknownKey:
    """A key of an answer that its schema does not list."""

    path: str
    key: str
    keyword: str = "additionalProperties"

    @property
    def message(self) -> str:
        return f"key [{self.key}] is not in the schema"


def _pointer(parts: Any) -> str:
    return "#" + "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def unknown_keys(body: Any, fast: Callable[[Any], bool] | None, validator: Any) -> list[UnknownKey]:
    """The keys of ``body`` that the closed answer schema (``fast``, ``validator``) rejects
    (the closed ConverseStream event schema admits the padding key ``p`` real events carry)."""
    if fast is not None and fast(body):
        return []
    out = []
    for error in validator.iter_errors(body):
        if error.validator != "additionalProperties" or not isinstance(error.instance, Mapping):
            continue
        known = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
        path = _pointer(error.absolute_path)
        for key in error.instance:
            if key in known:
                continue
            out.append(UnknownKey(path, str(key)))
    return out


def separate(violations: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    """``(violations, drift)`` of an answer's findings. A value that also has the wrong type is
    no new enum value: only its type violation is kept."""
    kept = [v for v in violations if v.keyword not in DRIFT_KEYWORDS]
    broken = {v.path for v in kept}
    drift = [v for v in violations if v.keyword in DRIFT_KEYWORDS and v.path not in broken]
    return kept, drift


def report(model_id: str, operation: str, kind: str, drift: Sequence[_Violation]) -> None:
    """Warn once per (model or operation, JSON path) about each piece of drift."""
    subject = model_id or operation
    for violation in drift:
        where = violation.path + (f"/{violation.key}" if isinstance(violation, UnknownKey) else "")
        key = (subject, _INDEX.sub("/*", where))
        with _lock:
            if key in _reported:
                continue
            _reported.add(key)
        target = f" of {model_id!r}" if model_id else ""
        warnings.warn(
            SchemaDriftWarning(
                f"bedrock-vcr: schema drift in a {operation} {kind}{target}: {violation.path}: "
                f"{violation.message}. Bedrock sends it, so it is accepted, not a violation "
                "(reported once per model and path); the schema predates it: please report it "
                f"so the schema learns the value (see the {_README})."
            ),
            stacklevel=5,
        )


def forget() -> None:
    """Report every piece of drift again (tests use it)."""
    with _lock:
        _reported.clear()
