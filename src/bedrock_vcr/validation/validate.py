"""Check Bedrock request bodies, answers and stream chunks against the per-model JSON Schemas.

Which schema applies is :mod:`.schemas`' business; this module runs it and words what fails the
way Bedrock does. :func:`validate_request`, :func:`validate_response` and :func:`validate_chunk`
return every violation found (an empty list means valid); :func:`bedrock_validation_message`
renders them the way Bedrock words a ``ValidationException`` (:func:`validation_exception`: the
whole HTTP 400 answer); the ``assert_valid_*`` helpers raise an :class:`AssertionError` subclass
for use in tests.

What a "chunk" is depends on the operation:

* ``InvokeModelWithResponseStream``: the decoded model JSON of one ``chunk`` event (the bytes
  inside ``{"bytes": ...}``, already base64-decoded and parsed);
* ``ConverseStream``: one event as ``{eventType: payload}``, e.g.
  ``{"messageStop": {"stopReason": "end_turn"}}``; or pass the payload alone with
  ``event_type="messageStop"``.

Converse and ConverseStream bodies are checked against the Converse schemas whatever the model,
so they are validated even for models whose family is unknown.

In responses and chunks an enum value the schema does not list is schema drift (see
:mod:`.drift`): a one-time :class:`~bedrock_vcr.errors.SchemaDriftWarning`, not a violation.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..bedrock.operations import ERROR_TYPE_SUFFIX
from ..cassettes.records import RecordedResponse
from ..errors import SchemaValidationError
from . import drift
from .schemas import (
    CLOSABLE,
    ID_PREFIX,
    closed_validator,
    closed_validators,
    fast_validator,
    jsonschema_validator,
    select_schema,
)

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError as _JSONSchemaError

#: Value of Bedrock's ``x-amzn-ErrorType`` header on a schema rejection.
ERROR_TYPE = "ValidationException" + ERROR_TYPE_SUFFIX


# --- public data types -------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """One schema violation: where (JSON pointer), which keyword failed, and what is wrong."""

    path: str
    keyword: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


# --- errors to violations ----------------------------------------------------------------------

_EXPECTED = {
    "object": "JSONObject",
    "array": "JSONArray",
    "string": "String",
    "integer": "Integer",
    "number": "Number",
    "boolean": "Boolean",
    "null": "Null",
}


def _found(value: Any) -> str:
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "BigDecimal"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "JSONArray"
    if isinstance(value, Mapping):
        return "JSONObject"
    return type(value).__name__


def _pointer(parts: Iterable[Any]) -> str:
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "#" + "".join("/" + p for p in escaped)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _extra_keys(error: _JSONSchemaError) -> list[str]:
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    known = set(schema.get("properties", {}))
    patterns = list(schema.get("patternProperties", {}))

    return [
        key
        for key in error.instance
        if key not in known and not any(re.search(p, key) for p in patterns)
    ]


def _to_violations(error: _JSONSchemaError) -> list[Violation]:
    path = _pointer(error.absolute_path)
    keyword = str(error.validator)
    value, inst = error.validator_value, error.instance
    if keyword == "required":
        return [
            Violation(path, keyword, f"required key [{key}] not found")
            for key in value
            if isinstance(inst, Mapping) and key not in inst
        ]
    if keyword == "additionalProperties":
        return [
            Violation(path, keyword, f"extraneous key [{key}] is not permitted")
            for key in _extra_keys(error)
        ]
    if keyword == "not" and "propertyNames" in error.absolute_schema_path:
        # propertyNames errors carry the offending name as the instance
        return [
            Violation(path, "additionalProperties", f"extraneous key [{inst}] is not permitted")
        ]
    if keyword == "type":
        types = [value] if isinstance(value, str) else list(value)
        expected = " or ".join(_EXPECTED.get(t, t) for t in types)
        message = f"expected type: {expected}, found: {_found(inst)}"
    elif keyword == "enum":
        message = f"{_show(inst)} is not a valid enum value"
    elif keyword == "const":
        message = f"{_show(inst)} is not permitted, expected {_show(value)}"
    elif keyword == "minimum":
        message = f"{_show(inst)} is not greater or equal to {_show(value)}"
    elif keyword == "maximum":
        message = f"{_show(inst)} is not less or equal to {_show(value)}"
    elif keyword == "exclusiveMinimum":
        message = f"{_show(inst)} is not greater than {_show(value)}"
    elif keyword == "exclusiveMaximum":
        message = f"{_show(inst)} is not less than {_show(value)}"
    elif keyword == "minItems":
        message = f"expected minimum item count: {value}, found: {len(inst)}"
    elif keyword == "maxItems":
        message = f"expected maximum item count: {value}, found: {len(inst)}"
    elif keyword == "minLength":
        message = f"expected minLength: {value}, actual: {len(inst)}"
    elif keyword == "maxLength":
        message = f"expected maxLength: {value}, actual: {len(inst)}"
    elif keyword == "minProperties":
        message = f"minimum size: [{value}], found: [{len(inst)}]"
    elif keyword == "maxProperties":
        message = f"maximum size: [{value}], found: [{len(inst)}]"
    elif keyword == "pattern":
        message = f"string [{inst}] does not match pattern {value}"
    elif keyword == "contains":
        message = "expected at least one array item to match 'contains' schema"
    else:
        message = error.message
    return [Violation(path, keyword, message)]


def _run(name: str, variants: tuple[str, ...], body: Any) -> list[Violation]:
    if isinstance(body, (bytes, bytearray, memoryview)):
        body = bytes(body).decode("utf-8", errors="replace")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except json.JSONDecodeError as exc:
            return [Violation("#", "json", f"body is not valid JSON: {exc}")]
    fast = fast_validator(name, variants)
    if fast is not None and fast(body):
        return []  # valid: jsonschema only runs to word the violations of invalid payloads
    found: list[Violation] = []
    seen: set[Violation] = set()
    for error in jsonschema_validator(name, variants).iter_errors(body):
        for violation in _to_violations(error):
            if violation not in seen:
                seen.add(violation)
                found.append(violation)
    return found


def _parse(body: Any) -> Any:
    if isinstance(body, (bytes, bytearray, memoryview, str)):
        try:
            return json.loads(bytes(body) if not isinstance(body, str) else body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None
    return body


def _counted_invoke_body(
    model_id: str, parsed: Any, overrides: Mapping[str, str] | None, strict: bool
) -> list[Violation]:
    """CountTokens' ``input.invokeModel.body`` (base64 of an InvokeModel body) checked against
    the model's InvokeModel request schema, with paths under ``#/input/invokeModel/body``."""
    encoded = ((parsed or {}).get("input") or {}).get("invokeModel", {}).get("body")
    if not isinstance(encoded, str):
        return []
    where = "#/input/invokeModel/body"
    try:
        inner = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return [Violation(where, "contentEncoding", "is not base64")]
    _, found = _validate(model_id, "request", inner, "InvokeModel", overrides, strict)
    return [Violation(where + v.path.removeprefix("#"), v.keyword, v.message) for v in found]


