"""What the server answers from: the :class:`Source` protocol and the two plain sources.

A source needs only ``answer(request)``; the App asks each in turn. Kept apart from the HTTP code
so that a routes file (:mod:`~bedrock_vcr.server.routes_file`) can build sources without
loading ``http.server``. The simulated source, answering from routes, is
:class:`~bedrock_vcr.server.routes_file.SimulationSource`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from ..cassettes.cassette import Cassette, CassetteConfig, RecordMode
from ..cassettes.matching import MatchConfig
from ..cassettes.records import Interaction, RecordedRequest, RecordedResponse
from ..errors import CassetteNotFoundError
from . import unmatched

#: Distinct requests whose answers a cassette source remembers (then it starts afresh).
_REMEMBERED = 10_000


class Source(Protocol):
    """Anything that can answer a request. Optional extras: ``knows_model(model_id) -> bool``
    (see :mod:`bedrock_vcr.server.app`), ``explain(request) -> str`` (why nothing matched) and
    ``nonblocking = True`` (``answer`` never waits: the server may ask it on its event loop)."""

    def answer(self, request: RecordedRequest) -> RecordedResponse | None: ...


class CassetteSource:
    """Serves the interactions of one or more cassette files (each answer may repeat)."""

    nonblocking = True

    def __init__(self, paths: Iterable[Path | str], match: MatchConfig | None = None) -> None:
        self.match = match or MatchConfig()
        config = CassetteConfig(
            record_mode=RecordMode.NONE,
            match=self.match,
            allow_playback_repeats=True,
        )
        self.cassettes = []
        for p in paths:
            cassette = Cassette(Path(p), config)
            if not cassette.existed:
                raise CassetteNotFoundError(
                    "the cassette to serve does not exist",
                    path=cassette.path,
                    fix="check the path, or record the cassette first",
                )
            self.cassettes.append(cassette)
        self._models = frozenset(
            interaction.request.model_id
            for cassette in self.cassettes
            for interaction in cassette.interactions
        )
        self._last: dict[tuple[object, ...], Interaction] = {}
        self._settled: dict[tuple[object, ...], RecordedResponse] = {}

    @classmethod
    def of(cls, cassettes: Iterable[Cassette]) -> CassetteSource:
        """Serve cassettes already open, with their own settings and played order (the
        ``bedrock_server`` fixture serves the test's cassette this way)."""
        source = cls(())
        source.cassettes = list(cassettes)
        source._models = frozenset(
            i.request.model_id for cassette in source.cassettes for i in cassette.interactions
        )
        return source

    def answer(self, request: RecordedRequest) -> RecordedResponse | None:
        key = self._key(request)
        settled = self._settled.get(key)
        if settled is not None:
            return settled
        for cassette in self.cassettes:
            found = cassette.find(request)
            if found is not None:
                self._remember(key, found)
                return found.response
        return None

    def _key(self, request: RecordedRequest) -> tuple[object, ...]:
        headers = tuple(sorted(request.headers.items())) if "headers" in self.match.match_on else ()
        return request.operation, request.model_id, request.body, headers

    def _remember(self, key: tuple[object, ...], found: Interaction) -> None:
        """Answer the same request bytes without matching once its answer is settled.

        A cassette gives the recordings of one request in order, then repeats the last for good
        (``allow_playback_repeats``): the same answer twice in a row means it will not change.
        A custom matcher may decide otherwise each time, so nothing is kept with one."""
        if self.match.matcher is not None or found.response is None:
            return
        if len(self._last) > _REMEMBERED:
            self._last.clear()
            self._settled.clear()
        if self._last.get(key) is found:
            self._settled[key] = found.response
        else:
            self._last[key] = found

    def knows_model(self, model_id: str) -> bool:
        return model_id in self._models

    def explain(self, request: RecordedRequest) -> str:
        return unmatched.explain(self.cassettes, request)


class ScriptedSource:
    """Answers from a function of the request (tests and demos script answers this way).

    ``models``: ids or :mod:`fnmatch` patterns of models the function stands for beyond the ones
    Bedrock has (say, a custom model's name), so the server does not call them invalid.
    """

    def __init__(
        self,
        func: Callable[[RecordedRequest], RecordedResponse | None],
        models: Iterable[str] = (),
    ) -> None:
        self.func = func
        self.models = tuple(models)

    def answer(self, request: RecordedRequest) -> RecordedResponse | None:
        return self.func(request)

    def knows_model(self, model_id: str) -> bool:
        return any(fnmatch.fnmatchcase(model_id, pattern) for pattern in self.models)


__all__ = ["CassetteSource", "ScriptedSource", "Source"]
