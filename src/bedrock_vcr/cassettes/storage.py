"""Cassette files on disk: reading any supported format, the parsed-file cache, atomic writes.

This is the one module that knows every format: it parses the text once, tells the format
(:mod:`.formats.sniff`) and hands the document to :mod:`.yaml_format`, or to :mod:`.vcrpy` once
another recorder's layout is made a vcrpy document (:mod:`.formats`), so none needs the others.
A gzipped file (``.yaml.gz``) is decompressed with its size capped, and written compressed.
Parsing a large cassette takes far longer than anything done with it, so a parsed file is kept
per process; every caller gets its own copy of the interactions (``bedrock-vcr scrub`` edits
what it loaded).
A file larger than :data:`MAX_CASSETTE_BYTES` is refused unread, and a loaded cassette whose
streams were cut short gets one :class:`~bedrock_vcr.errors.TruncatedStreamWarning`.
Writes replace the file in one step, keep its permissions, and are refused when the text holds a
credential (:mod:`.secrets`); each holds the cassette's lock and goes through a symlink to its
target (:mod:`.locking`).
"""

from __future__ import annotations

import dataclasses
import os
import stat
import tempfile
import threading
import time
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..errors import CassetteFormatError, TruncatedStreamWarning
from . import cache, files, locking, stream_build, stream_end
from .formats import sniff
from .records import Interaction

# --- reading -------------------------------------------------------------------------------------


def interactions_from_text(text: str, path: Path | str | None = None) -> list[Interaction]:
    """The interactions of cassette text in any format read (bedrock-vcr's, or another
    recorder's: :data:`.formats.sniff.FORMATS`); every error names the format seen."""
    from . import safe_yaml  # here: a load from the cache needs no YAML

    # building a cassette's objects makes no garbage cycles, but the collector would walk
    # every object built so far again and again (a third of a large load's time)
    with safe_yaml.collector_paused():
        return _from_document(*parse_document(text, path), path)


def parse_document(
    text: str, path: Path | str | None, digest: bytes | None = None
) -> tuple[Any, str]:
    """The document of ``text`` and the format it is in (``digest``: the SHA-256 of its UTF-8
    bytes, when known)."""
    from . import yaml_format
    from .formats import convert, remembered

    value, was_json = sniff.parse(text, path, yaml_format.parse)
    kind = sniff.detect(value, was_json)
    # remembered: whether this file is another recorder's is then known without a parse
    remembered.remember(text, kind is not None and kind != sniff.BEDROCK_VCR, digest)
    if kind is None:
        raise convert.not_a_cassette(value, was_json, path)
    return value, kind


def _from_document(value: Any, kind: str, path: Path | str | None) -> list[Interaction]:
    from . import vcrpy, yaml_format
    from .formats import convert

    with sniff.naming(sniff.shown_name(kind, path), path):
        if kind == sniff.BEDROCK_VCR:
            return yaml_format.from_document(value, path)
        doc, fix = convert.as_vcrpy(value, kind, vcrpy.FIX)
        return vcrpy.read_vcrpy(doc, path, fix).interactions


#: Largest cassette read (a cassette of 10,000 recorded streams is about 80 MiB). Larger files
#: are refused before they are read into memory.
MAX_CASSETTE_BYTES = 512 * 1024 * 1024


def is_foreign(path: Path) -> bool:
    """Whether ``path`` is another recorder's file (which bedrock-vcr never records into)."""
    from .formats import remembered  # only when recording: replay needs no YAML

    return remembered.file_is_foreign(path)


def dumps(interactions: list[Interaction]) -> str:
    """The cassette text of ``interactions`` (see :mod:`.yaml_format`)."""
    from . import yaml_format  # only when saving: replay needs no YAML

    return yaml_format.dumps(interactions)


def read_text(path: Path) -> str:
    """The text of cassette ``path`` (UTF-8, at most :data:`MAX_CASSETTE_BYTES`)."""
    return _decode(read_bytes(path), path)


