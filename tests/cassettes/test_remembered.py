"""Whether a file is another recorder's is answered from what its load noted, without a
parse, however large the text (its digest is taken a piece at a time)."""

from __future__ import annotations

import io
import os
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
    opened: list[str] = []
    os_open, io_open = os.open, io.open

    def seen(file: Any) -> None:
        if isinstance(file, (str, os.PathLike)) and os.fspath(file) == str(path):
            opened.append(os.fspath(file))

    monkeypatch.setattr(os, "open", lambda file, *a, **k: seen(file) or os_open(file, *a, **k))
    monkeypatch.setattr(io, "open", lambda file, *a, **k: seen(file) or io_open(file, *a, **k))
    storage.load_file(path)
    assert opened == [str(path)]

    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(sniff, "parse", no_parse)
    assert remembered.file_is_foreign(path) is False
