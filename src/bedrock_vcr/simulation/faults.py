"""Faults: Bedrock errors as botocore receives them, broken streams, and skipping retry sleeps.

Three kinds of failure, each a small frozen spec with ``check(operation)`` (refuses, when it is
declared, what the operation cannot produce) and ``build(request)`` (the
:class:`~bedrock_vcr.cassettes.records.RecordedResponse` to replay):

* :class:`Fault`: an HTTP error response for any error botocore's service model lists for the
  operation, with the modelled status, the ``x-amzn-ErrorType`` header and the
  ``{"message": ...}`` body Bedrock sends, so botocore raises the modelled exception class and
  applies its own retry rules to it (throttling and 5xx retried; 400/403/404/408/424 not).
  One helper per error code: :func:`throttling`, :func:`access_denied`, ...
* :class:`StreamError`: an exception frame after ``after`` frames of a simulated stream, for each
  exception type the stream's service-model union allows; botocore raises ``EventStreamError``
  with that code while the caller iterates.
* :class:`Disconnect` (the connection closes after ``after`` frames: urllib3's ``ProtocolError``)
  and :class:`CorruptFrame` (frame ``at`` fails its CRC: botocore's ``ChecksumMismatch``).

The functions :func:`inject_stream_error`, :func:`drop_connection` and :func:`corrupt_frame`
apply the stream faults to any recorded stream (the mutation module uses them).

:func:`skip_backoff` makes botocore's retries immediate while it is active; see its docstring
for how and why.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from ..cassettes.records import RecordedRequest, RecordedResponse, StreamEvent, error_response
from ..errors import ConfigError
from . import STREAMING, Answer, build_response

SERVICE = "bedrock-runtime"
OPERATIONS = ("InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream")

#: What Bedrock says for each error when the test does not choose a message.
DEFAULT_MESSAGES = {
    "AccessDeniedException": "You don't have access to the model with the specified model ID.",
    "ResourceNotFoundException": "The requested resource could not be found.",
    "ThrottlingException": "Too many requests, please wait before trying again.",
    "ModelTimeoutException": "Model has timed out in processing the request. Try your request "
    "again.",
    "InternalServerException": "The system encountered an unexpected error during processing. "
    "Try your request again.",
    "ServiceUnavailableException": "Bedrock is unable to process your request.",
    "ValidationException": "Malformed input request, please reformat your input and try again.",
    "ServiceQuotaExceededException": "Your request exceeds the service quota for your account.",
    "ModelNotReadyException": "The model is not ready to serve inference requests. Try your "
    "request again.",
    "ModelErrorException": "The request failed due to an error while processing the model.",
    "ModelStreamErrorException": "The request failed due to an error while processing the model "
    "stream.",
}


# --- what the service model says ---------------------------------------------------------------


@dataclass(frozen=True)
class ErrorShape:
    """One error of the service model: its code, HTTP status and members."""

    code: str
    status: int
    members: tuple[str, ...]
    retryable: bool  # carries the ``retryable`` trait (botocore's standard mode retries it)


@functools.cache
def _service_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(SERVICE)


def _shape(shape: Any) -> ErrorShape:
    return ErrorShape(
        code=shape.name,
        status=int(shape.metadata.get("error", {}).get("httpStatusCode", 400)),
        members=tuple(shape.members),
        retryable="retryable" in shape.metadata,
    )


@functools.cache
def operation_errors(operation: str) -> Mapping[str, ErrorShape]:
    """Every error botocore's service model lists for ``operation``, by code."""
    _check_operation(operation)
    model = _service_model().operation_model(operation)
    return MappingProxyType({shape.name: _shape(shape) for shape in model.error_shapes})


@functools.cache
def stream_exceptions(operation: str) -> Mapping[str, ErrorShape]:
    """The exception events the operation's event stream may carry, by ``:exception-type``."""
    _check_operation(operation)
    model = _service_model().operation_model(operation)
    if not model.has_event_stream_output:
        return MappingProxyType({})
    stream = model.get_event_stream_output()
    out = {}
    for name, member in stream.members.items():
        if member.metadata.get("exception"):
            out[name] = replace(_shape(member), code=name)
    return MappingProxyType(out)


@functools.cache
def all_error_codes() -> tuple[str, ...]:
    codes: dict[str, None] = {}
    for op in OPERATIONS:
        codes.update(dict.fromkeys(operation_errors(op)))
    return tuple(codes)


def _check_operation(operation: str) -> None:
    if operation not in OPERATIONS:
        raise ConfigError(f"unknown operation {operation!r}; valid: {', '.join(OPERATIONS)}")


