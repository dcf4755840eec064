"""httpx callers (litellm, the Anthropic SDK's ``AnthropicBedrock``, plain httpx), sync and async.

The same code serves ``httpx2`` (the Anthropic SDK's fork of httpx, with the same API): each
function takes the library module it works for.

httpx's own extension point is the transport: ``handle_request(request) -> Response`` (and
``handle_async_request``), the interface ``httpx.MockTransport`` implements. While a cassette or
mock is active, :func:`install` wraps the two transports every ``httpx.Client`` and
``httpx.AsyncClient`` uses by default, so clients that litellm or the Anthropic SDK build
themselves are covered. A Bedrock Runtime request (see :mod:`.common`) goes to the active
handlers; their answer comes back as an ``httpx.Response`` whose body streams piece by piece.
Recording sends the original request through the wrapped transport itself and tees its body.
Every other request, and every request while nothing is active, goes straight on.

The handlers are synchronous. An async caller's request is answered in a worker thread
(``asyncio.to_thread``, which keeps the caller's context, so it sees the caller's cassette);
recording sends through the caller's async transport on its own event loop, and a recorded
stream is read chunk by chunk from that thread, so the loop never blocks. A replayed body is
served on the loop directly.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from urllib3.exceptions import ProtocolError

from .. import clients, guard
from ..raw import ReplayRaw
from .common import Caller, LiveRaw, answer, bedrock_operation, to_aws_request

#: library name -> (owner, attribute, original, wrapper) of each wrapped method
_wrapped: dict[str, list[tuple[type, str, Any, Any]]] = {}
_DONE = object()


def _dropped(http: Any, error: Exception) -> Exception:
    # what httpx raises when the peer closes the connection in the middle of a body
    return http.RemoteProtocolError(
        f"peer closed connection without sending complete body ({error})"
    )


def _sync_chunks(http: Any, raw: Any) -> Iterator[bytes]:
    try:
        yield from raw.stream()
    except ProtocolError as error:
        raise _dropped(http, error) from error


async def _async_chunks(http: Any, raw: Any) -> AsyncIterator[bytes]:
    """A replayed body's pieces, paced with ``asyncio.sleep``, or a recorded one, read from a
    worker thread (the recorder reads the live body synchronously)."""
    if isinstance(raw, ReplayRaw):
        pieces = raw.unread()
        for i, piece in enumerate(pieces.pieces):
            if pieces.delays is not None and pieces.delays[i] > 0:
                await asyncio.sleep(pieces.delays[i])
            if piece:
                yield piece
        if pieces.dropped:
            raise _dropped(http, ProtocolError("the connection closed mid-stream"))
        return
    chunks = raw.stream()
    while (chunk := await asyncio.to_thread(next, chunks, _DONE)) is not _DONE:
        yield chunk  # type: ignore[misc]


@functools.cache
def _body_types(http: Any) -> tuple[type, type]:
    """The sync and async body classes of one library (its own stream base classes)."""

    class SyncBody(http.SyncByteStream):
        def __init__(self, raw: Any) -> None:
            self._raw = raw

        def __iter__(self) -> Iterator[bytes]:
            return _sync_chunks(http, self._raw)

        def close(self) -> None:
            self._raw.close()

    class AsyncBody(http.AsyncByteStream):
        def __init__(self, raw: Any) -> None:
            self._raw = raw

        def __aiter__(self) -> AsyncIterator[bytes]:
            return _async_chunks(http, self._raw)

        async def aclose(self) -> None:
            if isinstance(self._raw, ReplayRaw):
                self._raw.close()
            else:
                await asyncio.to_thread(self._raw.close)

    return SyncBody, AsyncBody


def _response(http: Any, found: AWSResponse, request: Any, sync: bool) -> Any:
    body = _body_types(http)[0 if sync else 1](found.raw)
    headers = list(found.headers.items())
    return http.Response(found.status_code, headers=headers, stream=body, request=request)


def _prepare(request: Any, body: bytes) -> AWSPreparedRequest:
    url = str(request.url)
    return to_aws_request(request.method, url, request.headers.multi_items(), body, True)


def _wrap_sync(http: Any, original: Callable[..., Any]) -> Callable[..., Any]:
    library = http.__name__

    @functools.wraps(original)
    def handle_request(self: Any, request: Any) -> Any:
        __tracebackhide__ = True
        if not clients.active_handlers():
            return original(self, request)
        url = str(request.url)
        operation = bedrock_operation(url, request.headers.multi_items())
        if operation is None:
            return original(self, request)
        prepared = _prepare(request, request.read())

        def send(_: AWSPreparedRequest) -> AWSResponse:
            live = original(self, request)
            raw = LiveRaw(live.iter_raw(), live.close)
            return AWSResponse(url, live.status_code, live.headers, raw)

        found = answer(Caller(send, library), prepared, operation)
        if found is None:  # every handler passed: on to the network, if the guard allows
            guard.check(request.method, url, library)
            return original(self, request)
        return _response(http, found, request, sync=True)

    return handle_request


def _live_async(original: Callable[..., Any], transport: Any, request: Any, loop: Any) -> Any:
    """Send through the async transport on its loop, from the recorder's worker thread."""

    def run(coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

    async def send() -> Any:
        # the task's outermost frame: the network guard sees the recorder sending
        return await original(transport, request)

    live = run(send())
    chunks = live.aiter_raw()

    async def pull() -> Any:
        try:
            return await chunks.__anext__()
        except StopAsyncIteration:
            return _DONE

    def pieces() -> Iterator[bytes]:
        while (chunk := run(pull())) is not _DONE:
            yield chunk

    raw = LiveRaw(pieces(), lambda: run(live.aclose()))
    return AWSResponse(str(request.url), live.status_code, live.headers, raw)


def _wrap_async(http: Any, original: Callable[..., Any]) -> Callable[..., Any]:
    library = http.__name__

    @functools.wraps(original)
    async def handle_async_request(self: Any, request: Any) -> Any:
        __tracebackhide__ = True
        if not clients.active_handlers():
            return await original(self, request)
        url = str(request.url)
        operation = bedrock_operation(url, request.headers.multi_items())
        if operation is None:
            return await original(self, request)
        prepared = _prepare(request, await request.aread())
        loop = asyncio.get_running_loop()

        def send(_: AWSPreparedRequest) -> AWSResponse:
            return _live_async(original, self, request, loop)

        found = await asyncio.to_thread(answer, Caller(send, library), prepared, operation)
        if found is None:
            guard.check(request.method, url, library)
            return await original(self, request)
        return _response(http, found, request, sync=False)

    return handle_async_request


#: transports of other libraries that implement httpx's interface on another HTTP stack:
#: library -> (module, class); litellm's async calls go through aiohttp this way
OTHER_TRANSPORTS = {
    "litellm": ("litellm.llms.custom_httpx.aiohttp_transport", "LiteLLMAiohttpTransport"),
}


def _targets(library: Any) -> list[tuple[Any, type, str, Any]]:
    if library.__name__ in OTHER_TRANSPORTS:
        module, name = OTHER_TRANSPORTS[library.__name__]
        try:
            owner = getattr(importlib.import_module(module), name, None)
        except ImportError:  # another version of that library: nothing to wrap
            return []
        if owner is None:
            return []
        return [(sys.modules["httpx"], owner, "handle_async_request", _wrap_async)]
    return [
        (library, library.HTTPTransport, "handle_request", _wrap_sync),
        (library, library.AsyncHTTPTransport, "handle_async_request", _wrap_async),
    ]


def install(library: Any) -> None:
    """Wrap ``HTTPTransport`` and ``AsyncHTTPTransport`` of ``library`` (httpx or httpx2), or
    the transport named in :data:`OTHER_TRANSPORTS` for it, once."""
    if library.__name__ in _wrapped:
        return
    done = _wrapped[library.__name__] = []
    for http, owner, name, wrap in _targets(library):
        original = getattr(owner, name)
        wrapper = wrap(http, original)
        setattr(owner, name, wrapper)
        done.append((owner, name, original, wrapper))


def remove(library: Any) -> None:
    """Put the originals back (unless something wrapped over them since: then ours stays,
    passing every call on while nothing is active)."""
    for owner, name, original, wrapper in reversed(_wrapped.pop(library.__name__, [])):
        if owner.__dict__.get(name) is wrapper:
            setattr(owner, name, original)
