"""Cassette files on disk: reading any supported format, the parsed-file cache, atomic writes.

This is the one module that knows both formats: it parses the text once and hands the document to
:mod:`.vcrpy` or :mod:`.yaml_format`, so neither of those needs the other. Parsing a large
cassette takes far longer than anything done with it, so a parsed file is kept per process; every
caller gets its own copy of the interactions (``bedrock-vcr scrub`` edits what it loaded).
A file larger than :data:`MAX_CASSETTE_BYTES` is refused unread, and a loaded cassette whose
streams were cut short gets one :class:`~bedrock_vcr.errors.TruncatedStreamWarning`.
Writes replace the file in one step, keep its permissions, and are refused when the text holds a
credential (:mod:`.secrets`); each holds the cassette's lock and goes through a symlink to its
target (:mod:`.locking`).
"""

from __future__ import annotations

import os
import stat
import tempfile
import threading
import time
import warnings
from collections import OrderedDict
from pathlib import Path

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..errors import CassetteFormatError, TruncatedStreamWarning
from . import locking, stream_end, vcrpy, yaml_format
from .records import Interaction
from .secret_scan import refuse_secrets

# --- reading -------------------------------------------------------------------------------------


def interactions_from_text(text: str, path: Path | str | None = None) -> list[Interaction]:
    """The interactions of cassette text in either format (bedrock-vcr's or vcrpy's)."""
    doc = yaml_format.parse(text, path)
    if vcrpy.note_format(text, doc):  # remembered: the vcrpy sniff of this file parses nothing
        return vcrpy.interactions_from_vcrpy(doc, path)
    return yaml_format.from_document(doc, path)


#: Largest cassette read (a cassette of 10,000 recorded streams is about 80 MiB). Larger files
#: are refused before they are read into memory.
MAX_CASSETTE_BYTES = 512 * 1024 * 1024


def read_text(path: Path) -> str:
    """The text of cassette ``path`` (UTF-8, at most :data:`MAX_CASSETTE_BYTES`)."""
    with path.open("rb") as handle:
        # a regular file's size is known unread; read() still caps anything else (a pipe)
        too_big = os.fstat(handle.fileno()).st_size > MAX_CASSETTE_BYTES
        data = b"" if too_big else handle.read(MAX_CASSETTE_BYTES + 1)
    if too_big or len(data) > MAX_CASSETTE_BYTES:
        raise CassetteFormatError(
            f"the cassette is larger than {MAX_CASSETTE_BYTES // (1024 * 1024)} MiB, the most "
            "bedrock-vcr reads",
            path=path,
            fix="split it into several cassettes (one per test is the default)",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteFormatError(f"the cassette is not UTF-8 text: {exc}", path=path) from None


def warn_cut_short(interactions: list[Interaction], path: Path) -> None:
    """One :class:`~bedrock_vcr.errors.TruncatedStreamWarning` for the streams of a cassette
    that do not end the way their operation and model family end (see :mod:`.stream_end`)."""
    found = stream_end.cut_short(interactions)
    if found:
        warnings.warn(TruncatedStreamWarning(stream_end.warning_text(found, path)), stacklevel=3)


_CACHE_SIZE = 32
_cache: OrderedDict[Path, tuple[int, int, int, list[Interaction]]] = OrderedDict()
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
            # the inode too: a file replaced twice within one clock tick keeps mtime and size
            if hit is not None and hit[:3] == (info.st_mtime_ns, info.st_size, info.st_ino):
                _cache.move_to_end(key)
                return [interaction.lazy_copy() for interaction in hit[3]]
    interactions = interactions_from_text(read_text(path), path)
    warn_cut_short(interactions, path)
    if info is None:
        return interactions
    with _cache_lock:
        _cache[key] = (info.st_mtime_ns, info.st_size, info.st_ino, interactions)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return [interaction.lazy_copy() for interaction in interactions]


# --- writing -------------------------------------------------------------------------------------

#: Mode of a new cassette (an existing one keeps its mode). Not derived from the umask: reading
#: the umask means changing it, which races with other threads.
NEW_FILE_MODE = 0o644
#: Seconds after which a temporary file found by a write is a dead writer's and is removed. The
#: writer holds the cassette's lock while its temporary file exists, so one that the next lock
#: holder finds was left by a writer that died; the age spares a writer that does not lock (an
#: older bedrock-vcr), whose file is left for a later write.
STALE_TEMP_AGE = 120.0

lock_path = locking.lock_path
locked = locking.locked


def write_atomic(path: Path | str, text: str) -> None:
    """Write ``text`` to the cassette at ``path`` so that readers see the old file or the new
    one, never half.

    The write holds the cassette's lock (:mod:`.locking`), goes through a symlink to its target
    (the link stays a link), and removes the temporary files that writers which died left.
    """
    path = Path(path)
    refuse_secrets(text, path)
    with locking.locked(path) as target:
        _remove_stale_temp_files(target)
        _replace(target, text)


def _replace(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = NEW_FILE_MODE
    # in the ignored work folder: a writer killed before the rename leaves nothing git adds
    folder = locking.work_dir(target, create=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.chmod(tmp, mode)  # mkstemp makes 0600 files; a cassette is shared like source
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _remove_stale_temp_files(target: Path) -> None:
    """Remove this cassette's temporary files older than :data:`STALE_TEMP_AGE` (lock held):
    ``.bedrock-vcr/<name>.XXXX.tmp``, and ``.<name>.XXXX.tmp`` beside it (older versions)."""
    now = time.time()
    for folder, prefix in (
        (locking.work_dir(target), f"{target.name}."),
        (target.parent, f".{target.name}."),
    ):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if not (name.startswith(prefix) and name.endswith(".tmp")):
                continue
            if "." in name[len(prefix) : -len(".tmp")]:
                continue  # another cassette's (named "<name>.<more>")
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                if now - entry.stat(follow_symlinks=False).st_mtime >= STALE_TEMP_AGE:
                    os.unlink(entry.path)
            except OSError:
                pass  # gone already, or not ours to remove
