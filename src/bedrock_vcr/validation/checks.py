"""Where schema validation runs: replayed requests, recordings, loaded cassettes, the CLI.

:mod:`bedrock_vcr.validation.schemas` knows the schemas; this module decides when to call it and
what to do with what it finds. Four settings (``use_cassette`` options, marker arguments or
``bedrock_vcr_config`` keys) steer it:

``validate_requests``
    ``"bedrock"`` (default): a replayed request whose body breaks its model's schema is answered
    before matching the way Bedrock answers it, HTTP 400 ``ValidationException`` with Bedrock's
    message shape, so the code under test sees what production would show. ``"fail"``: raise
    :class:`InvalidRequestError` (an ``AssertionError``) listing every violation. ``"off"``.
``validate_responses``
    Recorded answers (plain bodies and every stream chunk) are checked while recording and when a
    cassette is loaded: ``"warn"`` (default) emits a :class:`SchemaDriftWarning`, ``"fail"`` raises
    :class:`CassetteSchemaError`, ``"off"`` skips them.
``strict_models``
    A model id with no known schema raises
    :class:`~bedrock_vcr.validation.schemas.UnknownModelError` instead of being skipped with a
    one-time warning.
``model_families``
    ``{model id or fnmatch pattern: family}`` for custom, imported or provisioned models.

While recording, Bedrock is the authority: a request it accepted or an answer it sent that breaks
a schema means the schema is wrong or the API changed, so it is reported (as
``validate_responses`` says) and never blocked. Error answers (status >= 300) are not checked, and
neither are payloads of models whose family is unknown (the request check warns about those once
per id). :class:`RequestValidator` is the replay request check on its own, for simulated answers.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..bedrock.models import FAMILIES, resolve_model
from ..bedrock.operations import STREAMING
from ..cassettes.records import Interaction, RecordedRequest, RecordedResponse, StreamEvent
from ..errors import (
    BedrockVCRError,
    CassetteSchemaError,
    ConfigError,
    InvalidRequestError,
    SchemaDriftWarning,
    SchemaNotFoundError,
)
from ..intercept.raw import replay_response
from .schemas import (
    ERROR_TYPE,
    OPERATIONS,
    Violation,
    assert_valid_chunk,
    assert_valid_request,
    assert_valid_response,
    bedrock_validation_message,
    schema_for,
    validate_chunk,
    validate_request,
    validate_response,
)

if TYPE_CHECKING:
    from botocore.awsrequest import AWSResponse

    from ..cassettes.cassette import Cassette
    from ..intercept.player import CassettePlayer

REQUEST_MODES = ("bedrock", "fail", "off")
RESPONSE_MODES = ("warn", "fail", "off")
_CONVERSE = frozenset({"Converse", "ConverseStream"})
_README = "README section #schemas"


# --- settings ----------------------------------------------------------------------------------


def _mode(name: str, value: Any, modes: tuple[str, ...]) -> str:
    if value is True:
        return modes[0]
    if value is False:
        return "off"
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text not in modes:
        raise ConfigError(f"{name} must be one of {', '.join(modes)} (or a bool), got {value!r}")
    return text


def _families(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(
            "model_families must map model ids or fnmatch patterns to a family, "
            f"e.g. {{'arn:aws:bedrock:*:imported-model/*': 'meta.llama'}}; got {value!r}"
        )
    out = {}
    for pattern, family in value.items():
        name = str(family).partition(":")[0]
        if not isinstance(pattern, str) or not isinstance(family, str) or name not in FAMILIES:
            raise ConfigError(
                f"model_families[{pattern!r}] = {family!r} names no known family; known "
                f"families: {', '.join(sorted(FAMILIES))} (add ':variant' for a per-model "
                "variant, e.g. 'amazon.titan-text:lite')"
            )
        out[pattern] = family
    return out


@dataclass(frozen=True)
class ValidationSettings:
    """The four validation options, checked (see the module docstring for their meaning)."""

    validate_requests: str = "bedrock"
    validate_responses: str = "warn"
    strict_models: bool = False
    model_families: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, options: Mapping[str, Any]) -> ValidationSettings:
        """Check the options (others in ``options`` are ignored; missing ones take defaults)."""
        strict = options.get("strict_models", False)
        if not isinstance(strict, bool):
            raise ConfigError(f"strict_models must be True or False, got {strict!r}")
        return cls(
            validate_requests=_mode(
                "validate_requests", options.get("validate_requests", "bedrock"), REQUEST_MODES
            ),
            validate_responses=_mode(
                "validate_responses", options.get("validate_responses", "warn"), RESPONSE_MODES
            ),
            strict_models=strict,
            model_families=_families(options.get("model_families")),
        )

    def as_options(self) -> dict[str, Any]:
        return {
            "validate_requests": self.validate_requests,
            "validate_responses": self.validate_responses,
            "strict_models": self.strict_models,
            "model_families": dict(self.model_families),
        }


# --- what is found, and how it is reported -----------------------------------------------------


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


def _schema_id(request: RecordedRequest, overrides: Mapping[str, str] | None) -> str:
    try:
        body = request.json if request.is_json else None
        schema = schema_for(
            request.model_id, "request", request.operation, overrides=overrides, body=body
        )
        return str(schema.get("$id", "?"))
    except (BedrockVCRError, ValueError):
        return "?"


def validation_exception(violations: Sequence[Violation]) -> RecordedResponse:
    """The HTTP 400 answer Bedrock gives a request body that breaks its schema."""
    body = {"message": bedrock_validation_message(violations)}
    return RecordedResponse(
        400,
        {
            "content-type": "application/json",
            "x-amzn-errortype": ERROR_TYPE,
            "x-amzn-requestid": str(uuid.uuid4()),
        },
        body=json.dumps(body, separators=(",", ":")).encode(),
    )


# --- checking recorded interactions ------------------------------------------------------------


def _request_body(request: RecordedRequest) -> Any:
    """The parsed body when it is JSON (parsed once, cached on the request), else the bytes."""
    return request.json if request.is_json else request.body


def _json_violation(problem: str) -> Violation:
    return Violation("#", "json", problem)


def _chunks(response: RecordedResponse, operation: str) -> Iterator[tuple[int, Any, str | None]]:
    """``(event index, chunk, event type)`` for each data event of a stream.

    A chunk that cannot be decoded is yielded as a :class:`Violation` instead.
    """
    events: list[StreamEvent] = response.events or []
    for index, event in enumerate(events):
        if event.message_type != "event":
            continue  # exception frames are errors, not data
        event_type = event.event_type
        if operation != "ConverseStream" and event_type != "chunk":
            continue
        try:
            payload = json.loads(event.message.payload)
        except (ValueError, UnicodeDecodeError) as exc:
            yield index, _json_violation(f"event payload is not valid JSON: {exc}"), event_type
            continue
        if operation == "ConverseStream":
            yield index, payload, event_type
            continue
        data = payload.get("bytes") if isinstance(payload, dict) else None
        try:
            inner = base64.b64decode(data, validate=True) if isinstance(data, str) else None
        except (binascii.Error, ValueError):
            inner = None
        if inner is None:
            yield index, _json_violation("chunk payload has no base64 'bytes' member"), event_type
            continue
        try:
            yield index, json.loads(inner), event_type
        except (ValueError, UnicodeDecodeError) as exc:
            yield index, _json_violation(f"chunk bytes are not valid JSON: {exc}"), event_type


class PayloadChecker:
    """Validates recorded interactions; resolves each model id once."""

    def __init__(
        self, model_families: Mapping[str, str] | None = None, strict_models: bool = False
    ) -> None:
        self.overrides: dict[str, str] | None = dict(model_families) if model_families else None
        self.strict = strict_models
        self._known: dict[str, bool] = {}

    def known(self, model_id: str, operation: str) -> bool:
        """Whether payloads of ``model_id`` on ``operation`` have a schema to check against."""
        if operation in _CONVERSE:
            return True
        hit = self._known.get(model_id)
        if hit is None:
            hit = self._known[model_id] = resolve_model(model_id, self.overrides).known
        return hit

    def request(self, request: RecordedRequest) -> list[Violation]:
        """Violations of a request body (unknown models warn once, or raise when strict)."""
        try:
            return validate_request(
                request.model_id,
                _request_body(request),
                operation=request.operation,
                overrides=self.overrides,
                strict=self.strict,
            )
        except SchemaNotFoundError:
            return []

    def answer(self, request: RecordedRequest, response: RecordedResponse) -> list[Finding]:
        """Violations of a successful answer: its body, or each data chunk of its stream."""
        operation, model_id = request.operation, request.model_id
        if response.status >= 300 or operation not in OPERATIONS:
            return []
        if not self.known(model_id, operation):
            return []
        streaming = operation in STREAMING
        if streaming != response.is_stream:
            return []  # nothing of the expected shape to validate
        findings: list[Finding] = []
        try:
            if not streaming:
                content_type = response.header("content-type")
                if content_type and "json" not in content_type:
                    return []
                for v in validate_response(
                    model_id, response.body, operation=operation, overrides=self.overrides
                ):
                    findings.append(Finding(operation, model_id, "response", v))
                return findings
            for index, chunk, event_type in _chunks(response, operation):
                if isinstance(chunk, Violation):
                    found = [chunk]
                elif operation == "ConverseStream":
                    found = validate_chunk(
                        model_id, {event_type: chunk}, operation=operation, overrides=self.overrides
                    )
                else:
                    found = validate_chunk(
                        model_id, chunk, operation=operation, overrides=self.overrides
                    )
                findings += [Finding(operation, model_id, "chunk", v, event=index) for v in found]
        except SchemaNotFoundError:
            return findings
        return findings


@dataclass
class CassetteReport:
    """What checking the interactions of one cassette found."""

    path: Path | None
    interactions: int = 0
    findings: list[Finding] = field(default_factory=list)
    #: Model ids that have no schema, with how many interactions were skipped for each.
    unknown_models: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.findings


def check_interactions(
    interactions: Iterable[Interaction],
    *,
    path: Path | None = None,
    model_families: Mapping[str, str] | None = None,
    requests: bool = True,
    answers: bool = True,
    checker: PayloadChecker | None = None,
) -> CassetteReport:
    """Validate recorded requests and answers (bodies and stream chunks) of a cassette.

    A request answered with HTTP 400 is not checked: the recording documents its rejection.
    Interactions of models without a schema are counted in ``unknown_models``, never warned.
    """
    checker = checker or PayloadChecker(model_families)
    report = CassetteReport(path)
    for index, interaction in enumerate(interactions):
        request, response = interaction.request, interaction.response
        report.interactions += 1
        if request.operation not in OPERATIONS:
            continue
        if not checker.known(request.model_id, request.operation):
            report.unknown_models[request.model_id] = (
                report.unknown_models.get(request.model_id, 0) + 1
            )
            continue
        found: list[Finding] = []
        if requests and (response is None or response.status != 400):
            found += [
                Finding(request.operation, request.model_id, "request", v)
                for v in checker.request(request)
            ]
        if answers and response is not None:
            found += checker.answer(request, response)
        report.findings += [
            Finding(
                f.operation, f.model_id, f.part, f.violation, f.event, interaction=index, path=path
            )
            for f in found
        ]
    return report


# --- the checks a cassette player runs ---------------------------------------------------------

_LOAD_CACHE: dict[tuple[Any, ...], tuple[Finding, ...]] = {}
_LOAD_CACHE_SIZE = 256


class RequestValidator:
    """The request check of replay and simulation, usable by any handler.

    :meth:`answer` gives the HTTP 400 a request whose body breaks its schema gets from Bedrock
    (or raises :class:`InvalidRequestError` under ``validate_requests="fail"``); calling the
    object returns it as an ``AWSResponse``, the form a player's ``request_checks`` take.
    """

    def __init__(
        self,
        settings: ValidationSettings,
        *,
        require_json: bool = True,
        cassette: Path | None = None,
        payloads: PayloadChecker | None = None,
    ) -> None:
        self.settings = settings
        self.require_json = require_json
        self.cassette = cassette
        self.payloads = payloads or PayloadChecker(settings.model_families, settings.strict_models)

    def violations(self, request: RecordedRequest) -> list[Violation]:
        """Every violation of the request body (unknown models: see ``strict_models``)."""
        if self.settings.validate_requests == "off" or request.operation not in OPERATIONS:
            return []
        if not self.require_json and not request.is_json:
            return []
        return self.payloads.request(request)

    def reject(self, request: RecordedRequest, violations: Sequence[Violation]) -> RecordedResponse:
        if self.settings.validate_requests == "fail":
            raise InvalidRequestError(
                request,
                violations,
                schema_id=_schema_id(request, self.payloads.overrides),
                cassette=self.cassette,
            )
        return validation_exception(violations)

    def answer(self, request: RecordedRequest) -> RecordedResponse | None:
        """Bedrock's 400 for an invalid request; ``None`` when it may be answered normally."""
        violations = self.violations(request)
        return self.reject(request, violations) if violations else None

    def __call__(self, request: RecordedRequest) -> AWSResponse | None:
        answer = self.answer(request)
        return replay_response(request.path or "/", answer) if answer is not None else None


