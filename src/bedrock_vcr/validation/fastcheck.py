"""A fast yes/no check for the JSON Schema subset the shipped schemas use.

Validating a typical request with jsonschema costs about as much as the replayed call itself, so
replay first asks this compiled checker whether a payload is valid. Only when it says "invalid"
does jsonschema run, to find and word every violation. The checker compiles a schema once into
nested closures and supports exactly the keywords below, with Draft 2020-12 semantics (an
integral float is an integer, a boolean is not a number, ``1 == 1.0`` but ``True != 1`` in
``enum``/``const``); a schema using any other keyword gets no fast checker (``None``), so the
answer is always jsonschema's.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..errors import BedrockVCRError

Check = Callable[[Any], bool]

#: Keywords that only annotate: they never change validity.
_ANNOTATIONS = frozenset(
    {
        "description",
        "title",
        "$schema",
        "$id",
        "$comment",
        "$defs",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)
_SUPPORTED = _ANNOTATIONS | {
    "type",
    "$ref",
    "properties",
    "patternProperties",
    "additionalProperties",
    "required",
    "minProperties",
    "maxProperties",
    "propertyNames",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "items",
    "minItems",
    "maxItems",
    "contains",
    "allOf",
    "not",
    "if",
    "then",
    "else",
}


def _bind(func: Callable[..., bool], *args: Any) -> Check:
    """``func`` with its leading arguments fixed: ``check(value) == func(*args, value)``."""
    return functools.partial(func, *args)


class Unsupported(BedrockVCRError):
    """The schema uses a keyword (or a reference) this checker does not handle."""


def _is_type(value: Any, name: str) -> bool:
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if isinstance(value, bool):
        return False
    if name == "number":
        return isinstance(value, (int, float))
    if name == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    raise Unsupported(f"type {name!r}")


_PYTHON_TYPES: dict[str, type | tuple[type, ...]] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
}


def _type_check(names: tuple[str, ...]) -> Check:
    """A check for ``type``; plain ``isinstance`` where JSON and Python types coincide."""
    if len(names) == 1 and names[0] in _PYTHON_TYPES:
        return _bind(lambda kind, v: isinstance(v, kind), _PYTHON_TYPES[names[0]])
    return _bind(lambda names, v: any(_is_type(v, n) for n in names), names)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: numbers by value, booleans apart from numbers, containers deeply."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


class _Compiler:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def ref(self, pointer: str) -> Check:
        if pointer in self.refs:
            return self.refs[pointer]
        if not pointer.startswith("#/"):
            raise Unsupported(f"$ref {pointer!r}")
        slot: list[Check] = []
        self.refs[pointer] = lambda value: slot[0](value)  # ties recursive references
        target: Any = self.root
        for part in pointer[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, Mapping) or part not in target:
                raise Unsupported(f"$ref {pointer!r} does not resolve")
            target = target[part]
        slot.append(self.compile(target))
        return self.refs[pointer]

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return lambda value: True
        if schema is False:
            return lambda value: False
        if not isinstance(schema, Mapping):
            raise Unsupported(f"schema of type {type(schema).__name__}")
        unknown = set(schema) - _SUPPORTED
        if unknown:
            raise Unsupported(f"keyword(s) {sorted(unknown)}")
        checks: list[Check] = []
        add = checks.append

        if "type" in schema:
            types = schema["type"]
            names = (types,) if isinstance(types, str) else tuple(types)
            for name in names:
                _is_type(None, name)  # rejects unknown type names now
            add(_type_check(names))
        if "$ref" in schema:
            add(self.ref(schema["$ref"]))
        if "enum" in schema:
            options = list(schema["enum"])
            if all(isinstance(o, str) for o in options):  # the common case: a set lookup
                add(_bind(lambda names, v: isinstance(v, str) and v in names, frozenset(options)))
            else:
                add(_bind(lambda options, v: any(_equal(v, o) for o in options), options))
        if "const" in schema:
            constant = schema["const"]
            add(_bind(lambda constant, v: _equal(v, constant), constant))
        self._numbers(schema, add)
        self._strings(schema, add)
        self._objects(schema, add)
        self._arrays(schema, add)
        for sub in schema.get("allOf", ()):
            add(self.compile(sub))
        if "not" in schema:
            negated = self.compile(schema["not"])
            add(_bind(lambda negated, v: not negated(v), negated))
        if "if" in schema:
            condition = self.compile(schema["if"])
            then = self.compile(schema.get("then", True))
            otherwise = self.compile(schema.get("else", True))
            add(_bind(lambda c, t, o, v: t(v) if c(v) else o(v), condition, then, otherwise))

        if not checks:
            return lambda value: True
        if len(checks) == 1:
            return checks[0]
        frozen = tuple(checks)

        def every(value: Any) -> bool:
            for check in frozen:
                if not check(value):
                    return False
            return True

        return every

    @staticmethod
    def _numbers(schema: Mapping[str, Any], add: Callable[[Check], None]) -> None:
        bounds = [
            (schema.get("minimum"), lambda v, b: v >= b),
            (schema.get("maximum"), lambda v, b: v <= b),
            (schema.get("exclusiveMinimum"), lambda v, b: v > b),
            (schema.get("exclusiveMaximum"), lambda v, b: v < b),
        ]
        for bound, compare in bounds:
            if bound is not None:
                add(_bind(lambda b, c, v: not _is_number(v) or c(v, b), bound, compare))

    @staticmethod
    def _strings(schema: Mapping[str, Any], add: Callable[[Check], None]) -> None:
        if "minLength" in schema:
            n = schema["minLength"]
            add(_bind(lambda n, v: not isinstance(v, str) or len(v) >= n, n))
        if "maxLength" in schema:
            n = schema["maxLength"]
            add(_bind(lambda n, v: not isinstance(v, str) or len(v) <= n, n))
        if "pattern" in schema:
            regex = re.compile(schema["pattern"])
            add(_bind(lambda r, v: not isinstance(v, str) or r.search(v) is not None, regex))

    def _objects(self, schema: Mapping[str, Any], add: Callable[[Check], None]) -> None:
        properties = {k: self.compile(s) for k, s in schema.get("properties", {}).items()}
        patterns = [
            (re.compile(p), self.compile(s)) for p, s in schema.get("patternProperties", {}).items()
        ]
        extra = schema.get("additionalProperties", True)
        extra_check = None if extra is True else self.compile(extra)
        if properties or patterns or extra_check is not None:

            def members(v: Any) -> bool:
                if not isinstance(v, dict):
                    return True
                for key, item in v.items():
                    matched = False
                    check = properties.get(key)
                    if check is not None:
                        matched = True
                        if not check(item):
                            return False
                    for regex, pattern_check in patterns:
                        if regex.search(key):
                            matched = True
                            if not pattern_check(item):
                                return False
                    if not matched and extra_check is not None and not extra_check(item):
                        return False
                return True

            add(members)
        if "required" in schema:
            required = tuple(schema["required"])
            add(_bind(lambda r, v: not isinstance(v, dict) or all(k in v for k in r), required))
        if "minProperties" in schema:
            n = schema["minProperties"]
            add(_bind(lambda n, v: not isinstance(v, dict) or len(v) >= n, n))
        if "maxProperties" in schema:
            n = schema["maxProperties"]
            add(_bind(lambda n, v: not isinstance(v, dict) or len(v) <= n, n))
        if "propertyNames" in schema:
            names = self.compile(schema["propertyNames"])
            add(_bind(lambda c, v: not isinstance(v, dict) or all(c(k) for k in v), names))

    def _arrays(self, schema: Mapping[str, Any], add: Callable[[Check], None]) -> None:
        if "items" in schema:
            each = self.compile(schema["items"])
            add(_bind(lambda c, v: not isinstance(v, list) or all(c(i) for i in v), each))
        if "minItems" in schema:
            n = schema["minItems"]
            add(_bind(lambda n, v: not isinstance(v, list) or len(v) >= n, n))
        if "maxItems" in schema:
            n = schema["maxItems"]
            add(_bind(lambda n, v: not isinstance(v, list) or len(v) <= n, n))
        if "contains" in schema:
            wanted = self.compile(schema["contains"])
            add(_bind(lambda c, v: not isinstance(v, list) or any(c(i) for i in v), wanted))


def compile_schema(schema: Mapping[str, Any]) -> Check | None:
    """A function telling whether an instance is valid; ``None`` if the schema is out of reach."""
    try:
        return _Compiler(schema).compile(schema)
    except (Unsupported, re.error):
        return None
