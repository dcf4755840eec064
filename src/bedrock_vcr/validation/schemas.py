"""Check Bedrock request bodies, answers and stream chunks against the per-model JSON Schemas.

The schemas live in ``schemas/`` (shipped as ``bedrock_vcr._schemas``), one file per family and
message kind. :func:`validate_request`, :func:`validate_response` and :func:`validate_chunk`
return every violation found (an empty list means valid); :func:`bedrock_validation_message`
renders them the way Bedrock words a ``ValidationException``; the ``assert_valid_*`` helpers raise
an :class:`AssertionError` subclass for use in tests.

What a "chunk" is depends on the operation:

* ``InvokeModelWithResponseStream``: the decoded model JSON of one ``chunk`` event (the bytes
  inside ``{"bytes": ...}``, already base64-decoded and parsed);
* ``ConverseStream``: one event as ``{eventType: payload}``, e.g.
  ``{"messageStop": {"stopReason": "end_turn"}}``; or pass the payload alone with
  ``event_type="messageStop"``.

Converse and ConverseStream bodies are checked against the Converse schemas whatever the model,
so they are validated even for models whose family is unknown.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as _JSONSchemaError

from bedrock_vcr.bedrock.models import UNKNOWN, ModelInfo, resolve_model
from bedrock_vcr.validation.fastcheck import compile_schema

from ..errors import (
    SchemaNotFoundError,
    SchemaPointerError,
    SchemaValidationError,
    UnknownModelError,
    UnknownModelWarning,
)

#: Value of Bedrock's ``x-amzn-ErrorType`` header on a schema rejection.
ERROR_TYPE = "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"
OPERATIONS = ("InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream")
KINDS = ("request", "response", "chunk")
_ID_PREFIX = "urn:bedrock-vcr:schema:"
_VARIANT_PREFIX = "variant-"
_README = "README section #schemas"


# --- public data types -------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """One schema violation: where (JSON pointer), which keyword failed, and what is wrong."""

    path: str
    keyword: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


# --- schema loading ----------------------------------------------------------------------------


def _schema_dir() -> Path:
    try:
        return Path(str(resources.files("bedrock_vcr._schemas")))
    except ModuleNotFoundError:  # running from a checkout without installing
        return Path(__file__).resolve().parents[2] / "schemas"


def available_schemas() -> list[str]:
    """Names of every shipped schema (file names without ``.json``)."""
    return sorted(_schema_names())


@functools.cache
def _schema_names() -> frozenset[str]:
    return frozenset(p.stem for p in _schema_dir().glob("*.json"))


@functools.cache
def _load(name: str) -> dict[str, Any]:
    path = _schema_dir() / f"{name}.json"
    with path.open(encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


def enum_at(schema_name: str, pointer: str) -> tuple[Any, ...]:
    """The values of the ``enum`` at JSON ``pointer`` (``#/properties/...``) of the shipped schema
    ``schema_name`` (a name from :func:`available_schemas`), in schema order; ``None`` stands for
    an allowed JSON null. A local ``$ref`` met on the way is followed. Raises
    :class:`SchemaPointerError` when the schema, the node or its ``enum`` is missing."""
    if schema_name not in _schema_names():
        raise SchemaPointerError(schema_name, pointer, "no such schema is shipped")
    root = _load(schema_name)

    def deref(node: Any) -> Any:
        seen: set[str] = set()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if not ref.startswith("#") or ref in seen:
                break
            seen.add(ref)
            node = walk(ref)
        return node

    def walk(ptr: str) -> Any:
        path = ptr.removeprefix("#")
        if path and not path.startswith("/"):
            raise SchemaPointerError(schema_name, pointer, f"{ptr!r} is not a JSON pointer")
        node: Any = root
        for raw in path.split("/")[1:]:
            key = raw.replace("~1", "/").replace("~0", "~")
            node = deref(node)
            if isinstance(node, Mapping) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                raise SchemaPointerError(schema_name, pointer, f"no {key!r} under {ptr!r}")
        return node

    node = deref(walk(pointer))
    if not isinstance(node, Mapping) or not isinstance(node.get("enum"), list):
        raise SchemaPointerError(schema_name, pointer, "the node there has no enum")
    return tuple(node["enum"])


def _effective(name: str, variants: tuple[str, ...]) -> dict[str, Any]:
    schema = copy.deepcopy(_load(name))
    defs = schema.get("$defs", {})
    refs = [
        {"$ref": f"#/$defs/{_VARIANT_PREFIX}{v}"} for v in variants if _VARIANT_PREFIX + v in defs
    ]
    if refs:
        schema["allOf"] = [*schema.get("allOf", []), *refs]
    return schema


@functools.cache
def _validator(name: str, variants: tuple[str, ...]) -> Draft202012Validator:
    return Draft202012Validator(_effective(name, variants))


@functools.cache
def _fast(name: str, variants: tuple[str, ...]) -> Callable[[Any], bool] | None:
    return compile_schema(_effective(name, variants))


# --- schema selection --------------------------------------------------------------------------

_NO_STREAM = frozenset(
    {"amazon.titan-embed-v1", "amazon.titan-embed-v2", "cohere.embed", "ai21.j2"}
)


def _why_no_schema(family: str, kind: str, operation: str) -> str:
    if operation == "Converse" and kind == "chunk":
        return "Converse does not stream; use ConverseStream"
    if operation == "ConverseStream" and kind == "response":
        return "ConverseStream answers with events; validate each with validate_chunk"
    if family in _NO_STREAM:
        return "this model family does not support response streaming"
    return "no such schema is shipped"


def _alternate(family: str, kind: str, body: Any) -> str:
    """Families whose models accept two body styles: pick the one the body uses."""
    if not isinstance(body, Mapping):
        return family
    if family == "anthropic.claude-text":
        if kind == "request" and "messages" in body:
            return "anthropic.claude-messages"
        if kind != "request" and "completion" not in body and "type" in body:
            return "anthropic.claude-messages"
    if family == "mistral.text" and ("messages" in body or "choices" in body):
        return "mistral.chat"
    if family == "mistral.chat" and ("prompt" in body or "outputs" in body):
        return "mistral.text"
    return family


def _schema_name(info: ModelInfo | None, kind: str, operation: str, body: Any) -> str | None:
    if operation == "Converse":
        return {"request": "bedrock.converse.request", "response": "bedrock.converse.response"}.get(
            kind
        )
    if operation == "ConverseStream":
        return {
            "request": "bedrock.converse-stream.request",
            "chunk": "bedrock.converse-stream.event",
        }.get(kind)
    assert info is not None
    name = f"{_alternate(info.family, kind, body)}.{kind}"
    return name if name in _schema_names() else None


def _check_args(kind: str, operation: str) -> None:
    if operation not in OPERATIONS:
        raise ValueError(
            f"unknown operation {operation!r}; expected one of {', '.join(OPERATIONS)}"
        )
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")


_warned: set[str] = set()


def _resolve(
    model_id: str, operation: str, overrides: Mapping[str, str] | None, strict: bool
) -> ModelInfo | None:
    """The model's info, or None when validation must be skipped (unknown, not strict)."""
    info = resolve_model(model_id, overrides)
    if info.family != UNKNOWN or operation in ("Converse", "ConverseStream"):
        return info
    if strict:
        raise UnknownModelError(model_id, operation=operation, base_id=info.base_id)
    if model_id not in _warned:
        _warned.add(model_id)
        warnings.warn(
            f"bedrock-vcr: no schema for model {model_id!r}; its {operation} payloads are not "
            "validated. Map it to a family with the model_families setting (overrides= in "
            "this API, --model-family on the command line), or set strict_models=True to fail "
            f"instead (see the {_README}).",
            UnknownModelWarning,
            stacklevel=4,
        )
    return None


def _select(
    model_id: str,
    kind: str,
    operation: str,
    body: Any,
    overrides: Mapping[str, str] | None,
    strict: bool,
) -> tuple[str, tuple[str, ...]] | None:
    _check_args(kind, operation)
    info = _resolve(model_id, operation, overrides, strict)
    if info is None:
        return None
    name = _schema_name(info, kind, operation, body)
    if name is None:
        raise SchemaNotFoundError(
            model_id=model_id,
            family=info.family,
            kind=kind,
            operation=operation,
            reason=_why_no_schema(info.family, kind, operation),
        )
    variants = info.variants
    if operation == "InvokeModelWithResponseStream":
        variants = (*variants, "streaming")
    return name, variants


def schema_for(
    model_id: str,
    kind: str = "request",
    operation: str = "InvokeModel",
    *,
    overrides: Mapping[str, str] | None = None,
    body: Any = None,
) -> dict[str, Any]:
    """The schema (a fresh, self-contained dict) that ``kind`` payloads of ``model_id`` must fit.

    Per-model variants are folded in (``allOf`` of ``#/$defs/variant-*``). For families with two
    body styles (legacy Claude, Mistral) pass ``body`` to pick the matching one; without it the
    family's own style is returned. Raises :class:`UnknownModelError` for an unknown model.
    """
    selected = _select(model_id, kind, operation, body, overrides, strict=True)
    assert selected is not None
    return _effective(*selected)


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
    fast = _fast(name, variants)
    if fast is not None and fast(body):
        return []  # valid: jsonschema only runs to word the violations of invalid payloads
    found: list[Violation] = []
    seen: set[Violation] = set()
    for error in _validator(name, variants).iter_errors(body):
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


def _validate(
    model_id: str,
    kind: str,
    body: Any,
    operation: str,
    overrides: Mapping[str, str] | None,
    strict: bool,
) -> tuple[str | None, list[Violation]]:
    selected = _select(model_id, kind, operation, _parse(body), overrides, strict)
    if selected is None:
        return None, []
    return _ID_PREFIX + selected[0], _run(*selected, body)


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
