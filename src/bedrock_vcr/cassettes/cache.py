"""A content-addressed cache of parsed cassettes, kept in the cassette's ``.bedrock-vcr/`` folder.

Parsing a cassette's YAML costs far more than anything done with what it holds (about 5 ms per
recorded stream), and every test process parses it again. Once a file is parsed, its
interactions are written as plain data (:mod:`marshal` of tuples, dicts, text, bytes and
numbers, never objects) to ``.bedrock-vcr/cache/<name>.<sha256>.marshal``; the next process
that loads the same bytes reads that instead. A small cassette's streams are kept as
the frames its first parse made of their lines (:func:`.stream_build.prebuild`), and a stream
the file holds as event mappings as its frames: replay sends them unread. A larger cassette's
streams are kept as their lines, built into frames when a test first replays one.

An entry is used only when the SHA-256 of the cassette's bytes it records is the file's, and it
was written by the same bedrock-vcr readers on the same Python (a fingerprint of the reader
modules' source, the Python version and marshal's format): an edited cassette, or a change to
how cassettes are read, is parsed again. Entries are written to a temporary file and renamed,
so concurrent test processes (pytest-xdist) see a whole entry or none; a damaged or unreadable
one is a miss. Nothing here can run code: marshal builds only plain values from a file that
bedrock-vcr wrote into the git-ignored work folder, and what it builds is checked for shape as
it is turned back into interactions (a file that anyone able to write there could forge could
equally be a ``conftest.py``). ``BEDROCK_VCR_CACHE=off`` turns the cache off.
"""

from __future__ import annotations

import hashlib
import itertools
import marshal
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from . import files, locking, matching, stream_build
from .records import (
    Interaction,
    Packed,
    RecordedRequest,
    RecordedResponse,
    pack_events,
)

FOLDER = "cache"
#: Bumped whenever the layout of an entry changes.
LAYOUT = 4
#: Interactions per piece of an entry. An entry is its pieces one after another, each the
#: marshal of a list of packed interactions after its length (the first piece: their number
#: and the ``extra`` value), so that a large entry is never in memory whole while it is written.
PIECE = 64
_LENGTH = 8
_MAGIC = b"bedrock-vcr cache\n"
#: Modules whose code decides what a cassette's text becomes (their source is fingerprinted).
_READERS = (
    "bodies.py",
    "cache.py",
    "files.py",
    "records.py",
    "safe_yaml.py",
    "storage.py",
    "stream_build.py",
    "stream_check.py",
    "stream_end.py",
    "stream_text.py",
    "vcrpy.py",
    "vcrpy_convert.py",
    "yaml_format.py",
    "yaml_subset.py",
    "yaml_direct.py",  # what yaml_subset reads as plain text
    "keys.py",
    "matching.py",  # the body keys an entry holds
    "formats/convert.py",
    "formats/nock.py",
    "formats/parsed_body.py",
    "formats/remembered.py",
    "formats/sniff.py",
    "formats/vcr_lists.py",
    "../bedrock/operations.py",  # which operation and target a recorded request is
    "../wire/eventstream.py",  # the frames an entry holds
)
_fingerprint: bytes | None = None
_DEFAULT_MATCH = matching.MatchConfig()


def enabled() -> bool:
    """Whether loads use the cache (``BEDROCK_VCR_CACHE`` is not ``off``/``0``/``false``)."""
    return os.environ.get("BEDROCK_VCR_CACHE", "").strip().lower() not in ("off", "0", "false")


def digest(data: bytes) -> bytes:
    """The SHA-256 of a cassette's bytes: what an entry is addressed by."""
    return hashlib.sha256(data).digest()


def fingerprint() -> bytes:
    """What must match besides the file: the readers' source, Python's version, marshal's."""
    global _fingerprint
    if _fingerprint is None:
        here = Path(__file__).resolve().parent
        h = hashlib.sha256(f"{LAYOUT} {sys.version_info[:3]} {marshal.version}".encode())
        for name in _READERS:
            try:
                h.update((here / name).read_bytes())
            except OSError:
                h.update(b"?")
        _fingerprint = h.digest()
    return _fingerprint


def entry_path(target: Path, file_digest: bytes) -> Path:
    """Where the entry of cassette ``target`` (a real path) with these bytes is kept."""
    return Path(_entry_file(target, file_digest))


def _entry_file(target: Path | str, file_digest: bytes) -> str:
    return _in_cache(target, f"{file_digest.hex()[:40]}.marshal")