class CassetteChecks:
    """Validation wired into one :class:`~bedrock_vcr.intercept.player.CassettePlayer`."""

    def __init__(self, cassette: Cassette, settings: ValidationSettings) -> None:
        self.cassette = cassette
        self.settings = settings
        self.payloads = PayloadChecker(settings.model_families, settings.strict_models)
        self.requests = RequestValidator(
            settings,
            require_json=bool(cassette.config.extra.get("require_json_body", True)),
            cassette=cassette.path,
            payloads=self.payloads,
        )

    # replay: before matching

    def check_request(self, request: RecordedRequest) -> AWSResponse | None:
        """Answer (or fail) a request whose body breaks its schema; ``None`` lets it through.

        While the cassette records, nothing is blocked (Bedrock decides); the request is checked
        anyway so that an unknown model warns (or fails under ``strict_models``) before sending.
        """
        violations = self.requests.violations(request)
        if not violations or self.cassette.records:
            return None
        answer = self.requests.reject(request, violations)
        return replay_response(request.path or "/", answer)

    # recording: once the answer is complete

    def check_recorded(self, request: RecordedRequest, response: RecordedResponse) -> None:
        """Report violations in traffic Bedrock accepted (the schema may be out of date)."""
        settings = self.settings
        if response.status >= 300 or request.operation not in OPERATIONS:
            return
        if not self.payloads.known(request.model_id, request.operation):
            return
        findings: list[Finding] = []
        if settings.validate_requests != "off":
            findings += [
                Finding(request.operation, request.model_id, "request", v)
                for v in self.payloads.request(request)
            ]
        if settings.validate_responses != "off":
            findings += self.payloads.answer(request, response)
        if findings:
            self._report(findings, recording=True)

    # load: the recorded answers

    def check_loaded(self) -> None:
        """Report recorded answers of the loaded cassette that no longer fit their schemas."""
        cassette = self.cassette
        if not cassette.interactions:
            return
        key: tuple[Any, ...] | None = None
        try:
            stat = cassette.path.stat()
            key = (
                str(cassette.path.resolve()),
                stat.st_mtime_ns,
                stat.st_size,
                tuple(sorted(self.settings.model_families.items())),
            )
        except OSError:
            pass
        findings = _LOAD_CACHE.get(key) if key is not None else None
        if findings is None:
            report = check_interactions(
                cassette.interactions, path=cassette.path, requests=False, checker=self.payloads
            )
            findings = tuple(report.findings)
            if key is not None:
                if len(_LOAD_CACHE) >= _LOAD_CACHE_SIZE:
                    _LOAD_CACHE.clear()
                _LOAD_CACHE[key] = findings
        if findings:
            self._report(findings, recording=False)

    def _report(self, findings: Sequence[Finding], *, recording: bool) -> None:
        path = self.cassette.path
        if self.settings.validate_responses == "fail":
            message = drift_message(findings, cassette=path, recording=recording)
            raise CassetteSchemaError(
                message, findings=findings, cassette=path, recording=recording
            )
        warnings.warn(
            drift_message(findings, cassette=path, recording=recording),
            SchemaDriftWarning,
            stacklevel=3,
        )


