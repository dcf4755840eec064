"""Parsing untrusted cassette YAML: no anchors or aliases, bounded nesting, typed errors.

Every cassette reader (bedrock-vcr's format, vcrpy files replayed directly, ``bedrock-vcr
import``) parses through :func:`load`, so that a damaged or hostile file gives a
:class:`~bedrock_vcr.errors.CassetteFormatError` naming the line and column, in time and memory
bounded by the size of the file:

- **Anchors and aliases are refused.** Neither format ever writes one, and an alias lets a file
  of a few hundred bytes stand for billions of values (the "billion laughs"). A cheap pattern
  search rules them out for most files; only a file where ``&`` or ``*`` could start a token is
  scanned event by event (libyaml's parser, which is fast) before it is loaded.
- **Nesting is bounded** by libyaml (1000 levels); such an error is reported as it is, never
  re-read by PyYAML's recursive pure-Python parser.
- **Values YAML cannot build** (an impossible date, an integer of thousands of digits) are
  format errors at their line, not the ``ValueError`` the constructor raises.

Loading pauses the cyclic garbage collector: a document builds no reference cycle (it has no
aliases), and collecting while hundreds of thousands of new containers survive costs about twice
the load itself.
"""

from __future__ import annotations

import gc
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..errors import BedrockVCRError, CassetteFormatError

#: What reading a malformed document could still raise should a check be missing: the readers
#: turn these into a :class:`CassetteFormatError` located at the interaction (a last resort).
UNEXPECTED: tuple[type[Exception], ...] = (
    TypeError,
    ValueError,
    KeyError,
    AttributeError,
    IndexError,
    OverflowError,
    RecursionError,
)

#: libyaml's loader when PyYAML was built with it (about 3x faster), else the Python one.
_FAST_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Where an anchor (``&name``) or alias (``*name``) token can start: at the start of the text,
#: after whitespace or a line break, or right after a flow indicator, a key or value indicator.
_MAYBE_ANCHOR = re.compile(r"[\s\[{,:?\ufeff][&*]")

#: Broken files larger than this are reported with libyaml's own (terser) message rather than
#: read a second time by PyYAML's pure-Python parser for a fuller one.
_EXPLAIN_LIMIT = 1024 * 1024
#: Nor a file holding more flow brackets than this: PyYAML's pure-Python scanner takes time
#: quadratic in the depth of flow nesting (2,000 levels take seconds; 200,000 would take
#: hours), and a count bounds the depth without parsing.
_EXPLAIN_BRACKETS = 1000

ANCHOR_FIX = (
    "bedrock-vcr and vcrpy never write YAML anchors (&name) or aliases (*name); replace each "
    "alias with a copy of the value it names and drop the anchors, or re-record the cassette"
)


def _guarded(
    constructor: Callable[[Any, Any], Any], what: str
) -> Callable[[yaml.SafeLoader, yaml.Node], Any]:
    """``constructor``, with the errors Python raises for impossible values made YAML errors
    that carry the node's position."""

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        try:
            return constructor(loader, node)
        except UNEXPECTED as exc:
            text = str(node.value)
            shown = text if len(text) <= 40 else text[:37] + "..."
            raise ConstructorError(
                None, None, f"{shown!r} is not a valid {what}: {exc}", node.start_mark
            ) from None

    return construct


def guard_constructors(loader: type[yaml.SafeLoader]) -> None:
    """Make the constructors of ``loader`` that can raise plain Python errors raise YAML ones."""
    scalars = (("int", "integer"), ("float", "number"), ("bool", "boolean"), ("timestamp", "date"))
    for tag, what in scalars:
        full = f"tag:yaml.org,2002:{tag}"
        loader.add_constructor(full, _guarded(loader.yaml_constructors[full], what))


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
#: Nesting the direct construction takes on (deeper documents go the constructor's way, which
#: reports what it always did).
_DIRECT_DEPTH = 100


class _NotPlain(BedrockVCRError):
    """A node :func:`_direct` leaves to PyYAML's constructor (merge keys, keys that are not
    text, tagged collections, unknown tags)."""


def _direct(loader: Any, node: yaml.Node, depth: int) -> Any:
    """The value of ``node``, built as PyYAML's constructor would, without its bookkeeping."""
    tag = node.tag
    if tag == _STR:
        if type(node) is not yaml.ScalarNode:
            raise _NotPlain
        return node.value
    if tag == _MAP and depth < _DIRECT_DEPTH:
        out = {}
        for key, value in node.value:
            if key.tag != _STR or type(key) is not yaml.ScalarNode:
                raise _NotPlain
            out[key.value] = _direct(loader, value, depth + 1)
        return out
    if tag == _SEQ and depth < _DIRECT_DEPTH:
        return [_direct(loader, item, depth + 1) for item in node.value]
    constructor = loader.yaml_constructors.get(tag)
    if constructor is None or type(node) is not yaml.ScalarNode:
        raise _NotPlain
    return constructor(loader, node)


