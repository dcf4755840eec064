"""Living beside moto and vcrpy: the other libraries that hook the same botocore requests.

**moto** answers botocore requests from a ``before-send`` handler of its own (one
``BotocoreStubber`` object, in botocore's built-in handlers). botocore calls every
``before-send`` handler, even after one has answered, so under ``mock_aws`` moto still handles a
Bedrock Runtime request that bedrock-vcr replayed or simulated, and its ``NotImplementedError``
for ``Converse`` fails the call. While any cassette or mock is active, moto's handler passes on
every request to a Bedrock Runtime host (it answers None, as for a service in its
``passthrough`` list); everything else stays moto's.

**vcrpy** (pytest-recording's engine) swaps the connection classes of botocore's connection
pools while one of its cassettes is active. bedrock-vcr's recorder sends the request it records
through the client's own http session, so vcrpy would catch it: store the Bedrock request, its
SigV4 ``Authorization`` header included, in vcrpy's cassette, or refuse it in vcrpy's replay-only
mode. :func:`live_send` lifts vcrpy's patches (vcrpy's own ``force_reset``, which vcrpy uses to
make its real connections) for the time the recorder sends one request: what bedrock-vcr records
never reaches vcrpy's cassette.

Nothing here imports moto or vcrpy: each is handled only when the program imported it already.
:func:`install` runs at every activation (and before each request is answered, for a library
imported meanwhile); :func:`uninstall` at the last deactivation puts moto's handler back as it was.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)

#: a Bedrock Runtime host (``bedrock-runtime.<region>...`` and ``bedrock-runtime-fips...``)
_BEDROCK_RUNTIME_URL = re.compile(r"^https?://bedrock-runtime(-fips)?\.", re.IGNORECASE)
_MOTO = "moto.core.models"
_VCR = "vcr.patch"

_lock = threading.Lock()
#: what :func:`uninstall` runs, by library
_undo: dict[str, Callable[[], None]] = {}
#: one recording send at a time lifts vcrpy's patches (they are process-wide)
_send_lock = threading.Lock()


def install() -> None:
    """Keep moto off Bedrock Runtime if it is imported (cheap when done, or not imported)."""
    if _MOTO in _undo or _MOTO not in sys.modules:
        return
    with _lock:
        if _MOTO not in _undo:
            _install_moto(sys.modules[_MOTO])


def uninstall() -> None:
    """Give moto its handler back (at the last deactivation)."""
    with _lock:
        for undo in _undo.values():
            undo()
        _undo.clear()


def _install_moto(models: Any) -> None:
    stubber: Any = getattr(models, "botocore_stubber", None)
    original = getattr(stubber, "process_request", None)
    if original is None:  # a moto without the stubber's request entry point: nothing to do
        return

    def process_request(request: Any, *args: Any, **kwargs: Any) -> Any:
        if _BEDROCK_RUNTIME_URL.match(str(getattr(request, "url", ""))):
            return None  # bedrock-vcr answers it (or sends it on while recording)
        return original(request, *args, **kwargs)

    # the instance attribute shadows the method for this one object only; deleting it restores
    stubber.process_request = process_request

    def undo() -> None:
        if stubber.__dict__.get("process_request") is process_request:
            del stubber.process_request

    _undo[_MOTO] = undo


def _vcrpy_active(vcr_patch: Any) -> bool:
    """Whether a vcrpy cassette has patched botocore's connection pools right now."""
    awsrequest = sys.modules.get("botocore.awsrequest")
    if awsrequest is None or not hasattr(vcr_patch, "force_reset"):
        return False
    pools = (awsrequest.AWSHTTPConnectionPool, awsrequest.AWSHTTPSConnectionPool)
    return any(getattr(pool.ConnectionCls, "cassette", None) is not None for pool in pools)


@contextmanager
def live_send() -> Iterator[None]:
    """Around the recorder's send: the request goes to the network, never to vcrpy's cassette.

    With no vcrpy cassette active this does nothing. With one, vcrpy's patches are lifted until
    the response headers are in (the body is read from the real connection afterwards); requests
    other threads send meanwhile are not seen by vcrpy either, so such sends are one at a time.
    """
    vcr_patch = sys.modules.get(_VCR)
    if vcr_patch is None or not _vcrpy_active(vcr_patch):
        yield
        return
    with _send_lock, vcr_patch.force_reset():
        yield
