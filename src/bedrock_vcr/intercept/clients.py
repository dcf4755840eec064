"""Hooking botocore: which clients are watched and how a request reaches the active handlers.

Every botocore client of ``bedrock-runtime`` gets, while at least one handler is active, a
``before-send`` handler registered first on its own event emitter. It asks the active handlers
(innermost first) for an answer; a handler returns an ``AWSResponse`` (botocore then skips the
network and parses it as usual) or ``None`` to pass. When no handler is active, nothing is
registered on any client. aiobotocore clients get an async hook instead, which awaits each
handler's ``handle_async``: a handler answers an async client in the form aiobotocore parses
(see :mod:`bedrock_vcr.intercept.aio`), so this module needs neither aiobotocore nor the
adapters above it, and sits at the bottom of the package.

Clients are found through a light tracker installed on the first activation: it records each
new ``bedrock-runtime`` client in a weak set. When the tracker is installed, the clients that
already exist (made before bedrock-vcr was imported, by another plugin, at conftest or module
import) are adopted once by a scan of the garbage collector's objects, so every client in the
process is covered whenever it was made, and nothing botocore-related loads before a cassette
or mock is used.
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import botocore
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.client import BaseClient

from ..errors import BedrockVCRError

SERVICE = "bedrock-runtime"
EVENT = f"before-send.{SERVICE}"
UNIQUE_ID = "bedrock-vcr-before-send"
SIGNER_EVENT = f"choose-signer.{SERVICE}"
SIGNER_ID = "bedrock-vcr-choose-signer"


class Handler(Protocol):
    """What :func:`activate` accepts: it answers a request, or returns None to pass it on.

    A handler may also define ``may_reach_network() -> bool`` (see :func:`_choose_signer`).
    """

    def handle(
        self, client: BaseClient, request: AWSPreparedRequest, operation: str
    ) -> AWSResponse | None: ...

    async def handle_async(
        self, client: BaseClient, request: AWSPreparedRequest, operation: str
    ) -> Any:
        """The same for an aiobotocore client: an ``AioAWSResponse``, or None to pass."""


_lock = threading.RLock()
_active: list[Handler] = []
_clients: weakref.WeakSet[BaseClient] = weakref.WeakSet()
_original_init: Callable[..., None] | None = None
_tracker_users = 0


def _is_bedrock_runtime(client: BaseClient) -> bool:
    try:
        return bool(client.meta.service_model.service_name == SERVICE)
    except AttributeError:
        return False


def _is_async(client: BaseClient) -> bool:
    return any(cls.__module__.startswith("aiobotocore") for cls in type(client).__mro__)


def _make_hook(client: BaseClient) -> Callable[..., Any]:
    ref = weakref.ref(client)
    if _is_async(client):
        return _make_async_hook(ref)

    def before_send(request: AWSPreparedRequest, event_name: str = "", **_: Any) -> Any:
        target = ref()
        if target is None:
            return None
        operation = event_name.rsplit(".", 1)[-1]
        with _lock:
            handlers = list(reversed(_active))
        for handler in handlers:
            response = handler.handle(target, request, operation)
            if response is not None:
                return response
        return None

    return before_send


def _make_async_hook(ref: weakref.ref[BaseClient]) -> Callable[..., Awaitable[Any]]:
    """The hook of an aiobotocore client, which awaits the handlers' ``handle_async``.

    Each handler answers in aiobotocore's form itself (importing the async adapter only then),
    so aiobotocore stays optional and this module imports nothing above it.
    """

    async def before_send(request: AWSPreparedRequest, event_name: str = "", **_: Any) -> Any:
        target = ref()
        if target is None:
            return None
        operation = event_name.rsplit(".", 1)[-1]
        with _lock:
            handlers = list(reversed(_active))
        for handler in handlers:
            response = await handler.handle_async(target, request, operation)
            if response is not None:
                return response
        return None

    return before_send


def _choose_signer(**_: Any) -> Any:
    """Skip signing while no active handler can send a request on to the network.

    Replay and simulation need no credential, so none is looked up (botocore resolves them
    when a client is created, which may be long before a cassette is active, and fails at
    signing time if there were none). Handlers say whether they may forward a request with
    ``may_reach_network()``; a handler without that method is assumed to.
    """
    with _lock:
        handlers = list(_active)
    if handlers and not any(_may_reach_network(h) for h in handlers):
        return botocore.UNSIGNED
    return None


def _may_reach_network(handler: Handler) -> bool:
    check = getattr(handler, "may_reach_network", None)
    return True if check is None else bool(check())


def _register(client: BaseClient) -> None:
    hook = _make_hook(client)
    client.__dict__["_bedrock_vcr_hook"] = hook  # keep it alive as long as the client
    client.meta.events.register_first(EVENT, hook, unique_id=UNIQUE_ID)
    client.meta.events.register_first(SIGNER_EVENT, _choose_signer, unique_id=SIGNER_ID)


def _unregister(client: BaseClient) -> None:
    hook = client.__dict__.pop("_bedrock_vcr_hook", None)
    if hook is not None:
        client.meta.events.unregister(EVENT, hook, unique_id=UNIQUE_ID)
        client.meta.events.unregister(SIGNER_EVENT, _choose_signer, unique_id=SIGNER_ID)


def _tracking_init(self: BaseClient, *args: Any, **kwargs: Any) -> None:
    assert _original_init is not None
    _original_init(self, *args, **kwargs)
    if _is_bedrock_runtime(self):
        with _lock:
            _clients.add(self)
            if _active:
                _register(self)


def _adopt_existing() -> None:
    """Add every ``bedrock-runtime`` client that exists now (called with the lock held, right
    after the tracker is installed, so none can slip between the two)."""
    for obj in gc.get_objects():
        if isinstance(obj, BaseClient) and _is_bedrock_runtime(obj):
            _clients.add(obj)


def _install() -> None:
    global _original_init
    if _original_init is None:
        _original_init = BaseClient.__init__
        BaseClient.__init__ = _tracking_init
        _adopt_existing()


def install_tracker() -> None:
    """Cover every ``bedrock-runtime`` client: those that exist now and those made later.

    Calls are counted: the tracker stays until each install has been matched by an uninstall
    (nested pytest sessions, as pytester runs them, each install and uninstall once).
    """
    global _tracker_users
    with _lock:
        _tracker_users += 1
        _install()


def _ensure_tracker() -> None:
    """Install the tracker for library use (not counted: it stays for the process)."""
    with _lock:
        _install()


def watch_clients() -> None:
    """Note every ``bedrock-runtime`` client created from now on (outside pytest).

    The pytest plugin does this at start-up. A script or another test runner calls it once,
    before the code under test creates its clients, so that a cassette or mock activated later
    covers them too (``patch_client`` adds a client that already exists). Nothing is hooked
    into botocore until a cassette or mock is active.
    """
    _ensure_tracker()


def uninstall_tracker() -> None:
    global _original_init, _tracker_users
    with _lock:
        _tracker_users = max(0, _tracker_users - 1)
        if _original_init is not None and not _active and _tracker_users == 0:
            BaseClient.__init__ = _original_init
            _original_init = None


def http_session(client: BaseClient) -> Any:
    """The http session ``client`` sends requests through (to record a request, send it there).

    botocore keeps it on a private attribute (``client._endpoint.http_session``, the same in
    aiobotocore, where its ``send`` is a coroutine); this is the one place that reads it.
    """
    return client._endpoint.http_session


def patch_client(client: BaseClient) -> BaseClient:
    """Put a client created before bedrock-vcr was loaded under its control."""
    if not _is_bedrock_runtime(client):
        raise BedrockVCRError(
            f"patch_client expects a bedrock-runtime client, got "
            f"{client.meta.service_model.service_name!r}"
        )
    with _lock:
        _clients.add(client)
        if _active and "_bedrock_vcr_hook" not in client.__dict__:
            _register(client)
    return client


def activate(handler: Handler) -> None:
    _ensure_tracker()
    with _lock:
        if not _active:
            for client in list(_clients):
                _register(client)
        _active.append(handler)


def deactivate(handler: Handler) -> None:
    with _lock:
        if handler in _active:
            _active.remove(handler)
        if not _active:
            for client in list(_clients):
                _unregister(client)


def active_handlers() -> list[Handler]:
    with _lock:
        return list(_active)
