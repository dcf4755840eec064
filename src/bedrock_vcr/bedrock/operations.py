"""The Bedrock Runtime operations bedrock-vcr handles, and how their URLs look."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)

#: botocore's name for the service.
SERVICE = "bedrock-runtime"


@dataclass(frozen=True)
class Operation:
    name: str  # botocore operation name, e.g. "InvokeModel"
    method: str  # boto3 client method, e.g. "invoke_model"
    suffix: str  # path suffix after /model/{modelId}
    streaming: bool  # response is an event stream


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
)
#: The operation names (``InvokeModel``, ...), in :data:`OPERATIONS` order.
NAMES: tuple[str, ...] = tuple(op.name for op in OPERATIONS)
BY_NAME: dict[str, Operation] = {op.name: op for op in OPERATIONS}
BY_SUFFIX: dict[str, Operation] = {op.suffix: op for op in OPERATIONS}
STREAMING = frozenset(op.name for op in OPERATIONS if op.streaming)
#: Operations with a JSON request body defined by the model (the rest use botocore's JSON shape).
NATIVE_BODY = frozenset({"InvokeModel", "InvokeModelWithResponseStream"})


def parse_path(path: str) -> tuple[Operation, str] | None:
    """Split ``/model/{modelId}/{suffix}`` into the operation and the decoded model id.

    The model id is percent-decoded; a literal ``/`` inside an ARN (sent by lenient clients) is
    accepted because the suffix is matched from the right.
    """
    path = urlsplit(path).path if "://" in path else path.split("?", 1)[0]
    if not path.startswith("/model/"):
        return None
    rest = path[len("/model/") :]
    head, sep, suffix = rest.rpartition("/")
    if not sep or not head:
        return None
    op = BY_SUFFIX.get(suffix)
    if op is None:
        return None
    return op, unquote(head)


def model_path(model_id: str, operation: str) -> str:
    """The path botocore sends for ``model_id`` (``:`` and ``/`` percent-encoded)."""
    return f"/model/{quote(model_id, safe='-._~')}/{BY_NAME[operation].suffix}"


STREAM_CONTENT_TYPE = "application/vnd.amazon.eventstream"
# what Bedrock appends to the error code in its x-amzn-ErrorType header
ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"
