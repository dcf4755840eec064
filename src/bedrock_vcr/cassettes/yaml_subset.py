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


#: What the loader makes of a value written on one line, by its text: plain text as the
#: resolver reads it, and a single-quoted text (which no plain text starts with) unquoted.
_VALUES: dict[str, Any] = {}
#: Longest text kept in :data:`_VALUES` (a model's path is about 60 characters).
_REMEMBERED = 100
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
    _remember(text, value)
    return value


def _remember(text: str, value: Any) -> None:
    if len(text) <= _REMEMBERED:
        if len(_VALUES) >= 4096:
            _VALUES.clear()
        _VALUES[text] = value


#: Printable ASCII and line breaks: what an ASCII file's text may hold (anything else, a
#: carriage return or a tab, goes to the loader).
_ASCII_KEPT = bytes(range(0x20, 0x7F)) + b"\n"
#: Characters of an ASCII file tested at once (a copy of the whole text would add its size to
#: a large parse's peak).
_PIECE = 1 << 20
#: Per indent: the first line break of a literal block's lines (at that indent, or empty) that
#: ends it.
_BLOCK_ENDS: dict[int, re.Pattern[str]] = {}


def _printable_ascii(text: str) -> bool:
    return not any(
        text[at : at + _PIECE].encode("ascii").translate(None, _ASCII_KEPT)
        for at in range(0, len(text), _PIECE)
    )


def _block_end(indent: int) -> re.Pattern[str]:
    found = _BLOCK_ENDS.get(indent)
    if found is None:
        found = _BLOCK_ENDS[indent] = re.compile(f"\n(?! {{{indent}}}|\n)")
    return found


class _Reader:
    """The text read a line at a time by offsets: no list of its lines is built (a large
    cassette's are half a million), and a literal block is cut out whole."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.line: str | None = None  # the line at ``pos`` (``None`` past the end)
        self.pos = 0
        self.after = 0  # where the next line starts
        self._load(0)

    def _load(self, pos: int) -> None:
        self.pos = pos
        text = self.text
        if pos >= len(text):
            self.line = None  # (a last line break ends the last line, not an empty one)
            return
        end = text.find("\n", pos)
        if end < 0:
            end = len(text)
        self.line = text[pos:end]
        self.after = end + 1

    def _next(self) -> None:
        self._load(self.after)

    def _deeper(self, indent: int) -> bool:
        """Whether the next line is indented more than ``indent`` (and holds text)."""
        line = self.line
        if line is None:
            return False
        return (
            line[indent : indent + 1] == " "
            and line.startswith(" " * indent)
            and bool(line.strip(" "))
        )

    def _at(self, indent: int) -> str | None:
        """The next line's text after exactly ``indent`` spaces, or ``None``."""
        line = self.line
        if line is None or (indent and not line.startswith(" " * indent)):
            return None
        body = line[indent:]
        return body if body[:1] not in ("", " ") else None

    def mapping(self, indent: int, depth: int) -> dict[str, Any]:
        if depth > _DEPTH:
            raise _Unsure
        out: dict[str, Any] = {}
        pad, deeper, text = " " * indent, " " * (indent + 1), self.text
        while (line := self.line) is not None:
            body = line[indent:]
            if line[:indent] != pad or not body:
                break  # the mapping ends
            first = body[0]
            if first in " -#" and (first != "-" or body.startswith("- ") or body == "-"):
                break  # a deeper line (refused below), the end of a list's item, a comment
            cut = body.find(": ")
            if cut < 0 and body[-1] != ":":
                raise _Unsure
            key = body[:cut] if cut >= 0 else body[:-1]
            if key not in _KEYS:
                _check_key(key)
            # the next line (as _next, written out: this is the loop of every key)
            self.pos = at = self.after
            if at < len(text):
                end = text.find("\n", at)
                self.after = (end if end >= 0 else len(text)) + 1
                self.line = text[at : self.after - 1]
            else:
                self.line = None
            if cut < 0:
                out[key] = self.nested(indent, depth)
                continue
            written = body[cut + 2 :]
            value = _VALUES.get(written, _MISSING)  # plain text read before, not continued
            if value is _MISSING or (self.line is not None and self.line.startswith(deeper)):
                value = self.scalar(written, indent, True)
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
                self.line = " " * (indent + 2) + rest
                out.append(self.mapping(indent + 2, depth + 1))
            else:
                self._next()
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
            self._next()
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
                value = inner[:-1].replace("''", "'")
                if len(parts) == 1:
                    _remember(text, value)  # read on one line: the next time, by its text
                return value
            found = self._at(indent + 2)
            if found is None or found.startswith("#"):
                raise _Unsure
            text = found
            self._next()

    def literal(self, head: str, indent: int) -> str:
        """The block whose lines (indented ``indent + 2``, or empty) start at the next line,
        cut out of the text in one piece."""
        text, start = self.text, self.pos
        if self.line is None:
            raise _Unsure  # no text
        found = _block_end(indent + 2).search(text, start - 1)
        # (the file's last line break is one too: a block at the end is found as well)
        end = found.start() if found is not None else len(text)
        self._load(end + 1)
        if self._deeper(indent) or (self.line is not None and not self.line.strip(" ")):
            raise _Unsure  # less indented than the block but more than its key, or spaces
        # every line holds the indent or nothing: dropped after each line break
        lines = text[start - 1 : end].replace("\n" + " " * (indent + 2), "\n")[1:]
        block = lines.rstrip("\n")
        kept = len(lines) - len(block)  # the empty lines after the last one
        if not block or " \n" in block or block.endswith(" "):
            raise _Unsure  # no text, or a line ending in a space (which might be all spaces)
        first = len(block) - len(block.lstrip("\n"))
        if block[first] == " " and not _BLOCK_HEADS[head]:
            raise _Unsure  # the loader would take the deeper indent
        if head.endswith("-") or found is None:
            return block  # (no line break after the file's last line: none to keep)
        return block + "\n" * (kept + 1 if head.endswith("+") else 1)


def read(text: str) -> Any:
    """The document of ``text`` as the YAML loader reads it, or ``None`` when this reader is
    not sure it reads it the same way."""
    is_ascii = text.isascii()
    if not is_ascii and BLOCK_TEXT.fullmatch(text) is None:
        return None
    if is_ascii and not _printable_ascii(text):
        return None
    reader = _Reader(text)
    while reader.line is not None and reader.line.startswith("#"):
        reader._next()  # the header's comment
    try:
        doc = reader.mapping(0, 0)
    except (_Unsure, RecursionError):
        return None
    rest = text[reader.pos :] if reader.line is not None else ""
    if not doc or rest not in ("", "...", "...\n"):
        return None
    return doc
