"""In-process simulation: answer bedrock-runtime calls from declared routes, like ``unittest.mock``.

>>> with BedrockMock() as bedrock:
...     route = bedrock.on(model_id="meta.llama3-8b-instruct-v1:0", operation="InvokeModel")
...     route.side_effect = [bedrock.throttling(), bedrock.throttling(), Answer("Hi!")]
...     client.invoke_model(...)            # botocore retries twice, then gets "Hi!"
...     assert route.call_count == 3

:class:`BedrockMock` is an interception handler (see :mod:`bedrock_vcr.intercept.clients`): each
request is matched against the routes in the order they were declared (first match wins); the
route's outcome (an :class:`~bedrock_vcr.simulation.Answer`, an
:class:`~bedrock_vcr.simulation.Embedding`, a :mod:`~bedrock_vcr.simulation.faults` spec, a recorded
response or interaction, an exception to raise, or a callable returning one of those) is built
into a :class:`~bedrock_vcr.RecordedResponse` and replayed through botocore exactly like a
cassette, so parsing, retries and stream decoding are botocore's own.

Outcomes are checked when they are declared (a stop reason the route's model lacks, an error the
operation cannot return, a stream fault on a non-streaming operation). On exit the mock verifies
that every route was called and every ``side_effect`` sequence consumed (opt out per route with
``optional=True`` or for all with ``assert_all_called=False``) and that no request went
unanswered (``passthrough=True`` lets unmatched requests go on to the next handler instead).
Retries do not sleep while the mock is active (``skip_backoff=False`` to keep botocore's
delays; see :func:`bedrock_vcr.skip_backoff`). ``speed`` paces simulated latency: 0 (the
default) does not wait, 1 waits the declared delays, 0.5 half of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.client import BaseClient

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..cassettes.records import Interaction, RecordedRequest, RecordedResponse
from ..errors import ConfigError, MockVerificationError, UnexpectedRequestError, did_you_mean
from ..simulation import Answer, Embedding, build_response, default_outcome, faults
from ..simulation.memo import remembered_response
from . import clients as interception
from . import guard, transports
from .backoff import skip_backoff
from .capture import request_from_botocore, unsupported
from .raw import replay_response
from .routes import FAULT_SPECS, Call, Outcome, Route

#: The options of :class:`BedrockMock` (and of ``mock_bedrock()`` and the ``bedrock_mock`` marker).
OPTIONS = (
    "assert_all_called",
    "passthrough",
    "speed",
    "skip_backoff",
    "overrides",
    "validate_requests",
)


_UNSET: Any = object()


# --- the mock ----------------------------------------------------------------------------------


class BedrockMock:
    """Simulated Bedrock Runtime for every bedrock-runtime client while active.

    Use as a context manager (``with BedrockMock() as bedrock:``) or through the pytest fixture
    ``bedrock_mock``. Options: ``assert_all_called`` (verify routes at exit, default True),
    ``passthrough`` (unmatched requests go to the next handler or the network instead of
    failing, default False), ``speed`` (latency pacing, default 0), ``skip_backoff`` (default
    True), ``overrides`` (model id -> family, as in :func:`bedrock_vcr.resolve_model`;
    the same mapping as the ``model_families`` setting), ``validate_requests`` (``bedrock``
    (default): a request that breaks its model's schema gets Bedrock's HTTP 400
    ``ValidationException``, as in production; ``fail``: the test fails; ``off``).
    """

    def __init__(
        self,
        *,
        assert_all_called: bool = True,
        passthrough: bool = False,
        speed: float = 0.0,
        skip_backoff: bool = True,
        overrides: Mapping[str, str] | None = None,
        validate_requests: str = "bedrock",
    ) -> None:
        from ..cassettes.calls import CallLog
        from ..validation.policy import RequestValidator
        from ..validation.settings import ValidationSettings

        if not isinstance(speed, (int, float)) or speed < 0:
            raise ConfigError(f"speed must be a number >= 0 (0 = no pauses), got {speed!r}")
        self.assert_all_called = assert_all_called
        self.passthrough = passthrough
        self.speed = float(speed)
        self.skip_backoff = skip_backoff
        self.overrides = dict(overrides) if overrides else None
        self.validator = RequestValidator(
            ValidationSettings.parse(
                {"validate_requests": validate_requests, "model_families": self.overrides}
            )
        )
        self.routes: list[Route] = []
        self.calls = CallLog[Call](source="bedrock_mock")  # with call assertions
        self.unexpected: list[RecordedRequest] = []
        self.passed: list[RecordedRequest] = []
        #: Retry delays botocore computed but did not sleep (with ``skip_backoff``).
        self.backoff_delays: list[float] = []
        self._stack: ExitStack | None = None
        self._lock = threading.RLock()

    # --- declaring -------------------------------------------------------------------------

    def on(
        self,
        model_id: str | None = None,
        operation: str | None = None,
        *,
        match: Callable[[RecordedRequest], bool] | None = None,
        optional: bool = False,
        name: str | None = None,
        return_value: Outcome = _UNSET,
        side_effect: Outcome = _UNSET,
    ) -> Route:
        """Declare a route. ``model_id``: exact id (also matches inference profiles and ARNs of
        that model) or an ``fnmatch`` pattern; ``operation``: ``InvokeModel`` ... or the boto3
        method name; ``match``: an extra predicate on the request."""
        route = Route(self, model_id, operation, match=match, optional=optional, name=name)
        if return_value is not _UNSET:
            route.return_value = return_value
        if side_effect is not _UNSET:
            route.side_effect = side_effect
        self.routes.append(route)
        return route

    def withdraw(self, route: Route) -> None:
        """Forget a declared route (the route does this when its first outcome is refused)."""
        with self._lock:
            if route in self.routes:
                self.routes.remove(route)

    # error helpers, named after the error codes (see bedrock_vcr.simulation.faults)
    def access_denied(self, message: str | None = None) -> faults.Fault:
        return faults.access_denied(message)

    def resource_not_found(self, message: str | None = None) -> faults.Fault:
        return faults.resource_not_found(message)

    def throttling(self, message: str | None = None) -> faults.Fault:
        return faults.throttling(message)

    def model_timeout(self, message: str | None = None) -> faults.Fault:
        return faults.model_timeout(message)

    def internal_server(self, message: str | None = None) -> faults.Fault:
        return faults.internal_server(message)

    def service_unavailable(self, message: str | None = None) -> faults.Fault:
        return faults.service_unavailable(message)

    def validation(self, message: str | None = None) -> faults.Fault:
        return faults.validation(message)

    def service_quota_exceeded(self, message: str | None = None) -> faults.Fault:
        return faults.service_quota_exceeded(message)

    def model_not_ready(self, message: str | None = None) -> faults.Fault:
        return faults.model_not_ready(message)

    def conflict(self, message: str | None = None) -> faults.Fault:
        return faults.conflict(message)

    def model_error(self, message: str | None = None, **fields: Any) -> faults.Fault:
        return faults.model_error(message, **fields)

    def model_stream_error(self, message: str | None = None, **fields: Any) -> faults.Fault:
        return faults.model_stream_error(message, **fields)

    def stream_error(
        self, code: str, after: int = 0, answer: Answer | None = None, **options: Any
    ) -> faults.StreamError:
        return faults.stream_error(code, after, answer, **options)

    def disconnect(self, after: int = 0, answer: Answer | None = None) -> faults.Disconnect:
        return faults.Disconnect(after, answer if answer is not None else Answer())

    def corrupt_frame(self, at: int = 0, answer: Answer | None = None) -> faults.CorruptFrame:
        return faults.CorruptFrame(at, answer if answer is not None else Answer())

    # --- the interception handler ----------------------------------------------------------

    def route_for(self, request: RecordedRequest) -> Route | None:
        for route in self.routes:
            if route.why_not(request) is None:
                return route
        return None

    def respond(self, request: RecordedRequest) -> tuple[Route, RecordedResponse] | None:
        """Answer ``request`` as the mock would (no botocore involved): the route that matched
        and the response, or None when no route matches. Raises what the outcome raises."""
        with self._lock:  # the local server answers from several threads at once
            route = self.route_for(request)
            if route is None:
                return None
            outcome = route.next_outcome(request)
            call = Call(request, outcome, route=route)
            route.calls.append(call)
            self.calls.append(call)
        call.response = self.build(outcome, request)
        return route, call.response

    def answer(self, request: RecordedRequest) -> RecordedResponse | None:
        """The local server's source protocol: the response, or None when no route matches."""
        rejection = self.validator.answer(request)
        if rejection is not None:
            return rejection
        found = self.respond(request)
        return found[1] if found is not None else None

    def build(self, outcome: Outcome, request: RecordedRequest) -> RecordedResponse:
        """The response one outcome gives for ``request`` (exceptions are raised)."""
        if isinstance(outcome, type) and issubclass(outcome, BaseException):
            raise outcome()
        if isinstance(outcome, BaseException):
            raise outcome
        if outcome is None:
            outcome = default_outcome(request, self.overrides)
        if isinstance(outcome, Answer):  # the same answer to the same request: encoded once
            return remembered_response(outcome, request, overrides=self.overrides)
        if isinstance(outcome, Embedding):
            return build_response(outcome, request, overrides=self.overrides)
        if isinstance(outcome, FAULT_SPECS):
            return outcome.build(request)
        if isinstance(outcome, RecordedResponse):
            return outcome
        if isinstance(outcome, Interaction) and outcome.response is not None:
            return outcome.response
        raise ConfigError(f"cannot answer with {outcome!r}")

    def handle(
        self, client: BaseClient, request: AWSPreparedRequest, operation: str
    ) -> AWSResponse | None:
        if not self.passthrough:
            unsupported(request, operation)  # names an operation bedrock-vcr does not know
        recorded = request_from_botocore(request, operation)
        rejection = self.validator.answer(recorded)
        if rejection is not None:  # what Bedrock answers a body that breaks its schema
            return replay_response(request.url, rejection, self.speed)
        found = self.respond(recorded)
        if found is None:
            if self.passthrough:
                self.passed.append(recorded)
                return None
            self.unexpected.append(recorded)
            raise UnexpectedRequestError(
                recorded, [(repr(r), r.why_not(recorded) or "") for r in self.routes]
            )
        return replay_response(request.url, found[1], self.speed)

    async def handle_async(
        self, client: BaseClient, request: AWSPreparedRequest, operation: str
    ) -> Any:
        """The aiobotocore variant: the same answer, in the form aiobotocore parses."""
        from .aio import to_aio_response  # only here: aiobotocore stays optional

        response = self.handle(client, request, operation)
        return None if response is None else to_aio_response(response)

    def may_reach_network(self) -> bool:
        """Only with ``passthrough`` can a request go on (and so need real credentials)."""
        return self.passthrough

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> BedrockMock:
        if self._stack is not None:
            raise ConfigError("this BedrockMock is already active")
        stack = ExitStack()
        if self.skip_backoff:
            self.backoff_delays = stack.enter_context(skip_backoff())
        guard.install()
        transports.install()  # httpx and requests callers too
        interception.activate(self)
        stack.callback(interception.deactivate, self)
        self._stack = stack
        return self

    def stop(self, verify: bool | None = None) -> None:
        """Deactivate; then verify (default: when ``assert_all_called`` is on)."""
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()
        if verify if verify is not None else self.assert_all_called:
            self.verify()
        elif not self.passthrough and self.unexpected:
            self.verify(routes=False)

    def __enter__(self) -> BedrockMock:
        return self.start()

    def __exit__(self, exc_type: object, *exc: object) -> None:
        # a failing block already reports its own error; do not mask it with verification
        self.stop(verify=False if exc_type is not None else None)

    def verify(self, routes: bool = True) -> None:
        """Raise :class:`MockVerificationError` for every unmet expectation."""
        problems = []
        if routes:
            for route in self.routes:
                if route.optional:
                    continue
                if not route.called:
                    problems.append(f"{route} was never called")
                elif route.remaining:
                    problems.append(
                        f"{route} left {route.remaining} side_effect outcome"
                        f"{'s' if route.remaining != 1 else ''} unused "
                        f"(called {route.call_count} time{'s' if route.call_count != 1 else ''})"
                    )
        for request in self.unexpected:
            problems.append(
                f"{request.operation} request to {request.model_id!r} matched no route "
                "(raised UnexpectedRequestError at the call)"
            )
        if problems:
            raise MockVerificationError(problems)

    def reset(self) -> None:
        """Forget every call and route."""
        self.routes.clear()
        self.calls.clear()
        self.unexpected.clear()
        self.passed.clear()

    @property
    def call_count(self) -> int:
        return len(self.calls)


def mock_bedrock(**options: Any) -> BedrockMock:
    """A :class:`BedrockMock` (use it with ``with``); options as in its constructor."""
    check_options(options, "mock_bedrock()")
    return BedrockMock(**options)


def check_options(options: Mapping[str, Any], source: str) -> None:
    """Fail on an option :class:`BedrockMock` does not have, suggesting the closest one."""
    for name in options:
        if name not in OPTIONS:
            hint = did_you_mean(name, OPTIONS)
            raise ConfigError(
                f"unknown option {name!r} in {source}{hint}; valid options: {', '.join(OPTIONS)}"
            )
