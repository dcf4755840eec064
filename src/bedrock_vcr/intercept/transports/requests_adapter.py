"""``requests`` callers (a Bedrock API key sent with ``requests.post``, SDKs built on it).

The mocking layer is ``responses``: while a cassette or mock is active, :func:`install` starts a
``responses.RequestsMock`` of its own (not the default one a test may use with
``@responses.activate``). A Bedrock Runtime request (see :mod:`.common`) matches its one
registered response, a passthrough one, so ``responses`` hands it, with the adapter it was sent
through, to this module's send function; every other request passes through unchanged. The
handlers answer it; the answer becomes a ``requests.Response`` built by the caller's own adapter
(``adapter.build_response``) whose body streams piece by piece (``stream=True`` and
``iter_content`` see each event-stream frame as it comes). ``responses`` then applies the
adapter's retry policy to it, as urllib3 would to a real answer. Recording sends the original
request through the caller's adapter with ``stream=True`` and tees the live urllib3 body.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any, cast

import requests
import responses
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from urllib3 import HTTPResponse

from .. import clients, guard
from .common import Caller, LiveRaw, answer, bedrock_operation, to_aws_request

LIBRARY = "requests"
_EVERYTHING = re.compile(".*")
_mock: responses.RequestsMock | None = None
_real_send: Any = None


def _headers(request: requests.PreparedRequest) -> list[tuple[str, str]]:
    return [
        (name, value.decode("latin-1") if isinstance(value, bytes) else value)
        for name, value in request.headers.items()
    ]


def _body(request: requests.PreparedRequest) -> bytes:
    body: Any = request.body  # responses has read a file-like body into bytes by now
    if body is None:
        return b""
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def _operation(request: requests.PreparedRequest) -> str | None:
    return bedrock_operation(str(request.url), _headers(request))


class _BedrockRuntime(responses.BaseResponse):
    """Matches the Bedrock Runtime requests; ``passthrough`` sends them to :func:`_send`."""

    def __init__(self) -> None:
        super().__init__("POST", _EVERYTHING, passthrough=True)

    def matches(self, request: Any) -> tuple[bool, str]:
        if _operation(request) is None:
            return False, "not a Bedrock Runtime request"
        return True, ""


class _Body(HTTPResponse):
    """The urllib3 response ``adapter.build_response`` and the retry policy read, serving the
    answer's raw body as it comes (``stream`` / ``read`` / ``close``, as requests reads it)."""

    def __init__(self, found: AWSResponse) -> None:
        super().__init__(
            headers=dict(found.headers.items()),
            status=found.status_code,
            reason=_reason(found.status_code),
            preload_content=False,
            decode_content=False,
        )
        self._answer = found.raw

    def stream(self, amt: int | None = 2**16, decode_content: Any = None) -> Any:
        return self._answer.stream()

    def read(self, amt: int | None = None, *args: Any, **kwargs: Any) -> bytes:
        return bytes(self._answer.read(amt))

    def close(self) -> None:
        self._answer.close()
        super().close()

    def release_conn(self) -> None:
        self._answer.close()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _send(adapter: Any, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
    """``responses``' real send: Bedrock requests go to the handlers, the rest on."""
    __tracebackhide__ = True
    operation = _operation(request) if clients.active_handlers() else None
    if operation is None:
        return _real_send(adapter, request, **kwargs)
    url = str(request.url)
    prepared = to_aws_request(str(request.method), url, _headers(request), _body(request), True)

    def send(_: AWSPreparedRequest) -> AWSResponse:
        live = _real_send(adapter, request, **{**kwargs, "stream": True})
        raw = LiveRaw(live.raw.stream(2**16, decode_content=False), live.close)
        return AWSResponse(url, live.status_code, live.headers, raw)

    found = answer(Caller(send, LIBRARY), prepared, operation)
    if found is None:  # every handler passed: on to the network, if the guard allows
        guard.check(str(request.method), url, LIBRARY)
        return _real_send(adapter, request, **kwargs)
    response: requests.Response = adapter.build_response(request, _Body(found))
    if not kwargs.get("stream"):
        response.content  # noqa: B018 - read now, as the adapter does without stream=True
    return response


def install(_: Any = None) -> None:
    """Start this module's ``responses`` mock (once)."""
    global _mock, _real_send
    if _mock is not None:
        return
    _real_send = requests.adapters.HTTPAdapter.send  # whatever sends today, mocks included
    mock = responses.RequestsMock(
        assert_all_requests_are_fired=False,
        passthru_prefixes=cast(Any, (_EVERYTHING,)),
        real_adapter_send=cast(Any, _send),
    )
    mock.add(_BedrockRuntime())
    mock.start()
    _mock = mock


def remove(_: Any = None) -> None:
    global _mock
    mock, _mock = _mock, None
    if mock is not None:
        mock.stop(allow_assert=False)
