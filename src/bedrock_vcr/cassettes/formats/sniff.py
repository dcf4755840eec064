"""Telling a cassette's format from its bytes and its parsed document, cheaply.

Three looks, each bounded by the file's size: the gzip magic number (a gzipped file is
decompressed with its size capped, so a "gzip bomb" is an error, not an exhausted memory); the
first character of the text (``[`` or ``{``: JSON, read with :mod:`json`, which is exact for
escapes YAML reads differently); and the keys of the parsed document. :func:`detect` names the
format in the words every :class:`~bedrock_vcr.errors.CassetteFormatError` uses
(:func:`naming`). Which recorder writes each layout is said in :data:`FORMATS`.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ...errors import CassetteFormatError

GZIP_MAGIC = b"\x1f\x8b"

BEDROCK_VCR = "bedrock-vcr YAML"
VCRPY = "vcrpy YAML"
VCRPY_JSON = "vcrpy JSON"
PARSED_BODY = "vcrpy YAML with parsed_body (pydantic-ai)"
VCR_LISTS = "vcrpy requests/responses lists (langchain-aws)"
NOCK = "nock JSON"

#: Every format read, and who writes it (the README's "Other recorders' files" lists the same).
FORMATS: dict[str, str] = {
    BEDROCK_VCR: "bedrock-vcr (plain, or gzip-compressed as .yaml.gz)",
    VCRPY: "vcrpy / pytest-recording, the default YAML serializer",
    VCRPY_JSON: 'vcrpy with serializer="json"',
    PARSED_BODY: "pydantic-ai's vcrpy serializer (JSON bodies as a parsed_body mapping)",
    VCR_LISTS: "langchain-aws / langchain-tests (gzipped YAML, requests and responses by index)",
    NOCK: "nock's recorder (the OpenTelemetry JS contrib's AWS SDK v3 mock responses)",
}

#: Largest decompressed text read from a gzipped cassette: as large as a plain one may be.
MAX_DECOMPRESSED_BYTES = 512 * 1024 * 1024


def gunzip(data: bytes, path: Path | str | None, limit: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """The decompressed bytes of gzip ``data``, at most ``limit`` of them (a larger result is
    an error before more than ``limit + 1`` bytes are held)."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            out = handle.read(limit + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise CassetteFormatError(
            f"the gzip-compressed cassette cannot be decompressed: {exc} (was the file cut short?)",
            path=path,
            file_format="gzip",
            fix="restore the file from version control, or re-record it",
        ) from None
    if len(out) > limit:
        raise CassetteFormatError(
            f"the gzip-compressed cassette decompresses to more than {limit // (1024 * 1024)} "
            "MiB, the most bedrock-vcr reads",
            path=path,
            file_format="gzip",
            fix="split it into several cassettes (one per test is the default)",
        )
    return out


def gzip_text(text: str) -> bytes:
    """``text`` gzip-compressed, the same bytes every time: a re-recorded cassette that did not
    change does not change on disk, whichever Python wrote it."""
    return gzip_bytes(text.encode("utf-8"))


def gzip_bytes(data: bytes) -> bytes:
    """``data`` gzip-compressed with no time stamp and the header's OS byte set to 255
    ("unknown"): Python 3.10 and 3.11+ write different OS bytes, nothing else differs."""
    packed = bytearray(gzip.compress(data, compresslevel=6, mtime=0))
    packed[9] = 255  # the header has no CRC (no FHCRC flag), so this byte may be set freely
    return bytes(packed)


def is_gzip(data: bytes) -> bool:
    return data[:2] == GZIP_MAGIC


def describe_bytes(data: bytes) -> str:
    """What undecodable bytes look like, for an error: the first few in hex."""
    return "binary data starting with bytes " + " ".join(f"{b:02x}" for b in data[:4])


# --- parsing ---------------------------------------------------------------------------------


