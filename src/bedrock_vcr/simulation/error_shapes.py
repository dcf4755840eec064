"""What botocore's service model says about Bedrock Runtime errors: for each operation the errors
it may fail with (code, HTTP status, members, whether botocore retries it) and the exception events
its stream may carry, plus the message Bedrock sends with each.

Read from botocore rather than listed here, so that a botocore release that adds an error reaches
the fault specs of :mod:`.faults` without a change.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..bedrock.operations import NAMES as OPERATIONS
from ..bedrock.operations import SERVICE
from ..errors import ConfigError

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
    "ConflictException": "The request conflicts with another one: this client request token was "
    "already used for a different invocation.",
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
    check_operation(operation)
    model = _service_model().operation_model(operation)
    return MappingProxyType({shape.name: _shape(shape) for shape in model.error_shapes})


@functools.cache
def stream_exceptions(operation: str) -> Mapping[str, ErrorShape]:
    """The exception events the operation's event stream may carry, by ``:exception-type``."""
    check_operation(operation)
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


def check_operation(operation: str) -> None:
    if operation not in OPERATIONS:
        raise ConfigError(f"unknown operation {operation!r}; valid: {', '.join(OPERATIONS)}")


def shape_anywhere(code: str) -> ErrorShape:
    """The shape of error ``code``, from the first operation that lists it."""
    for op in OPERATIONS:
        errors = operation_errors(op)
        if code in errors:
            return errors[code]
    raise ConfigError(f"unknown error code {code!r}")
