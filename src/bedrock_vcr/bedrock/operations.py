"""The Bedrock Runtime operations bedrock-vcr handles, and how their URLs look.

Every operation of botocore's ``bedrock-runtime`` model is in :data:`OPERATIONS`. Each request
names one *target*, kept in a recording's ``model_id`` field and matched like a model id: the
model for the ``/model/{modelId}/...`` operations (and StartAsyncInvoke, whose body carries it),
``{guardrailIdentifier}:{guardrailVersion}`` for ApplyGuardrail, the invocation ARN for
GetAsyncInvoke, the sorted query string for ListAsyncInvokes (so that pages differ), and nothing
for InvokeGuardrailChecks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)

#: botocore's name for the service.
SERVICE = "bedrock-runtime"


@dataclass(frozen=True)
class Operation:
    name: str  # botocore operation name, e.g. "InvokeModel"
    method: str  # boto3 client method, e.g. "invoke_model"
    suffix: str  # path after /model/{modelId}/, or the whole path template for other targets
    streaming: bool  # response is an event stream
    http: str = "POST"  # HTTP method
    target: str = "model"  # what the target names: model, guardrail, invocation, query, none
    #: botocore can send it (InvokeModelWithBidirectionalStream needs an HTTP/2 duplex stream,
    #: which botocore does not offer: its client has no such method)
    sendable: bool = True

    @property
    def has_body(self) -> bool:
        """The request carries a JSON body (GET operations send none)."""
        return self.http == "POST"


#: The one list of operations; every other list of them (names, streaming ones) derives from it.
#: Its order is the order messages and choices list them in.
OPERATIONS: tuple[Operation, ...] = (
    Operation("InvokeModel", "invoke_model", "invoke", False),
    Operation(
        "InvokeModelWithResponseStream",
        "invoke_model_with_response_stream",
        "invoke-with-response-stream",
        True,
    ),
    Operation("Converse", "converse", "converse", False),
    Operation("ConverseStream", "converse_stream", "converse-stream", True),
    Operation("CountTokens", "count_tokens", "count-tokens", False),
    Operation(
        "ApplyGuardrail",
        "apply_guardrail",
        "/guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply",
        False,
        target="guardrail",
    ),
    Operation(
        "InvokeGuardrailChecks",
        "invoke_guardrail_checks",
        "/guardrail-checks/invoke",
        False,
        target="none",
    ),
    Operation("StartAsyncInvoke", "start_async_invoke", "/async-invoke", False),
    Operation(
        "GetAsyncInvoke",
        "get_async_invoke",
        "/async-invoke/{invocationArn}",
        False,
        http="GET",
        target="invocation",
    ),
    Operation(
        "ListAsyncInvokes", "list_async_invokes", "/async-invoke", False, http="GET", target="query"
    ),
    Operation(
        "InvokeModelWithBidirectionalStream",
        "invoke_model_with_bidirectional_stream",
        "invoke-with-bidirectional-stream",
        True,
        sendable=False,
    ),
)
#: Every operation bedrock-vcr records, replays and serves (those botocore can send), in
#: :data:`OPERATIONS` order.
NAMES: tuple[str, ...] = tuple(op.name for op in OPERATIONS if op.sendable)
BY_NAME: dict[str, Operation] = {op.name: op for op in OPERATIONS if op.sendable}
#: Operations in the table that bedrock-vcr cannot handle yet, and why.
UNSENDABLE: dict[str, Operation] = {op.name: op for op in OPERATIONS if not op.sendable}
_MODEL_SUFFIX: dict[str, Operation] = {
    op.suffix: op for op in OPERATIONS if not op.suffix.startswith("/")
}
BY_SUFFIX = {suffix: op for suffix, op in _MODEL_SUFFIX.items() if op.sendable}
STREAMING = frozenset(op.name for op in OPERATIONS if op.streaming and op.sendable)
#: Operations with a JSON request body defined by the model (the rest use botocore's JSON shape).
NATIVE_BODY = frozenset({"InvokeModel", "InvokeModelWithResponseStream"})
#: Body members botocore fills with a fresh value on every call (``idempotencyToken`` members of
#: the service model): matching ignores them, or no retry or rerun would match its recording.
VOLATILE_BODY_KEYS: dict[str, tuple[str, ...]] = {"StartAsyncInvoke": ("clientRequestToken",)}
#: The inference operations, whose answers are text a model generates.
INFERENCE = ("InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream")
#: Operations whose bodies are fixed by the service model whatever the target.
SERVICE_BODY = frozenset(NAMES) - NATIVE_BODY


def target_kind(operation: str) -> str:
    """What a request's target names (``model``, ``guardrail``, ...; ``none`` when unknown)."""
    op = BY_NAME.get(operation) or UNSENDABLE.get(operation)
    return op.target if op is not None else "none"