# --- HTTP errors -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """An HTTP error answer, e.g. ``Fault("ThrottlingException")``.

    ``status`` defaults to the modelled one; ``message`` to Bedrock's usual wording; ``fields``
    adds modelled members (``originalStatusCode``/``resourceName`` of ``ModelErrorException``).
    ``latency``: seconds before the error arrives.
    """

    code: str
    message: str | None = None
    status: int | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    latency: float = 0.0

    def __post_init__(self) -> None:
        if self.code not in all_error_codes():
            raise ConfigError(
                f"unknown Bedrock Runtime error code {self.code!r}; valid codes: "
                f"{', '.join(all_error_codes())}"
            )

    def check(self, operation: str | None = None) -> None:
        """Refuse an error the service model does not list for ``operation``."""
        if operation is None:
            return
        errors = operation_errors(operation)
        if self.code not in errors:
            raise ConfigError(
                f"{operation} never fails with {self.code} (botocore's service model); "
                f"its errors: {', '.join(errors)}"
            )
        members = set(errors[self.code].members)
        unknown = sorted(set(self.fields) - members)
        if unknown:
            raise ConfigError(
                f"{self.code} has no member {', '.join(map(repr, unknown))}; its members: "
                f"{', '.join(sorted(members))}"
            )

    def build(self, request: RecordedRequest | None = None) -> RecordedResponse:
        operation = request.operation if request is not None else None
        if operation in OPERATIONS:
            self.check(operation)
        shape = _shape_anywhere(self.code)
        status = self.status if self.status is not None else shape.status
        message = self.message if self.message is not None else DEFAULT_MESSAGES[self.code]
        response = error_response(status, self.code, message, **dict(self.fields))
        response.latency = self.latency
        return response


def _shape_anywhere(code: str) -> ErrorShape:
    for op in OPERATIONS:
        errors = operation_errors(op)
        if code in errors:
            return errors[code]
    raise ConfigError(f"unknown error code {code!r}")


def access_denied(message: str | None = None) -> Fault:
    return Fault("AccessDeniedException", message)


def resource_not_found(message: str | None = None) -> Fault:
    return Fault("ResourceNotFoundException", message)


def throttling(message: str | None = None) -> Fault:
    return Fault("ThrottlingException", message)


def model_timeout(message: str | None = None) -> Fault:
    return Fault("ModelTimeoutException", message)


def internal_server(message: str | None = None) -> Fault:
    return Fault("InternalServerException", message)


def service_unavailable(message: str | None = None) -> Fault:
    return Fault("ServiceUnavailableException", message)


def validation(message: str | None = None) -> Fault:
    return Fault("ValidationException", message)


def service_quota_exceeded(message: str | None = None) -> Fault:
    return Fault("ServiceQuotaExceededException", message)


def model_not_ready(message: str | None = None) -> Fault:
    return Fault("ModelNotReadyException", message)


def model_error(
    message: str | None = None,
    *,
    original_status_code: int | None = None,
    resource_name: str | None = None,
) -> Fault:
    fields: dict[str, Any] = {}
    if original_status_code is not None:
        fields["originalStatusCode"] = original_status_code
    if resource_name is not None:
        fields["resourceName"] = resource_name
    return Fault("ModelErrorException", message, fields=fields)


def model_stream_error(
    message: str | None = None,
    *,
    original_status_code: int | None = None,
    original_message: str | None = None,
) -> Fault:
    """The HTTP 424 ``ModelStreamErrorException`` (InvokeModelWithResponseStream only); for the
    same error *inside* a stream use :class:`StreamError`."""
    fields: dict[str, Any] = {}
    if original_status_code is not None:
        fields["originalStatusCode"] = original_status_code
    if original_message is not None:
        fields["originalMessage"] = original_message
    return Fault("ModelStreamErrorException", message, fields=fields)


#: Helper name -> error code (the helpers above, for listing and lookup).
HELPERS = {
    "access_denied": "AccessDeniedException",
    "resource_not_found": "ResourceNotFoundException",
    "throttling": "ThrottlingException",
    "model_timeout": "ModelTimeoutException",
    "internal_server": "InternalServerException",
    "service_unavailable": "ServiceUnavailableException",
    "validation": "ValidationException",
    "service_quota_exceeded": "ServiceQuotaExceededException",
    "model_not_ready": "ModelNotReadyException",
    "model_error": "ModelErrorException",
    "model_stream_error": "ModelStreamErrorException",
}


# --- stream faults -----------------------------------------------------------------------------


def _stream_only(kind: str, operation: str | None) -> None:
    if operation is not None and operation not in STREAMING:
        raise ConfigError(
            f"{kind} needs a streaming operation, not {operation}; valid: "
            f"{', '.join(sorted(STREAMING))}"
        )


def _event_code(code: str) -> str:
    """``ThrottlingException`` -> ``throttlingException`` (the stream's spelling)."""
    return code[:1].lower() + code[1:] if code else code


def _check_after(after: int, name: str = "after") -> None:
    if not isinstance(after, int) or after < 0:
        raise ConfigError(f"{name} must be a frame count >= 0, got {after!r}")


def _events_of(response: RecordedResponse, limit: int, what: str) -> list[StreamEvent]:
    if response.events is None:
        raise ConfigError(f"{what} needs a streamed response; this one has a plain body")
    if limit > len(response.events):
        raise ConfigError(
            f"{what} at frame {limit}, but the stream has only {len(response.events)} frames"
        )
    return list(response.events)


def inject_stream_error(
    response: RecordedResponse,
    after: int,
    code: str,
    message: str | None = None,
    **fields: Any,
) -> RecordedResponse:
    """``response``'s first ``after`` frames, then an exception frame ``code`` (stream ends)."""
    _check_after(after)
    events = _events_of(response, after, f"a {code} frame")
    offset = events[after - 1].offset if after else response.latency
    if after < len(events):
        offset = events[after].offset
    payload = {"message": message if message is not None else _default_stream_message(code)}
    payload.update(fields)
    frame = StreamEvent.exception(code, payload, offset)
    return replace(response, events=[*events[:after], frame], stream_end="complete")


def drop_connection(response: RecordedResponse, after: int) -> RecordedResponse:
    """``response``'s first ``after`` frames, then the connection closes mid-stream."""
    _check_after(after)
    events = _events_of(response, after, "a dropped connection")
    return replace(response, events=events[:after], stream_end="dropped")


def corrupt_frame(response: RecordedResponse, at: int) -> RecordedResponse:
    """``response`` up to frame ``at``, whose payload has one byte flipped (its CRC fails)."""
    _check_after(at, "at")
    events = _events_of(response, at + 1, "a corrupted frame")
    target = events[at]
    frame = bytearray(target.frame)
    frame[-5] ^= 0xFF  # last payload byte (the message CRC is the last 4 bytes)
    broken = StreamEvent(target.message, target.offset, frame_override=bytes(frame))
    return replace(response, events=[*events[:at], broken], stream_end="complete")


def _default_stream_message(code: str) -> str:
    upper = code[:1].upper() + code[1:]
    return DEFAULT_MESSAGES.get(upper, f"{code} while streaming the response.")


@dataclass(frozen=True)
class StreamError:
    """An exception frame after ``after`` frames of the ``answer``'s stream.

    ``code`` is the ``:exception-type`` (``modelStreamErrorException``, ``throttlingException``,
    ...; ``ThrottlingException`` is accepted too). ``original_status_code``/``original_message``
    are the extra members of ``modelStreamErrorException``.
    """

    code: str = "modelStreamErrorException"
    after: int = 0
    answer: Answer = field(default_factory=Answer)
    message: str | None = None
    original_status_code: int | None = None
    original_message: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", _event_code(self.code))
        _check_after(self.after)
        known = set(stream_exceptions("InvokeModelWithResponseStream")) | set(
            stream_exceptions("ConverseStream")
        )
        if self.code not in known:
            raise ConfigError(
                f"unknown stream exception {self.code!r}; valid: {', '.join(sorted(known))}"
            )
        if self.code != "modelStreamErrorException" and (
            self.original_status_code is not None or self.original_message is not None
        ):
            raise ConfigError(
                "original_status_code/original_message belong to modelStreamErrorException only"
            )

    def check(self, operation: str | None = None) -> None:
        _stream_only("a stream exception", operation)
        if operation is None:
            return
        allowed = stream_exceptions(operation)
        if self.code not in allowed:
            raise ConfigError(
                f"the {operation} stream cannot carry {self.code}; its exception events: "
                f"{', '.join(allowed)}"
            )

    def build(self, request: RecordedRequest) -> RecordedResponse:
        self.check(request.operation)
        fields: dict[str, Any] = {}
        if self.original_status_code is not None:
            fields["originalStatusCode"] = self.original_status_code
        if self.original_message is not None:
            fields["originalMessage"] = self.original_message
        return inject_stream_error(
            build_response(self.answer, request), self.after, self.code, self.message, **fields
        )


@dataclass(frozen=True)
class Disconnect:
    """The connection closes after ``after`` frames of the ``answer``'s stream."""

    after: int = 0
    answer: Answer = field(default_factory=Answer)

    def __post_init__(self) -> None:
        _check_after(self.after)

    def check(self, operation: str | None = None) -> None:
        _stream_only("a dropped connection", operation)

    def build(self, request: RecordedRequest) -> RecordedResponse:
        self.check(request.operation)
        return drop_connection(build_response(self.answer, request), self.after)


@dataclass(frozen=True)
class CorruptFrame:
    """Frame ``at`` (0-based) of the ``answer``'s stream arrives with a bad CRC."""

    at: int = 0
    answer: Answer = field(default_factory=Answer)

    def __post_init__(self) -> None:
        _check_after(self.at, "at")

    def check(self, operation: str | None = None) -> None:
        _stream_only("a corrupted frame", operation)

    def build(self, request: RecordedRequest) -> RecordedResponse:
        self.check(request.operation)
        return corrupt_frame(build_response(self.answer, request), self.at)


def stream_error(
    code: str, after: int = 0, answer: Answer | None = None, **options: Any
) -> StreamError:
    """Shorthand for :class:`StreamError` (``stream_error("throttlingException", after=3)``)."""
    return StreamError(code, after, answer if answer is not None else Answer(), **options)


def snake_name(code: str) -> str:
    """``ThrottlingException`` -> ``throttling`` (the helper naming rule)."""
    base = code[: -len("Exception")] if code.endswith("Exception") else code
    return re.sub(r"(?<!^)(?=[A-Z])", "_", base).lower()


# --- skipping backoff sleeps -------------------------------------------------------------------

_backoff_lock = threading.Lock()
_backoff_users = 0
_backoff_restore: list[tuple[Any, str, Any]] = []
_backoff_listeners: list[list[float]] = []


def _skipped(delay: Any) -> int:
    value = float(delay)
    with _backoff_lock:
        for listener in _backoff_listeners:
            listener.append(value)
    return 0


def _is_bedrock(operation_model: Any) -> bool:
    try:
        return bool(operation_model.service_model.service_name == SERVICE)
    except AttributeError:
        return False


def _install() -> None:
    from botocore import retryhandler
    from botocore.retries import standard

    original_delay = standard.RetryPolicy.compute_retry_delay
    original_call = retryhandler.RetryHandler.__call__

    def compute_retry_delay(self: Any, context: Any) -> Any:
        delay = original_delay(self, context)
        if _is_bedrock(getattr(context, "operation_model", None)):
            return _skipped(delay)
        return delay

    def legacy_call(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original_call(self, *args, **kwargs)
        if result is not None and result is not False and _is_bedrock(kwargs.get("operation")):
            return _skipped(result)
        return result

    _backoff_restore[:] = [
        (standard.RetryPolicy, "compute_retry_delay", original_delay),
        (retryhandler.RetryHandler, "__call__", original_call),
    ]
    setattr(standard.RetryPolicy, "compute_retry_delay", compute_retry_delay)  # noqa: B010
    setattr(retryhandler.RetryHandler, "__call__", legacy_call)  # noqa: B010


def _uninstall() -> None:
    for owner, name, original in _backoff_restore:
        setattr(owner, name, original)
    _backoff_restore.clear()


@contextmanager
def skip_backoff() -> Iterator[list[float]]:
    """While active, botocore retries bedrock-runtime calls without sleeping between attempts.

    botocore still decides *whether* and *how often* to retry (its retry mode, ``max_attempts``,
    retry quota and error classification are untouched); only the computed delay is replaced by
    0 and appended to the yielded list (concurrent users each see every delay). botocore
    computes that delay in exactly two places,
    ``botocore.retries.standard.RetryPolicy.compute_retry_delay`` (``standard`` and ``adaptive``
    modes) and ``botocore.retryhandler.RetryHandler.__call__`` (``legacy`` mode); both are
    wrapped, for bedrock-runtime operations only, while at least one ``skip_backoff`` is active
    (nested and concurrent uses share one installation, removed when the last one exits).
    Not covered: the client-side rate limiter of ``adaptive`` mode, which may still pause.

    Rejected alternatives: a client ``Config`` cannot set the delay; patching ``time.sleep``
    would stop every sleep in the process; a ``needs-retry`` handler cannot see botocore's
    decision without running the retry handler twice (which would drain the retry quota twice
    as fast).
    """
    global _backoff_users
    mine: list[float] = []
    with _backoff_lock:
        if _backoff_users == 0:
            _install()
        _backoff_users += 1
        _backoff_listeners.append(mine)
    try:
        yield mine
    finally:
        with _backoff_lock:
            _backoff_listeners.remove(mine)
            _backoff_users -= 1
            if _backoff_users == 0:
                _uninstall()