def read_bytes(path: Path) -> bytes:
    """The bytes of cassette ``path`` as stored (at most :data:`MAX_CASSETTE_BYTES`)."""
    data = files.read_all(files.open_file(path), MAX_CASSETTE_BYTES)
    if data is None:
        raise _too_large(path)
    return data


def _too_large(path: Path) -> CassetteFormatError:
    return CassetteFormatError(
        f"the cassette is larger than {MAX_CASSETTE_BYTES // (1024 * 1024)} MiB, the most "
        "bedrock-vcr reads",
        path=path,
        fix="split it into several cassettes (one per test is the default)",
    )


def _decode(data: bytes, path: Path) -> str:
    """The text of stored bytes: gzip-compressed ones decompressed (capped), then UTF-8."""
    if sniff.is_gzip(data):
        data = sniff.gunzip(data, path, MAX_CASSETTE_BYTES)
        if len(data) > MAX_CASSETTE_BYTES:
            raise _too_large(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteFormatError(
            f"the cassette is not UTF-8 text: {exc}; it is {sniff.describe_bytes(data)}, not a "
            "format bedrock-vcr reads (plain or gzip-compressed YAML or JSON)",
            path=path,
        ) from None


def warn_cut_short(interactions: list[Interaction], path: Path) -> None:
    """One :class:`~bedrock_vcr.errors.TruncatedStreamWarning` for the streams of a cassette
    that do not end the way their operation and model family end (see :mod:`.stream_end`)."""
    _warn_found(stream_end.cut_short(interactions), path)


def _warn_found(found: list[stream_end.CutShort], path: Path) -> None:
    if found:
        warnings.warn(TruncatedStreamWarning(stream_end.warning_text(found, path)), stacklevel=4)


_CACHE_SIZE = 32
#: By real path: size, modification time, inode, the interactions and the bytes' SHA-256.
_cache: OrderedDict[str, tuple[int, int, int, list[Interaction], bytes | None]] = OrderedDict()
_cache_lock = threading.Lock()


def load_file(path: Path) -> list[Interaction]:
    """Read a cassette (bedrock-vcr or vcrpy format).

    Parsed files are remembered by path, size and modification time, so tests that share a
    cassette parse it once per process. The remembered interactions are never handed out: each
    call gets copies, which the caller may change without changing what the next call reads.
    """
    global _last_real
    path = path if isinstance(path, Path) else Path(path)
    key, info = _real_and_stat(str(path))
    _last_real = (str(path), key)
    if info is not None:
        with _cache_lock:
            hit = _cache.get(key)
            # the inode too: a file replaced twice within one clock tick keeps mtime and size
            if hit is not None and hit[:3] == (info.st_mtime_ns, info.st_size, info.st_ino):
                _cache.move_to_end(key)
                return [interaction.lazy_copy() for interaction in hit[3]]
    interactions, digest = _parsed(path, Path(key))
    if info is None:
        return interactions
    with _cache_lock:
        _cache[key] = (info.st_mtime_ns, info.st_size, info.st_ino, interactions, digest)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return [interaction.lazy_copy() for interaction in interactions]


#: Real path of each folder a cassette was loaded from, with the folder's device and inode
_real_folders: dict[str, tuple[int, int, str]] = {}


def _real_and_stat(path: str) -> tuple[str, os.stat_result | None]:
    """``os.path.realpath(path)`` and the file's ``os.stat``, in two system calls when the
    file is no link and its folder was seen before.

    ``realpath`` asks the file system about every component of the path, which costs a test
    more than reading its cassette. A folder's real path is remembered with its device and
    inode: while the path still leads to that very folder, its real path is the same (a
    folder's inode names it, and a bind mount of it holds the same files and locks)."""
    # ".." after a link leads elsewhere than abspath's textual "..": realpath decides
    lexical = ".." not in path.split(os.sep)
    absolute = os.path.abspath(path)
    folder, name = os.path.split(absolute)
    info = None
    try:
        if lexical:
            info = os.lstat(absolute)
            where = os.stat(folder)
    except OSError:
        info = None
    if info is None or stat.S_ISLNK(info.st_mode) or not name:
        real = os.path.realpath(path)
        try:
            return real, os.stat(real)
        except OSError:
            return real, None
    known = _real_folders.get(folder)
    if known is None or known[:2] != (where.st_dev, where.st_ino):
        if len(_real_folders) >= 1024:
            _real_folders.clear()
        known = _real_folders[folder] = (where.st_dev, where.st_ino, os.path.realpath(folder))
    return os.path.join(known[2], name), info


#: The path :func:`load_file` last read and its real path (the checks that follow a load ask
#: for the same file: its links are not followed again)
_last_real: tuple[str, str] | None = None


def real_path(path: Path | str) -> str:
    """``os.path.realpath(path)``, as :func:`load_file` found it when it last read ``path``."""
    last = _last_real
    if last is not None and last[0] == str(path):
        return last[1]
    return os.path.realpath(path)


def loaded_digest(
    path: Path | str, *, real: bool = False, info: os.stat_result | None = None
) -> bytes | None:
    """The SHA-256 of cassette ``path`` (a real path when ``real``) as :func:`load_file` last
    read it, while the file is unchanged since (``None`` otherwise, or with the
    parsed-cassette cache off); ``info``: the real path's ``os.stat``, when just taken."""
    key = str(path) if real else os.path.realpath(path)
    if info is None:
        try:
            info = os.stat(key)
        except OSError:
            return None
    with _cache_lock:
        hit = _cache.get(key)
    if hit is None or hit[:3] != (info.st_mtime_ns, info.st_size, info.st_ino):
        return None
    return hit[4]


def _parsed(path: Path, target: Path) -> tuple[list[Interaction], bytes | None]:
    """The interactions of the file (whose real path is ``target``), from the parsed-cassette
    cache when it has these bytes (:mod:`.cache`), else parsed (and then cached); its cut-short
    streams warned about."""
    if not cache.enabled():
        interactions = interactions_from_text(_decode(read_bytes(path), path), path)
        _warn_found(stream_end.cut_short(interactions), path)
        return interactions, None
    data = read_bytes(path)
    key = cache.digest(data)  # of the bytes parsed, read once
    entry = cache.open_entry(target, key)
    if entry is not None:
        del data  # not held with the entry's objects (peak memory)
        hit = cache.lookup(target, key, entry)
        if hit is not None:
            interactions, cut = hit
            _warn_found([stream_end.CutShort(*item) for item in cut], path)
            return interactions, key
        data = read_bytes(path)  # an entry that cannot be used: the file is parsed
        key = cache.digest(data)
    from . import safe_yaml  # (as in interactions_from_text)

    # the digest of the text's bytes is the format note's (unless they were decompressed)
    same = None if sniff.is_gzip(data) else key
    text = _decode(data, path)
    del data  # not held through the parse (a large cassette's peak memory)
    with safe_yaml.collector_paused():
        document = parse_document(text, path, same)
        del text  # the document holds what it needs: the text is not held through the build
        interactions = _from_document(*document, path)
        del document  # nor its mappings through the cache entry's write
    found = stream_end.cut_short(interactions)  # (from the lines, before they become frames)
    stream_build.prebuild(interactions)
    cache.store(target, key, interactions, [dataclasses.astuple(item) for item in found])
    _warn_found(found, path)
    return interactions, key


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
    from .secret_scan import refuse_secrets  # here: a replay-only process never writes

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
    gzipped = target.name.endswith(".gz")  # a .gz cassette stays gzip-compressed
    try:
        handle: Any
        with os.fdopen(
            fd, "wb" if gzipped else "w", encoding=None if gzipped else "utf-8"
        ) as handle:
            os.chmod(tmp, mode)  # mkstemp makes 0600 files; a cassette is shared like source
            handle.write(sniff.gzip_text(text) if gzipped else text)
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
