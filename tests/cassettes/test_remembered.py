"""Whether a file is another recorder's is answered from what its load noted, without a
parse, however large the text (its digest is taken a piece at a time)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bedrock_vcr.cassettes import storage, yaml_format
from bedrock_vcr.cassettes.formats import remembered, sniff

from .samples import plain


@pytest.mark.parametrize("piece", [1, 7, 1 << 20])
def test_a_loaded_file_is_known_without_a_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    monkeypatch.setattr(remembered, "_PIECE", piece)
    monkeypatch.setenv("BEDROCK_VCR_CACHE", "off")
    path = tmp_path / "c.yaml"
    # text past the pieces' edges in UTF-8 of every length
    body = '{"generation": "caf\u00e9 \u20ac \U0001f600 ' + "x" * 40 + '"}'
    path.write_text(yaml_format.dumps([plain(body.encode())]), encoding="utf-8")
    storage._cache.clear()
    storage.load_file(path)

    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(sniff, "parse", no_parse)
    assert remembered.file_is_foreign(path) is False


#: Where the audit hook below notes the opens of one file (hooks cannot be removed: it is
#: added once and does nothing while this is ``None``).
_WATCHED: tuple[str, list[str]] | None = None
_HOOKED = False


def _note_open(event: str, args: tuple[Any, ...]) -> None:
    watched = _WATCHED
    if watched is not None and event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        if os.fsdecode(args[0]) == watched[0]:
            watched[1].append(watched[0])


@contextlib.contextmanager
def _opens_of(path: Path) -> Iterator[list[str]]:
    """The opens of ``path`` while in the block, by any means (the ``open`` audit event is
    raised by ``io.open`` and ``os.open`` alike, however a caller reached them)."""
    global _WATCHED, _HOOKED
    if not _HOOKED:
        sys.addaudithook(_note_open)
        _HOOKED = True
    opened: list[str] = []
    _WATCHED = (str(path), opened)
    try:
        yield opened
    finally:
        _WATCHED = None


@pytest.mark.parametrize("name", ["c.yaml", "c.yaml.gz"])
def test_a_first_load_reads_the_file_once_and_notes_its_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """With the parsed-cassette cache on, a miss reads and hashes the bytes once: the entry and
    the format note share the digest (a gzipped file's note is of its decompressed text)."""
    monkeypatch.delenv("BEDROCK_VCR_CACHE", raising=False)
    monkeypatch.setattr(storage, "_cache", type(storage._cache)())
    path = tmp_path / name
    storage.write_atomic(path, yaml_format.dumps([plain(b'{"generation": "ok"}')]))
    with _opens_of(path) as opened:
        storage.load_file(path)
    assert opened == [str(path)]

    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(sniff, "parse", no_parse)
    assert remembered.file_is_foreign(path) is False
