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

import difflib
import fnmatch
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.client import BaseClient

from ..bedrock.models import resolve_model
from ..bedrock.operations import OPERATIONS
from ..cassettes.records import Interaction, RecordedRequest, RecordedResponse
from ..errors import (
    ConfigError,
    MockVerificationError,
    RouteExhaustedError,
    UnexpectedRequestError,
)
from ..simulation import EMBEDDING_FAMILIES, Answer, Embedding, build_response, faults
from . import clients as interception
from .player import request_from_botocore
from .raw import replay_response

if TYPE_CHECKING:
    import pytest

Outcome = Any  # Answer | Embedding | Fault | StreamError | Disconnect | CorruptFrame |
# RecordedResponse | Interaction | BaseException | type[BaseException] | Callable[[request], ...]

OPTIONS = (
    "assert_all_called",
    "passthrough",
    "speed",
    "skip_backoff",
    "overrides",
    "validate_requests",
)
ANSWER_MARKER = "bedrock_answer"
OPTIONS_MARKER = "bedrock_mock"
_SPECS = (faults.Fault, faults.StreamError, faults.Disconnect, faults.CorruptFrame)
_METHOD_TO_OPERATION = {op.method: op.name for op in OPERATIONS}
_NAMES = tuple(op.name for op in OPERATIONS)


# --- errors ------------------------------------------------------------------------------------


# --- calls and routes --------------------------------------------------------------------------


@dataclass
class Call:
    """One request a route answered: what came in, what went out (None when it raised)."""

    request: RecordedRequest
    outcome: Outcome
    response: RecordedResponse | None = None
    route: Route | None = None


_UNSET: Any = object()


def _normalise_operation(operation: str | None) -> str | None:
    if operation is None:
        return None
    if operation in _NAMES:
        return operation
    if operation in _METHOD_TO_OPERATION:
        return _METHOD_TO_OPERATION[operation]
    close = difflib.get_close_matches(operation, [*_NAMES, *_METHOD_TO_OPERATION], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ConfigError(f"unknown operation {operation!r}{hint}; valid: {', '.join(_NAMES)}")


def _is_pattern(model_id: str) -> bool:
    return any(ch in model_id for ch in "*?[")


def _is_exception(outcome: Any) -> bool:
    return isinstance(outcome, BaseException) or (
        isinstance(outcome, type) and issubclass(outcome, BaseException)
    )


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, (str, bytes, Mapping))


