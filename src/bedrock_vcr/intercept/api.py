"""The library entry point: :func:`use_cassette`, a context manager and decorator."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..cassettes.cassette import Cassette
from . import settings as _config
from .player import CassettePlayer

F = TypeVar("F", bound=Callable[..., Any])


class use_cassette:  # noqa: N801 - reads like vcrpy's use_cassette
    """Put every ``bedrock-runtime`` client under a cassette while the block or function runs.

    The cassette answers the requests of the thread or asyncio task that entered the block, of
    the tasks it starts, and of threads that activate no cassette of their own (pool workers);
    see :mod:`bedrock_vcr.intercept.clients`. Saving merges with what other writers saved
    meanwhile, under the cassette's lock (see :meth:`Cassette.save`).

    >>> with use_cassette("cassettes/llama.yaml", record_mode="once") as cassette:
    ...     client.invoke_model(...)

    Options: ``record_mode`` (``none`` default, ``once``, ``new_episodes``, ``all``,
    ``rewrite``), ``match_on``, ``ignore_body_keys``, ``matcher``, ``allow_playback_repeats``,
    ``replay_speed``, ``before_record_request``, ``before_record_response``, ``skip_backoff``,
    ``require_json_body``, ``validate_requests``, ``validate_responses``, ``strict_models``,
    ``model_families``, ``drop_unplayed``, ``exact_volatile`` (see the README section
    "Settings and precedence").
    """

    def __init__(self, path: str | Path, **options: Any) -> None:
        self.path = Path(path)
        self.config = _config.build(options, "use_cassette()")
        self._player: CassettePlayer | None = None

    def __enter__(self) -> Cassette:
        self._player = CassettePlayer.open(self.path, self.config)
        return self._player.__enter__()

    def __exit__(self, *exc: object) -> None:
        assert self._player is not None
        player, self._player = self._player, None
        player.__exit__(*exc)

    @property
    def player(self) -> CassettePlayer | None:
        return self._player

    def __call__(self, func: F) -> F:
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with use_cassette(self.path, **self._options()):
                    return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with use_cassette(self.path, **self._options()):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def _options(self) -> dict[str, Any]:
        c = self.config
        return {
            "record_mode": c.record_mode,
            "match_on": c.match.match_on,
            "ignore_body_keys": c.match.ignore_body_keys,
            "matcher": c.match.matcher,
            "allow_playback_repeats": c.allow_playback_repeats,
            "replay_speed": c.replay_speed,
            "before_record_request": c.before_record_request,
            "before_record_response": c.before_record_response,
            "drop_unplayed": c.drop_unplayed,
            "exact_volatile": c.exact_volatile,
            **c.extra,
        }


@contextmanager
def cassette_player(path: str | Path, **options: Any) -> Iterator[CassettePlayer]:
    """Like :func:`use_cassette` but yields the player (requests seen, checks, cassette)."""
    player = CassettePlayer.open(path, _config.build(options, "cassette_player()"))
    with player:
        yield player
