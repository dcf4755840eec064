"""A bounded memo keyed by request bytes, for per-call work that depends on nothing else.

Replay and simulation see the same request bodies again and again (a test suite sends each one
at every run, a retry sends it twice); the verdict of the request check and the canonical form
matching compares are functions of those bytes and a few settings. :class:`BytesMemo` keeps
such results with a budget on the bytes its keys hold; past the budget it starts afresh.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

#: A body larger than this is never kept (its result is computed on every call).
MAX_BODY = 256 * 1024


class BytesMemo(Generic[V]):
    """Results by ``(body, settings...)`` keys; ``budget``: bytes of bodies kept at most."""

    def __init__(self, budget: int = 16 * 1024 * 1024) -> None:
        self._values: dict[Hashable, V] = {}
        self._budget = budget
        self._held = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        return self._values.get(key)

    def put(self, key: Hashable, body: bytes, value: V) -> None:
        """Keep ``value`` for ``key`` (whose bytes are ``body``) unless ``body`` is too large."""
        size = len(body)
        if size > MAX_BODY:
            return
        with self._lock:
            if self._held + size > self._budget:
                self._values.clear()
                self._held = 0
            if key not in self._values:
                self._held += size
            self._values[key] = value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._held = 0

    def __len__(self) -> int:
        return len(self._values)
