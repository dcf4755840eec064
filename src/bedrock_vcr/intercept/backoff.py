"""Skipping botocore's retry sleeps, for bedrock-runtime calls only.

Replaying a cassette and simulating with the mock both want botocore's retries to stay exactly
botocore's (whether and how often) while not waiting between them. It lives with the botocore
adapters because it patches botocore, and the replay path (the player) needs it as much as the
simulation does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from .clients import SERVICE

_backoff_lock = threading.Lock()
_backoff_users = 0
_backoff_restore: list[tuple[Any, str, Any]] = []
_backoff_listeners: list[list[float]] = []


def _skipped(delay: Any) -> int:
    value = float(delay)
    with _backoff_lock:
        for listener in _backoff_listeners:
            listener.append(value)
    return 0


def _is_bedrock(operation_model: Any) -> bool:
    try:
        return bool(operation_model.service_model.service_name == SERVICE)
    except AttributeError:
        return False


def _install() -> None:
    from botocore import retryhandler
    from botocore.retries import standard

    original_delay = standard.RetryPolicy.compute_retry_delay
    original_call = retryhandler.RetryHandler.__call__

    def compute_retry_delay(self: Any, context: Any) -> Any:
        delay = original_delay(self, context)
        if _is_bedrock(getattr(context, "operation_model", None)):
            return _skipped(delay)
        return delay

    def legacy_call(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original_call(self, *args, **kwargs)
        if result is not None and result is not False and _is_bedrock(kwargs.get("operation")):
            return _skipped(result)
        return result

    _backoff_restore[:] = [
        (standard.RetryPolicy, "compute_retry_delay", original_delay),
        (retryhandler.RetryHandler, "__call__", original_call),
    ]
    setattr(standard.RetryPolicy, "compute_retry_delay", compute_retry_delay)  # noqa: B010
    setattr(retryhandler.RetryHandler, "__call__", legacy_call)  # noqa: B010


def _uninstall() -> None:
    for owner, name, original in _backoff_restore:
        setattr(owner, name, original)
    _backoff_restore.clear()


@contextmanager
def skip_backoff() -> Iterator[list[float]]:
    """While active, botocore retries bedrock-runtime calls without sleeping between attempts.

    botocore still decides *whether* and *how often* to retry (its retry mode, ``max_attempts``,
    retry quota and error classification are untouched); only the computed delay is replaced by
    0 and appended to the yielded list (concurrent users each see every delay). botocore
    computes that delay in exactly two places,
    ``botocore.retries.standard.RetryPolicy.compute_retry_delay`` (``standard`` and ``adaptive``
    modes) and ``botocore.retryhandler.RetryHandler.__call__`` (``legacy`` mode); both are
    wrapped, for bedrock-runtime operations only, while at least one ``skip_backoff`` is active
    (nested and concurrent uses share one installation, removed when the last one exits).
    Not covered: the client-side rate limiter of ``adaptive`` mode, which may still pause.

    Rejected alternatives: a client ``Config`` cannot set the delay; patching ``time.sleep``
    would stop every sleep in the process; a ``needs-retry`` handler cannot see botocore's
    decision without running the retry handler twice (which would drain the retry quota twice
    as fast).
    """
    global _backoff_users
    mine: list[float] = []
    with _backoff_lock:
        if _backoff_users == 0:
            _install()
        _backoff_users += 1
        _backoff_listeners.append(mine)
    try:
        yield mine
    finally:
        with _backoff_lock:
            _backoff_listeners.remove(mine)
            _backoff_users -= 1
            if _backoff_users == 0:
                _uninstall()
