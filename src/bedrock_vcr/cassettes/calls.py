"""Call assertions in the style of aws-sdk-client-mock: what a cassette or mock was asked.

A :class:`CallLog` is the list of calls a cassette (``cassette.calls``: the requests it saw) or a
mock (``bedrock_mock.calls``, ``route.calls``: each a ``Call`` with its ``request``) received,
in order, with filters and assertions on top:

>>> calls.assert_called_with(operation="Converse", body={"inferenceConfig": {"maxTokens": 10}})
>>> calls.call_count(model_id="meta.llama3-*")
2
>>> calls.nth_call(2, operation="InvokeModel").json["prompt"]

Filters: ``operation`` (``InvokeModel`` or the boto3 method name ``invoke_model``),
``model_id`` (the id as sent, or its foundation model when the call went through an inference
profile or ARN, or an ``fnmatch`` pattern), ``body`` (a subset of the JSON body: mappings match
partially at any depth, lists element by element, other values by ``==``, so ``unittest.mock.ANY``
matches anything). A failed assertion raises :class:`~bedrock_vcr.errors.CallAssertionError`,
listing every call seen and why each one does not match.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from typing import Any, TypeVar

from ..bedrock.models import resolve_model
from ..bedrock.operations import OPERATIONS
from ..errors import ConfigError, did_you_mean
from ..errors.calls import CallAssertionError
from .records import RecordedRequest

T = TypeVar("T")
_NAMES = {op.name: op.name for op in OPERATIONS} | {op.method: op.name for op in OPERATIONS}
_SHOWN = 120  # characters of a body shown per call in a failure message


def request_of(call: Any) -> RecordedRequest:
    """The request of a call: a :class:`RecordedRequest` itself, or the ``request`` it holds."""
    return call if isinstance(call, RecordedRequest) else call.request


def operation_name(operation: str | None) -> str | None:
    """``Converse`` for ``Converse`` or ``converse``; unknown names fail with a did-you-mean."""
    if operation is None or operation in _NAMES:
        return None if operation is None else _NAMES[operation]
    raise ConfigError(
        f"unknown operation {operation!r}{did_you_mean(operation, _NAMES)}; valid: "
        f"{', '.join(sorted(set(_NAMES.values())))}"
    )


def body_difference(expected: Any, actual: Any, path: str = "") -> str | None:
    """None when ``expected`` is a subset of ``actual``, else the first difference."""
    where = f"#{path}" if path else "#"
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return f"{where} is {_short(actual)}, expected an object"
        for key, value in expected.items():
            if key not in actual:
                return f"{where}/{key} is missing"
            found = body_difference(value, actual[key], f"{path}/{key}")
            if found is not None:
                return found
        return None
    if isinstance(expected, (list, tuple)):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{where} is {_short(actual)}, expected {len(expected)} items"
        for i, (want, got) in enumerate(zip(expected, actual, strict=True)):
            found = body_difference(want, got, f"{path}/{i}")
            if found is not None:
                return found
        return None
    return None if expected == actual else f"{where} is {_short(actual)}, expected {expected!r}"


def _short(value: Any) -> str:
    text = json.dumps(value, default=repr) if not isinstance(value, str) else repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _model_matches(wanted: str, model_id: str) -> bool:
    candidates = {model_id, resolve_model(model_id).base_id}
    if any(ch in wanted for ch in "*?["):
        return any(fnmatch.fnmatchcase(c, wanted) for c in candidates)
    return wanted in candidates


class CallLog(list[T]):
    """The calls one cassette or mock received, oldest first (a list), with assertions."""

    def __init__(self, calls: Any = (), *, source: str = "bedrock-vcr") -> None:
        super().__init__(calls)
        #: how failure messages name the owner (a cassette path, ``bedrock_mock``, a route)
        self.source = source

    # --- filtering ---------------------------------------------------------------------------

    def why_not(
        self,
        call: Any,
        operation: str | None = None,
        model_id: str | None = None,
        body: Any = None,
    ) -> str | None:
        """None when ``call`` passes the filters, else why it does not."""
        request = request_of(call)
        name = operation_name(operation)
        if name is not None and request.operation != name:
            return f"operation is {request.operation}, not {name}"
        if model_id is not None and not _model_matches(model_id, request.model_id):
            return f"model is {request.model_id!r}, not {model_id!r}"
        if body is not None:
            if not request.is_json:
                return "body is not JSON"
            return body_difference(body, request.json)
        return None

    def requests(
        self, operation: str | None = None, model_id: str | None = None, body: Any = None
    ) -> list[RecordedRequest]:
        """The requests that pass the filters, in the order they came."""
        return [request_of(c) for c in self if self.why_not(c, operation, model_id, body) is None]

    def call_count(
        self, operation: str | None = None, model_id: str | None = None, body: Any = None
    ) -> int:
        """How many calls pass the filters (all calls without one)."""
        return len(self.requests(operation, model_id, body))

    def nth_call(
        self, n: int, operation: str | None = None, model_id: str | None = None, body: Any = None
    ) -> RecordedRequest:
        """The ``n``-th call (1-based; -1 the last) among those that pass the filters."""
        __tracebackhide__ = True
        found = self.requests(operation, model_id, body)
        if n == 0 or abs(n) > len(found):
            what = _describe(operation, model_id, body)
            raise self._error(f"expected a call #{n} {what}, but {len(found)} passed the filters")
        return found[n - 1 if n > 0 else n]

    # --- assertions --------------------------------------------------------------------------

    def assert_called_with(
        self, operation: str | None = None, model_id: str | None = None, body: Any = None
    ) -> RecordedRequest:
        """At least one call passes the filters; returns the first that does."""
        __tracebackhide__ = True
        found = self.requests(operation, model_id, body)
        if not found:
            raise self._error(
                f"expected a call {_describe(operation, model_id, body)}", operation, model_id, body
            )
        return found[0]

    def assert_called_once_with(
        self, operation: str | None = None, model_id: str | None = None, body: Any = None
    ) -> RecordedRequest:
        """Exactly one call passes the filters; returns it."""
        __tracebackhide__ = True
        self.assert_call_count(1, operation, model_id, body)
        return self.requests(operation, model_id, body)[0]

    def assert_not_called(
        self, operation: str | None = None, model_id: str | None = None, body: Any = None
    ) -> None:
        """No call passes the filters (no call at all, without filters)."""
        __tracebackhide__ = True
        self.assert_call_count(0, operation, model_id, body)

    def assert_call_count(
        self,
        count: int,
        operation: str | None = None,
        model_id: str | None = None,
        body: Any = None,
    ) -> None:
        """Exactly ``count`` calls pass the filters."""
        __tracebackhide__ = True
        found = self.call_count(operation, model_id, body)
        if found != count:
            what = _describe(operation, model_id, body)
            raise self._error(
                f"expected {count} call{'s' if count != 1 else ''} {what}, got {found}",
                operation,
                model_id,
                body,
            )

    def assert_nth_call_with(
        self, n: int, operation: str | None = None, model_id: str | None = None, body: Any = None
    ) -> RecordedRequest:
        """The ``n``-th call of all (1-based; -1 the last) passes the filters; returns it."""
        __tracebackhide__ = True
        what = f"expected call #{n} to be one {_describe(operation, model_id, body)}"
        if n == 0 or abs(n) > len(self):
            raise self._error(what)
        call = self[n - 1 if n > 0 else n]
        reason = self.why_not(call, operation, model_id, body)
        if reason is not None:
            raise self._error(f"{what}, but its {reason}", operation, model_id, body)
        return request_of(call)

    def _error(
        self,
        expected: str,
        operation: str | None = None,
        model_id: str | None = None,
        body: Any = None,
    ) -> CallAssertionError:
        seen = []
        for call in self:
            request = request_of(call)
            line = f"{request.operation} to {request.model_id!r}, body {_body_text(request)}"
            reason = self.why_not(call, operation, model_id, body)
            seen.append(line if reason is None else f"{line}\n     differs: {reason}")
        return CallAssertionError(expected=expected, source=self.source, seen=seen)


def _describe(operation: str | None, model_id: str | None, body: Any) -> str:
    parts = []
    if operation is not None:
        parts.append(f"operation={operation!r}")
    if model_id is not None:
        parts.append(f"model_id={model_id!r}")
    if body is not None:
        parts.append(f"body containing {_short(body)}")
    return f"with {', '.join(parts)}" if parts else "(any)"


def _body_text(request: RecordedRequest) -> str:
    if request.is_json:
        return _short(request.json)
    return f"<{len(request.body)} bytes, not JSON>"