def _json_error(exc: ValueError | RecursionError, path: Path | str | None) -> Exception:
    if isinstance(exc, json.JSONDecodeError):
        where, problem = f" at line {exc.lineno}, column {exc.colno}", exc.msg
    elif isinstance(exc, RecursionError):
        where, problem = "", "it is nested too deeply"
    else:  # a number of more digits than Python converts
        where, problem = "", str(exc)
    return CassetteFormatError(
        f"the cassette is not valid JSON{where}: {problem}",
        path=path,
        file_format=shown_name("JSON", path),
        fix="restore the file from version control, or re-record it",
    )


def parse(
    text: str, path: Path | str | None, load_yaml: Callable[[str, Any], Any]
) -> tuple[Any, bool]:
    """The document in ``text`` and whether it was JSON: JSON when it starts like JSON and is
    JSON, else YAML read with ``load_yaml(text, path)`` (a JSON-looking text that is neither
    reports the JSON error)."""
    start = text.lstrip("\ufeff \t\r\n")[:1]
    if start not in ("[", "{"):
        with naming(shown_name("YAML", path), path):
            return load_yaml(text, path), False
    try:
        return json.loads(text), True
    except (ValueError, RecursionError) as exc:
        json_error = _json_error(exc, path)
    try:
        return load_yaml(text, path), False  # a YAML flow mapping can start with "{" too
    except CassetteFormatError:
        raise json_error from None


def shown_name(file_format: str, path: Path | str | None) -> str:
    """``file_format`` as errors name it: "gzip-compressed ..." for a ``.gz`` file."""
    if path is not None and str(path).endswith(".gz"):
        return f"gzip-compressed {file_format}"
    return file_format


# --- detecting -------------------------------------------------------------------------------


def _first(items: Any) -> Any:
    return items[0] if isinstance(items, list) and items else None


#: Keys of a nock recording; a list whose first item has two of them is taken for nock's.
_NOCK_KEYS = frozenset(
    {"scope", "method", "path", "body", "status", "response", "rawHeaders", "responseIsBinary"}
)


def detect(value: Any, was_json: bool) -> str | None:
    """The format of parsed ``value`` (one of :data:`FORMATS`), or ``None`` for none of them."""
    if isinstance(value, list):
        first = _first(value)
        if not value or (isinstance(first, dict) and len(_NOCK_KEYS.intersection(first)) >= 2):
            return NOCK
        return None
    if not isinstance(value, dict):
        return None
    if "interactions" not in value and isinstance(value.get("requests"), list):
        if "responses" in value:
            return VCR_LISTS
    if "interactions" not in value:
        return None
    first = _first(value["interactions"])
    request = first.get("request") if isinstance(first, dict) else None
    if not isinstance(request, dict) or "operation" in request or "uri" not in request:
        return BEDROCK_VCR
    if was_json:
        return VCRPY_JSON
    for item in value["interactions"]:
        if isinstance(item, dict) and any(
            isinstance(part, dict) and "parsed_body" in part for part in item.values()
        ):
            return PARSED_BODY
    return VCRPY


def describe(value: Any, was_json: bool) -> str:
    """What a document of no known format is, for the error that says so."""
    kind = "JSON" if was_json else "YAML"
    if isinstance(value, list):
        return f"a {kind} list whose first item is not a nock recording ({{scope, path, ...}})"
    if isinstance(value, dict):
        keys = ", ".join(map(str, list(value)[:6])) or "none"
        return f"a {kind} mapping with no 'interactions' list (top-level keys: {keys})"
    return f"{kind} {'nothing' if value is None else type(value).__name__}, not a mapping"


@contextmanager
def naming(file_format: str, path: Path | str | None) -> Iterator[None]:
    """Re-raise a :class:`CassetteFormatError` of the block naming ``file_format`` and ``path``
    (when it names neither yet)."""
    try:
        yield
    except CassetteFormatError as exc:
        if exc.file_format is not None:
            raise
        raise CassetteFormatError(
            exc.problem,
            path=exc.path if exc.path is not None else path,
            interaction=exc.interaction,
            json_path=exc.json_path,
            fix=exc.fix,
            file_format=file_format,
        ) from None