def _validate(
    model_id: str,
    kind: str,
    body: Any,
    operation: str,
    overrides: Mapping[str, str] | None,
    strict: bool,
) -> tuple[str | None, list[Violation]]:
    parsed = _parse(body)
    selected = select_schema(model_id, kind, operation, parsed, overrides, strict)
    if selected is None:
        return None, []
    schema_id = ID_PREFIX + selected[0]
    # parsed once: a body that is no JSON (or is `null`) goes to the checks as it is
    checked = body if parsed is None else parsed
    if kind == "request":
        found = _run(*selected, checked)
        if operation == "CountTokens" and not found:
            found = _counted_invoke_body(model_id, parsed, overrides, strict)
        return schema_id, found
    # answers: a value or key the schema does not know is drift, not a violation
    closed = closed_validators(*selected) if selected[0] in CLOSABLE else None
    if closed is not None and closed[0] is not None and parsed is not None and closed[0](parsed):
        return schema_id, []  # fits the closed schema, so the open one too: one check, no drift
    found, unknown = drift.separate(_run(*selected, checked))
    if closed is not None and parsed is not None:
        unknown += drift.unknown_keys(parsed, None, closed_validator(*selected))
    drift.report(model_id, operation, kind, unknown)
    return schema_id, found


# --- public API --------------------------------------------------------------------------------


