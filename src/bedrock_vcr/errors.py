"""Every exception and warning bedrock-vcr raises, in one place at the bottom of the layers.

Every exception derives from :class:`BedrockVCRError`, every warning from
:class:`BedrockVCRWarning`. Failures that pytest should report as a failed test (rather than an
error in the tool) also derive from :class:`AssertionError`; codec and configuration errors also
derive from :class:`ValueError`. Each class keeps its context as attributes and builds its
message from them. Exceptions pickle with their message and attributes intact (pytest-xdist
sends them between processes), whatever their constructor takes.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
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
    """Base class of every warning bedrock-vcr emits."""


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


class TruncatedStreamWarning(BedrockVCRWarning):
    """A loaded cassette holds a stream that does not end the way its operation and model family
    end (its final events are missing): the recording was cut short. Once per cassette file."""


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

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self.args, dict(self.__dict__)))


class VcrpyCassetteError(CassetteError):
    """A command that rewrites bedrock-vcr cassettes was given a vcrpy one; it is left unchanged
    (rewriting it would change its format and drop its non-Bedrock interactions)."""


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


# --- the local server -----------------------------------------------------------------------------


class ServeConfigError(ConfigError):
    """A ``serve`` config file or option is invalid; says where (file, route, key) and why."""

    def __init__(self, problem: str, *, where: str, fix: str | None = None) -> None:
        self.problem = problem
        self.where = where
        self.fix = fix
        text = f"{where}: {problem}"
        if fix:
            text += f"\n  fix: {fix}"
        super().__init__(text)


class SimulationError(BedrockVCRError):
    """A declared outcome cannot answer this request (the server answers it with a 400)."""

    def __init__(self, problem: str, *, route: str) -> None:
        self.problem = problem
        self.route = route
        super().__init__(f"bedrock-vcr {route} cannot answer this request: {problem}")


# --- interception ---------------------------------------------------------------------------------


class UnfinishedStreamWarning(BedrockVCRWarning):
    """An async stream being recorded was not read to its end before the cassette closed."""


class AsyncClientNotSupported(BedrockVCRError):
    """An aiobotocore client's HTTP backend cannot be recorded (neither aiohttp nor httpx)."""


# --- simulation through bedrock_mock --------------------------------------------------------------


class UnexpectedRequestError(BedrockVCRError, AssertionError):
    """A request matched no route of an active :class:`BedrockMock`."""

    def __init__(self, request: Any, reasons: Sequence[tuple[str, str]]) -> None:
        self.request = request
        self.reasons = tuple(reasons)
        lines = [f"{request.operation} request to model {request.model_id!r} matches no route."]
        if reasons:
            lines.append("  routes declared:")
            lines += [f"    {route}: {why}" for route, why in reasons]
        else:
            lines.append("  no route is declared.")
        lines.append(
            f"  fix: declare it, e.g. bedrock_mock.on(model_id={request.model_id!r}, "
            f"operation={request.operation!r}).return_value = Answer(...); or let unmatched "
            "requests through with passthrough=True."
        )
        super().__init__("\n".join(lines))


class RouteExhaustedError(BedrockVCRError, AssertionError):
    """A route's ``side_effect`` sequence ran out of outcomes."""

    def __init__(self, route: object, count: int) -> None:
        self.route = route
        self.count = count
        super().__init__(
            f"{route} received call #{count} but its side_effect sequence holds only "
            f"{count - 1} outcome{'s' if count != 2 else ''}.\n  fix: add outcomes to the "
            "sequence, or set return_value for an answer that repeats."
        )


