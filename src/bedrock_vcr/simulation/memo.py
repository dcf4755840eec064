"""Remembered encodings: the same :class:`~.answer.Answer` to the same request is built once.

:func:`~.responses.build_response` is a function of the answer, the request's model id,
operation and body, and the ``model_families`` overrides; only the ``x-amzn-requestid`` header
is drawn anew. A mock answering a route many times would otherwise encode every chunk (JSON,
base64, event-stream frame) on every call. :func:`remembered_response` keeps the built response
by exactly those inputs (the body by its bytes, so a request that differs in any byte is built
anew) and hands each call its own :class:`~bedrock_vcr.cassettes.records.RecordedResponse`
with a fresh request id; the stream events are shared, so a frame encoded for one replay is
encoded for every later one. An answer that cannot be hashed (a :class:`~.render.ToolCall`
whose ``input`` is a plain dict, which may change between calls) is built on every call.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..cassettes.records import RecordedRequest, RecordedResponse
from .answer import Answer
from .render import request_id
from .responses import build_response

#: Built responses kept at most (a new one past this starts the memo afresh).
SIZE = 256
#: Request bodies larger than this are not kept as keys (built on every call).
MAX_BODY = 1 << 20

_memo: dict[Hashable, RecordedResponse] = {}
_lock = threading.Lock()


def _key(
    answer: Answer, request: RecordedRequest, overrides: Mapping[str, str] | None
) -> Hashable | None:
    if len(request.body) > MAX_BODY:
        return None
    key = (
        answer,
        request.model_id,
        request.operation,
        request.body,
        tuple(sorted(overrides.items())) if overrides else None,
    )
    try:
        hash(key)
    except TypeError:  # a tool call's input is a dict: its contents may change
        return None
    return key


def remembered_response(
    answer: Answer, request: RecordedRequest, *, overrides: Mapping[str, str] | None = None
) -> RecordedResponse:
    """:func:`~.responses.build_response` for an :class:`Answer`, built once per distinct
    request (see the module doc); each call gets its own response with a fresh request id."""
    key = _key(answer, request, overrides)
    if key is None:
        return build_response(answer, request, overrides=overrides)
    built = _memo.get(key)
    if built is None:
        built = build_response(answer, request, overrides=overrides)  # raises: not kept
        with _lock:
            if len(_memo) >= SIZE:
                _memo.clear()
            _memo[key] = built
    headers = dict(built.headers)
    headers["x-amzn-requestid"] = request_id()
    events = built.events
    return RecordedResponse(
        built.status,
        headers,
        built.body,
        None if events is None else list(events),
        built.latency,
        built.stream_end,
    )


def forget() -> None:
    """Drop every remembered response (tests use it)."""
    with _lock:
        _memo.clear()
