"""The adapters for callers that do not go through botocore: httpx and ``requests``.

litellm, the Anthropic SDK's ``AnthropicBedrock``, dspy and plain HTTP code sign their Bedrock
Runtime requests themselves (SigV4 or a bearer API key) and send them through httpx or
``requests``. While a cassette or mock is active, these adapters hand those requests to the same
active handlers as botocore's hook (:mod:`bedrock_vcr.intercept.clients`), so they are
recorded, replayed, validated and simulated alike, from the same cassettes.

:func:`install` is called by every activation site (cassette player, mock, network blocker):
it registers the adapters with the activation lifecycle once; from then on each activation
wraps the libraries imported by then (httpx; ``requests`` when ``responses`` is installed), and
the last deactivation unwraps them. Nothing here imports httpx, ``requests`` or ``responses``
unless the program already imported the HTTP library.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType

from .. import clients

#: HTTP library -> (adapter module, the mocking library it needs besides the HTTP library)
ADAPTERS = {
    "httpx": ("httpx_adapter", None),
    "httpx2": ("httpx_adapter", None),  # the Anthropic SDK's fork of httpx, the same API
    "requests": ("requests_adapter", "responses"),
    "litellm": ("httpx_adapter", "httpx"),  # its async calls: its aiohttp transport for httpx
}
_installed: dict[str, tuple[ModuleType, ModuleType]] = {}
_registered = False


def _available(library: str, needs: str | None) -> bool:
    if sys.modules.get(library) is None:
        return False
    if needs is None or sys.modules.get(needs) is not None:
        return True
    try:
        return importlib.util.find_spec(needs) is not None
    except (ImportError, ValueError):  # ValueError: sys.modules[needs] is None (import blocked)
        return False


def _install_all() -> None:
    for library, (module, needs) in ADAPTERS.items():
        if library not in _installed and _available(library, needs):
            adapter = importlib.import_module(f"{__name__}.{module}")
            http = sys.modules[library]
            adapter.install(http)
            _installed[library] = (adapter, http)


def _remove_all() -> None:
    while _installed:
        _, (adapter, http) = _installed.popitem()
        adapter.remove(http)


def install() -> None:
    """Cover httpx and ``requests`` callers whenever a handler is active (see the module doc)."""
    global _registered
    if not _registered:
        _registered = True
        clients.on_lifecycle(_install_all, _remove_all)


def covered() -> list[str]:
    """The HTTP libraries whose Bedrock calls are answered right now."""
    return sorted(_installed)
