"""The two bases, their pickling, and what every message shares (the README pointer,
the did-you-mean)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

DOCS = "the README section #"
SCHEMAS_DOCS = "README section #schemas"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest choice, or ``""`` when none is close."""
    close = difflib.get_close_matches(str(word), sorted(set(choices)), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _restore(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class BedrockVCRError(Exception):
    """Base class of every error bedrock-vcr raises."""

    def __reduce__(self) -> tuple[Any, ...]:
        # constructors take keyword-only context; pickle the finished message and attributes
        # instead of calling __init__ again with the message as its only argument
        return (_restore, (type(self), self.args, dict(self.__dict__)))


class BedrockVCRWarning(UserWarning):
    """Base class of every warning bedrock-vcr emits (they pickle the same way)."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self.args, dict(self.__dict__)))
