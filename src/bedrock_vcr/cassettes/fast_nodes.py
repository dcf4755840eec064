"""Building the YAML node tree of a cassette document fast, for libyaml's emitter.

PyYAML's representer spends most of a save on bookkeeping that a cassette document never needs:
it looks each value's type up along its MRO, records every container for anchors and aliases,
and asks the resolver, in Python, which implicit tag every scalar would get. A cassette document
is plain data (dicts, lists, text, numbers, booleans, None) that shares no container, so
:func:`represent` builds the same nodes directly, and :func:`resolve` answers the emitter's tag
questions for text that no implicit resolver could claim without running one. Anything else
(floats, other types, a container met twice) goes through PyYAML's own code, so the text is
the same byte for byte (tests/cassettes/test_speed_paths.py compares them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from yaml.nodes import ScalarNode

from ..errors import BedrockVCRError

_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"


def install(dumper: type, str_presenter: Callable[[Any, str], yaml.Node]) -> None:
    """Make ``dumper`` build nodes here, writing strings with ``str_presenter``."""
    dumper.represent = represent  # type: ignore[attr-defined]
    dumper.resolve = resolve  # type: ignore[attr-defined]
    dumper.fast_str = staticmethod(str_presenter)  # type: ignore[attr-defined]


class _Shared(BedrockVCRError):
    """A container met twice: PyYAML would write an anchor, so it represents the document."""


def _node(dumper: Any, value: Any, seen: set[int]) -> yaml.Node:
    kind = type(value)
    if kind is str:
        return dumper.fast_str(dumper, value)
    if kind is dict:
        if id(value) in seen:
            raise _Shared
        seen.add(id(value))
        pairs = [(_node(dumper, k, seen), _node(dumper, v, seen)) for k, v in value.items()]
        return yaml.MappingNode(_MAP, pairs, flow_style=False)
    if kind is list:
        if id(value) in seen:
            raise _Shared
        seen.add(id(value))
        return yaml.SequenceNode(_SEQ, [_node(dumper, v, seen) for v in value], flow_style=False)
    if kind is int:
        return ScalarNode(_INT, str(value))
    if kind is bool:
        return ScalarNode(_BOOL, "true" if value else "false")
    if value is None:
        return ScalarNode(_NULL, "null")
    return dumper.represent_data(value)  # a float, or a type PyYAML decides about


def represent(dumper: Any, data: Any) -> None:
    """``BaseRepresenter.represent`` for plain data: the same nodes, built directly."""
    if dumper.default_flow_style is not False or dumper.sort_keys:
        node = dumper.represent_data(data)  # options this module does not reproduce
    else:
        try:
            node = _node(dumper, data, set())
        except _Shared:
            dumper.represented_objects, dumper.object_keeper, dumper.alias_key = {}, [], None
            node = dumper.represent_data(data)
    dumper.serialize(node)
    dumper.represented_objects = {}
    dumper.object_keeper = []
    dumper.alias_key = None


def resolve(dumper: Any, kind: type, value: Any, implicit: Any) -> str:
    """``BaseResolver.resolve``, answered at once for text no implicit resolver starts with."""
    if (
        kind is ScalarNode
        and value
        and value[0] not in dumper.yaml_implicit_resolvers
        and None not in dumper.yaml_implicit_resolvers
        and not dumper.yaml_path_resolvers
    ):
        return _STR
    if kind is not ScalarNode or dumper.yaml_path_resolvers or len(value) > 40:
        return yaml.resolver.BaseResolver.resolve(dumper, kind, value, implicit)
    # short text some resolver might claim (numbers, null, true): the same few values recur
    # in every interaction (status, token counts, temperature), so their answers are kept
    key = (type(dumper), value, implicit)
    tag = _RESOLVED.get(key)
    if tag is None:
        tag = yaml.resolver.BaseResolver.resolve(dumper, kind, value, implicit)
        if len(_RESOLVED) >= 4096:
            _RESOLVED.clear()
        _RESOLVED[key] = tag
    return tag


#: Tags :func:`resolve` found for short text, by dumper class (its resolvers), text and
#: implicitness.
_RESOLVED: dict[tuple[type, str, Any], str] = {}
