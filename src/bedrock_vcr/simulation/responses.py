"""Encoding an answer for one request: :func:`build_response` resolves the answer against the
request (family, native stop reason, token counts, stream pieces) into a
:class:`~.render.Render`, checks that the request does not contradict it, and wraps the
family's encoding as a :class:`~bedrock_vcr.cassettes.records.RecordedResponse` (a JSON body for
``InvokeModel``/``Converse``, event-stream frames for the streaming operations)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..bedrock.models import ModelInfo, resolve_model
from ..bedrock.operations import STREAM_CONTENT_TYPE, STREAMING
from ..cassettes.records import RecordedRequest, RecordedResponse, StreamEvent
from ..errors import AnswerConflictError
from .answer import Answer, Embedding
from .embeddings import build_embedding
from .families import Family
from .render import Render, json_body, request_id
from .selection import family_for
from .tokens import estimate_tokens, fit_text, prompt_text, running_counts, split_text


def _fit_pieces(answer: Answer, tokens: int) -> list[str]:
    """The answer's pieces cut or extended so the text is exactly ``tokens`` tokens long."""
    text = fit_text(answer.full_text, tokens)
    pieces = answer.pieces()
    out: list[str] = []
    used = 0
    for piece in pieces:
        if used >= len(text):
            break
        take = text[used : used + len(piece)]
        out.append(take)
        used += len(take)
    if used < len(text):
        out += split_text(text[used:], answer.chunk_size)
    return out


def _output(
    answer: Answer,
    request: RecordedRequest,
    info: ModelInfo,
    family: Family,
    stop: str,
    body: Any,
    tool_tokens: int,
) -> tuple[list[str], int]:
    """The answer's text pieces and output token count, held against the request's max-token
    setting: a length stop is cut (or grown) to it, any other stop may not exceed it."""
    operation = request.operation
    requested = family.max_tokens(body)
    if stop in family.length_stops:
        if requested is not None and answer.output_tokens not in (None, requested):
            raise AnswerConflictError(
                f"the answer declares a length stop after {answer.output_tokens} tokens, but the "
                f"request's max-token setting is {requested}",
                model_id=request.model_id,
                operation=operation,
                fix="drop output_tokens (the request's setting is used) or change the request",
            )
        if answer.output_tokens is not None:  # declared counts are trusted, text kept as given
            output_tokens = answer.output_tokens
            pieces = answer.pieces()
        else:
            output_tokens = (
                requested
                or family.default_max
                or info.max_tokens
                or max(1, estimate_tokens(answer.full_text))
            )
            pieces = _fit_pieces(answer, output_tokens)
    else:
        pieces = answer.pieces()
        output_tokens = (
            answer.output_tokens
            if answer.output_tokens is not None
            else estimate_tokens(answer.full_text) + tool_tokens
        )
        if requested is not None and output_tokens > requested:
            raise AnswerConflictError(
                f"the answer is {output_tokens} tokens long but the request allows at most "
                f"{requested} (a stop reason of {answer.stop_reason!r} cannot exceed it)",
                model_id=request.model_id,
                operation=operation,
                fix="use stop_reason='length' (the text is then cut to the request's setting), "
                "a shorter text, or a larger max-token setting",
            )
    return pieces, output_tokens


def _resolve(
    answer: Answer, request: RecordedRequest, overrides: Mapping[str, str] | None
) -> tuple[Family, Render]:
    info = resolve_model(request.model_id, overrides)
    operation = request.operation
    answer.check(request.model_id, operation, overrides=overrides)
    body = request.json
    family = family_for(info, operation, body)
    # answer.check saw the model id only: the body style may choose another family
    stop = family.require_stop(
        answer.stop_reason, model_id=request.model_id, operation=operation, of="request"
    )
    tool_tokens = sum(call.tokens() for call in answer.tool_calls)
    pieces, output_tokens = _output(answer, request, info, family, stop, body, tool_tokens)
    prompt = prompt_text(body)
    input_tokens = (
        answer.input_tokens if answer.input_tokens is not None else estimate_tokens(prompt)
    )
    text_tokens = max(0, output_tokens - tool_tokens)
    render = Render(
        info=info,
        operation=operation,
        pieces=pieces,
        stop=stop,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        running=running_counts(pieces, text_tokens),
        tool_calls=tuple(answer.tool_calls),
        stop_sequence=answer.stop_sequence,
        first=float(answer.first_chunk_delay),
        gap=float(answer.chunk_delay),
        prompt=prompt,
        seed=f"{request.model_id}|{operation}|{''.join(pieces)}",
    )
    return family, render


def build_response(
    answer: Answer | Embedding,
    request: RecordedRequest,
    *,
    overrides: Mapping[str, str] | None = None,
) -> RecordedResponse:
    """Encode ``answer`` as the native response to ``request`` (operation and model from it).

    Raises :class:`UnsupportedAnswerError` when the model cannot give this answer and
    :class:`AnswerConflictError` when the request contradicts it (a max-token setting below the
    answer's length).
    """
    if isinstance(answer, Embedding):
        return build_embedding(answer, request, overrides)
    family, r = _resolve(answer, request, overrides)
    operation = request.operation
    if operation in STREAMING:
        assert family.chunks is not None
        events: list[StreamEvent] = []
        for slot, payload in family.chunks(r):
            offset = r.first + r.gap * slot
            if operation == "ConverseStream":
                ((event_type, data),) = payload.items()
                events.append(StreamEvent.event(event_type, data, offset))
            else:
                events.append(StreamEvent.chunk(payload, offset))
        headers = {"content-type": STREAM_CONTENT_TYPE, "x-amzn-requestid": request_id()}
        if operation == "InvokeModelWithResponseStream":
            headers["x-amzn-bedrock-content-type"] = "application/json"
        return RecordedResponse(200, headers, events=events, latency=r.first)
    assert family.response is not None
    body = json_body(family.response(r))
    headers = {"content-type": "application/json", "x-amzn-requestid": request_id()}
    if operation == "InvokeModel":
        headers.update(
            {
                "x-amzn-bedrock-invocation-latency": str(r.ms(r.total_latency)),
                "x-amzn-bedrock-output-token-count": str(r.output_tokens),
                "x-amzn-bedrock-input-token-count": str(r.input_tokens),
            }
        )
    return RecordedResponse(200, headers, body=body, latency=r.total_latency)
