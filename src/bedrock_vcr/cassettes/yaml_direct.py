"""Writing the YAML text of a usual cassette item directly, without building nodes.

A recorded interaction is block mappings and lists of short text, numbers, a few quoted values
and literal blocks (a prompt, a stream's lines). For such an item, :func:`item_text` writes the
very text PyYAML's pure-Python dumper writes (the reference of :mod:`.yaml_emit`), long plain
and single-quoted text folded where that dumper folds it. Anything else (text that would be
double-quoted or quoted across lines, an empty container, a ``|+`` block, a type other than the
plain ones) gives ``None``, and the item goes to the emitter. Building nodes and emitting them
with libyaml costs about four times as much, mostly in calls back into Python for each scalar.
``tests/cassettes/test_yaml_direct.py`` compares the two on generated documents.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from ..errors import BedrockVCRError
from .stream_text import StreamText

#: The emitter's line width and indent (``yaml_emit``'s options).
WIDTH = 100
_INDENT = 2
TAG_STR = "tag:yaml.org,2002:str"
TAG_INT = "tag:yaml.org,2002:int"
TAG_FLOAT = "tag:yaml.org,2002:float"
TAG_BOOL = "tag:yaml.org,2002:bool"
TAG_NULL = "tag:yaml.org,2002:null"


class _Other(BedrockVCRError):
    """Something this writer leaves to the emitter."""


#: Text written as it is in every style but double quotes (with ``allow_unicode``): printable,
#: no line break of YAML's own, no BOM.
_TEXT = re.compile(
    "[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010fffe]*"
)
#: The same with line feeds (the text of a literal block, or of a whole file).
BLOCK_TEXT = re.compile(
    "[\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010fffe]*"
)
#: First characters that are indicators, or a space.
_LEADING = frozenset("#,[]{}&*!|>'\"%@` ")
_SPACES = re.compile(" +")


def _text_ok(value: str) -> bool:
    return (value.isascii() and value.isprintable()) or _TEXT.fullmatch(value) is not None


def plain_ok(value: str) -> bool:
    """Whether the emitter may write ``value`` (not empty) plain in a block (resolution aside)."""
    first = value[0]
    if first in _LEADING or value[-1] in " :" or not _text_ok(value):
        return False
    if first in "?:-" and (len(value) == 1 or value[1] == " "):
        return False
    return not value.startswith(("---", "...")) and ": " not in value and " #" not in value


#: Tags the resolver gave short text, by text (the same few values recur in every interaction).
_TAGS: dict[str, str] = {}
#: The dumper whose resolver decides (``yaml_emit``'s reference dumper sets itself here).
resolver: Any = yaml.SafeDumper


def _tag(value: str) -> str:
    """The tag the dumper's resolver gives ``value`` (not empty) written plain."""
    found = _TAGS.get(value)
    if found is not None:
        return found
    table = resolver.yaml_implicit_resolvers
    if resolver.yaml_path_resolvers:
        raise _Other
    tag = TAG_STR
    for candidate, pattern in table.get(value[0], []) + table.get(None, []):
        if pattern.match(value):
            tag = candidate
            break
    if len(value) <= 40:
        if len(_TAGS) >= 4096:
            _TAGS.clear()
        _TAGS[value] = tag
    return tag


def _folded(text: str, column: int, indent: int, quoted: bool) -> str:
    """``text`` as the emitter writes it from ``column``: each single space met past the width
    becomes a line break and ``indent`` (never the first or last of single-quoted text)."""
    if column + len(text) <= WIDTH or " " not in text:
        return text
    out = []
    pos = 0
    for run in _SPACES.finditer(text):
        start, end = run.span()
        out.append(text[pos:start])
        column += start - pos
        if (
            end - start == 1
            and column > WIDTH
            and not (quoted and (start == 0 or end == len(text)))
        ):
            out.append("\n" + " " * indent)
            column = indent
        else:
            out.append(text[start:end])
            column += end - start
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _literal(value: str, indent: int) -> str:
    """A literal block (after its key), or :class:`_Other` when the emitter writes it so."""
    if not value or value[-1] == " " or " \n" in value:  # the emitter double-quotes these
        raise _Other
    if value.isascii():
        if not value.replace("\n", "").isprintable():
            raise _Other
    elif BLOCK_TEXT.fullmatch(value) is None:
        raise _Other
    hints = "2" if value[0] in " \n" else ""
    if not value.endswith("\n"):
        hints += "-"
    elif len(value) == 1 or value[-2] == "\n":
        hints += "+"  # kept breaks: see item_text
    lines = value.split("\n")
    if value.endswith("\n"):
        lines.pop()
    pad = " " * indent
    return f" |{hints}\n" + "".join(f"{pad}{line}\n" if line else "\n" for line in lines)


