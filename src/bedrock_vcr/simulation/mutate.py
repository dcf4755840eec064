"""Variants of a recorded interaction: another stop reason, a cut answer, a fault at chunk N.

One real recording shows what happened once; these functions derive what could have happened,
without re-recording:

* :func:`with_stop_reason` re-encodes the recorded answer (text, tool calls, token counts,
  timing) with another stop reason. For a ``length`` stop the request's max-token setting is set
  to the recorded output token count, so that the variant is consistent (``length`` means the
  setting was reached).
* :func:`truncated` cuts the answer to ``tokens`` output tokens: the text is cut at the
  recording's own characters-per-token ratio, the stop reason becomes ``length``, the counts
  (body, stream chunks, ``amazon-bedrock-invocationMetrics``, ``X-Amzn-Bedrock-*`` headers)
  say ``tokens``, and the request's max-token setting becomes ``tokens``.
* :func:`with_fault` keeps the recorded stream up to frame N and then breaks it (exception frame,
  dropped connection or bad CRC), or replaces the answer with an HTTP error. The recorded frames
  are kept byte for byte.

Re-encoded variants come from :func:`bedrock_vcr.simulation.build_response`, so they validate
against the family's schema; what bedrock-vcr does not model (guardrail traces, message ids,
padding keys) is not carried over. :func:`matrix` builds a list of :class:`Variant` for
``pytest.mark.parametrize``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..cassettes.records import Interaction, RecordedRequest, RecordedResponse
from ..errors import ConfigError
from . import faults
from .answer import Answer
from .recorded import recorded_answer, recorded_response  # recorded_answer: public here too
from .responses import build_response
from .selection import native_stop_reason, with_max_tokens
from .stream_breaks import corrupt_frame, drop_connection, inject_stream_error
from .tokens import estimate_tokens

FaultSpec = faults.Fault | faults.StreamError | faults.Disconnect | faults.CorruptFrame

# --- variants ----------------------------------------------------------------------------------


def _is_length(request: RecordedRequest, stop: str, overrides: Mapping[str, str] | None) -> bool:
    def native(name: str) -> str:
        return native_stop_reason(
            request.model_id, name, request.operation, overrides=overrides, body=request.json
        )

    return native("length") == native(stop)


def _rebuild(
    interaction: Interaction,
    answer: Answer,
    request: RecordedRequest,
    overrides: Mapping[str, str] | None,
) -> Interaction:
    response = build_response(answer, request, overrides=overrides)
    if response.events is None and not response.latency:
        response.latency = recorded_response(interaction).latency
    return Interaction(request, response, interaction.recorded_at)


def with_stop_reason(
    interaction: Interaction, stop_reason: str, *, overrides: Mapping[str, str] | None = None
) -> Interaction:
    """The same answer ending with ``stop_reason`` (neutral name or native value)."""
    answer = recorded_answer(interaction, overrides=overrides)
    request = interaction.request
    output = answer.output_tokens
    if output is None:
        output = estimate_tokens(answer.full_text)
    answer = replace(answer, stop_reason=stop_reason, output_tokens=output)
    if answer.tool_calls and not _is_tool_stop(request, stop_reason, overrides):
        answer = replace(answer, tool_calls=())  # the answer now ends before calling its tools
    if _is_length(request, stop_reason, overrides):
        request = with_max_tokens(request, output, overrides=overrides)
    return _rebuild(interaction, answer, request, overrides)


def _is_tool_stop(
    request: RecordedRequest, stop_reason: str, overrides: Mapping[str, str] | None
) -> bool:
    def native(name: str) -> str:
        return native_stop_reason(
            request.model_id, name, request.operation, overrides=overrides, body=request.json
        )

    try:
        tool = native("tool_use")
    except ConfigError:
        return False
    return native(stop_reason) == tool


def truncated(
    interaction: Interaction, tokens: int, *, overrides: Mapping[str, str] | None = None
) -> Interaction:
    """The answer cut to ``tokens`` output tokens, stopped by the max-token setting."""
    answer = recorded_answer(interaction, overrides=overrides)
    recorded = answer.output_tokens
    text = answer.full_text
    if recorded is None:
        recorded = estimate_tokens(text)
    if not isinstance(tokens, int) or tokens < 1 or tokens >= recorded:
        raise ConfigError(
            f"truncated() needs 1 <= tokens < {recorded} (the recorded answer's output tokens), "
            f"got {tokens!r}"
        )
    keep = round(len(text) * tokens / recorded) if recorded else 0
    pieces: list[str] = []
    used = 0
    for piece in answer.pieces():
        if used >= keep:
            break
        pieces.append(piece[: keep - used])
        used += len(pieces[-1])
    answer = replace(
        answer, text=pieces or [""], stop_reason="length", output_tokens=tokens, tool_calls=()
    )
    request = with_max_tokens(interaction.request, tokens, overrides=overrides)
    return _rebuild(interaction, answer, request, overrides)


def with_fault(interaction: Interaction, fault: FaultSpec) -> Interaction:
    """The recorded stream broken as ``fault`` says (its ``answer`` is ignored: the recording is
    the stream), or the answer replaced by an HTTP error (:class:`~bedrock_vcr.Fault`)."""
    request, response = interaction.request, recorded_response(interaction)
    if isinstance(fault, faults.Fault):
        fault.check(request.operation)
        return Interaction(request, fault.build(request), interaction.recorded_at)
    fault.check(request.operation)
    if isinstance(fault, faults.StreamError):
        fields: dict[str, Any] = {}
        if fault.original_status_code is not None:
            fields["originalStatusCode"] = fault.original_status_code
        if fault.original_message is not None:
            fields["originalMessage"] = fault.original_message
        broken = inject_stream_error(response, fault.after, fault.code, fault.message, **fields)
    elif isinstance(fault, faults.Disconnect):
        broken = drop_connection(response, fault.after)
    else:
        broken = corrupt_frame(response, fault.at)
    return Interaction(request, broken, interaction.recorded_at)


# --- parametrising -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """One derived interaction and a short id for test parametrisation (``str(variant)``)."""

    id: str
    interaction: Interaction

    @property
    def request(self) -> RecordedRequest:
        return self.interaction.request

    @property
    def response(self) -> RecordedResponse:
        return recorded_response(self.interaction)

    def __str__(self) -> str:
        return self.id


def _fault_id(fault: FaultSpec) -> str:
    if isinstance(fault, faults.Fault):
        return fault.code
    if isinstance(fault, faults.StreamError):
        return f"{fault.code}@{fault.after}"
    if isinstance(fault, faults.Disconnect):
        return f"disconnect@{fault.after}"
    return f"corrupt@{fault.at}"


def matrix(
    interaction: Interaction,
    *,
    stop_reasons: Iterable[str] = (),
    truncate_to: Iterable[int] = (),
    with_faults: Iterable[FaultSpec] = (),
    include_original: bool = True,
    overrides: Mapping[str, str] | None = None,
) -> list[Variant]:
    """Variants for ``pytest.mark.parametrize("variant", matrix(...), ids=str)``."""
    out: list[Variant] = []
    if include_original:
        out.append(Variant("recorded", interaction))
    for stop in stop_reasons:
        out.append(
            Variant(f"stop={stop}", with_stop_reason(interaction, stop, overrides=overrides))
        )
    for tokens in truncate_to:
        out.append(
            Variant(f"truncated={tokens}", truncated(interaction, tokens, overrides=overrides))
        )
    for fault in with_faults:
        out.append(Variant(_fault_id(fault), with_fault(interaction, fault)))
    return out
