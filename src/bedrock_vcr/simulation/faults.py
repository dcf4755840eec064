"""Faults: Bedrock errors as botocore receives them, and broken streams.

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

What the service model lists (error codes, statuses, stream exceptions) is read in
:mod:`.error_shapes`; :mod:`.stream_breaks` applies the stream faults to any recorded stream
(:func:`inject_stream_error`, :func:`drop_connection`, :func:`corrupt_frame`; the mutation module
uses them too).

Skipping botocore's retry sleeps lives in :mod:`bedrock_vcr.intercept.backoff`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..bedrock.operations import NAMES as OPERATIONS
from ..bedrock.operations import STREAMING
from ..cassettes.records import RecordedRequest, RecordedResponse, error_response
from ..errors import ConfigError
from .answer import Answer
from .error_shapes import (
    DEFAULT_MESSAGES,
    all_error_codes,
    operation_errors,
    shape_anywhere,
    stream_exceptions,
)
from .responses import build_response
from .stream_breaks import check_after, corrupt_frame, drop_connection, inject_stream_error

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
        shape = shape_anywhere(self.code)
        status = self.status if self.status is not None else shape.status
        message = self.message if self.message is not None else DEFAULT_MESSAGES[self.code]
        response = error_response(status, self.code, message, **dict(self.fields))
        response.latency = self.latency
        return response


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


def conflict(message: str | None = None) -> Fault:
    return Fault("ConflictException", message)


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
    "conflict": "ConflictException",
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
        check_after(self.after)
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
        check_after(self.after)

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
        check_after(self.at, "at")

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
