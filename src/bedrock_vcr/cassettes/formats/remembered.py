"""Whether a cassette file is another recorder's, remembered so that asking costs no parse.

A cassette in another recorder's format is replayed but never rewritten (that would change its
format and drop what bedrock-vcr does not read), so recording modes ask :func:`file_is_foreign`
before they write. The answer for text just loaded is remembered by the digest of its bytes
(:func:`note_format`), so that question does not parse the file a second time.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from ..._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ...errors import CassetteFormatError
from . import sniff


def is_vcrpy_document(doc: Any) -> bool:
    """vcrpy requests carry ``uri``/``method``; bedrock-vcr requests carry ``operation``."""
    if not isinstance(doc, dict):
        return False
    items = doc.get("interactions") or []
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        return False
    request = items[0].get("request") or {}
    return isinstance(request, dict) and "uri" in request and "operation" not in request


#: Whether the texts parsed last were other recorders' cassettes, by the digest of their UTF-8
#: bytes (decompressed, for a gzipped file).
_SNIFFED: OrderedDict[bytes, bool] = OrderedDict()
_SNIFFED_SIZE = 64
_sniffed_lock = threading.Lock()


def _digest(data: bytes) -> bytes:
    # the parsed-cassette cache's digest: a load that computed it for the file need not hash
    # the text again
    return hashlib.sha256(data).digest()


#: Characters of text encoded at a time for its digest.
_PIECE = 1 << 16


def _text_digest(text: str) -> bytes:
    """:func:`_digest` of the UTF-8 bytes of ``text``, encoded a piece at a time: a large
    cassette's bytes whole would add its size to the peak memory of its load."""
    if len(text) <= _PIECE:
        return _digest(text.encode("utf-8", "surrogatepass"))
    h = hashlib.sha256()
    for start in range(0, len(text), _PIECE):
        h.update(text[start : start + _PIECE].encode("utf-8", "surrogatepass"))
    return h.digest()


def remember(text: str, foreign: bool, digest: bytes | None = None) -> bool:
    """Note whether ``text`` (whose :func:`_digest` may be given) is another recorder's
    cassette; returns ``foreign``."""
    key = digest if digest is not None else _text_digest(text)
    with _sniffed_lock:
        _SNIFFED[key] = foreign
        _SNIFFED.move_to_end(key)
        while len(_SNIFFED) > _SNIFFED_SIZE:
            _SNIFFED.popitem(last=False)
    return foreign


def note_format(text: str, doc: Any, was_json: bool = False) -> bool:
    """Whether ``doc``, parsed from ``text``, is another recorder's cassette (remembered)."""
    found = sniff.detect(doc, was_json)
    return remember(text, found is not None and found != sniff.BEDROCK_VCR)


def file_is_foreign(path: Path) -> bool:
    """Whether ``path`` holds a cassette of another recorder (vcrpy, nock, ...) rather than a
    bedrock-vcr one.

    A file whose very text was parsed already (:func:`note_format`) is not parsed again;
    another is parsed once (see ``yaml_format.parse``).
    """
    try:
        data = path.read_bytes()
        if sniff.is_gzip(data):
            data = sniff.gunzip(data, path)
        with _sniffed_lock:
            known = _SNIFFED.get(_digest(data))
        if known is not None:
            return known
        text = data.decode("utf-8")
        from .. import yaml_format  # a saved cassette is read without libyaml's nodes

        doc, was_json = sniff.parse(text, path, yaml_format.parse)
        return note_format(text, doc, was_json)
    except (OSError, UnicodeDecodeError, CassetteFormatError):
        return False
