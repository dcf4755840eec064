"""Exceptions raised by bedrock-vcr.

Every exception derives from :class:`BedrockVCRError`. Failures that pytest should report as a
failed test (rather than an error in the tool) also derive from :class:`AssertionError`; codec and
configuration errors also derive from :class:`ValueError`. Each class keeps its context as
attributes and builds its message from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

DOCS = "the README section #"


class BedrockVCRError(Exception):
    """Base class of every error bedrock-vcr raises."""


# --- event-stream codec -----------------------------------------------------------------------


class EventStreamError(BedrockVCRError, ValueError):
    """A frame of ``application/vnd.amazon.eventstream`` could not be encoded or decoded."""

    def __init__(self, message: str, *, offset: int | None = None) -> None:
        self.offset = offset
        where = f" (at byte {offset} of the stream)" if offset is not None else ""
        super().__init__(message + where)


class ChecksumMismatch(EventStreamError):
    """A prelude or message CRC32 did not match the bytes it covers."""

    def __init__(self, part: str, expected: int, calculated: int, *, offset: int | None = None):
        self.part = part
        self.expected = expected
        self.calculated = calculated
        super().__init__(
            f"{part} CRC mismatch: frame says 0x{expected:08x}, calculated 0x{calculated:08x}; "
            "the frame is corrupt or truncated",
            offset=offset,
        )


class InvalidHeadersLength(EventStreamError):
    """The prelude declares a headers section that cannot be right."""

    def __init__(self, length: int, *, offset: int | None = None, total: int | None = None) -> None:
        self.length = length
        self.total = total
        if total is not None:
            problem = (
                f"headers length {length} does not fit in a frame of {total} bytes "
                "(prelude and CRCs take 16)"
            )
        else:
            problem = f"headers length {length} exceeds the 131072-byte limit"
        super().__init__(problem, offset=offset)


class InvalidPayloadLength(EventStreamError):
    """The prelude declares a payload longer than the protocol allows."""

    def __init__(self, length: int, *, offset: int | None = None) -> None:
        self.length = length
        super().__init__(f"payload length {length} exceeds the 25165824-byte limit", offset=offset)


class DuplicateHeader(EventStreamError):
    """A header name appears twice in one frame."""

    def __init__(self, name: str, *, offset: int | None = None) -> None:
        self.name = name
        super().__init__(f"header {name!r} appears more than once in one frame", offset=offset)


class TruncatedFrame(EventStreamError):
    """The stream ended in the middle of a frame."""

    def __init__(self, have: int, need: int, *, offset: int | None = None) -> None:
        self.have = have
        self.need = need
        super().__init__(
            f"stream ended inside a frame: {have} bytes left, the frame needs {need}",
            offset=offset,
        )


class InvalidHeader(EventStreamError):
    """A header could not be decoded or a header value cannot be encoded."""


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
    ) -> None:
        self.problem = problem
        self.path = Path(path) if path is not None else None
        self.interaction = interaction
        self.json_path = json_path
        self.fix = fix
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.path is not None:
            where.append(str(self.path))
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


class CassetteNotFoundError(CassetteError, AssertionError):
    """Replay-only mode was asked to replay a cassette that does not exist."""


class SecretInCassetteError(CassetteError):
    """A cassette about to be written still holds a credential; nothing was written."""


# --- replay ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A recorded request that came close to an unmatched one, and why it did not match."""

    index: int
    operation: str
    model_id: str
    differences: tuple[str, ...] = field(default_factory=tuple)


class UnmatchedRequestError(BedrockVCRError, AssertionError):
    """A request matched no recorded interaction and the record mode forbids recording it."""

    def __init__(
        self,
        *,
        operation: str,
        model_id: str,
        cassette: Path | str,
        record_mode: str,
        candidates: Sequence[Candidate] = (),
        reason: str = "matches no recorded interaction",
    ) -> None:
        self.operation = operation
        self.model_id = model_id
        self.cassette = Path(cassette)
        self.record_mode = record_mode
        self.candidates = tuple(candidates)
        self.reason = reason
        super().__init__(self._render())

    def _render(self) -> str:
        lines = [
            f"{self.operation} request to model {self.model_id!r} {self.reason}.",
            f"  cassette: {self.cassette}",
            f"  record mode: {self.record_mode}",
        ]
        if self.candidates:
            lines.append("  closest recorded requests:")
            for cand in self.candidates:
                lines.append(f"    #{cand.index} {cand.operation} {cand.model_id}")
                for diff in cand.differences:
                    lines.append(f"        - {diff}")
        else:
            lines.append("  the cassette holds no request for this operation and model.")
        lines.append(
            "  fix: if the request changed on purpose, re-record: `pytest "
            "--bedrock-record-mode=new_episodes` adds it, `=rewrite` records the cassette anew "
            "(outside pytest: use_cassette(..., record_mode='new_episodes')); otherwise relax "
            f"matching with `match_on`/`ignore_body_keys` (see {DOCS}matching)."
        )
        return "\n".join(lines)


class RequestBodyError(BedrockVCRError, ValueError):
    """A request body could not be read as the JSON the operation requires."""

    def __init__(self, *, operation: str, model_id: str, problem: str) -> None:
        self.operation = operation
        self.model_id = model_id
        self.problem = problem
        super().__init__(
            f"{operation} request to model {model_id!r} has a body that is not valid JSON: "
            f"{problem}.\n  fix: pass `body=json.dumps(payload)`; Bedrock rejects a non-JSON "
            "body with a ValidationException."
        )


class ConfigError(BedrockVCRError, ValueError):
    """A setting has an invalid value or an unknown name."""


class RecordingError(BedrockVCRError):
    """A response could not be recorded faithfully."""
