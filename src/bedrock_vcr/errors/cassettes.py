"""Errors and warnings about cassette files: format, secrets, locks, paths."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .base import BedrockVCRError, BedrockVCRWarning

# --- cassettes ---------------------------------------------------------------------------------


class CassetteError(BedrockVCRError):
    """A cassette file is unreadable, malformed or cannot be written."""

    def __init__(
        self,
        problem: str,
        *,
        path: Path | str | None = None,
        interaction: int | None = None,
        json_path: str | None = None,
        fix: str | None = None,
        file_format: str | None = None,
    ) -> None:
        self.problem = problem
        self.path = Path(path) if path is not None else None
        self.interaction = interaction
        self.json_path = json_path
        self.fix = fix
        #: The format the file was read as (``"nock JSON"``, ``"gzip-compressed vcrpy YAML"``).
        self.file_format = file_format
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.path is not None:
            where.append(str(self.path))
        if self.file_format:
            where.append(f"read as {self.file_format}")
        if self.interaction is not None:
            where.append(f"interaction {self.interaction}")
        if self.json_path:
            where.append(self.json_path)
        text = self.problem
        if where:
            text += "\n  where: " + ", ".join(where)
        if self.fix:
            text += "\n  fix: " + self.fix
        return text


class CassetteFormatError(CassetteError, ValueError):
    """A cassette does not follow the bedrock-vcr cassette format (or its version is unknown)."""


class TruncatedStreamWarning(BedrockVCRWarning):
    """A loaded cassette holds a stream that does not end the way its operation and model family
    end (its final events are missing): the recording was cut short. Once per cassette file."""


class UnusedIgnoreKeyWarning(BedrockVCRWarning):
    """``ignore_body_keys`` entries that named no key of any request a cassette saw (recorded or
    made): most likely misspelled, so they ignored nothing. Once per cassette use; ``keys`` are
    the entries, ``path`` the cassette."""

    def __init__(self, message: str, *, keys: Sequence[str] = (), path: Path | str | None = None):
        self.keys = tuple(keys)
        self.path = Path(path) if path is not None else None
        super().__init__(message)


class CassetteNotFoundError(CassetteError, AssertionError):
    """Replay-only mode was asked to replay a cassette that does not exist."""


class SecretInCassetteError(CassetteError):
    """A cassette about to be written still holds a credential; nothing was written.

    ``locations`` names every place found (interaction, JSON path, chunks; or file line).
    """

    def __init__(self, problem: str, *, locations: Sequence[str] = (), **where: Any) -> None:
        self.locations = tuple(locations)
        super().__init__(problem, **where)


class SecretRedactedWarning(BedrockVCRWarning):
    """A credential value the recording client holds was replaced by ``<redacted:NAME>`` in a
    cassette being written; ``locations`` names where (interaction, JSON path, chunks)."""

    def __init__(
        self, message: str, *, path: Path | str | None = None, locations: Sequence[str] = ()
    ):
        self.path = Path(path) if path is not None else None
        self.locations = tuple(locations)
        super().__init__(message)


class VcrpyCassetteError(CassetteError):
    """A command that rewrites bedrock-vcr cassettes was given a vcrpy one; it is left unchanged
    (rewriting it would change its format and drop its non-Bedrock interactions)."""