class MockVerificationError(BedrockVCRError, AssertionError):
    """At exit: routes never called, outcomes never used, or requests left unanswered."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        lines = ["bedrock_mock expectations not met:"]
        lines += [f"  - {p}" for p in self.problems]
        lines.append(
            "  fix: remove the unused declarations, mark a route optional "
            "(on(..., optional=True)), or turn the check off with assert_all_called=False "
            "(@pytest.mark.bedrock_mock(assert_all_called=False) in pytest)."
        )
        super().__init__("\n".join(lines))


# --- schemas and validation -----------------------------------------------------------------------


class UnknownModelWarning(BedrockVCRWarning):
    """A model id resolved to no schema family, so its payloads were not validated."""


class UnknownModelError(BedrockVCRError, LookupError):
    """Strict validation was asked for a model id whose family is unknown."""

    def __init__(self, model_id: str, *, operation: str, base_id: str | None = None) -> None:
        self.model_id = model_id
        self.operation = operation
        self.base_id = base_id
        super().__init__(
            f"{operation}: no schema is known for model {model_id!r}"
            + (f" (foundation model {base_id!r})" if base_id and base_id != model_id else "")
            + ".\n  fix: map it to a family with overrides={'<id or pattern>': '<family>'} "
            f"(families are listed in bedrock_vcr.bedrock.models.FAMILIES; "
            f"see the {SCHEMAS_DOCS}), "
            "or validate without strict mode to skip it with a warning."
        )


class SchemaNotFoundError(BedrockVCRError, LookupError):
    """The model's family has no schema for this kind of message on this operation."""

    def __init__(
        self, *, model_id: str, family: str, kind: str, operation: str, reason: str
    ) -> None:
        self.model_id = model_id
        self.family = family
        self.kind = kind
        self.operation = operation
        self.reason = reason
        super().__init__(
            f"no {kind} schema for {operation} on model {model_id!r} (family {family}): {reason}"
        )


class SchemaValidationError(BedrockVCRError, AssertionError):
    """A payload does not fit its schema (raised by the ``assert_valid_*`` helpers)."""

    def __init__(
        self,
        *,
        model_id: str,
        kind: str,
        operation: str,
        schema_id: str,
        violations: Sequence[Any],
    ) -> None:
        self.model_id = model_id
        self.kind = kind
        self.operation = operation
        self.schema_id = schema_id
        self.violations = tuple(violations)
        count = len(self.violations)
        lines = [
            f"{operation} {kind} for model {model_id!r} has {count} schema violation"
            f"{'s' if count != 1 else ''} (schema {schema_id}):"
        ]
        lines += [f"  {v.path} [{v.keyword}]: {v.message}" for v in self.violations]
        lines.append(
            f"  fix: correct the payload; `bedrock-vcr schema {model_id}` prints the schema "
            f"(see the {SCHEMAS_DOCS})."
        )
        super().__init__("\n".join(lines))


class SchemaPointerError(BedrockVCRError, LookupError):
    """A JSON pointer into a shipped schema leads nowhere, or not to an ``enum``."""

    def __init__(self, schema_name: str, pointer: str, reason: str) -> None:
        self.schema_name = schema_name
        self.pointer = pointer
        self.reason = reason
        super().__init__(
            f"schema {schema_name!r} at {pointer!r}: {reason}.\n  fix: point at a node that "
            f"holds an enum (`bedrock-vcr schema` prints the shipped schemas)."
        )


class SchemaDriftWarning(BedrockVCRWarning):
    """Recorded Bedrock traffic does not fit its schema: the schema is wrong or the API changed."""


class CassetteSchemaError(BedrockVCRError, AssertionError):
    """``validate_responses="fail"``: recorded answers do not fit their schemas."""

    def __init__(
        self, message: str, *, findings: Sequence[Any], cassette: Path | None, recording: bool
    ) -> None:
        self.findings = tuple(findings)
        self.cassette = cassette
        self.recording = recording
        super().__init__(message)


class InvalidRequestError(SchemaValidationError):
    """``validate_requests="fail"``: a request made under a cassette breaks its model's schema."""

    def __init__(
        self,
        request: Any,
        violations: Sequence[Any],
        *,
        schema_id: str,
        cassette: Path | None,
    ) -> None:
        super().__init__(
            model_id=request.model_id,
            kind="request",
            operation=request.operation,
            schema_id=schema_id,
            violations=violations,
        )
        self.request = request
        self.cassette = cassette
        extra = [f"  cassette: {cassette}"] if cassette is not None else []
        extra.append(
            "  validate_requests='fail' raised this; 'bedrock' answers HTTP 400 "
            "ValidationException as Bedrock would, 'off' lets the request through."
        )
        self.args = ("\n".join([str(self.args[0]), *extra]),)