class FastLoader(_FAST_BASE):
    """libyaml's safe loader, its impossible values reported as YAML errors.

    Plain documents (text keys, no tags on collections) are built directly from libyaml's
    nodes, and text that no implicit resolver could claim is tagged without running any: the
    same values, about twice as fast as PyYAML's constructor and resolver. Anything else is
    built by PyYAML's constructor, as before.
    """

    def construct_document(self, node: yaml.Node) -> Any:
        try:
            return _direct(self, node, 0)
        except _NotPlain:
            return super().construct_document(node)

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and not self.yaml_path_resolvers:
            resolvers = self.yaml_implicit_resolvers
            if not implicit[0] or (value and value[0] not in resolvers and None not in resolvers):
                return _STR
        return super().resolve(kind, value, implicit)


class ExplainingLoader(yaml.SafeLoader):
    """PyYAML's pure-Python safe loader: slower, but its messages say more."""


guard_constructors(FastLoader)
guard_constructors(ExplainingLoader)


# --- anchors and aliases -------------------------------------------------------------------------


def _may_hold_anchor(text: str) -> bool:
    # `in` scans at memory speed; the pattern (ten times slower) runs only where `&` or `*` is
    if "&" not in text and "*" not in text:
        return False
    return text[:1] in ("&", "*") or _MAYBE_ANCHOR.search(text) is not None


def refuse_anchors(text: str, path: Path | str | None = None) -> None:
    """Raise :class:`CassetteFormatError` at the first anchor or alias of ``text``, if any.

    Invalid YAML met on the way raises the parser's :class:`yaml.YAMLError`.
    """
    if not _may_hold_anchor(text):
        return
    event: Any
    for event in yaml.parse(text, Loader=_FAST_BASE):
        if isinstance(event, yaml.AliasEvent):
            found, name = "an alias", f"*{event.anchor}"
        elif getattr(event, "anchor", None) is not None:
            found, name = "an anchor", f"&{event.anchor}"
        else:
            continue
        mark = event.start_mark
        raise CassetteFormatError(
            f"the cassette uses {found} ({name}) at line {mark.line + 1}, column "
            f"{mark.column + 1}; cassettes never use YAML anchors or aliases, which let a few "
            "hundred bytes stand for billions of values",
            path=path,
            fix=ANCHOR_FIX,
        )


# --- the garbage collector -----------------------------------------------------------------------

_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block (nested and concurrent blocks share one
    pause; it resumes when the last ends, and only if it was running before the first)."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


# --- loading -------------------------------------------------------------------------------------

DEFAULT_FIX = (
    "restore the file from version control, or delete it and re-record with "
    "--bedrock-record-mode=once"
)


def load(
    text: str,
    path: Path | str | None = None,
    *,
    loader: Any = FastLoader,
    explainer: Any = ExplainingLoader,
    fix: str = DEFAULT_FIX,
) -> Any:
    """The YAML document in ``text``, parsed with ``loader`` after :func:`refuse_anchors`.

    Invalid YAML is a :class:`CassetteFormatError` naming the line and column; when libyaml
    found it, ``explainer`` (a pure-Python loader) reads a small file again for a fuller message.
    """
    try:
        refuse_anchors(text, path)
        with collector_paused():
            return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise _invalid(_explained(exc, text, loader, explainer), path, fix) from None
    except CassetteFormatError:
        raise
    except UNEXPECTED as exc:  # a constructor error not guarded above: no position known
        raise CassetteFormatError(
            f"the cassette is not valid YAML: {type(exc).__name__}: {exc}", path=path, fix=fix
        ) from None


def _explained(exc: yaml.YAMLError, text: str, loader: Any, explainer: Any) -> yaml.YAMLError:
    """A fuller account of a syntax error from the pure-Python parser, when that is cheap.

    Only the parser runs (it is not recursive, and builds nothing); a constructor's error is
    already the same text either way, and a nesting error would only recurse deeper.
    """
    problem = str(getattr(exc, "problem", "") or "")
    if (
        explainer is None
        or explainer is loader
        or isinstance(exc, ConstructorError)
        or len(text) > _EXPLAIN_LIMIT
        or "nesting depth" in problem
        or text.count("[") + text.count("{") > _EXPLAIN_BRACKETS
    ):
        return exc
    try:
        for _ in yaml.parse(text, Loader=explainer):
            pass
    except yaml.YAMLError as fuller:
        return fuller
    except UNEXPECTED:
        return exc
    return exc


def _at(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _invalid(exc: yaml.YAMLError, path: Path | str | None, fix: str) -> CassetteFormatError:
    mark = getattr(exc, "problem_mark", None)
    where = f" at {_at(mark)}" if mark else ""
    problem: Any = getattr(exc, "problem", None) or exc
    start, context = getattr(exc, "context_mark", None), getattr(exc, "context", None)
    ended = any(words in str(problem) for words in ("end of stream", "<stream end>"))
    if mark and start and context and ended and (start.line, start.column) != (mark.line, 0):
        # the parser gave up at the end of the file; what was never closed (a quote, a
        # bracket) opened at the context mark, which is the place to look
        where, problem = f" at {_at(start)}", f"{context}, {problem} at {_at(mark)}"
    return CassetteFormatError(
        f"the cassette is not valid YAML{where}: {problem}", path=path, fix=fix
    )
