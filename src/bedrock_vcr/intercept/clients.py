"""Hooking botocore: which clients are watched and how a request reaches the active handlers.

Every botocore client of ``bedrock-runtime`` gets, while at least one handler is active, a
``before-send`` handler registered first on its own event emitter. It asks the active handlers
(innermost first) for an answer; a handler returns an ``AWSResponse`` (botocore then skips the
network and parses it as usual) or ``None`` to pass. When no handler is active, nothing is
registered on any client. aiobotocore clients get an async hook instead, which awaits each
handler's ``handle_async``: a handler answers an async client in the form aiobotocore parses
(see :mod:`bedrock_vcr.intercept.aio`), so this module needs neither aiobotocore nor the
adapters above it, and sits at the bottom of the package.

Handlers are scoped to the thread or asyncio task that activated them (a ``ContextVar``): each
sees the ones it activated, innermost first, and an asyncio task those of the task that created
it. A thread that activated none (a pool worker the code under test starts) uses the handlers
active in the process when they form one flow (one thread's, nested), and fails with
:class:`~bedrock_vcr.errors.AmbiguousCassetteError` when several threads or tasks have their own:
its request would otherwise land in a guessed cassette. A thread that activates a handler while it
sees none of its own keeps the process's handlers behind it (a mock with ``passthrough`` there
falls back to them, never straight to the network).

Clients are found through a light tracker installed on the first activation: it records each
new ``bedrock-runtime`` client in a weak set. When the tracker is installed, the clients that
already exist (made before bedrock-vcr was imported, by another plugin, at conftest or module
import) are adopted once by a scan of the garbage collector's objects, so every client in the
process is covered whenever it was made, and nothing botocore-related loads before a cassette
or mock is used.
"""

from __future__ import annotations

import contextvars
import gc
import threading
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import botocore
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.client import BaseClient

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..errors import AmbiguousCassetteError, BedrockVCRError
from . import coexist
from .aliases import emitter_for

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


class _Graft:
    """Heads the scope of a thread that took the process's handlers as its outer ones: a flow
    of its own, never an extension of the flow it took them from."""


_lock = threading.RLock()
#: every active handler in the process, in activation order (what hooks are registered for)
_active: list[Handler] = []
#: what each active handler's activation made its context see (by handler id), and where
_scope_of: dict[int, tuple[Any, ...]] = {}
_thread_of: dict[int, str] = {}
#: the handlers this thread or task activated (and those it inherited), outermost first
_scope: contextvars.ContextVar[tuple[Any, ...] | None] = contextvars.ContextVar(
    "bedrock_vcr_handlers", default=None
)
_clients: weakref.WeakSet[BaseClient] = weakref.WeakSet()
#: ``(install, remove)`` pairs run with the lock held: ``install`` at every activation (the
#: HTTP-library adapters of :mod:`.transports` cover what is imported by then), ``remove`` when
#: the last handler deactivates
_lifecycle: list[tuple[Callable[[], None], Callable[[], None]]] = []
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
        coexist.install()  # moto imported since the activation is kept off this request too
        for handler in reversed(visible_handlers()):
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
        coexist.install()
        for handler in reversed(visible_handlers()):
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
    handlers = visible_handlers(strict=False)
    if handlers and not any(_may_reach_network(h) for h in handlers):
        return botocore.UNSIGNED
    return None


def _may_reach_network(handler: Handler) -> bool:
    check = getattr(handler, "may_reach_network", None)
    return True if check is None else bool(check())


def _register(client: BaseClient) -> None:
    hook = _make_hook(client)
    client.__dict__["_bedrock_vcr_hook"] = hook  # keep it alive as long as the client
    events = emitter_for(client, (EVENT, SIGNER_EVENT))
    events.register_first(EVENT, hook, unique_id=UNIQUE_ID)
    events.register_first(SIGNER_EVENT, _choose_signer, unique_id=SIGNER_ID)


