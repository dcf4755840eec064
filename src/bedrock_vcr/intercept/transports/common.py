"""What the httpx and ``requests`` adapters share: which requests are Bedrock Runtime calls, how
one becomes the ``AWSPreparedRequest`` the handlers answer, and the caller handed to them.

A request is a Bedrock Runtime call when its path is one of the service's model operations
(``/model/{modelId}/converse``, ...) and it goes to a Bedrock Runtime host or configured endpoint
(see :func:`bedrock_vcr.intercept.guard.is_bedrock_runtime`), or is signed for Bedrock: SigV4
with the ``bedrock`` service in its credential scope (what litellm and ``AnthropicBedrock`` send
to any ``api_base``/``base_url``) or a bearer Bedrock API key. The local server a
``bedrock_server`` fixture runs is bedrock-vcr itself, so its requests pass untouched.

The handlers (a cassette player, a mock) answer an :class:`AWSResponse` exactly as they answer
botocore; to record, they send through :func:`bedrock_vcr.intercept.clients.http_session` of the
:class:`Caller` they are given, which sends the original request through the caller's own
transport and hands back the live body unread, so a stream stays a stream.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HTTPHeaders

from ..._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ...bedrock.operations import parse_path
from .. import clients, guard

# SigV4 credential scope: Credential=<key id>/<date>/<region>/bedrock/aws4_request
_SIGNED_FOR_BEDROCK = re.compile(r"Credential=[^/,\s]+/\d{8}/[a-z0-9-]+/bedrock/aws4_request")


def bedrock_operation(url: str, headers: Iterable[tuple[str, str]]) -> str | None:
    """The operation name when ``url`` (with ``headers``) is a Bedrock Runtime call, else None."""
    parsed = parse_path(url)
    if parsed is None or guard.is_own_server(url):
        return None
    if guard.is_bedrock_runtime(url):
        return parsed[0].name
    for name, value in headers:
        if name.lower() == "authorization" and (
            value[:7].lower() == "bearer " or _SIGNED_FOR_BEDROCK.search(value)
        ):
            return parsed[0].name
    return None


def to_aws_request(
    method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes, stream: bool
) -> AWSPreparedRequest:
    """The request as botocore would have prepared it (what every handler reads)."""
    prepared = HTTPHeaders()
    for name, value in headers:
        prepared[name] = value
    return AWSPreparedRequest(method, url, prepared, body, stream)


class LiveRaw:
    """A live response body as the handlers read one: ``stream()`` yields each network chunk as
    it arrives, ``read()`` joins the rest, ``close()`` releases the connection."""

    def __init__(self, chunks: Iterator[bytes], close: Callable[[], None]) -> None:
        self._chunks = chunks
        self._close = close
        self.closed = False

    def stream(self, amt: int | None = None, decode_content: Any = None) -> Iterator[bytes]:
        try:
            yield from self._chunks
        finally:
            self.close()

    def read(self, amt: int | None = None, decode_content: Any = None) -> bytes:
        return b"".join(self.stream())

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._close()

    def release_conn(self) -> None:
        self.close()


class Caller:
    """What the handlers get in place of a botocore client: ``send`` records through the
    caller's transport (see :func:`bedrock_vcr.intercept.clients.http_session`)."""

    def __init__(self, send: Callable[[AWSPreparedRequest], AWSResponse], library: str) -> None:
        self.transport_session = self
        self._send = send
        self.library = library

    def send(self, request: AWSPreparedRequest) -> AWSResponse:
        return self._send(request)


def answer(caller: Caller, request: AWSPreparedRequest, operation: str) -> AWSResponse | None:
    """Ask the handlers this thread or task sees, innermost first; None when all pass."""
    for handler in reversed(clients.visible_handlers()):
        response = handler.handle(caller, request, operation)
        if response is not None:
            return response
    return None
