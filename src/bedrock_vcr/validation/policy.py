"""When schema validation runs around a cassette, and what it does with what it finds: replayed
requests (before matching), recordings (once an answer is complete), loaded cassettes.

While recording, Bedrock is the authority: a request it accepted or an answer it sent that breaks
a schema means the schema is wrong or the API changed, so it is reported (as
``validate_responses`` says) and never blocked. Error answers (status >= 300) are not checked, and
neither are payloads of models whose family is unknown (the request check warns about those once
per id). :class:`RequestValidator` is the replay request check on its own, for simulated answers.

Everything here answers with :class:`~bedrock_vcr.cassettes.records.RecordedResponse`; turning
that into what botocore receives, and hooking the checks into a player, is
:mod:`bedrock_vcr.intercept.checked`'s job.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..bedrock.operations import NAMES as OPERATIONS
from ..cassettes import storage
from ..cassettes.records import RecordedRequest, RecordedResponse
from ..errors import BedrockVCRError, CassetteSchemaError, InvalidRequestError, SchemaDriftWarning
from . import verdicts
from .checks import PayloadChecker, check_interactions
from .findings import Finding, drift_message
from .schemas import schema_for
from .settings import ValidationSettings
from .validate import Violation, validation_exception

if TYPE_CHECKING:
    from ..cassettes.cassette import Cassette


def _schema_id(request: RecordedRequest, overrides: Mapping[str, str] | None) -> str:
    try:
        body = request.json if request.is_json else None
        schema = schema_for(
            request.model_id, "request", request.operation, overrides=overrides, body=body
        )
        return str(schema.get("$id", "?"))
    except (BedrockVCRError, ValueError):
        return "?"


_LOAD_CACHE: dict[tuple[Any, ...], tuple[Finding, ...]] = {}
_LOAD_CACHE_SIZE = 256
#: Most interactions of a cassette whose recorded requests are checked at once, so that a
#: replayed request byte for byte one of them is not checked again (a larger cassette's
#: replayed requests are each checked: a test replays few of its interactions).
RECORDED_CHECKED_UP_TO = 1000


class RequestValidator:
    """The request check of replay and simulation, usable by any handler.

    :meth:`answer` gives the HTTP 400 a request whose body breaks its schema gets from Bedrock
    (or raises :class:`InvalidRequestError` under ``validate_requests="fail"``);
    :func:`bedrock_vcr.intercept.checked.request_check` turns it into a player's request check.
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


# keys sorted, nothing else changed: two bodies with one text hold the same JSON value
# (``1`` and ``1.0``, ``true`` and ``1`` stay apart), which is all the check reads of them
_SAME_VALUE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _verdict_key(request: RecordedRequest) -> tuple[bytes | str, str, str]:
    """What the request check's verdict depends on besides the settings: the body's JSON value
    as one text (its bytes when it is not JSON), the model id and the operation."""
    try:
        body: bytes | str = _SAME_VALUE.encode(json.loads(request.body))
    except (ValueError, RecursionError):
        body = bytes(request.body)
    return body, request.model_id, request.operation


class CassetteChecks:
    """The validation one :class:`~bedrock_vcr.intercept.player.CassettePlayer` runs (wired in by
    :func:`bedrock_vcr.intercept.checked.install`)."""

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
        self._clean: frozenset[tuple[bytes | str, str, str]] | None = None

    # replay: before matching

    def check_request(self, request: RecordedRequest) -> RecordedResponse | None:
        """Answer (or fail) a request whose body breaks its schema; ``None`` lets it through.

        While the cassette records, nothing is blocked (Bedrock decides); the request is checked
        anyway so that an unknown model warns (or fails under ``strict_models``) before sending.
        A request whose body holds the same JSON value as one the cassette recorded (same model
        id and operation), when every recorded request passed this check, has their verdict:
        the check depends on nothing else but the settings. That they passed is remembered
        across processes.
        """
        if self._clean is None:
            self._clean = self._clean_recorded_requests()
        # (a verdict this process has for these bytes costs less than the value's text)
        clean = self._clean
        if clean and not self.payloads.remembers(request) and _verdict_key(request) in clean:
            self.payloads.remember_clean(request)  # these bytes again: the memo answers
            return None
        violations = self.requests.violations(request)
        if not violations or self.cassette.records:
            return None
        return self.requests.reject(request, violations)

    def _clean_recorded_requests(self) -> frozenset[tuple[bytes | str, str, str]]:
        """The :func:`_verdict_key` of every recorded request of a known model when each of
        them passes the request check; empty when one does not, or past
        :data:`RECORDED_CHECKED_UP_TO` interactions."""
        interactions = self.cassette.interactions
        if not interactions or len(interactions) > RECORDED_CHECKED_UP_TO:
            return frozenset()
        if self.settings.validate_requests == "off":
            return frozenset()
        recorded = [
            i.request
            for i in interactions
            if i.request.operation in OPERATIONS
            and self.payloads.known(i.request.model_id, i.request.operation)
        ]
        if not recorded:
            return frozenset()
        path = self.cassette.path
        if not verdicts.passed(path, self.settings, part=verdicts.REQUESTS):
            if any(self.requests.violations(r) for r in recorded):
                return frozenset()
            verdicts.note_passed(path, self.settings, part=verdicts.REQUESTS)
        return frozenset(map(_verdict_key, recorded))

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
        stat: os.stat_result | None = None
        try:
            real = storage.real_path(cassette.path)
            stat = os.stat(real)
            key = (
                real,
                stat.st_mtime_ns,
                stat.st_size,
                tuple(sorted(self.settings.model_families.items())),
            )
        except OSError:
            pass
        findings = _LOAD_CACHE.get(key) if key is not None else None
        if findings is None and verdicts.passed(cassette.path, self.settings, stat):
            findings = ()  # the very bytes passed this check in an earlier process
        if findings is None:
            report = check_interactions(
                cassette.interactions, path=cassette.path, requests=False, checker=self.payloads
            )
            findings = tuple(report.findings)
            if not findings:
                verdicts.note_passed(cassette.path, self.settings)
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
