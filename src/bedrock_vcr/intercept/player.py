"""Answering botocore requests from a cassette, and recording the ones it cannot answer."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.client import BaseClient

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..bedrock.operations import BY_NAME
from ..cassettes.cassette import Cassette, CassetteConfig, RecordMode
from ..cassettes.records import RecordedRequest, RecordedResponse, StreamEvent
from ..cassettes.several import find_answer, open_extras, unmatched_error
from ..errors import RequestBodyError
from . import clients as interception
from . import guard, transports
from .backoff import skip_backoff
from .capture import request_from_botocore, response_headers, unsupported
from .credentials import note_credentials
from .raw import ReplayRaw, TeeRaw, replay_response

#: Called with each request before matching; may return an ``AWSResponse`` (schema validation
#: uses this to answer invalid requests the way Bedrock does).
RequestCheck = Callable[[RecordedRequest], "AWSResponse | None"]
#: Called with each recorded request and its answer once the answer is complete (body read,
#: stream drained or dropped); schema validation reports drift this way. It may warn or raise.
ResponseCheck = Callable[[RecordedRequest, RecordedResponse], None]


class CassettePlayer:
    """The handler that connects one :class:`Cassette` to botocore."""

    def __init__(self, cassette: Cassette) -> None:
        self.cassette = cassette
        self.request_checks: list[RequestCheck] = []
        self.response_checks: list[ResponseCheck] = []
        self.requests = cassette.calls  # every request it was asked (call assertions)
        self.extras = open_extras(cassette)  # read-only cassettes it also replays
        #: Retry delays botocore computed but did not sleep (with ``skip_backoff=True``).
        self.backoff_delays: list[float] = []
        self._no_backoff: Any = None
        self._checks_installed = False
        # while exiting, answers completed by save() are checked after the cassette is written
        self._deferred: list[tuple[RecordedRequest, RecordedResponse]] | None = None

    @classmethod
    def open(cls, path: Path | str, config: CassetteConfig | None = None) -> CassettePlayer:
        return cls(Cassette(path, config))

    # --- the botocore handler ------------------------------------------------------------

    def handle(
        self, client: BaseClient, request: AWSPreparedRequest, operation: str
    ) -> AWSResponse | None:
        # redacted, never written (the environment's are noted on entering and saving)
        note_credentials(self.cassette.secrets, client, request, environment=False)
        answer = self._answer(request, operation)
        if isinstance(answer, RecordedRequest):
            return self._record(client, request, answer)
        return answer

    async def handle_async(
        self, client: BaseClient, request: AWSPreparedRequest, operation: str
    ) -> AWSResponse | None:
        """The aiobotocore variant: replays alike, records through the async http session."""
        from .aio import record, to_aio_response  # only here: aiobotocore stays optional

        note_credentials(self.cassette.secrets, client, request, environment=False)
        answer = self._answer(request, operation)
        if isinstance(answer, RecordedRequest):
            return await record(self.cassette, client, request, answer, self.check_recorded)
        return to_aio_response(answer)

    def _answer(self, request: AWSPreparedRequest, operation: str) -> AWSResponse | RecordedRequest:
        """The replayed (or rejecting) answer, or the request to record."""
        unsupported(request, operation)
        recorded = request_from_botocore(request, operation)
        self.requests.append(recorded)
        rejection = None
        for check in self.request_checks:
            rejection = check(recorded)
            if rejection is not None:
                break
        cassette = self.cassette
        found = find_answer(cassette, self.extras, recorded)  # its own, then the extras
        if found is not None and found.response is not None:
            if rejection is not None:
                # Bedrock answered this request when it was recorded: the recording is the
                # evidence, so replay it and report that the schema disagrees.
                _warn_recorded_despite_schema(recorded, cassette.path)
            return replay_response(request.url, found.response, cassette.config.replay_speed)
        if rejection is not None:
            return rejection
        if not cassette.existed and not cassette.records and not self.extras:
            cassette.check_exists()
        if not cassette.records:
            if (
                BY_NAME[operation].has_body
                and not recorded.is_json
                and cassette.config.extra.get("require_json_body", True)
            ):
                raise RequestBodyError(
                    operation=operation,
                    model_id=recorded.model_id,
                    problem=_json_problem(recorded.body),
                )
            raise unmatched_error(cassette, self.extras, recorded)
        return recorded

    def may_reach_network(self) -> bool:
        """Only a recording cassette sends requests on (and so needs real credentials)."""
        return self.cassette.records

    def describe(self) -> str:
        """How errors name this handler (see :class:`bedrock_vcr.errors.AmbiguousCassetteError`)."""
        return f"cassette {self.cassette.path} (record mode {self.cassette.record_mode.value})"

    # --- recording -----------------------------------------------------------------------

    def _record(
        self, client: BaseClient, request: AWSPreparedRequest, recorded: RecordedRequest
    ) -> AWSResponse:
        from .coexist import live_send  # the moto/vcrpy bridge, needed only to record

        cassette = self.cassette
        interaction = cassette.reserve(recorded)
        started = time.monotonic()
        with live_send():  # never into a vcrpy cassette that is active too
            live = interception.http_session(client).send(request)  # errors go to retries
        headers = response_headers(live.headers)
        op = BY_NAME.get(recorded.operation)
        streaming = op is not None and op.streaming and live.status_code < 300
        if streaming:
            latency = time.monotonic() - started

            def finish(events: list[StreamEvent], end: str) -> None:
                response = RecordedResponse(
                    live.status_code, headers, events=events, latency=latency, stream_end=end
                )
                cassette.complete(interaction, response)
                self.check_recorded(recorded, response)

            tee = TeeRaw(live.raw, started, finish)
            cassette.add_pending(tee.drain)
            return AWSResponse(request.url, live.status_code, live.headers, tee)
        body = live.content
        latency = time.monotonic() - started
        response = RecordedResponse(live.status_code, headers, body=body, latency=latency)
        cassette.complete(interaction, response)
        self.check_recorded(recorded, response)
        return AWSResponse(request.url, live.status_code, live.headers, ReplayRaw([body]))

    def check_recorded(self, request: RecordedRequest, response: RecordedResponse) -> None:
        """Run the response checks on a completed recording (after the save, while exiting)."""
        if self._deferred is not None:
            self._deferred.append((request, response))
            return
        for check in self.response_checks:
            check(request, response)

    # --- lifecycle -----------------------------------------------------------------------

    def install_checks(self) -> None:
        """Add the schema checks the cassette's config asks for, once (see ``checks``)."""
        if not self._checks_installed:
            self._checks_installed = True
            from .checked import install

            install(self)

    def __enter__(self) -> Cassette:
        # A missing cassette in replay-only mode fails at the first request (as a test failure),
        # so a test that makes no Bedrock call does not need one.
        self.install_checks()
        if self.cassette.config.extra.get("skip_backoff"):
            self._no_backoff = skip_backoff()
            self.backoff_delays = self._no_backoff.__enter__()
        guard.install()
        transports.install()  # httpx and requests callers too
        self._note_environment()
        interception.activate(self)
        return self.cassette

    def _note_environment(self) -> None:
        """The credentials of the environment, kept out of the cassette (noted on entering
        and again before saving, not at every request)."""
        note_credentials(self.cassette.secrets, None, None)

    def __exit__(self, *exc: object) -> None:
        interception.deactivate(self)
        if self._no_backoff is not None:
            no_backoff, self._no_backoff = self._no_backoff, None
            no_backoff.__exit__(None, None, None)
        self._deferred = []
        if exc[0] is not None:
            keep_unplayed(self.cassette)
        if self.cassette.records:  # (only what was recorded is written)
            self._note_environment()
        try:
            self.cassette.save()  # a check that raises must not cost the recording
        finally:
            deferred, self._deferred = self._deferred, None
        for request, response in deferred:
            self.check_recorded(request, response)
        if exc[0] is None and self.cassette.config.match.ignore_body_keys:
            from .settings import warn_unused_ignore_keys

            recorded = [i.request for i in self.cassette.interactions]
            warn_unused_ignore_keys(
                self.cassette.config.match.ignore_body_keys,
                [*recorded, *self.requests],
                self.cassette.path,
            )


def keep_unplayed(cassette: Cassette) -> None:
    """A block or test that failed played less than it meant to: ``drop_unplayed`` then drops
    nothing (``all`` under it replaces the file as ``rewrite`` does, failure or not)."""
    if cassette.config.drop_unplayed and cassette.record_mode is not RecordMode.ALL:
        cassette.config = dataclasses.replace(cassette.config, drop_unplayed=False)


def _warn_recorded_despite_schema(request: RecordedRequest, path: Path) -> None:
    import warnings

    from ..errors import SchemaDriftWarning

    warnings.warn(
        SchemaDriftWarning(
            f"{request.operation} request to {request.model_id!r} breaks its schema, but the "
            f"cassette {path} holds Bedrock's answer to it, so that answer is replayed. The "
            "schema may be stricter than Bedrock: please report it, or set "
            "validate_requests='off' for this test."
        ),
        stacklevel=2,
    )


def _json_problem(body: bytes) -> str:
    import json

    try:
        json.loads(body)
    except ValueError as exc:
        return str(exc)
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text ({exc})"
    return "empty body"