def _scalar(value: Any, column: int, indent: int) -> str:
    """A scalar written after a key or a dash ending at ``column``: its text from the space
    before it, through its line break."""
    kind = type(value)
    if kind is str:
        if len(value) > 36 or column > 60:
            return _text(value, column, indent)
        found = _SHORT.get(value)
        if found is None:
            found = _text(value, column, indent)
            # what ends by column 100 from any column up to 60 is never folded: the same
            # few short values recur in every interaction
            if len(found) <= 40:
                if len(_SHORT) >= 4096:
                    _SHORT.clear()
                _SHORT[value] = found
        return found
    if kind is StreamText:
        return _literal(value, indent)  # the style yaml_emit's presenters ask for
    if kind is bool:
        return " true\n" if value else " false\n"
    if value is None:
        return " null\n"
    if kind is int:
        text = str(value)
        if _tag(text) != TAG_INT:
            raise _Other
        return f" {text}\n"
    if kind is float and math.isfinite(value):
        text = repr(value).lower()
        if "." not in text and "e" in text:
            text = text.replace("e", ".0e", 1)
        if _tag(text) != TAG_FLOAT:
            raise _Other
        return f" {text}\n"
    raise _Other


#: What :func:`_scalar` wrote for short text, by the text.
_SHORT: dict[str, str] = {}


def _text(value: str, column: int, indent: int) -> str:
    if "\n" in value and len(value) > 60:
        return _literal(value, indent)  # the style yaml_emit's presenters ask for
    if not value:
        raise _Other
    if _tag(value) == TAG_STR and plain_ok(value):
        return " " + _folded(value, column + 1, indent, False) + "\n"
    if "\n" in value or not _text_ok(value):
        raise _Other
    return " '" + _folded(value.replace("'", "''"), column + 2, indent, True) + "'\n"


def _key(key: Any) -> str:
    if type(key) is not str:
        raise _Other
    if key in _KEYS:
        return key
    if not key or len(key) > 100 or not plain_ok(key) or _tag(key) != TAG_STR:
        raise _Other
    if len(_KEYS) >= 4096:
        _KEYS.clear()
    _KEYS.add(key)
    return key


#: Keys :func:`_key` found plain (the same few recur in every interaction).
_KEYS: set[str] = set()


def _mapping(value: dict[str, Any], indent: int, out: list[str], inline: bool) -> None:
    """Write a mapping's keys at ``indent`` (the first one after a dash when ``inline``)."""
    pad = " " * indent
    for key, item in value.items():
        name = _key(key)
        out.append(f"{name}:" if inline else f"{pad}{name}:")
        inline = False
        kind = type(item)
        if (kind is dict or kind is list) and not item:
            out.append(" {}\n" if kind is dict else " []\n")  # empty: in flow style
        elif kind is dict:
            out.append("\n")
            _mapping(item, indent + _INDENT, out, False)
        elif kind is list:
            out.append("\n")
            _sequence(item, indent, out)  # indentless, as the emitter writes one in a mapping
        else:
            out.append(_scalar(item, indent + len(name) + 1, indent + _INDENT))


def _sequence(value: list[Any], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for item in value:
        out.append(f"{pad}- ")
        kind = type(item)
        if kind is dict and item:
            _mapping(item, indent + _INDENT, out, True)
        elif (kind is dict or kind is list) and not item:
            out.append("{}\n" if kind is dict else "[]\n")
        elif kind is list or kind is StreamText or (kind is str and "\n" in item):
            raise _Other  # nested lists, blocks in a list: the emitter's
        else:
            out.append(_scalar(item, indent + 1, indent + _INDENT)[1:])


def item_text(item: Any) -> str | None:
    """The document ``[item]`` as the reference dumper writes it (``- request: ...``), or
    ``None`` when it is left to the emitter.

    It ends with ``...`` when its last scalar is a block that keeps its final line breaks
    (``|+``), as the reference's does; written before another item, that line goes.
    """
    if type(item) is not dict or not item:
        return None
    out: list[str] = []
    try:
        _sequence([item], 0, out)
    except _Other:
        return None
    if out[-1].startswith((" |+\n", " |2+\n")):
        out.append("...\n")
    return "".join(out)
