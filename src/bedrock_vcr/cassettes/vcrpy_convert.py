"""The engine of ``bedrock-vcr import``: read a vcrpy file, write it in bedrock-vcr's format.

The file is read leniently: the safe loader of :mod:`.safe_yaml` (no anchors or aliases, bounded
nesting) extended only with the few harmless Python tags that older vcrpy versions wrote (see
:class:`VcrpyLoader`), so vcrpy itself is not needed. The
interactions come from :mod:`.vcrpy`, the text from :mod:`.yaml_format`, and the write goes
through :mod:`.storage` (atomic, and refused when it holds a credential, like a recording).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..errors import CassetteError, CassetteFormatError
from . import safe_yaml, secret_scan, storage, yaml_format
from .formats import convert, sniff
from .redaction import KnownSecrets
from .vcrpy import (
    FIX,
    ImportedInteraction,
    SkippedInteraction,
    VcrpyImport,
    read_vcrpy,
)

# --- reading the YAML ------------------------------------------------------------------------


class VcrpyLoader(safe_yaml.FastLoader):
    """The safe loader (libyaml's when available) plus the inert Python tags found in older vcrpy
    cassettes.

    ``!!python/unicode`` and ``!!python/str`` become ``str``, ``!!python/tuple`` a ``tuple``,
    and a request body pickled as ``_io.BytesIO`` or ``builtins.iter`` becomes its bytes. No
    other Python tag is accepted, and none of these constructs an arbitrary object. Anchors and
    aliases are refused before anything is built (see :mod:`.safe_yaml`).
    """


class _ExplainingVcrpyLoader(safe_yaml.ExplainingLoader):
    """The same tags on PyYAML's pure-Python loader, whose syntax errors say more."""


def _scalar_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


def _sequence_tuple(loader: yaml.SafeLoader, node: yaml.Node) -> tuple[Any, ...]:
    return tuple(loader.construct_sequence(node))  # type: ignore[arg-type]


def _pickled_body(loader: yaml.SafeLoader, node: yaml.Node) -> bytes:
    """The content of a body pickled as ``BytesIO`` (``state``) or ``iter`` (``args``)."""
    if not isinstance(node, yaml.MappingNode):
        raise ConstructorError(
            None, None, "a pickled request body must be a mapping", node.start_mark
        )
    mapping = loader.construct_mapping(node, deep=True)
    for key in ("state", "args"):
        values = mapping.get(key)
        if values:
            if not isinstance(values, (list, tuple)):
                raise ConstructorError(
                    None, None, f"the pickled body's {key} must be a list", node.start_mark
                )
            return _join_pieces(values[0])
    return b""


def _join_pieces(value: Any) -> bytes:
    """The bytes of a body kept as text, bytes or a (flat) list of them."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (list, tuple)):
        return b"".join(_join_pieces(v) for v in value if not isinstance(v, (list, tuple)))
    return b""


for _loader in (VcrpyLoader, _ExplainingVcrpyLoader):
    _loader.add_constructor("tag:yaml.org,2002:python/unicode", _scalar_text)
    _loader.add_constructor("tag:yaml.org,2002:python/str", _scalar_text)
    _loader.add_constructor("tag:yaml.org,2002:python/tuple", _sequence_tuple)
    _loader.add_constructor("tag:yaml.org,2002:python/object/new:_io.BytesIO", _pickled_body)
    _loader.add_constructor("tag:yaml.org,2002:python/object/apply:builtins.iter", _pickled_body)


def load_document(text: str, path: Path | str | None = None) -> Any:
    """Parse cassette text with :class:`VcrpyLoader`; YAML errors, anchors and aliases name the
    line and column."""
    return safe_yaml.load(
        text,
        path,
        loader=VcrpyLoader,
        explainer=_ExplainingVcrpyLoader,
        fix="restore the file from version control",
    )


@dataclass(frozen=True)
class ImportReport:
    """What :func:`convert_file` did, for the ``bedrock-vcr import`` command to print."""

    source: Path
    destination: Path
    imported: tuple[ImportedInteraction, ...]
    skipped: tuple[SkippedInteraction, ...]
    dropped_request_headers: tuple[str, ...]
    dropped_response_headers: tuple[str, ...]

    @property
    def converted(self) -> int:
        return len(self.imported)

    def summary(self) -> str:
        total = len(self.imported) + len(self.skipped)
        lines = [
            f"converted {len(self.imported)} of {total} interaction(s) from {self.source} "
            f"to {self.destination}"
        ]
        lines += [f"  {item.describe()}" for item in self.imported]
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)} interaction(s):")
            lines += [f"  {item.describe()}" for item in self.skipped]
        if self.dropped_request_headers:
            lines.append("request headers not kept: " + ", ".join(self.dropped_request_headers))
        if self.dropped_response_headers:
            lines.append("response headers not kept: " + ", ".join(self.dropped_response_headers))
        return "\n".join(lines)


# --- files -------------------------------------------------------------------------------------


def read_file(path: Path) -> VcrpyImport:
    """Read another recorder's cassette file (vcrpy's, or a format of :mod:`.formats`; plain or
    gzip-compressed) into a :class:`VcrpyImport`; errors name the format seen."""
    try:
        text = storage.read_text(path)  # UTF-8, and of a size bedrock-vcr reads
    except FileNotFoundError:
        raise CassetteError(
            "the vcrpy cassette does not exist", path=path, fix="check the path"
        ) from None
    value, was_json = sniff.parse(text, path, load_document)
    kind = sniff.detect(value, was_json)
    if kind is None or kind == sniff.BEDROCK_VCR:
        ours = kind is not None and any(
            isinstance(i, dict)
            and isinstance(i.get("request"), dict)
            and "operation" in i["request"]
            for i in value["interactions"] or []
        )
        raise CassetteFormatError(
            "the file is already a bedrock-vcr cassette"
            if ours
            else "the file is not a vcrpy cassette, nor another recorder's file bedrock-vcr "
            "reads (no interactions with a request 'uri'): it is "
            + sniff.describe(value, was_json),
            path=path,
            fix="pass a cassette written by vcrpy, pytest-recording or another recorder listed in "
            "README section 'Other recorders' files'",
        )
    with sniff.naming(sniff.shown_name(kind, path), path):
        doc, fix = convert.as_vcrpy(value, kind, FIX)
        return read_vcrpy(doc, path, fix)


def convert_file(src: Path | str, dest: Path | str, *, overwrite: bool = False) -> ImportReport:
    """Write the Bedrock Runtime interactions of vcrpy cassette ``src`` to ``dest``.

    ``src`` is only read. ``dest`` is written atomically, and only when at least one
    interaction was converted; an existing ``dest`` is replaced only with ``overwrite=True``.
    The converted cassette goes through the same credential check as a recording.
    """
    src, dest = Path(src), Path(dest)
    if dest.resolve() == src.resolve():
        raise CassetteError(
            "refusing to convert a cassette onto itself; the vcrpy file is left unchanged",
            path=src,
            fix="give a different destination path",
        )
    if dest.exists() and not overwrite:
        raise CassetteError(
            "the destination already exists; nothing was written",
            path=dest,
            fix="choose another destination, or pass overwrite=True (`--force` on the CLI)",
        )
    result = read_file(src)
    if not result.interactions:
        skipped = "; ".join(s.describe() for s in result.skipped) or "the file is empty"
        raise CassetteFormatError(
            f"no Bedrock Runtime interaction to convert ({skipped}); nothing was written",
            path=src,
            fix="check that the cassette recorded bedrock-runtime calls",
        )
    # every field and each stream's joined text, with the place of each hit (no value is known)
    checked = secret_scan.clean(result.interactions, KnownSecrets(), dest)
    storage.write_atomic(dest, yaml_format.dumps(checked))
    return ImportReport(
        source=src,
        destination=dest,
        imported=tuple(result.imported),
        skipped=tuple(result.skipped),
        dropped_request_headers=tuple(sorted(result.dropped_request_headers)),
        dropped_response_headers=tuple(sorted(result.dropped_response_headers)),
    )
