"""The record modes: the one definition the engine and the pytest plugin both read.

Standard library only, so the plugin can offer the modes as choices without loading the engine.
"""

from __future__ import annotations

from enum import Enum


class RecordMode(str, Enum):
    """When requests go to the network and get recorded (vcrpy's vocabulary).

    - ``none``: replay only; an unrecorded request fails and nothing reaches the network.
    - ``once``: record if the cassette file does not exist yet, otherwise behave like ``none``.
    - ``new_episodes``: replay what matches, record what does not and append it.
    - ``all``: record every request (never replay); new interactions are appended.
    - ``rewrite``: record every request into a cassette that starts empty.
    """

    NONE = "none"
    ONCE = "once"
    NEW_EPISODES = "new_episodes"
    ALL = "all"
    REWRITE = "rewrite"

    @classmethod
    def parse(cls, value: RecordMode | str) -> RecordMode:
        if isinstance(value, RecordMode):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            from ..errors import ConfigError

            valid = ", ".join(m.value for m in cls)
            raise ConfigError(f"unknown record mode {value!r}; valid modes: {valid}") from None


MODE_NAMES = tuple(m.value for m in RecordMode)
