"""Errors of replaying and recording: unmatched requests, bodies, settings, threads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .base import DOCS, BedrockVCRError
from .cassettes import CassetteError

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
        target_kind: str = "model",
    ) -> None:
        self.operation = operation
        self.model_id = model_id
        self.cassette = Path(cassette)
        self.record_mode = record_mode
        self.candidates = tuple(candidates)
        self.reason = reason
        self.target_kind = target_kind
        super().__init__(self._render())

    def _render(self) -> str:
        target = f" to {self.target_kind} {self.model_id!r}" if self.model_id else ""
        if self.target_kind == "query":
            target = f" with query {self.model_id!r}" if self.model_id else " with no query"
        lines = [
            f"{self.operation} request{target} {self.reason}.",
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
            what = "" if self.target_kind == "none" else f" and {self.target_kind}"
            lines.append(f"  the cassette holds no request for this operation{what}.")
        lines.append(
            "  fix: if the request changed on purpose, re-record: `pytest "
            "--bedrock-record-mode=new_episodes` adds it, `=rewrite` records the cassette anew "
            "(outside pytest: use_cassette(..., record_mode='new_episodes')); otherwise relax "
            f"matching with `match_on`/`ignore_body_keys` (see {DOCS}matching)."
        )
        return "\n".join(lines)


class UnsupportedOperationError(BedrockVCRError, AssertionError):
    """A Bedrock Runtime operation bedrock-vcr cannot record, replay or simulate."""

    def __init__(
        self, *, operation: str, method: str, path: str, supported: Sequence[str], why: str = ""
    ) -> None:
        self.operation = operation
        self.method = method
        self.path = path
        self.supported = tuple(supported)
        self.why = why
        reason = why or "botocore is newer than this bedrock-vcr"
        super().__init__(
            f"bedrock-vcr does not support the Bedrock Runtime operation {operation} "
            f"({method} {path.split('?', 1)[0]}): {reason}.\n"
            f"  supported: {', '.join(self.supported)}\n"
            "  fix: upgrade bedrock-vcr, or make this call outside the cassette or mock (see "
            f"{DOCS}operations)."
        )


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


class CassetteLockTimeout(CassetteError):
    """Another process held a cassette's write lock for longer than the write may wait.

    Nothing was written: this writer's recordings are still in memory, and are lost only if the
    error is ignored. ``holder`` says who took the lock last (pid, host, command), when known.
    """

    def __init__(
        self, *, path: Path | str, lock_path: Path | str, waited: float, holder: str | None
    ) -> None:
        self.lock_path = Path(lock_path)
        self.waited = waited
        self.holder = holder
        who = f" (held by {holder})" if holder else ""
        super().__init__(
            f"another process is writing this cassette: waited {waited:g} s for its lock "
            f"{self.lock_path}{who}",
            path=path,
            fix="let that process finish or stop it (a hung test or recorder); the kernel frees "
            "the lock when its holder exits, so never delete the lock file. To wait longer, set "
            "BEDROCK_VCR_LOCK_TIMEOUT=<seconds>",
        )


class AmbiguousCassetteError(BedrockVCRError):
    """A request came from a thread that activated no cassette or mock itself while several
    threads or tasks have their own, so which one it belongs to cannot be told."""

    def __init__(self, *, thread: str, flows: Sequence[str]) -> None:
        self.thread = thread
        self.flows = tuple(flows)
        lines = [
            f"a Bedrock request from thread {thread!r}, which activated no cassette or mock, "
            f"while {len(self.flows)} threads or tasks have their own:",
            *(f"  - {flow}" for flow in self.flows),
            "  fix: activate the cassette or mock in that thread, or start the thread inside the "
            "block with the block's context: `ctx = contextvars.copy_context(); "
            "threading.Thread(target=ctx.run, args=(work,))` (asyncio tasks and "
            "asyncio.to_thread copy it already)",
        ]
        super().__init__("\n".join(lines))
