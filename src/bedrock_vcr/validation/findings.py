"""A schema violation found in a recording, located (file, interaction, part), and the warning
or error text that reports a batch of them.

Shared by :mod:`.checks`, which finds them (``bedrock-vcr validate`` prints them), and
:mod:`.policy`, which reports them as a :class:`~bedrock_vcr.errors.SchemaDriftWarning` or a
:class:`~bedrock_vcr.errors.CassetteSchemaError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from .validate import Violation

_README = "README section #schemas"


@dataclass(frozen=True)
class Finding:
    """One violation in a recorded interaction, located by file, interaction and part.

    ``part`` is ``request``, ``response`` or ``chunk``; for a chunk, ``event`` is its index in
    the response stream (counting every event, as the cassette's ``stream:`` lists them).
    """

    operation: str
    model_id: str
    part: str
    violation: Violation
    event: int | None = None
    interaction: int | None = None
    path: Path | None = None

    @property
    def where(self) -> str:
        part = f"chunk {self.event}" if self.event is not None else self.part
        head = f"interaction {self.interaction} " if self.interaction is not None else ""
        return f"{head}({self.operation} {self.model_id}) {part}"

    def __str__(self) -> str:
        v = self.violation
        return f"{self.where} {v.path} [{v.keyword}]: {v.message}"


def drift_message(findings: Sequence[Finding], *, cassette: Path | None, recording: bool) -> str:
    count = len(findings)
    plural = "s" if count != 1 else ""
    if recording:
        head = (
            f"bedrock-vcr: {count} schema violation{plural} in traffic Bedrock accepted while "
            "recording; Bedrock is the authority, so the schema is wrong or the API changed:"
        )
    else:
        head = (
            f"bedrock-vcr: {count} schema violation{plural} in recorded answers; the schema is "
            "wrong, the API changed since recording, or the cassette was edited:"
        )
    lines = [head, *(f"  {f}" for f in findings)]
    if cassette is not None:
        lines.append(f"  cassette: {cassette}")
    lines.append(
        "  fix: if the API changed, re-record (--bedrock-record-mode=rewrite) and report the "
        "schema; a custom model may need model_families={...}; silence with "
        f"validate_responses='off' (see the {_README})."
    )
    return "\n".join(lines)
