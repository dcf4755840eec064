"""The network guard: while no active cassette or mock may reach the network, nothing reaches
Bedrock Runtime by another road.

botocore clients are answered through their ``before-send`` hook (:mod:`.clients`). Callers that
do not go through a botocore client (litellm and the Anthropic SDK over httpx, ``requests`` with
a Bedrock API key) and a botocore client that somehow escaped the hook would still send. The
guard wraps the one method each HTTP library sends through (``urllib3``'s
``HTTPConnectionPool.urlopen``, which ``requests`` and botocore use; ``httpx``'s sync and async
transports; ``aiohttp``'s ``ClientSession._request``) and refuses a request to a Bedrock Runtime
host or configured endpoint with :class:`~bedrock_vcr.errors.NetworkBlockedError`, naming the
library that made it. While a recording cassette is active the request goes on, with an
:class:`~bedrock_vcr.errors.UncoveredRequestWarning`: it is not recorded.

The wrappers are installed on the first activation and stay; with nothing active they only
pass the call on. A library imported after the first activation is wrapped at the next one.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from ..errors import NetworkBlockedError, UncoveredRequestWarning
from . import clients

# bedrock-runtime.<region>.amazonaws.com, -fips, and the China partition
_HOST = re.compile(r"^bedrock-runtime(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
_ENDPOINT_VARS = ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL")
# who made the request, most specific first: the first of these found on the stack is named
_CALLERS = (
    "litellm",
    "anthropic",
    "dspy",
    "langchain_aws",
    "llama_index",
    "pydantic_ai",
    "strands",
    "aiobotocore",
    "botocore",
    "requests",
    "httpx",
    "httpx2",
    "aiohttp",
    "urllib3",
)
# the HTTP machinery between a sender and the socket
_TRANSPORT = frozenset(
    {
        "urllib3",
        "botocore",
        "aiobotocore",
        "requests",
        "responses",
        "httpx",
        "httpx2",
        "httpcore",
        "aiohttp",
        "asyncio",
    }
)
_lock = threading.Lock()
_wrapped: set[str] = set()
#: ``(host, port)`` of the local servers bedrock-vcr runs for a test (``bedrock_server``): they
#: answer from the test's own cassette or mock, so requests to them are not Bedrock's
_own_servers: list[tuple[str, int | None]] = []


def _endpoints() -> list[tuple[str, int | None]]:
    found = []
    for name in _ENDPOINT_VARS:
        value = os.environ.get(name)
        if value:
            parts = urlsplit(value if "//" in value else f"http://{value}")
            if parts.hostname:
                found.append((parts.hostname.lower(), parts.port))
    return found


def is_bedrock_runtime(url: str) -> bool:
    """Whether ``url`` goes to a Bedrock Runtime host or to a configured Bedrock endpoint."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if _HOST.match(host):
        return True
    return any(host == h and (p is None or p == parts.port) for h, p in _endpoints())


def _address(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    return (parts.hostname or "").lower(), parts.port


def is_own_server(url: str) -> bool:
    """Whether ``url`` goes to a local server bedrock-vcr runs (see :func:`own_server`)."""
    return bool(_own_servers) and _address(url) in _own_servers


@contextlib.contextmanager
def own_server(url: str) -> Iterator[None]:
    """Let requests to ``url`` (a local bedrock-vcr server) through while the block runs."""
    address = _address(url)
    _own_servers.append(address)
    try:
        yield
    finally:
        _own_servers.remove(address)


def _stack() -> tuple[str, str]:
    """Who made the request, and the first module above the HTTP machinery (the sender)."""
    seen, sender = set(), ""
    frame = sys._getframe(3)  # above _stack, check and the wrapper
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        top = module.split(".")[0]
        seen.add(top)
        if not sender and top not in _TRANSPORT:
            sender = module
        frame = frame.f_back  # type: ignore[assignment]
    caller = next((name for name in _CALLERS if name in seen), "an unknown HTTP library")
    return caller, sender


def check(method: str, url: str, library: str) -> None:
    """Refuse (or, while recording, warn about) a request that would bypass bedrock-vcr."""
    active = clients.active_handlers()
    if not active or not is_bedrock_runtime(url) or is_own_server(url):
        return
    if any(getattr(h, "allows", lambda _: False)(url) for h in active):
        return  # a host the user let through (--bedrock-allowed-hosts)
    caller, sender = _stack()
    if sender.startswith("bedrock_vcr."):
        return  # bedrock-vcr's own recorder, sending what it records
    if any(getattr(h, "may_reach_network", lambda: True)() for h in active):
        warnings.warn(
            UncoveredRequestWarning(method=method, url=url, caller=caller, transport=library),
            stacklevel=3,
        )
        return
    raise NetworkBlockedError(method=method, url=url, caller=caller, transport=library)


def _url_of_urllib3(pool: Any, method: str, url: str, *_: Any, **__: Any) -> str:
    if "://" in url:
        return url
    port = f":{pool.port}" if pool.port else ""
    return f"{pool.scheme}://{pool.host}{port}{url}"


def _wrap_sync(owner: Any, name: str, library: str, url_of: Callable[..., tuple[str, str]]) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        method, url = url_of(self, *args, **kwargs)
        check(method, url, library)
        return original(self, *args, **kwargs)

    setattr(owner, name, guarded)


def _wrap_async(
    owner: Any, name: str, library: str, url_of: Callable[..., tuple[str, str]]
) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    async def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        method, url = url_of(self, *args, **kwargs)
        check(method, url, library)
        return await original(self, *args, **kwargs)

    setattr(owner, name, guarded)


def _urllib3(module: Any) -> None:
    def url_of(pool: Any, method: str, url: str, *args: Any, **kwargs: Any) -> tuple[str, str]:
        return method, _url_of_urllib3(pool, method, url)

    _wrap_sync(module.HTTPConnectionPool, "urlopen", "urllib3", url_of)


def _httpx(module: Any) -> None:
    def url_of(_: Any, request: Any, *args: Any, **kwargs: Any) -> tuple[str, str]:
        return str(request.method), str(request.url)

    _wrap_sync(module.HTTPTransport, "handle_request", module.__name__, url_of)
    _wrap_async(module.AsyncHTTPTransport, "handle_async_request", module.__name__, url_of)


def _aiohttp(module: Any) -> None:
    def url_of(_: Any, method: str, url: Any, *args: Any, **kwargs: Any) -> tuple[str, str]:
        return str(method), str(url)

    _wrap_async(module.ClientSession, "_request", "aiohttp", url_of)


_LIBRARIES: dict[str, Callable[[Any], None]] = {
    "urllib3.connectionpool": _urllib3,
    "httpx": _httpx,
    "httpx2": _httpx,  # the Anthropic SDK's fork of httpx, with the same transports
    "aiohttp": _aiohttp,
}


def install() -> None:
    """Wrap each supported HTTP library that is imported by now (once per library)."""
    with _lock:
        for name, wrap in _LIBRARIES.items():
            module = sys.modules.get(name)
            if module is not None and name not in _wrapped:
                wrap(module)
                _wrapped.add(name)
