"""Which converter turns each other recorder's layout into a vcrpy document (the one table of
them), and the error for a file of no format read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ...errors import CassetteFormatError
from . import nock, parsed_body, sniff, vcr_lists

#: Layouts that are not vcrpy's own: the converter, and the advice for an error in an entry
#: (``None``: vcrpy's advice). vcrpy YAML and vcrpy JSON need no converter.
CONVERTERS: dict[str, tuple[Callable[[Any], Any], str | None]] = {
    sniff.NOCK: (nock.to_vcrpy, nock.FIX),
    sniff.VCR_LISTS: (vcr_lists.to_vcrpy, vcr_lists.FIX),
    sniff.PARSED_BODY: (parsed_body.to_vcrpy, None),
}


def as_vcrpy(value: Any, kind: str, vcrpy_fix: str) -> tuple[Any, str]:
    """The vcrpy document of another recorder's parsed file of format ``kind``, and the advice
    for an error in one of its entries (``vcrpy_fix`` for vcrpy's own layouts)."""
    found = CONVERTERS.get(kind)
    if found is None:
        return value, vcrpy_fix
    convert, fix = found
    return convert(value), fix or vcrpy_fix


def not_a_cassette(value: Any, was_json: bool, path: Path | str | None) -> CassetteFormatError:
    return CassetteFormatError(
        "the file is not a cassette in any format bedrock-vcr reads (no top-level "
        f"'interactions' list): it is {sniff.describe(value, was_json)}",
        path=path,
        fix="point use_cassette at a bedrock-vcr cassette or another recorder's file of a "
        "format listed in README section 'Other recorders' files', or delete the file and "
        "re-record with --bedrock-record-mode=once",
    )