def install(player: CassettePlayer) -> CassetteChecks:
    """Add the checks the player's cassette config asks for, and check the loaded cassette."""
    cassette = player.cassette
    settings = ValidationSettings.parse(cassette.config.extra)
    checks = CassetteChecks(cassette, settings)
    if settings.validate_requests != "off":
        player.request_checks.append(checks.check_request)
    if settings.validate_requests != "off" or settings.validate_responses != "off":
        player.response_checks.append(checks.check_recorded)
    if settings.validate_responses != "off":
        checks.check_loaded()
    return checks


# --- a pytest helper -------------------------------------------------------------------------


class SchemaAssertions:
    """The ``assert_valid_*`` helpers bound to one test's ``model_families``/``strict_models``.

    >>> bedrock_schema.assert_valid_request("meta.llama3-70b-instruct-v1:0", {"prompt": "hi"})
    """

    def __init__(
        self, model_families: Mapping[str, str] | None = None, strict_models: bool = False
    ) -> None:
        self.overrides: dict[str, str] | None = dict(model_families) if model_families else None
        self.strict = strict_models

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> SchemaAssertions:
        settings = ValidationSettings.parse(options)
        return cls(settings.model_families, settings.strict_models)

    def assert_valid_request(
        self, model_id: str, body: Any, *, operation: str = "InvokeModel"
    ) -> None:
        assert_valid_request(
            model_id, body, operation=operation, overrides=self.overrides, strict=self.strict
        )

    def assert_valid_response(
        self, model_id: str, body: Any, *, operation: str = "InvokeModel"
    ) -> None:
        assert_valid_response(
            model_id, body, operation=operation, overrides=self.overrides, strict=self.strict
        )

    def assert_valid_chunk(
        self,
        model_id: str,
        chunk: Any,
        *,
        operation: str = "InvokeModelWithResponseStream",
        event_type: str | None = None,
    ) -> None:
        assert_valid_chunk(
            model_id,
            chunk,
            operation=operation,
            event_type=event_type,
            overrides=self.overrides,
            strict=self.strict,
        )

    def schema(
        self, model_id: str, kind: str = "request", operation: str = "InvokeModel"
    ) -> dict[str, Any]:
        """The schema ``kind`` payloads of ``model_id`` must fit."""
        return schema_for(model_id, kind, operation, overrides=self.overrides)