def _unregister(client: BaseClient) -> None:
    hook = client.__dict__.pop("_bedrock_vcr_hook", None)
    if hook is not None:
        events = emitter_for(client, (EVENT, SIGNER_EVENT))
        events.unregister(EVENT, hook, unique_id=UNIQUE_ID)
        events.unregister(SIGNER_EVENT, _choose_signer, unique_id=SIGNER_ID)


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
    after the tracker is installed, so none can slip between the two).

    Walking every object of the process costs tens of milliseconds in a test session, so it is
    skipped when botocore never made a ``bedrock-runtime`` client class (it makes one, named
    ``BedrockRuntime``, for every client it creates; subclasses of it are found too).
    """
    if not _bedrock_client_class_exists():
        return
    for obj in gc.get_objects():
        if isinstance(obj, BaseClient) and _is_bedrock_runtime(obj):
            _clients.add(obj)


def _bedrock_client_class_exists() -> bool:
    pending = [BaseClient]
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub.__name__ == "BedrockRuntime":
                return True
            pending.append(sub)
    return False


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
    aiobotocore, where its ``send`` is a coroutine); this is the one place that reads it. A
    transport adapter (:mod:`.transports`) hands the handlers its caller in place of a client:
    that caller's ``transport_session`` sends through the caller's own HTTP library.
    """
    session = getattr(client, "transport_session", None)
    return session if session is not None else client._endpoint.http_session


def on_lifecycle(install: Callable[[], None], remove: Callable[[], None]) -> None:
    """Run ``install`` at every activation and ``remove`` when the last handler deactivates
    (once per pair; ``install`` runs now too if a handler is active)."""
    with _lock:
        if (install, remove) not in _lifecycle:
            _lifecycle.append((install, remove))
            if _active:
                install()


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
    """Make ``handler`` the innermost handler of this thread or task (see the module doc)."""
    _ensure_tracker()
    with _lock:
        if not _active:
            for client in list(_clients):
                _register(client)
        for install, _ in _lifecycle:
            install()
        scope = _trim(_scope.get())
        if not _own(scope):
            outer = _process_flow()
            scope = (_Graft(), *outer) if outer else ()
        new = (*scope, handler)
        _scope.set(new)
        _scope_of[id(handler)] = new
        _thread_of[id(handler)] = threading.current_thread().name
        _active.append(handler)
        coexist.install()  # moto and vcrpy, when the program uses them (see coexist)


def deactivate(handler: Handler) -> None:
    with _lock:
        for i, active in enumerate(_active):
            if active is handler:
                del _active[i]
                break
        _scope_of.pop(id(handler), None)
        _thread_of.pop(id(handler), None)
        scope = _scope.get()
        if scope is not None and any(x is handler for x in scope):
            _scope.set(_trim(scope))
        if not _active:
            coexist.uninstall()
            for client in list(_clients):
                _unregister(client)
            for _, remove in reversed(_lifecycle):  # last installed, first removed
                remove()


def active_handlers() -> list[Handler]:
    """Every active handler in the process, in activation order."""
    with _lock:
        return list(_active)


def visible_handlers(strict: bool = True) -> list[Handler]:
    """The handlers a request from this thread or task goes to, outermost first.

    Its own, or else the process's single flow; with several flows and none of its own,
    :class:`AmbiguousCassetteError` (``strict``) or every active handler (not ``strict``).
    """
    with _lock:
        own = _own(_scope.get())
        if own:
            return own
        outer = _process_flow()
        if outer is not None:
            return _own(outer)
        if not strict:
            return list(_active)
        flows = [_describe(flow) for flow in _flows()]
    raise AmbiguousCassetteError(thread=threading.current_thread().name, flows=flows)


def _live(item: Any) -> bool:
    return isinstance(item, _Graft) or id(item) in _scope_of


def _trim(scope: tuple[Any, ...] | None) -> tuple[Any, ...]:
    """``scope`` without the handlers deactivated since (called with the lock held)."""
    return tuple(x for x in scope or () if _live(x))


def _own(scope: tuple[Any, ...] | None) -> list[Handler]:
    return [x for x in scope or () if not isinstance(x, _Graft) and id(x) in _scope_of]


def _flows() -> list[tuple[Any, ...]]:
    """The distinct flows of active handlers: the longest live scopes no other one extends."""
    scopes = {tuple(id(x) for x in _trim(s)): _trim(s) for s in _scope_of.values()}
    return [
        scope
        for key, scope in scopes.items()
        if not any(len(other) > len(key) and other[: len(key)] == key for other in scopes)
    ]


def _process_flow() -> tuple[Any, ...] | None:
    """What a thread with no handler of its own uses: the one flow, ``()`` when none is
    active, ``None`` when several are (called with the lock held)."""
    flows = _flows()
    if len(flows) > 1:
        return None
    return flows[0] if flows else ()


def _describe(flow: tuple[Any, ...]) -> str:
    innermost = flow[-1]
    describe = getattr(innermost, "describe", None)
    what = describe() if callable(describe) else type(innermost).__name__
    return f"{what} (activated in thread {_thread_of.get(id(innermost), '?')!r})"
