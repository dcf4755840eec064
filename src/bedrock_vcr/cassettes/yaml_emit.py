"""Writing a cassette document's text: byte for byte what PyYAML's pure-Python dumper writes,
most of it emitted by libyaml.

The pure-Python dumper is the reference for a cassette's text; libyaml writes the same text
several times faster but for a few corner cases (:func:`_emit_item`), which go to the reference.
Kept apart from :mod:`.yaml_format`, which turns interactions into the document, because this is
only about YAML's text.
"""

from __future__ import annotations

import io
import re
from typing import Any

import yaml

from . import fast_nodes, stream_text, yaml_direct


class _Dumper(yaml.SafeDumper):
    """PyYAML's pure-Python dumper: the reference for what a cassette's text is."""


yaml_direct.resolver = _Dumper


#: libyaml's dumper when PyYAML was built with it (about 3x faster); see :func:`document`.
_CBase: Any = getattr(yaml, "CSafeDumper", None)
_HAVE_LIBYAML = _CBase is not None


class _FastDumper(_CBase or yaml.SafeDumper):  # type: ignore[misc]
    """libyaml's emitter with the same representers as :class:`_Dumper`."""


#: Unicode line breaks that YAML folds or normalises unless they are escaped (double quotes).
_YAML_ONLY_BREAKS = ("\x85", "\u2028", "\u2029")


def _str_style(value: str) -> str | None:
    style: str | None = "|" if "\n" in value and len(value) > 60 else None
    if any(ch in value for ch in _YAML_ONLY_BREAKS):
        style = '"'
    return style


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=_str_style(value))


#: What can make PyYAML write a string double-quoted (a character it escapes, a line break of
#: YAML's own, a space beside a line break): libyaml folds long double-quoted lines elsewhere, so
#: an item holding such a string is left to PyYAML.
_MAYBE_DOUBLE = re.compile(
    "[^\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\ufeff\u2028\u2029]| \n|\n |\\\\U"
)
_STR = "tag:yaml.org,2002:str"


def _fast_str_presenter(dumper: Any, value: str) -> yaml.Node:
    # printable ASCII without a line break (most text) cannot match, without the pattern
    plain = value.isascii() and value.isprintable() and "\\U" not in value
    if not plain and _MAYBE_DOUBLE.search(value) is not None:
        dumper.needs_reference = True
        return dumper.represent_scalar(_STR, value, style=_str_style(value))
    if "\n" in value and len(value) > 60:
        if value.endswith(" "):  # no block: PyYAML double-quotes it
            dumper.needs_reference = True
        return yaml.ScalarNode(_STR, value, style="|")
    return yaml.ScalarNode(_STR, value)


def _lines_presenter(dumper: Any, value: str) -> yaml.Node:
    return yaml.ScalarNode(_STR, str(value), style="|")


_Dumper.add_representer(str, _str_presenter)
_FastDumper.add_representer(str, _fast_str_presenter)
for _dumper in (_Dumper, _FastDumper):
    _dumper.add_representer(stream_text.StreamText, _lines_presenter)
fast_nodes.install(_FastDumper, _fast_str_presenter)

HEADER = "# bedrock-vcr cassette (format described in README.md, section 'Cassette format')\n"
_OPTIONS: dict[str, Any] = {"sort_keys": False, "allow_unicode": True, "width": 100}
#: What ends a document the emitter marked open-ended (after a ``|+`` block scalar).
_DOC_END = "\n...\n"


def _emit(doc: Any, dumper: Any) -> str:
    return yaml.dump(doc, Dumper=dumper, **_OPTIONS)


def _emit_item(item: dict[str, Any]) -> str:
    """One interaction as the lines of an item of the ``interactions`` list, exactly as the
    pure-Python emitter writes them there.

    libyaml writes the same text but for two things, both handled here: it escapes characters
    beyond U+FFFF (an emoji) in double quotes where PyYAML writes them as they are, so text
    holding ``\\U`` is emitted again by PyYAML (rarely needed; a false alarm costs only time);
    and it ends a document with ``...`` once any ``|+`` block was written, PyYAML only when the
    last scalar was one, which is stripped (the next item, or :func:`document`, decides).
    """
    stream = io.StringIO()
    dumper = _FastDumper(stream, **_OPTIONS)
    dumper.needs_reference = False
    dumper.open()
    dumper.represent([item])
    dumper.close()
    text = stream.getvalue()
    if dumper.needs_reference or "\\U" in text:
        text = _emit([item], _Dumper)
    return text[: -len(_DOC_END) + 1] if text.endswith(_DOC_END) else text


def document(version: int, docs: list[dict[str, Any]]) -> str:
    """The text of a cassette document of ``version`` holding the interaction documents
    ``docs``.

    Byte for byte what PyYAML's pure-Python dumper writes for the whole document, but each
    interaction but the last is emitted by libyaml, when PyYAML has it; the last goes through
    PyYAML, which decides whether the document ends with ``...``.
    """
    if len(docs) < 2 or not _HAVE_LIBYAML:
        return HEADER + _emit({"version": version, "interactions": docs}, _Dumper)
    parts = [HEADER, _emit({"version": version}, _Dumper), "interactions:\n"]
    for doc in docs[:-1]:
        text = yaml_direct.item_text(doc)
        if text is None:
            parts.append(_emit_item(doc))
        else:  # the next item's dash closes a "|+" block: no "..."
            parts.append(text[: -len(_DOC_END) + 1] if text.endswith(_DOC_END) else text)
    text = yaml_direct.item_text(docs[-1])
    parts.append(_emit([docs[-1]], _Dumper) if text is None else text)
    return "".join(parts)