def validate_request(
    model_id: str,
    body: Any,
    *,
    operation: str = "InvokeModel",
    overrides: Mapping[str, str] | None = None,
    strict: bool = False,
) -> list[Violation]:
    """Every violation of the request ``body`` (dict, JSON str or bytes) for ``model_id``.

    An unknown model yields ``[]`` and one :class:`UnknownModelWarning` per model id, or raises
    :class:`UnknownModelError` when ``strict``.
    """
    return _validate(model_id, "request", body, operation, overrides, strict)[1]


def validate_response(
    model_id: str,
    body: Any,
    *,
    operation: str = "InvokeModel",
    overrides: Mapping[str, str] | None = None,
    strict: bool = False,
) -> list[Violation]:
    """Every violation of a (non-streamed) response ``body`` for ``model_id``."""
    return _validate(model_id, "response", body, operation, overrides, strict)[1]


def validate_chunk(
    model_id: str,
    chunk: Any,
    *,
    operation: str = "InvokeModelWithResponseStream",
    event_type: str | None = None,
    overrides: Mapping[str, str] | None = None,
    strict: bool = False,
) -> list[Violation]:
    """Every violation of one stream chunk (see the module docstring for what a chunk is)."""
    if event_type is not None:
        chunk = {event_type: _parse(chunk)}
    return _validate(model_id, "chunk", chunk, operation, overrides, strict)[1]


def bedrock_validation_message(violations: Sequence[Violation]) -> str:
    """The ``message`` Bedrock puts in a 400 ``ValidationException`` for these violations."""
    if len(violations) == 1:
        detail = str(violations[0])
    else:
        detail = f"{len(violations)} schema violations found" + "".join(map(str, violations))
    return f"Malformed input request: {detail}, please reformat your input and try again."


def validation_exception(violations: Sequence[Violation]) -> RecordedResponse:
    """The HTTP 400 answer Bedrock gives a request body that breaks its schema."""
    body = {"message": bedrock_validation_message(violations)}
    return RecordedResponse(
        400,
        {
            "content-type": "application/json",
            "x-amzn-errortype": ERROR_TYPE,
            "x-amzn-requestid": str(uuid.uuid4()),
        },
        body=json.dumps(body, separators=(",", ":")).encode(),
    )


def _assert(
    kind: str,
    model_id: str,
    body: Any,
    operation: str,
    overrides: Mapping[str, str] | None,
    strict: bool,
) -> None:
    schema_id, violations = _validate(model_id, kind, body, operation, overrides, strict)
    if violations:
        raise SchemaValidationError(
            model_id=model_id,
            kind=kind,
            operation=operation,
            schema_id=schema_id or "",
            violations=violations,
        )


def assert_valid_request(
    model_id: str,
    body: Any,
    *,
    operation: str = "InvokeModel",
    overrides: Mapping[str, str] | None = None,
    strict: bool = False,
) -> None:
    """Raise :class:`SchemaValidationError` listing every violation of the request body."""
    _assert("request", model_id, body, operation, overrides, strict)


def assert_valid_response(
    model_id: str,
    body: Any,
    *,
    operation: str = "InvokeModel",
    overrides: Mapping[str, str] | None = None,
    strict: bool = False,
) -> None:
    """Raise :class:`SchemaValidationError` listing every violation of the response body."""
    _assert("response", model_id, body, operation, overrides, strict)


def assert_valid_chunk(
    model_id: str,
    chunk: Any,
    *,
    operation: str = "InvokeModelWithResponseStream",
    event_type: str | None = None,
    overrides: Mapping[str, str] | None = None,
    strict: bool = False,
) -> None:
    """Raise :class:`SchemaValidationError` listing every violation of one stream chunk."""
    if event_type is not None:
        chunk = {event_type: _parse(chunk)}
    _assert("chunk", model_id, chunk, operation, overrides, strict)
