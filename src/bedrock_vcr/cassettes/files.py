"""Reading a whole file by its descriptor, with a cap, in as few system calls as it takes.

A test's cassette load reads two small files (the cassette and its cache entry). Python's
buffered ``open`` adds an ``fstat`` and an ``isatty`` of its own and two objects to each; these
reads ask the kernel for the file's size once and read it in one call (a pipe, which reports
no size, or a file that grew, is read on in pieces up to the cap).
"""

from __future__ import annotations

import os
from pathlib import Path

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)

_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
#: Bytes asked for by each read after the first.
PIECE = 1 << 20


def open_file(path: Path | str) -> int:
    """A descriptor of ``path`` open for reading (``OSError`` as ``open`` raises it)."""
    return os.open(path, _FLAGS)


def read_all(fd: int, cap: int) -> bytes | None:
    """Every byte of open file ``fd`` (closed afterwards); ``None`` when it holds more than
    ``cap`` (found unread when its size says so).

    A read allocates all it asks for: reads ask for what the size says is left and one byte
    more (which tells a file that grew, or a pipe, which reports 0); once past the size they
    ask for :data:`PIECE` each. Reading stops at the size, at end of file, or once more than
    ``cap`` bytes came.
    """
    try:
        size = os.fstat(fd).st_size
        if size > cap:
            return None  # refused unread
        pieces: list[bytes] = []
        total = 0
        want = size + 1
        while total <= cap:
            piece = os.read(fd, want)
            if not piece:
                break
            pieces.append(piece)
            total += len(piece)
            if total == size:
                break  # all the size said, and no byte more in the same read
            want = size + 1 - total if total < size else PIECE
    finally:
        os.close(fd)
    if total > cap:
        return None
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)
