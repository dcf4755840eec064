"""The write lock of a cassette, and the folder git ignores where it and temporary files live.

Every write of a cassette (a recording's save, ``scrub``, ``import``) holds the cassette's lock,
a ``filelock`` lock (``flock`` on Unix: the kernel frees it when its holder dies, so a killed
writer never leaves it held). The lock file, the temporary file of a write in progress and the
note of who holds the lock live in ``.bedrock-vcr/`` beside the cassette (beside the target of
a symlinked cassette), a folder holding a ``.gitignore`` of ``*``: ``git add cassettes/`` never
picks any of them up, and the folder can be deleted whenever no write is running. The lock file
itself stays after a write: removing a ``flock`` file that others may be waiting on breaks the
lock, which is why it sits in an ignored folder rather than being cleaned up.

Writers in one process are serialised by a per-cassette thread lock first, so the file lock is
only ever taken once per process per cassette; a thread that holds it may take it again.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..errors import CassetteLockTimeout, ConfigError

#: The folder beside each cassette for its lock, its temporary files and its rewrite note.
WORK_DIR = ".bedrock-vcr"
GITIGNORE = "*\n# bedrock-vcr: lock and temporary files of cassette writes; never commit them\n"
#: How long a write waits for another process's write of the same cassette, in seconds.
DEFAULT_TIMEOUT = 30.0
TIMEOUT_ENV = "BEDROCK_VCR_LOCK_TIMEOUT"

_registry_lock = threading.Lock()
_thread_locks: dict[Path, threading.RLock] = {}
_depth: dict[Path, int] = {}


def real_path(path: Path | str) -> Path:
    """Where a write of ``path`` lands: its symlinks followed (a dangling link's target too)."""
    return Path(os.path.realpath(path))


def work_dir(target: Path, *, create: bool = False) -> Path:
    """``.bedrock-vcr/`` beside ``target`` (a real path), with its ``.gitignore`` if created."""
    folder = target.parent / WORK_DIR
    if create:
        folder.mkdir(parents=True, exist_ok=True)
        try:
            with open(folder / ".gitignore", "x", encoding="utf-8") as ignore:
                ignore.write(GITIGNORE)
        except FileExistsError:
            pass
    return folder


def lock_path(path: Path | str) -> Path:
    """The lock file of the cassette at ``path`` (links to one file share one lock)."""
    target = real_path(path)
    return work_dir(target) / f"{target.name}.lock"


def note_path(target: Path, kind: str) -> Path:
    """A small state file of the cassette ``target`` in its work folder (``owner``, ...)."""
    return work_dir(target) / f"{target.name}.{kind}"


def timeout() -> float:
    """The lock wait from ``BEDROCK_VCR_LOCK_TIMEOUT`` (seconds), else :data:`DEFAULT_TIMEOUT`."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also refuses nan
        raise ConfigError(
            f"{TIMEOUT_ENV} must be a number of seconds >= 0 (how long a cassette write waits "
            f"for another process's), got {raw!r}"
        )
    return value


@contextmanager
def locked(path: Path | str) -> Iterator[Path]:
    """Hold the write lock of the cassette at ``path``; yields the file a write replaces.

    Waits at most :func:`timeout` seconds for another process, then raises
    :class:`CassetteLockTimeout` naming the lock file and its last holder.
    """
    target = real_path(path)
    with _registry_lock:
        thread_lock = _thread_locks.setdefault(target, threading.RLock())
    wait = timeout()
    if not thread_lock.acquire(timeout=wait if wait > 0 else 0):
        raise CassetteLockTimeout(
            path=target, lock_path=lock_path(target), waited=wait, holder="another thread"
        )
    try:
        depth = _depth.get(target, 0)
        _depth[target] = depth + 1
        try:
            if depth:
                yield target
            else:
                with _file_lock(target, wait):
                    yield target
        finally:
            _depth[target] = depth
    finally:
        thread_lock.release()


@contextmanager
def _file_lock(target: Path, wait: float) -> Iterator[None]:
    import filelock  # here: importing bedrock_vcr (and the pytest plugin) stays light

    work_dir(target, create=True)
    lock = filelock.FileLock(str(lock_path(target)), timeout=wait)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise CassetteLockTimeout(
            path=target, lock_path=lock_path(target), waited=wait, holder=_holder(target)
        ) from None
    try:
        _note_holder(target)
        yield
    finally:
        lock.release()


def _note_holder(target: Path) -> None:
    """Say who holds the lock now, for the message of a writer that times out waiting."""
    since = datetime.now(timezone.utc).isoformat(timespec="seconds")
    command = " ".join(sys.argv)[:200] or sys.executable
    note = f"pid {os.getpid()} on {socket.gethostname()} since {since}: {command}\n"
    try:
        # in place, not replaced: only a message reads it, and a write keeps to one rename
        note_path(target, "owner").write_text(note, encoding="utf-8")
    except OSError:
        pass


def _holder(target: Path) -> str | None:
    try:
        return note_path(target, "owner").read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def read_note(target: Path, kind: str) -> str | None:
    """A state file's text (see :func:`note_path`), or ``None`` if there is none."""
    try:
        return note_path(target, kind).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def write_note(target: Path, kind: str, text: str) -> None:
    """Replace a state file of ``target`` in one step (call with the lock held)."""
    work_dir(target, create=True)
    _write_small(note_path(target, kind), text)


def _write_small(path: Path, text: str) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
