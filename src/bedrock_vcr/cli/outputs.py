"""Where the commands that write cassettes (``scrub``, ``import``) put each one, and how every
command reports a file it could not handle.

Both commands take several cassettes and an optional ``-o``: a file for one cassette, an existing
folder for any number (each written under its own name). Every destination is worked out before
anything is written, so arguments that would write one file twice (several cassettes into one
file, two cassettes of the same name into one folder) are refused up front with exit status 2
and nothing touched. A file that fails later is reported on one line (or, for a bedrock-vcr
error, with its where/fix lines) and the batch goes on; the command exits 1 at the end.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path


def _error(command: str, text: str) -> None:
    print(f"bedrock-vcr {command}: {text}", file=sys.stderr)


def destinations(
    command: str, sources: Sequence[Path], output: str | None, default: Callable[[Path], Path]
) -> list[Path] | None:
    """The path each of ``sources`` is written to, or ``None`` (after printing why) when the
    arguments would write one file for two different cassettes."""
    if output is None:
        targets = [default(src) for src in sources]
    else:
        out = Path(output)
        if out.is_dir():
            targets = [out / src.name for src in sources]
        elif len({src.resolve() for src in sources}) > 1:
            _error(
                command,
                f"--output must be a folder when {command} is given several cassettes "
                f"({out} is not an existing folder); nothing was written",
            )
            return None
        else:
            targets = [out for _ in sources]
    claimed: dict[Path, Path] = {}
    for src, target in zip(sources, targets, strict=True):
        first = claimed.setdefault(target.resolve(), src)
        if first.resolve() != src.resolve():
            _error(
                command,
                f"{first} and {src} would both be written to {target}; nothing was written "
                "(rename one, or run the command once per folder)",
            )
            return None
    return targets


def report_failure(command: str, path: Path, exc: BaseException) -> None:
    """Print why ``path`` could not be handled: one line for a file-system error."""
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        if exc.filename is not None and Path(exc.filename) != path:
            reason += f": {exc.filename}"
        _error(command, f"{path}: {reason}")
    else:
        _error(command, str(exc))


def report_total(command: str, failed: int, total: int) -> int:
    """Print how many of a batch failed (when it was a batch); the exit status."""
    if failed and total > 1:
        _error(command, f"{failed} of {total} cassette(s) failed")
    return 1 if failed else 0