def _in_cache(target: Path | str, suffix: str) -> str:
    # joined as text: a test's cassette load asks for several such paths, and pathlib's
    # joins cost more than the system calls made with them
    folder, name = os.path.split(target)
    return os.path.join(folder, locking.WORK_DIR, FOLDER, f"{name}.{suffix}")


# --- reading ---------------------------------------------------------------------------------


def open_entry(target: Path, file_digest: bytes) -> int | None:
    """The entry file for these bytes, open for :func:`lookup` (a descriptor); ``None`` when
    there is none."""
    try:
        return files.open_file(_entry_file(target, file_digest))
    except OSError:
        return None


#: Largest entry read (a cassette's is about its size; frames kept for a stream the file holds
#: as event mappings take about twice the room of its lines).
_MAX_ENTRY = 2 << 30


def lookup(
    target: Path, file_digest: bytes, entry: int | None = None
) -> tuple[list[Interaction], Any] | None:
    """The interactions (and the remembered ``extra`` value) of the entry for these bytes
    (read from ``entry``, a descriptor from :func:`open_entry` that is closed, when given),
    or ``None`` when there is none that can be trusted."""
    if entry is None:
        entry = open_entry(target, file_digest)
        if entry is None:
            return None
    try:
        blob = files.read_all(entry, _MAX_ENTRY)
    except OSError:
        return None
    if blob is None:
        return None
    head = _MAGIC + fingerprint() + file_digest
    if not blob.startswith(head):
        return None
    try:
        pieces = _pieces(memoryview(blob)[len(head) :])
        count, extra = next(pieces)
        interactions = [_unpack(item) for piece in pieces for item in piece]
    except (ValueError, TypeError, EOFError, KeyError, IndexError, StopIteration):
        return None  # damaged, or not of the shape written below: parse the file instead
    if len(interactions) != count:  # cut at a piece's end
        return None
    return interactions, extra


def _pieces(view: memoryview) -> Iterator[Any]:
    at = 0
    while at < len(view):
        size = int.from_bytes(view[at : at + _LENGTH], "little")
        at += _LENGTH
        if at + size > len(view):
            raise ValueError("a cache entry cut short")
        yield marshal.loads(view[at : at + size])
        at += size


def _unpack(item: tuple[Any, ...]) -> Interaction:
    (op, model, req_body, req_headers, path, method, recorded_at, body_key) = item[0]
    (status, headers, body, latency, stream_end, events) = item[1]
    request = RecordedRequest(op, model, req_body, dict(req_headers), path, method)
    if not isinstance(body_key, (str, bytes)):
        raise TypeError("a cache entry of another shape")
    response = RecordedResponse(
        status, dict(headers), body, None, latency=latency, stream_end=stream_end
    )
    if isinstance(events, str):  # a stream's lines, as the cassette held them
        response.set_packed_events(events, stream_build.read_lines)
    elif events is not None:
        response.set_packed_events(_checked_events(events))
    _check_types(request, response)
    matching.remember_body_key(request, body_key)
    return Interaction(request, response, recorded_at)


def _checked_events(events: Any) -> Packed:
    offsets, frames, overrides = events
    # the shape as a whole, by the builtins (per event, Python code would cost what the entry
    # saves): floats, and whole frames (each at least the 16 bytes of a frame's framing)
    if not (
        type(offsets) is tuple
        and type(frames) is tuple
        and len(frames) == len(offsets)
        and set(map(type, offsets)) <= {float}
        and set(map(type, frames)) <= {bytes}
        and min(map(len, frames), default=16) >= 16
        and (
            overrides is None
            or (
                type(overrides) is tuple
                and len(overrides) == len(offsets)
                and set(map(type, overrides)) <= {bytes, type(None)}
            )
        )
    ):
        raise TypeError("a cache entry of another shape")
    return offsets, frames, overrides


def _check_types(request: RecordedRequest, response: RecordedResponse) -> None:
    if not (
        isinstance(request.operation, str)
        and isinstance(request.model_id, str)
        and isinstance(request.body, bytes)
        and isinstance(request.path, str)
        and isinstance(request.method, str)
        and isinstance(response.status, int)
        and isinstance(response.body, bytes)
        and isinstance(response.latency, float)
        and isinstance(response.stream_end, str)
    ):
        raise TypeError("a cache entry of another shape")


# --- verdicts ---------------------------------------------------------------------------------