class UnsupportedAnswerError(ConfigError):
    """An answer cannot exist for this model/operation (refused when it is declared)."""

    def __init__(
        self,
        problem: str,
        *,
        model_id: str | None = None,
        family: str | None = None,
        operation: str | None = None,
        valid: Sequence[str] = (),
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.model_id = model_id
        self.family = family
        self.operation = operation
        self.valid = tuple(valid)
        self.fix = fix
        where = []
        if operation:
            where.append(operation)
        if model_id:
            where.append(f"model {model_id!r}")
        if family:
            where.append(f"family {family}")
        text = problem
        if where:
            text += f" ({', '.join(where)})"
        if self.valid:
            text += f"; valid values: {', '.join(self.valid)}"
        if fix:
            text += f"\n  fix: {fix}"
        super().__init__(text)


class AnswerConflictError(BedrockVCRError, AssertionError):
    """The request being answered contradicts the declared answer (e.g. its max-token setting)."""

    def __init__(self, problem: str, *, model_id: str, operation: str, fix: str) -> None:
        self.problem = problem
        self.model_id = model_id
        self.operation = operation
        self.fix = fix
        super().__init__(f"{operation} on {model_id!r}: {problem}\n  fix: {fix}")


# --- the network guard -------------------------------------------------------------------------


class NetworkBlockedError(BedrockVCRError, AssertionError):
    """A request to Bedrock Runtime would bypass bedrock-vcr while nothing may reach the network."""

    def __init__(
        self, *, method: str, url: str, caller: str, transport: str, why: str | None = None
    ) -> None:
        self.method = method
        self.url = url
        self.caller = caller
        self.transport = transport
        self.why = why
        if why is None:
            reason = (
                "which does not go through a botocore client, while the active cassette or mock "
                "may not reach the network (record mode 'none', or a mock without passthrough)."
            )
            fix = (
                "call Bedrock through a boto3/botocore client in this test; adapters for httpx "
                "and requests callers are planned"
            )
        else:
            reason = f"{why}."
            fix = (
                "add @pytest.mark.bedrock_cassette (or bedrock_mock) to the test, or let the host "
                "through with --bedrock-allowed-hosts"
            )
        super().__init__(
            f"bedrock-vcr blocked {method} {url}: it was sent by {caller} (through {transport}), "
            f"{reason}\n  fix: {fix} (see {DOCS}network-guard)."
        )


class UncoveredRequestWarning(BedrockVCRWarning):
    """A request to Bedrock Runtime went to the network around bedrock-vcr: it is not recorded."""

    def __init__(self, *, method: str, url: str, caller: str, transport: str) -> None:
        self.method = method
        self.url = url
        self.caller = caller
        self.transport = transport
        super().__init__(
            f"bedrock-vcr did not record {method} {url}: it was sent by {caller} (through "
            f"{transport}), which does not go through a botocore client; in replay it will be "
            f"refused (see {DOCS}network-guard)."
        )


class CassetteMovedWarning(BedrockVCRWarning):
    """A test's cassette is missing at its default path but exists at the old default path."""

    def __init__(self, old: Path, new: Path) -> None:
        self.old = old
        self.new = new
        super().__init__(
            f"bedrock-vcr: no cassette at {new}, but one at the default path of earlier versions, "
            f"{old}.\n  fix: move it (git mv {old} {new}), or name it in the marker: "
            f"@pytest.mark.bedrock_cassette(path=...) (see {DOCS}cassette-paths)."
        )


class UnplayedInteractionsError(BedrockVCRError, AssertionError):
    """``assert_all_played``: the test ended with recorded interactions it never played."""

    def __init__(self, cassette: Path, unplayed: Sequence[Any]) -> None:
        self.cassette = cassette
        self.unplayed = tuple(f"{i.request.operation} {i.request.model_id}" for i in unplayed)
        shown = "".join(f"\n    - {u}" for u in self.unplayed[:10])
        more = f"\n    ... and {len(self.unplayed) - 10} more" if len(self.unplayed) > 10 else ""
        super().__init__(
            f"{len(self.unplayed)} recorded interaction(s) of {cassette} were never played:"
            f"{shown}{more}\n  fix: re-record the cassette (--bedrock-record-mode=rewrite drops "
            "what is no longer asked for), or turn the check off (assert_all_played=False)."
        )
