"""The Bedrock-compatible part of the server: which request gets which answer.

:class:`App` turns one HTTP request (method, path, headers, body) into a
:class:`~bedrock_vcr.cassettes.records.RecordedResponse`, whichever HTTP version carried it
(:mod:`~bedrock_vcr.server.http1`, :mod:`~bedrock_vcr.server.http2`). It knows Bedrock's paths,
checks and error shapes, and nothing of sockets.

How a request is answered, in order:

1. a path that is no operation bedrock-vcr serves: ``404 UnknownOperationException``;
2. (operations on a model) a model id that breaks Bedrock's length or pattern rule
   (``bedrock.model_id_rule``):
   ``400 ValidationException``;
3. a model id Bedrock does not have: ``400 ValidationException`` "The provided model identifier
   is invalid." (Bedrock checks the model before the body);
4. (operations with a body) a body that is not JSON: ``400 ValidationException`` "Malformed
   input request: ...";
5. the sources, in order; the first answer wins;
6. no answer: ``404 ResourceNotFoundException`` saying why nothing matched.

Steps 1 to 4 depend only on the method, path and body (and on the models the sources know, which
only grow), so a request that passed them once skips them when the same bytes come again.

A model is *known* when :func:`bedrock_vcr.resolve_model` names its family, when it is
the ARN of a custom, provisioned or imported model (which carry no family in their id), or when a
source says so (``knows_model``: a cassette knows the models it recorded, a scripted source the
``models`` it is given, a simulation the models its routes name).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable

from ..bedrock import model_id_rule
from ..bedrock.models import resolve_model
from ..bedrock.operations import NAMES, Operation, parse_request
from ..cassettes.records import RecordedRequest, RecordedResponse, error_response
from ..errors import BedrockVCRError
from .sources import Source
from .transport import validation_error

#: Largest request body accepted, in bytes: the service model's limit on an InvokeModel body.
MAX_BODY = 25_000_000
#: Requests whose checks are remembered, and the bytes of their bodies: past either, the App
#: starts afresh.
_CHECKED = 4096
_CHECKED_BYTES = 16 << 20
#: Larger bodies are checked every time (hashing them would cost about as much).
_CHECKED_BODY = 1 << 20
#: Bedrock's message for a model id that passes the pattern but names no model.
INVALID_MODEL_MESSAGE = "The provided model identifier is invalid."
#: ARN resource types that are valid model identifiers without a family in their id.
_OPAQUE_ARN = re.compile(
    r"^arn:aws(-[^:]+)?:(bedrock:[a-z0-9-]*:\d{12}:(custom-model|custom-model-deployment|"
    r"imported-model|provisioned-model|application-inference-profile|prompt|prompt-router|"
    r"default-prompt-router)/|sagemaker:[a-z0-9-]+:\d{12}:endpoint/)"
)


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _check_model_id(model_id: str) -> RecordedResponse | None:
    # the package's copy of the rule: an older installed botocore's would refuse ``us.`` ids
    problem = model_id_rule.problem(model_id)
    if problem is None:
        return None
    return validation_error(
        f"1 validation error detected: Value '{model_id}' at 'modelId' failed to satisfy "
        f"constraint: {problem}"
    )


def _json_problem(body: bytes) -> str | None:
    """Why ``body`` is not a JSON document, or ``None`` when it is one."""
    if not body.strip():
        return "the body is empty"
    try:
        json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return f"the body is not UTF-8 text ({exc.reason} at byte {exc.start})"
    except ValueError as exc:
        return f"the body is not valid JSON ({exc})"
    return None


def _unknown_operation(method: str, target: str, name: str | None) -> RecordedResponse:
    path = target.split("?", 1)[0]
    if name is not None:  # in botocore's model, but not something a botocore client can send
        message = (
            f"bedrock-vcr does not serve {name} ({method} {path}): it needs an HTTP/2 "
            "bidirectional stream; see the README section 'Operations'"
        )
    else:
        message = (
            f"Bedrock Runtime has no operation at {method} {path}; the operations are "
            + ", ".join(NAMES)
            + " (README section 'Operations' lists their paths)"
        )
    return error_response(404, "UnknownOperationException", message)


class App:
    """Turns one HTTP request into a :class:`RecordedResponse` (both HTTP versions use it)."""

    def __init__(
        self,
        sources: list[Source],
        speed: float = 0.0,
        max_body: int = MAX_BODY,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.sources = sources
        self.speed = speed
        self.max_body = max_body
        self.log = log or _stderr
        #: (method, target, body) -> (operation, target) of requests that passed the checks
        self._checked: dict[tuple[str, str, bytes], tuple[Operation, str]] = {}
        self._checked_bytes = 0

    def known_model(self, model_id: str) -> bool:
        if resolve_model(model_id).known or _OPAQUE_ARN.match(model_id):
            return True
        for source in self.sources:
            knows = getattr(source, "knows_model", None)
            if knows is not None and knows(model_id):
                return True
        return False

    def respond(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> RecordedResponse:
        key = (method, target, body)
        checked = self._checked.get(key)
        if checked is None:
            outcome = self._check(method, target, body)
            if isinstance(outcome, RecordedResponse):
                return outcome
            checked = outcome
            if len(body) <= _CHECKED_BODY:
                self._remember(key, checked)
        operation, model_id = checked
        request = RecordedRequest(
            operation=operation.name,
            model_id=model_id,
            body=body,
            headers=headers,
            path=target,
            method=method.upper(),
        )
        try:
            return self._answer(request)
        except BedrockVCRError as exc:  # the declared answer does not fit this request
            self.log(f"bedrock-vcr server: {operation.name} on {model_id!r}: {exc}")
            return validation_error(f"bedrock-vcr could not answer: {exc}")
        except Exception as exc:  # a broken source answers 500; the server keeps serving
            self.log(f"bedrock-vcr server: {operation.name} on {model_id!r}: {exc!r}")
            return error_response(
                500, "InternalServerException", f"bedrock-vcr source failed: {exc!r}"
            )

    def _remember(self, key: tuple[str, str, bytes], checked: tuple[Operation, str]) -> None:
        self._checked_bytes += len(key[2])
        if len(self._checked) >= _CHECKED or self._checked_bytes > _CHECKED_BYTES:
            self._checked.clear()
            self._checked_bytes = len(key[2])
        self._checked[key] = checked

    def _check(
        self, method: str, target: str, body: bytes
    ) -> tuple[Operation, str] | RecordedResponse:
        """The operation and target of a request that passes Bedrock's checks (steps 1 to 4),
        else the answer refusing it."""
        parsed = parse_request(method, target, body)
        if parsed is None or not parsed[0].sendable:
            if method == "GET" and target == "/ping":
                return RecordedResponse(200, {"content-type": "text/plain"}, body=b"ok")
            return _unknown_operation(method, target, parsed[0].name if parsed else None)
        operation, model_id = parsed
        if operation.target == "model" and operation.name != "StartAsyncInvoke":
            invalid = _check_model_id(model_id)
            if invalid is not None:
                return invalid
            if not self.known_model(model_id):
                return validation_error(INVALID_MODEL_MESSAGE)
        problem = _json_problem(body) if operation.has_body else None
        if problem is not None:
            return validation_error(
                f"Malformed input request: {problem}, please reformat your input and try again."
            )
        return parsed

    def _answer(self, request: RecordedRequest) -> RecordedResponse:
        for source in self.sources:
            answer = source.answer(request)
            if answer is not None:
                return answer
        reasons = [s.explain(request) for s in self.sources if hasattr(s, "explain")]
        detail = reasons[0] if reasons else "no source is configured"
        return error_response(
            404,
            "ResourceNotFoundException",
            f"bedrock-vcr server has no answer for {request.operation} on "
            f"{request.model_id!r}: {detail}",
        )


__all__ = ["App", "INVALID_MODEL_MESSAGE", "MAX_BODY"]