def verdict_path(target: Path, file_digest: bytes, check: bytes) -> Path:
    """The marker saying that check ``check`` (a digest of what it depends on) found nothing
    wrong in cassette ``target`` with these bytes."""
    return Path(_verdict_file(target, file_digest, check))


def _verdict_file(target: Path | str, file_digest: bytes, check: bytes) -> str:
    return _in_cache(target, f"{file_digest.hex()[:40]}.ok-{check.hex()[:16]}")


def passed(target: Path | str, file_digest: bytes, check: bytes) -> bool:
    """Whether check ``check`` already passed on these very bytes (see :func:`note_passed`)."""
    return enabled() and os.path.isfile(_verdict_file(target, file_digest, check))


def note_passed(target: Path, file_digest: bytes, check: bytes) -> None:
    """Remember that check ``check`` found nothing in these bytes (best effort)."""
    if not enabled():
        return
    path = verdict_path(target, file_digest, check)
    try:
        locking.work_dir(target, create=True)
        path.parent.mkdir(exist_ok=True)
        path.touch()
    except OSError:
        pass


# --- writing ---------------------------------------------------------------------------------


def store(target: Path, file_digest: bytes, interactions: list[Interaction], extra: Any) -> None:
    """Write the entry for these bytes (best effort: a read-only folder just has no cache),
    and remove the entries of older versions of the same cassette."""
    answered = [i for i in interactions if i.response is not None]
    packed = (
        [_pack(i) for i in answered[at : at + PIECE]] for at in range(0, len(answered), PIECE)
    )
    head = _MAGIC + fingerprint() + file_digest
    parts = itertools.chain([head], map(_piece, itertools.chain([(len(answered), extra)], packed)))
    path = entry_path(target, file_digest)
    try:
        _write(path, target, parts)
        _remove_others(path, target.name)
    except (ValueError, TypeError, OSError):
        pass  # what marshal cannot write (never what a cassette holds), or an unwritable folder


def _piece(value: Any) -> bytes:
    data = marshal.dumps(value)
    return len(data).to_bytes(_LENGTH, "little") + data


#: Numbers this process's temporary entry files (with its process id: a name no other writer
#: uses, without the random names of ``tempfile``).
_serial = itertools.count()
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def _write(path: Path, target: Path, parts: Iterable[bytes]) -> None:
    """Write ``parts``, one after another (each made as it is written), to a temporary file
    beside ``path``, then rename it there."""
    tmp = f"{path}.{os.getpid()}-{next(_serial)}.tmp"
    try:
        fd = os.open(tmp, _NEW, 0o600)
    except FileNotFoundError:  # the first entry beside this cassette
        locking.work_dir(target, create=True)
        path.parent.mkdir(exist_ok=True)
        fd = os.open(tmp, _NEW, 0o600)
    except FileExistsError:  # a dead process's, with this process's id
        fd, tmp = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            for part in parts:
                view = memoryview(part)
                while view:
                    view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _pack(interaction: Interaction) -> tuple[Any, ...]:
    request, response = interaction.request, interaction.response
    assert response is not None
    return (
        (
            request.operation,
            request.model_id,
            bytes(request.body),
            dict(request.headers),
            request.path,
            request.method,
            interaction.recorded_at,
            # what default matching compares: a load then finds it without parsing the body
            _DEFAULT_MATCH.body_key(request),
        ),
        (
            response.status,
            dict(response.headers),
            bytes(response.body),
            float(response.latency),
            response.stream_end,
            # a large cassette's stream read from lines keeps them (half the room of its
            # frames), built into frames when a test first replays it; any other its frames
            pack_events(response),
        ),
    )


def _remove_others(keep: Path, name: str) -> None:
    """Entries of other contents of cassette ``name``: the file changed, they are dead."""
    prefix = f"{name}."
    try:
        entries = list(os.scandir(keep.parent))
    except OSError:
        return
    for entry in entries:
        other = entry.name
        if other == keep.name or not other.startswith(prefix):
            continue
        stem, dot, kind = other[len(prefix) :].partition(".")
        if not dot or not (kind == "marshal" or kind.startswith("ok-")) or "." in kind:
            continue
        if len(stem) != 40 or stem == keep.name[len(prefix) : len(prefix) + 40]:
            continue  # another cassette's ("<name>.<more>.<digest>.marshal")
        try:
            os.unlink(entry.path)
        except OSError:
            pass
