"""Several cassettes for one test: the test's own, and extra ones it only reads.

A request is looked up in the own cassette first, then in each extra cassette in the order they
were given (in the modes that replay, so not in ``all`` or ``rewrite``); the first recording
that matches is replayed (each cassette keeps its own count of
what it played, so identical requests play each cassette's answers in order). A request found
nowhere is recorded into the own cassette when its record mode records; extra cassettes are
never written. When nothing matches and nothing records, the error names the cassette holding
the closest recorded requests, among all of them.

Extra cassettes use the own cassette's matching settings in record mode ``none``; they may be
bedrock-vcr cassettes or vcrpy files, as any cassette. The option is ``extra_cassettes``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..errors import CassetteNotFoundError, UnmatchedRequestError
from .cassette import Cassette
from .modes import RecordMode
from .records import Interaction, RecordedRequest

OPTION = "extra_cassettes"


def extra_paths(value: str | Path | Iterable[str | Path] | None) -> list[Path]:
    """The ``extra_cassettes`` option as paths (one path, or several)."""
    if value is None:
        return []
    items = [value] if isinstance(value, (str, Path)) else list(value)
    return [Path(item) for item in items]


def open_extras(own: Cassette) -> list[Cassette]:
    """The extra cassettes ``own``'s config names, opened read-only; a missing file fails."""
    paths = extra_paths(own.config.extra.get(OPTION))
    if not paths:
        return []
    config = dataclasses.replace(own.config, record_mode=RecordMode.NONE)
    extras: list[Cassette] = []
    seen = {own.path.resolve()}
    for path in paths:
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        if not path.is_file():
            raise CassetteNotFoundError(
                "an extra cassette (read-only) does not exist",
                path=path,
                fix=f"fix the path in {OPTION}; extra cassettes are only read, recording goes "
                f"into the test's own cassette {own.path}",
            )
        extras.append(Cassette(path, config))
    return extras


def find_answer(
    own: Cassette, extras: Sequence[Cassette], request: RecordedRequest
) -> Interaction | None:
    """The first unplayed answer for ``request``: in ``own``, then in each extra cassette.

    In the record modes that replay nothing (``all``, ``rewrite``) the extras replay nothing
    either: every request is recorded into ``own``.
    """
    found = own.find(request)
    if found is not None or not own.replays:
        return found
    for cassette in extras:
        found = cassette.find(request)
        if found is not None and found.response is not None:
            return found
    return None


def unmatched_error(
    own: Cassette, extras: Sequence[Cassette], request: RecordedRequest
) -> UnmatchedRequestError:
    """The error for a request no cassette answers: the closest recordings among all of them."""
    error = own.unmatched(request)
    if not extras:
        return error
    best = error
    for cassette in extras:
        other = cassette.unmatched(request)
        if _closeness(other) < _closeness(best):
            best = other
    searched = ", ".join(str(c.path) for c in extras)
    return UnmatchedRequestError(
        operation=error.operation,
        model_id=error.model_id,
        cassette=best.cassette,
        record_mode=error.record_mode,
        candidates=best.candidates,
        reason=f"{best.reason} (searched the test's cassette {own.path} (where new "
        f"recordings go) and its extra cassettes {searched}; the closest recordings are in "
        "the cassette below)",
    )


def _closeness(error: UnmatchedRequestError) -> tuple[int, int]:
    """Lower is closer: an answer already used beats a near miss; then fewer differences."""
    if not error.candidates:
        return (2, 0)
    if "already answered" in error.reason:
        return (0, 0)
    return (1, min(len(c.differences) for c in error.candidates))
