"""Cassette files on disk: reading any supported format, the parsed-file cache, atomic writes.

This is the one module that knows both formats: it parses the text once and hands the document to
:mod:`.vcrpy` or :mod:`.yaml_format`, so neither of those needs the other. Parsing a large
cassette takes far longer than anything done with it, so a parsed file is kept per process; every
caller gets its own copy of the interactions (``bedrock-vcr scrub`` edits what it loaded).
Writes replace the file in one step, keep its permissions, and are refused when the text holds a
credential (:mod:`.secrets`).
"""

from __future__ import annotations

import os
import stat
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

from ..errors import CassetteFormatError
from . import vcrpy, yaml_format
from .records import Interaction
from .secret_scan import refuse_secrets

# --- reading -------------------------------------------------------------------------------------


def interactions_from_text(text: str, path: Path | str | None = None) -> list[Interaction]:
    """The interactions of cassette text in either format (bedrock-vcr's or vcrpy's)."""
    doc = yaml_format.parse(text, path)
    if vcrpy.is_vcrpy_document(doc):
        return vcrpy.interactions_from_vcrpy(doc, path)
    return yaml_format.from_document(doc, path)


_CACHE_SIZE = 32
_cache: OrderedDict[Path, tuple[int, int, list[Interaction]]] = OrderedDict()
_cache_lock = threading.Lock()


def load_file(path: Path) -> list[Interaction]:
    """Read a cassette (bedrock-vcr or vcrpy format).

    Parsed files are remembered by path, size and modification time, so tests that share a
    cassette parse it once per process. The remembered interactions are never handed out: each
    call gets copies, which the caller may change without changing what the next call reads.
    """
    path = Path(path)
    try:
        info = path.stat()
    except OSError:
        info = None
    key = path.resolve()
    if info is not None:
        with _cache_lock:
            hit = _cache.get(key)
            if hit is not None and hit[:2] == (info.st_mtime_ns, info.st_size):
                _cache.move_to_end(key)
                return [interaction.lazy_copy() for interaction in hit[2]]
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteFormatError(f"the cassette is not UTF-8 text: {exc}", path=path) from None
    interactions = interactions_from_text(text, path)
    if info is None:
        return interactions
    with _cache_lock:
        _cache[key] = (info.st_mtime_ns, info.st_size, interactions)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return [interaction.lazy_copy() for interaction in interactions]


# --- writing -------------------------------------------------------------------------------------

#: Mode of a new cassette (an existing one keeps its mode). Not derived from the umask: reading
#: the umask means changing it, which races with other threads.
NEW_FILE_MODE = 0o644


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half."""
    refuse_secrets(text, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = NEW_FILE_MODE
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.chmod(tmp, mode)  # mkstemp makes 0600 files; a cassette is shared like source
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