class Route:
    """Requests a :class:`BedrockMock` answers one way; created by :meth:`BedrockMock.on`.

    ``return_value``: the outcome of every call. ``side_effect``: an outcome or callable used
    instead of ``return_value``, or a sequence consumed one outcome per call (a callable gets
    the :class:`~bedrock_vcr.cassettes.records.RecordedRequest` and returns an outcome, or None for
    ``return_value``). Neither set: a default :class:`Answer` (an :class:`Embedding` for
    embedding models).
    """

    def __init__(
        self,
        mock: BedrockMock,
        model_id: str | None = None,
        operation: str | None = None,
        *,
        match: Callable[[RecordedRequest], bool] | None = None,
        optional: bool = False,
        name: str | None = None,
    ) -> None:
        self._mock = mock
        self.model_id = model_id
        self.operation = _normalise_operation(operation)
        self.match = match
        self.optional = optional
        self.name = name
        self.calls: list[Call] = []
        self._return_value: Outcome = None
        self._side_effect: Outcome = None
        self._sequence: Iterator[Outcome] | None = None
        self._remaining: list[Outcome] | None = None

    def __repr__(self) -> str:
        if self.name:
            return f"route {self.name!r}"
        parts = []
        if self.operation:
            parts.append(self.operation)
        if self.model_id:
            parts.append(f"model_id={self.model_id!r}")
        if self.match is not None:
            parts.append("match=...")
        return f"route({', '.join(parts) or 'any request'})"

    # --- declaring -------------------------------------------------------------------------

    @property
    def return_value(self) -> Outcome:
        return self._return_value

    @return_value.setter
    def return_value(self, outcome: Outcome) -> None:
        self._check(outcome)
        self._return_value = outcome

    @property
    def side_effect(self) -> Outcome:
        return self._side_effect

    @side_effect.setter
    def side_effect(self, effect: Outcome) -> None:
        if _is_sequence(effect):
            items = list(effect)
            for item in items:
                self._check(item)
            self._side_effect = items
            self._remaining = list(items)
        else:
            self._check(effect)
            self._side_effect = effect
            self._remaining = None

    def respond(self, *outcomes: Outcome) -> Route:
        """One outcome: the ``return_value``; several: the ``side_effect`` sequence."""
        if len(outcomes) == 1:
            self.return_value = outcomes[0]
        else:
            self.side_effect = list(outcomes)
        return self

    def _check(self, outcome: Outcome) -> None:
        """Refuse now what this route's model/operation could never produce.

        A route whose first outcome is refused is withdrawn, so the refusal is the only error
        the test reports (no "never called" at teardown on top of it).
        """
        try:
            self._check_outcome(outcome)
        except Exception:
            if self._return_value is None and self._side_effect is None and not self.calls:
                with self._mock._lock:
                    if self in self._mock.routes:
                        self._mock.routes.remove(self)
            raise

    def _check_outcome(self, outcome: Outcome) -> None:
        model_id = self.model_id if self.model_id and not _is_pattern(self.model_id) else None
        operation = self.operation
        overrides = self._mock.overrides
        if isinstance(outcome, (Answer, Embedding)):
            if model_id is not None:
                outcome.check(model_id, operation, overrides=overrides)
            elif isinstance(outcome, Embedding) and operation not in (None, "InvokeModel"):
                outcome.check("amazon.titan-embed-text-v2:0", operation)
        elif isinstance(outcome, _SPECS):
            outcome.check(operation)
            answer = getattr(outcome, "answer", None)
            if answer is not None and model_id is not None:
                answer.check(model_id, operation, overrides=overrides)
        elif outcome is None or _is_exception(outcome) or callable(outcome):
            return
        elif not isinstance(outcome, (RecordedResponse, Interaction)):
            raise ConfigError(
                f"{self} cannot answer with {outcome!r}; an outcome is an Answer, Embedding, "
                "a Fault, StreamError, Disconnect or CorruptFrame spec, a RecordedResponse or "
                "Interaction, an exception, or "
                "a callable taking the request"
            )

    # --- matching and answering ------------------------------------------------------------

    def why_not(self, request: RecordedRequest) -> str | None:
        """None when this route matches ``request``, else the reason it does not."""
        if self.operation is not None and request.operation != self.operation:
            return f"operation is {request.operation}, the route wants {self.operation}"
        if self.model_id is not None:
            info = resolve_model(request.model_id, self._mock.overrides)
            candidates = {request.model_id, info.base_id}
            if _is_pattern(self.model_id):
                hit = any(fnmatch.fnmatchcase(c, self.model_id) for c in candidates)
            else:
                hit = self.model_id in candidates
            if not hit:
                return f"model is {request.model_id!r}, the route wants {self.model_id!r}"
        if self.match is not None and not self.match(request):
            return "its match function returned False"
        return None

    def _next(self, request: RecordedRequest) -> Outcome:
        effect = self._side_effect
        if self._remaining is not None:
            if not self._remaining:
                raise RouteExhaustedError(self, len(self.calls) + 1)
            return self._remaining.pop(0)
        if effect is not None:
            if _is_exception(effect) or isinstance(effect, (Answer, Embedding, *_SPECS)):
                return effect
            if callable(effect):
                produced = effect(request)
                if produced is not None:
                    self._check(produced)
                    return produced
                return self._return_value
            return effect
        return self._return_value

    # --- assertions ------------------------------------------------------------------------

    @property
    def called(self) -> bool:
        return bool(self.calls)

    @property
    def call_count(self) -> int:
        return len(self.calls)

    @property
    def last_request(self) -> RecordedRequest | None:
        return self.calls[-1].request if self.calls else None

    @property
    def remaining(self) -> int:
        """Outcomes of the ``side_effect`` sequence not used yet (0 without a sequence)."""
        return len(self._remaining) if self._remaining is not None else 0

    def reset(self) -> None:
        """Forget the calls received and restart the ``side_effect`` sequence."""
        self.calls.clear()
        if isinstance(self._side_effect, list):
            self._remaining = list(self._side_effect)


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
        from ..validation.checks import RequestValidator, ValidationSettings

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
        self.calls: list[Call] = []
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
            outcome = route._next(request)
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
            family = resolve_model(request.model_id, self.overrides).family
            outcome = Embedding() if family in EMBEDDING_FAMILIES else Answer()
        if isinstance(outcome, (Answer, Embedding)):
            return build_response(outcome, request, overrides=self.overrides)
        if isinstance(outcome, _SPECS):
            return outcome.build(request)
        if isinstance(outcome, RecordedResponse):
            return outcome
        if isinstance(outcome, Interaction) and outcome.response is not None:
            return outcome.response
        raise ConfigError(f"cannot answer with {outcome!r}")

    def handle(
        self, client: BaseClient, request: AWSPreparedRequest, operation: str
    ) -> AWSResponse | None:
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

    def may_reach_network(self) -> bool:
        """Only with ``passthrough`` can a request go on (and so need real credentials)."""
        return self.passthrough

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> BedrockMock:
        if self._stack is not None:
            raise ConfigError("this BedrockMock is already active")
        stack = ExitStack()
        if self.skip_backoff:
            self.backoff_delays = stack.enter_context(faults.skip_backoff())
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
    for name in options:
        if name not in OPTIONS:
            close = difflib.get_close_matches(name, OPTIONS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"unknown option {name!r} in {source}{hint}; valid options: {', '.join(OPTIONS)}"
            )


# --- pytest ------------------------------------------------------------------------------------

_ANSWER_OPTIONS = ("model_id", "operation", "match", "optional", "name")


def from_markers(node: pytest.Item) -> BedrockMock:
    """A :class:`BedrockMock` configured by a test's ``bedrock_mock`` and ``bedrock_answer``
    markers (closest ``bedrock_mock`` wins; every ``bedrock_answer`` adds a route, outermost
    first)."""
    options_marker = node.get_closest_marker(OPTIONS_MARKER)
    options: dict[str, Any] = {}
    if options_marker is not None:
        if options_marker.args:
            raise ConfigError(
                f"@pytest.mark.{OPTIONS_MARKER} takes keyword arguments only ({', '.join(OPTIONS)})"
            )
        options = dict(options_marker.kwargs)
        check_options(options, f"@pytest.mark.{OPTIONS_MARKER}")
    mock = BedrockMock(**options)
    for marker in reversed(list(node.iter_markers(ANSWER_MARKER))):
        kwargs = dict(marker.kwargs)
        for name in kwargs:
            if name not in _ANSWER_OPTIONS:
                close = difflib.get_close_matches(name, _ANSWER_OPTIONS, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ConfigError(
                    f"unknown argument {name!r} in @pytest.mark.{ANSWER_MARKER}{hint}; valid: "
                    f"outcomes as positional arguments, then {', '.join(_ANSWER_OPTIONS)}"
                )
        route = mock.on(**kwargs)
        if marker.args:
            route.respond(*marker.args)
    return mock
