"""What a botocore request and response keep when they become records.

The player (matching and recording), the mock (matching routes) and the async recorder all
turn botocore's objects into :class:`~bedrock_vcr.cassettes.records.RecordedRequest` and
response headers the same way; this module is that one way, below all three.
"""

from __future__ import annotations

from typing import Any

from botocore.awsrequest import AWSPreparedRequest

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..bedrock.operations import NAMES, UNSENDABLE, parse_request
from ..cassettes.records import DROPPED_RESPONSE_HEADERS, KEPT_REQUEST_HEADERS, RecordedRequest
from ..errors import UnsupportedOperationError


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        position = body.tell() if hasattr(body, "tell") else None
        data = body.read()
        if position is not None and hasattr(body, "seek"):
            body.seek(position)
        return _body_bytes(data)
    return bytes(body)


def unsupported(request: AWSPreparedRequest, operation: str) -> None:
    """Raise :class:`UnsupportedOperationError` for an operation bedrock-vcr does not handle."""
    if operation in NAMES:
        return
    why = ""
    if operation in UNSENDABLE:
        why = "it needs an HTTP/2 bidirectional stream, which botocore cannot send"
    url = request.url.split("://", 1)[-1]
    raise UnsupportedOperationError(
        operation=operation,
        method=request.method,
        path="/" + url.split("/", 1)[1] if "/" in url else "/",
        supported=NAMES,
        why=why,
    )


#: ``(method, url)`` -> ``(model id, path)`` of requests whose target the URL alone tells.
_TARGETS: dict[tuple[str, str], tuple[str, str]] = {}
_TARGETS_SIZE = 1024
_KEPT = frozenset(KEPT_REQUEST_HEADERS)


def _target(method: str, url: str, body: bytes) -> tuple[str, str]:
    """The request's model id (or other target) and path, parsed once per URL."""
    known = _TARGETS.get((method, url))
    if known is not None:
        return known
    parsed = parse_request(method, url, body)
    # an operation bedrock-vcr does not know has no target: errors name it by operation
    model_id = parsed[1] if parsed is not None else ""
    path = url.split("://", 1)[-1]
    path = "/" + path.split("/", 1)[1] if "/" in path else "/"
    if parsed is not None and parsed[0].name != "StartAsyncInvoke":  # its target: the body
        if len(_TARGETS) >= _TARGETS_SIZE:
            _TARGETS.clear()
        _TARGETS[(method, url)] = (model_id, path)
    return model_id, path


def request_from_botocore(request: AWSPreparedRequest, operation: str) -> RecordedRequest:
    """Keep what identifies a request; drop signatures, dates and SDK bookkeeping."""
    body = _body_bytes(request.body)
    model_id, path = _target(request.method, request.url, body)
    headers = {}
    sent = request.headers
    for name in sent:  # the names only: most are not kept, and a lookup costs more
        lname = name.lower()
        if lname in _KEPT:
            headers[lname] = _text(sent[name])
    return RecordedRequest(
        operation=operation,
        model_id=model_id,
        body=body,
        headers=headers,
        path=path,
        method=request.method,
    )


def response_headers(headers: Any) -> dict[str, str]:
    """The response headers a recording keeps (lower-cased; connection details dropped)."""
    return {
        name.lower(): _text(value)
        for name, value in headers.items()
        if name.lower() not in DROPPED_RESPONSE_HEADERS
    }
