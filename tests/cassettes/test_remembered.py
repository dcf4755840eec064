"""Whether a file is another recorder's is answered from what its load noted, without a
parse, however large the text (its digest is taken a piece at a time)."""

from __future__ import annotations

from pathlib import Path

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
