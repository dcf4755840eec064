"""Reading the YAML bedrock-vcr writes, line by line, without libyaml's node tree.

A saved cassette is block mappings, lists written under their key, plain and single-quoted text
(folded past the width), numbers and literal blocks (:mod:`.yaml_direct` writes them). libyaml
builds a node with two position marks for every value before it is turned into Python, which is
most of the cost of a first parse; :func:`read` reads such a file's lines directly and gives the
value the YAML loader would. Anything it is not sure of (double quotes, flow collections, tags,
anchors, comments past the header, tabs, an unusual indent, text a resolver reads as a date or
YAML 1.1's ``yes``) gives ``None``, and the file goes to the loader, which also reports every
error. ``tests/cassettes/test_yaml_subset.py`` compares the two on written and damaged files.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from ..errors import BedrockVCRError
from .yaml_direct import BLOCK_TEXT, TAG_BOOL, TAG_FLOAT, TAG_INT, TAG_NULL, TAG_STR, plain_ok

#: Number forms read here (YAML 1.1 knows more: octal, hexadecimal, sexagesimal, ``_``), and
#: not too long for Python to convert (the loader reports those).
_INT_TEXT = re.compile(r"-?(?:0|[1-9][0-9]{0,40})")
_FLOAT_TEXT = re.compile(r"-?(?:0|[1-9][0-9]{0,40})\.[0-9]{1,40}(?:e[-+][0-9]{1,3})?")
_CONSTANTS: dict[str, Any] = {"true": True, "false": False, "null": None, "~": None}
_BLOCK_HEADS = {"|": "", "|-": "", "|+": "", "|2": "2", "|2-": "2", "|2+": "2"}
#: Nesting read here (deeper files go to the loader).
_DEPTH = 64
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Unsure(BedrockVCRError):
    """Something the loader reads (or refuses) better."""


#: What the loader's resolver makes of plain text, by text.
_VALUES: dict[str, Any] = {}
_MISSING = object()
#: Keys read before (the same few recur in every interaction).
_KEYS: set[str] = set()


def _check_key(key: str) -> None:
    if not key or key[-1] == ":" or len(key) > 100 or not plain_ok(key):
        raise _Unsure
    if type(_plain(key)) is not str:
        raise _Unsure
    if len(_KEYS) >= 4096:
        _KEYS.clear()
    _KEYS.add(key)


def _plain(text: str) -> Any:
    """The value the loader gives plain ``text`` (one line, :func:`plain_ok`)."""
    try:
        return _VALUES[text]
    except KeyError:
        pass
    table = _Loader.yaml_implicit_resolvers
    tag = TAG_STR
    for candidate, pattern in table.get(text[0], []) + table.get(None, []):
        if pattern.match(text):
            tag = candidate
            break
    value: Any = text
    if tag == TAG_INT and _INT_TEXT.fullmatch(text):
        value = int(text)
    elif tag == TAG_FLOAT and _FLOAT_TEXT.fullmatch(text):
        value = float(text)
    elif tag in (TAG_BOOL, TAG_NULL) and text in _CONSTANTS:
        value = _CONSTANTS[text]
    elif tag != TAG_STR:
        raise _Unsure
    if len(text) <= 40:
        if len(_VALUES) >= 4096:
            _VALUES.clear()
        _VALUES[text] = value
    return value


def _spent(count: int) -> list[str]:
    """What replaces lines once read, which are never read again: a large cassette's lines
    are freed as its values are built rather than all held to the end (peak memory)."""
    return [""] * count


class _Reader:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.pos = 0

    def _deeper(self, indent: int) -> bool:
        """Whether the next line is indented more than ``indent`` (and holds text)."""
        if self.pos >= len(self.lines):
            return False
        line = self.lines[self.pos]
        return (
            line[indent : indent + 1] == " "
            and line.startswith(" " * indent)
            and bool(line.strip(" "))
        )

    def _at(self, indent: int) -> str | None:
        """The next line's text after exactly ``indent`` spaces, or ``None``."""
        if self.pos >= len(self.lines):
            return None
        line = self.lines[self.pos]
        if indent and not line.startswith(" " * indent):
            return None
        body = line[indent:]
        return body if body[:1] not in ("", " ") else None

    def mapping(self, indent: int, depth: int) -> dict[str, Any]:
        if depth > _DEPTH:
            raise _Unsure
        out: dict[str, Any] = {}
        lines, pad, deeper = self.lines, " " * indent, " " * (indent + 1)
        while self.pos < len(lines):
            line = lines[self.pos]
            if not line.startswith(pad) or line.startswith(deeper):
                break  # the mapping ends (or a deeper line, refused below)
            body = line[indent:]
            if not body or (body[0] in "-#" and (body.startswith(("- ", "#")) or body == "-")):
                break  # the end of an item of the list this mapping is in, or a comment
            cut = body.find(": ")
            if cut < 0 and body[-1] != ":":
                raise _Unsure
            key = body[:cut] if cut >= 0 else body[:-1]
            if key not in _KEYS:
                _check_key(key)
            lines[self.pos] = ""  # read (see _spent)
            self.pos += 1
            if cut < 0:
                out[key] = self.nested(indent, depth)
                continue
            text = body[cut + 2 :]
            value = _VALUES.get(text, _MISSING)  # plain text read before, not continued
            if value is _MISSING or (self.pos < len(lines) and lines[self.pos].startswith(deeper)):
                value = self.scalar(text, indent, True)
            out[key] = value
        if self._deeper(indent):
            raise _Unsure  # a line indented more than the mapping's keys
        return out

    def nested(self, indent: int, depth: int) -> Any:
        """The collection under a key at ``indent`` whose line holds nothing after it."""
        body = self._at(indent)
        if body is not None and body.startswith("- "):
            return self.sequence(indent, depth + 1)
        if self._at(indent + 2) is not None:
            return self.mapping(indent + 2, depth + 1)
        raise _Unsure  # an empty value (null), or an unusual indent

    def sequence(self, indent: int, depth: int) -> list[Any]:
        out: list[Any] = []
        while (body := self._at(indent)) is not None and body.startswith("- "):
            rest = body[2:]
            if not rest or rest[0] in " -#":
                raise _Unsure  # nested lists, comments, odd spacing
            if rest[0] != "'" and (": " in rest or rest.endswith(":")):
                # a mapping: its first key is on the dash's line, the others under it
                self.lines[self.pos] = " " * (indent + 2) + rest
                out.append(self.mapping(indent + 2, depth + 1))
            else:
                self.pos += 1
                out.append(self.scalar(rest, indent, False))
        return out

    def scalar(self, text: str, indent: int, blocks: bool) -> Any:
        """The value written ``text`` after its key or dash at ``indent`` (and on the lines
        after it, at ``indent + 2``)."""
        if text == "{}":
            return {}
        if text == "[]":
            return []
        if text in _BLOCK_HEADS and blocks:
            return self.literal(text, indent)
        if text[:1] == "'":
            return self.quoted(text, indent)
        if not text or not plain_ok(text):
            raise _Unsure
        parts = [text]
        while self._deeper(indent):  # folded: the lines that continue it
            part = self._at(indent + 2)
            if part is None or not plain_ok(part):
                raise _Unsure
            parts.append(part)
            self.pos += 1
        return _plain(" ".join(parts))

    def quoted(self, text: str, indent: int) -> str:
        parts = []
        while True:
            if text.endswith(" "):
                raise _Unsure  # YAML drops the spaces before a fold
            parts.append(text)
            joined = " ".join(parts)
            inner = joined[1:]
            # the closing quote is the one not doubled; it must end the line
            stripped = inner.replace("''", "")
            if "'" in stripped:
                if not stripped.endswith("'") or stripped.count("'") != 1:
                    raise _Unsure
                return inner[:-1].replace("''", "'")
            found = self._at(indent + 2)
            if found is None or found.startswith("#"):
                raise _Unsure
            text = found
            self.pos += 1

    def literal(self, head: str, indent: int) -> str:
        start = self.pos
        pad = " " * (indent + 2)
        lines = self.lines
        while self.pos < len(lines) and (not lines[self.pos] or lines[self.pos].startswith(pad)):
            self.pos += 1
        block = [line[indent + 2 :] for line in lines[start : self.pos]]
        lines[start : self.pos] = _spent(self.pos - start)
        if self._deeper(indent) or (self.pos < len(lines) and not lines[self.pos].strip(" ")):
            raise _Unsure  # less indented than the block but more than its key, or spaces
        while block and not block[-1]:
            block.pop()
        kept = self.pos - start - len(block)  # the empty lines after the last one
        text = "\n".join(block)
        if not block or " \n" in text or text.endswith(" "):
            raise _Unsure  # no text, or a line ending in a space (which might be all spaces)
        first = next(line for line in block if line)
        if first[0] == " " and not _BLOCK_HEADS[head]:
            raise _Unsure  # the loader would take the deeper indent
        if head.endswith("-"):
            return text
        return text + "\n" * (kept + 1 if head.endswith("+") else 1)


def read(text: str) -> Any:
    """The document of ``text`` as the YAML loader reads it, or ``None`` when this reader is
    not sure it reads it the same way."""
    is_ascii = text.isascii()
    if not is_ascii and BLOCK_TEXT.fullmatch(text) is None:
        return None
    lines = text.split("\n")
    # printable ASCII, line by line: a copy of the text without its line breaks would add its
    # size to a large parse's peak
    if is_ascii and not all(map(str.isprintable, lines)):
        return None
    if lines[-1] == "":
        lines.pop()
    reader = _Reader(lines)
    while reader.pos < len(lines) and lines[reader.pos].startswith("#"):
        reader.pos += 1  # the header's comment
    try:
        doc = reader.mapping(0, 0)
    except (_Unsure, RecursionError):
        return None
    rest = lines[reader.pos :]
    if not doc or (rest and rest != ["..."]):
        return None
    return doc
