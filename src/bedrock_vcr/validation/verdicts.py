"""Remembering, across processes, that a cassette's recorded answers (or requests) fit their
schemas.

Checking every recorded answer of a cassette when it loads costs as much as the load itself
from the parsed-cassette cache (every chunk of every stream is decoded and checked). A clean
result is remembered beside the cache entry (:func:`bedrock_vcr.cassettes.cache.note_passed`),
addressed by the SHA-256 of the file's bytes and by a digest of everything the check depends on:
the schema files and the validation code (each by its size and modification time), and the
``model_families`` setting. Only a clean result is remembered: a cassette with findings is
checked, and reported, on every load.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..cassettes import cache, storage
from .schemas import _schema_dir
from .settings import ValidationSettings

_code: bytes | None = None


def _code_digest() -> bytes:
    """Digest of the schemas and the modules that check against them (computed once).

    Each file counts by its name, size and modification time, as Python's own bytecode cache
    judges a source file: reading and hashing the 600 KB of schemas cost a few milliseconds of
    every test process, and a file edited or installed anew gets a new time.
    """
    global _code
    if _code is None:
        h = hashlib.sha256()
        here = Path(__file__).resolve().parent
        files = sorted(here.glob("*.py")) + [here.parent / "bedrock" / "models.py"]
        files += sorted(_schema_dir().glob("*.json"))
        for file in files:
            try:
                stat = file.stat()
                h.update(f"{file.name}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
            except OSError:
                h.update(f"{file.name}\0?\0".encode())
        _code = h.digest()
    return _code


_keys: dict[str, bytes] = {}


#: What a verdict is about: the recorded answers (the load check) or the recorded requests
#: (which a replayed request that is one of them need not be checked against again).
ANSWERS = "answers"
REQUESTS = "requests"


def _check_key(settings: ValidationSettings, part: str = ANSWERS) -> bytes:
    shown = repr((sorted(settings.model_families.items()), settings.strict_models))
    if part != ANSWERS:
        shown = f"{part} {shown}"
    found = _keys.get(shown)
    if found is None:
        found = hashlib.sha256(_code_digest() + shown.encode()).digest()
        if len(_keys) < 64:
            _keys[shown] = found
    return found


def passed(
    path: Path,
    settings: ValidationSettings,
    info: os.stat_result | None = None,
    part: str = ANSWERS,
) -> bool:
    """Whether the recorded answers (or requests) of ``path``, as last loaded, passed this
    check before (``info``: the ``os.stat`` of its real path, when just taken)."""
    real = storage.real_path(path)
    digest = storage.loaded_digest(real, real=True, info=info)
    if digest is None:
        return False
    return cache.passed(real, digest, _check_key(settings, part))


def note_passed(path: Path, settings: ValidationSettings, part: str = ANSWERS) -> None:
    """Remember that the recorded answers (or requests) of ``path``, as last loaded, fit their
    schemas."""
    real = Path(storage.real_path(path))
    digest = storage.loaded_digest(real, real=True)
    if digest is not None:
        cache.note_passed(real, digest, _check_key(settings, part))