def _split(path: str) -> tuple[str, str]:
    if "://" in path:
        parts = urlsplit(path)
        return parts.path, parts.query
    head, _, query = path.partition("?")
    return head, query


def _model_operation(path: str) -> tuple[Operation, str] | None:
    rest = path[len("/model/") :]
    head, sep, suffix = rest.rpartition("/")
    op = _MODEL_SUFFIX.get(suffix)
    if not sep or not head or op is None:
        return None
    return op, unquote(head)


def _guardrail(path: str) -> str | None:
    """``{identifier}:{version}`` of ``/guardrail/{id}/version/{v}/apply`` (ARNs kept whole)."""
    if not path.endswith("/apply"):
        return None
    head, sep, version = path[len("/guardrail/") : -len("/apply")].rpartition("/version/")
    if not sep or not head or not version:
        return None
    return f"{unquote(head)}:{unquote(version)}"


def _lookup(method: str, path: str, query: str) -> tuple[Operation, str] | None:
    method = method.upper()
    if path.startswith("/model/"):
        found = _model_operation(path)
        return found if found is not None and method == "POST" else None
    if path.startswith("/guardrail/") and method == "POST":
        target = _guardrail(path)
        return None if target is None else (_BY_ANY["ApplyGuardrail"], target)
    if path == "/guardrail-checks/invoke" and method == "POST":
        return _BY_ANY["InvokeGuardrailChecks"], ""
    if path.rstrip("/") == "/async-invoke":
        if method == "POST":
            return _BY_ANY["StartAsyncInvoke"], ""
        if method == "GET":
            return _BY_ANY["ListAsyncInvokes"], canonical_query(query)
    if path.startswith("/async-invoke/") and method == "GET" and len(path) > len("/async-invoke/"):
        return _BY_ANY["GetAsyncInvoke"], unquote(path[len("/async-invoke/") :])
    return None


_BY_ANY: dict[str, Operation] = {op.name: op for op in OPERATIONS}


def canonical_query(query: str) -> str:
    """The query string with its parameters sorted (what ListAsyncInvokes requests match on)."""
    return urlencode(sorted(parse_qsl(query, keep_blank_values=True)))


def parse_request(method: str, path: str, body: bytes = b"") -> tuple[Operation, str] | None:
    """The operation a request is, and its target (see the module docstring), or ``None``.

    Model ids and ARNs are percent-decoded; a literal ``/`` inside an ARN (sent by lenient
    clients) is accepted because the suffix is matched from the right. The result may be an
    operation bedrock-vcr cannot handle (``sendable`` false): callers say so by name.
    """
    found = _lookup(method, *_split(path))
    if found is not None and found[0].name == "StartAsyncInvoke":
        return found[0], _body_model_id(body)
    return found


def parse_path(path: str, method: str = "POST") -> tuple[Operation, str] | None:
    """:func:`parse_request` for what the path alone tells (StartAsyncInvoke's target is ``""``);
    operations bedrock-vcr cannot handle give ``None``."""
    found = _lookup(method, *_split(path))
    return found if found is not None and found[0].sendable else None


def _body_model_id(body: bytes) -> str:
    try:
        data = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return ""
    model = data.get("modelId") if isinstance(data, dict) else None
    return model if isinstance(model, str) else ""


def model_path(model_id: str, operation: str) -> str:
    """The path botocore sends for ``model_id`` (``:`` and ``/`` percent-encoded)."""
    return f"/model/{quote(model_id, safe='-._~')}/{BY_NAME[operation].suffix}"


def request_path(operation: str, target: str = "") -> str:
    """The path botocore sends for ``operation`` on ``target`` (the inverse of parse_request)."""
    op = _BY_ANY[operation]
    if not op.suffix.startswith("/"):
        return f"/model/{quote(target, safe='-._~')}/{op.suffix}"
    if op.target == "guardrail":
        ident, _, version = target.rpartition(":")
        return f"/guardrail/{quote(ident, safe='')}/version/{quote(version, safe='')}/apply"
    if op.target == "invocation":
        return f"/async-invoke/{quote(target, safe='')}"
    if op.target == "query" and target:
        return f"{op.suffix}?{target}"
    return op.suffix


STREAM_CONTENT_TYPE = "application/vnd.amazon.eventstream"
# what Bedrock appends to the error code in its x-amzn-ErrorType header
ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"
