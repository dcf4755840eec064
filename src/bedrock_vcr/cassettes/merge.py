"""What a save keeps of the cassette on disk: the pieces :meth:`Cassette.save` merges with.

A save re-reads the file with the cassette's lock held (:mod:`.locking`), so that what other
writers saved since the cassette opened is kept. A file is told apart from the one a cassette
opened by a hash of its bytes, not by its size and time (two writes within the clock's
resolution can share both).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..errors import CassetteFormatError
from . import locking, storage
from .records import Interaction


def digest(text: str) -> str:
    """The fingerprint of cassette text (the same as :func:`fingerprint` of its file)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(path: Path) -> str | None:
    """A hash of the bytes at ``path`` (``None``: no file), read in bounded pieces."""
    sha = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for piece in iter(lambda: handle.read(1 << 20), b""):
                sha.update(piece)
    except FileNotFoundError:
        return None
    return sha.hexdigest()


def read_lenient(path: Path) -> str | None:
    """The cassette text at ``path``; ``None`` when there is none or it is no text a cassette
    can be (a rewrite may replace a broken file)."""
    try:
        return storage.read_text(path)
    except (FileNotFoundError, CassetteFormatError):
        return None


def answered_on_disk(target: Path) -> list[Interaction]:
    """The interactions with an answer that the cassette file holds now (parsed anew)."""
    try:
        text = storage.read_text(target)
    except FileNotFoundError:
        return []
    return answered(storage.interactions_from_text(text, target))


def answered(interactions: list[Interaction]) -> list[Interaction]:
    return [i for i in interactions if i.response is not None]


def saved_since(target: Path, opened_text: str | None) -> list[Interaction]:
    """The answered interactions on disk now that were not there when the file read
    ``opened_text``: what other writers saved since (each earlier interaction is matched once,
    so a recording repeated since is kept)."""
    from . import yaml_format  # only while recording: replay needs no YAML

    before: dict[str, int] = {}
    for interaction in parse_or_nothing(opened_text, target):
        key = yaml_format.dumps([interaction])
        before[key] = before.get(key, 0) + 1
    kept = []
    for interaction in answered_on_disk(target):
        key = yaml_format.dumps([interaction])
        if before.get(key, 0):
            before[key] -= 1  # there when the cassette opened: what the rewrite replaces
        else:
            kept.append(interaction)
    return kept


def before_run(target: Path, run: str, opened_text: str | None) -> str | None:
    """The text ``target`` held before the run ``run`` first rewrote it (``opened_text`` is what
    the file held when the saving cassette opened; call with the lock held, before the save
    writes its rewrite note). The first save of a run notes it for the later ones, whichever
    process (xdist worker) they run in."""
    if locking.read_note(target, "rewrite") != run:
        locking.write_note(target, "before-run", f"{run}\n{opened_text or ''}")
        return opened_text
    noted = locking.read_note(target, "before-run") or ""
    head, _, text = noted.partition("\n")
    return text if head == run else None


#: The last text :func:`parse_or_nothing` parsed, by hash: the saves of a run that share a
#: cassette all look at what it held before the run.
_last_parse: tuple[str, list[Interaction]] | None = None


def parse_or_nothing(text: str | None, path: Path) -> list[Interaction]:
    """The interactions of ``text`` (none when it is ``None`` or no cassette); the caller must
    not change them (the last parse is shared)."""
    global _last_parse
    if text is None:
        return []
    key = digest(text)
    last = _last_parse
    if last is not None and last[0] == key:
        return last[1]
    try:
        parsed = storage.interactions_from_text(text, path)
    except CassetteFormatError:
        parsed = []
    _last_parse = (key, parsed)
    return parsed
