"""Checking recorded interactions against their schemas: requests, answers and every data chunk
of a recorded stream.

:class:`PayloadChecker` checks one interaction (resolving each model id once);
:func:`check_interactions` checks a whole cassette into a :class:`CassetteReport`, the way
``bedrock-vcr validate`` and the load check of :mod:`.policy` do. Error answers (status >= 300)
are not checked, and neither are payloads of models whose family is unknown.
:class:`SchemaAssertions` is the ``bedrock_schema`` pytest fixture: the ``assert_valid_*``
helpers bound to one test's settings.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._memo import BytesMemo
from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..bedrock.models import resolve_model
from ..bedrock.operations import NAMES as OPERATIONS
from ..bedrock.operations import SERVICE_BODY, STREAMING
from ..cassettes.records import Interaction, RecordedRequest, RecordedResponse, StreamEvent
from ..errors import SchemaNotFoundError
from .findings import Finding
from .schemas import schema_for
from .settings import ValidationSettings
from .validate import (
    Violation,
    assert_valid_chunk,
    assert_valid_request,
    assert_valid_response,
    validate_chunk,
    validate_request,
    validate_response,
)

# --- checking recorded interactions ------------------------------------------------------------

#: Request verdicts by ``(body, model id, operation, settings)`` (:meth:`PayloadChecker.request`).
_VERDICTS: BytesMemo[tuple[Violation, ...]] = BytesMemo()


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
        self._settings_key = (
            tuple(sorted(self.overrides.items())) if self.overrides else None,
            strict_models,
        )

    def known(self, model_id: str, operation: str) -> bool:
        """Whether payloads of ``model_id`` on ``operation`` have a schema to check against."""
        if operation in SERVICE_BODY:  # their schemas hold whatever the model
            return True
        hit = self._known.get(model_id)
        if hit is None:
            hit = self._known[model_id] = resolve_model(model_id, self.overrides).known
        return hit

    def remembers(self, request: RecordedRequest) -> bool:
        """Whether this process has the verdict of these very bytes (see :meth:`request`)."""
        key = (request.body, request.model_id, request.operation, self._settings_key)
        return _VERDICTS.get(key) is not None

    def remember_clean(self, request: RecordedRequest) -> None:
        """Remember that ``request`` (of a known model) has no violation, known otherwise than
        by checking it (its value is a recorded request's that passed)."""
        key = (request.body, request.model_id, request.operation, self._settings_key)
        _VERDICTS.put(key, request.body, ())

    def request(self, request: RecordedRequest) -> list[Violation]:
        """Violations of a request body (unknown models warn once, or raise when strict).

        The verdict for a known model is remembered by the body's bytes (with the model id,
        operation and settings): the same request sent again is not parsed and checked again.
        An unknown model's request is checked every time (it warns, or raises when strict).
        """
        key = (request.body, request.model_id, request.operation, self._settings_key)
        found = _VERDICTS.get(key)
        if found is not None:
            return list(found)
        try:
            violations = validate_request(
                request.model_id,
                _request_body(request),
                operation=request.operation,
                overrides=self.overrides,
                strict=self.strict,
            )
        except SchemaNotFoundError:
            violations = []
        if request.operation in OPERATIONS and self.known(request.model_id, request.operation):
            _VERDICTS.put(key, request.body, tuple(violations))
        return violations

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
