"""The shipped JSON Schemas, and which one a payload of a given model and operation must fit.

The schemas live in ``schemas/`` (shipped as ``bedrock_vcr._schemas``), one file per family and
message kind, with per-model variants in ``$defs``. This module loads them, picks the one for a
model id, message kind and operation (:func:`schema_for`), and compiles it once, both as a
jsonschema validator and as the fast check of :mod:`.fastcheck`; running a schema on a payload
and wording what fails is :mod:`.validate`'s job.
"""

from __future__ import annotations

import copy
import functools
import json
import warnings
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bedrock_vcr.bedrock.models import UNKNOWN, ModelInfo, resolve_model
from bedrock_vcr.validation.fastcheck import compile_schema

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..bedrock.operations import NAMES as OPERATIONS
from ..errors import (
    SchemaNotFoundError,
    SchemaPointerError,
    UnknownModelError,
    UnknownModelWarning,
)

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

KINDS = ("request", "response", "chunk")
#: What a shipped schema's ``$id`` starts with (the file name follows).
ID_PREFIX = "urn:bedrock-vcr:schema:"
_VARIANT_PREFIX = "variant-"
_README = "README section #schemas"


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
def jsonschema_validator(name: str, variants: tuple[str, ...]) -> Draft202012Validator:
    """The jsonschema validator of schema ``name`` with ``variants`` folded in (built once).

    jsonschema is imported here, not with the module: a valid payload never needs it (the fast
    check answers), and importing it costs a test run's first replay about 0.1 s."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_effective(name, variants))


@functools.cache
def fast_validator(name: str, variants: tuple[str, ...]) -> Callable[[Any], bool] | None:
    """The compiled fast check of the same schema (None where :mod:`.fastcheck` cannot)."""
    return compile_schema(_effective(name, variants))


def _closed(node: Any) -> Any:
    """``node`` with every object that lists its properties closed to other keys."""
    if isinstance(node, dict):
        out = {key: _closed(value) for key, value in node.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_closed(item) for item in node]
    return node


@functools.cache
def closed_validators(
    name: str, variants: tuple[str, ...]
) -> tuple[Callable[[Any], bool] | None, dict[str, Any]]:
    """The fast check and the schema of an answer schema closed to keys it does not list
    (what finds drift: see :mod:`.drift`). Only for :data:`CLOSABLE` schemas."""
    schema = _effective(name, variants)
    if name == "bedrock.converse-stream.event":
        # real streams pad every event payload with a random-length key `p`: no drift
        for member in schema.get("properties", {}).values():
            target = schema["$defs"].get(str(member.get("$ref", "")).rpartition("/")[2])
            if isinstance(target, dict) and "properties" in target:
                target["properties"] = {**target["properties"], "p": {"type": "string"}}
    closed = _closed(schema)
    return compile_schema(closed), closed


@functools.cache
def closed_validator(name: str, variants: tuple[str, ...]) -> Draft202012Validator:
    """The jsonschema validator of :func:`closed_validators`' schema (built when an answer
    fails the fast check: jsonschema is imported only then)."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(closed_validators(name, variants)[1])


# --- schema selection --------------------------------------------------------------------------

_NO_STREAM = frozenset(
    {"amazon.titan-embed-v1", "amazon.titan-embed-v2", "cohere.embed", "ai21.j2"}
)


def _why_no_schema(family: str, kind: str, operation: str) -> str:
    if operation == "Converse" and kind == "chunk":
        return "Converse does not stream; use ConverseStream"
    if operation == "ConverseStream" and kind == "response":
        return "ConverseStream answers with events; validate each with validate_chunk"
    if operation in SERVICE_SCHEMAS:
        return f"{operation} has no {kind} body"
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


#: Schemas of the operations whose bodies the service model fixes, whatever the model.
SERVICE_SCHEMAS: dict[str, dict[str, str]] = {
    "Converse": {"request": "bedrock.converse.request", "response": "bedrock.converse.response"},
    "ConverseStream": {
        "request": "bedrock.converse-stream.request",
        "chunk": "bedrock.converse-stream.event",
    },
    **{
        op: {
            kind: f"bedrock.{stem}.{kind}"
            for kind in (
                ("response",)
                if op in ("GetAsyncInvoke", "ListAsyncInvokes")
                else ("request", "response")
            )
        }
        for op, stem in (
            ("CountTokens", "count-tokens"),
            ("ApplyGuardrail", "apply-guardrail"),
            ("InvokeGuardrailChecks", "invoke-guardrail-checks"),
            ("StartAsyncInvoke", "start-async-invoke"),
            ("GetAsyncInvoke", "get-async-invoke"),
            ("ListAsyncInvokes", "list-async-invokes"),
        )
    },
}


#: Answer schemas derived from botocore's structures: a key they do not list is one the service
#: added (the hand-written native schemas are open on purpose, so they are not closed).
CLOSABLE = frozenset(
    name for kinds in SERVICE_SCHEMAS.values() for kind, name in kinds.items() if kind != "request"
)


def _schema_name(info: ModelInfo | None, kind: str, operation: str, body: Any) -> str | None:
    if operation in SERVICE_SCHEMAS:
        return SERVICE_SCHEMAS[operation].get(kind)
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
    if info.family != UNKNOWN or operation in SERVICE_SCHEMAS:
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


def select_schema(
    model_id: str,
    kind: str,
    operation: str,
    body: Any,
    overrides: Mapping[str, str] | None,
    strict: bool,
) -> tuple[str, tuple[str, ...]] | None:
    """``(schema name, variants)`` for the payload, or None when validation is skipped (an
    unknown model, not ``strict``: it warns once). Raises when no schema fits."""
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
    selected = select_schema(model_id, kind, operation, body, overrides, strict=True)
    assert selected is not None
    return _effective(*selected)
