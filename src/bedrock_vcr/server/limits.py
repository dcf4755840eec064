"""What one server may spend: connections, HTTP/2 streams and workers, buffered request bodies.

Every limit is a keyword of :class:`~bedrock_vcr.server.http1.BedrockServer` (and a flag of
``bedrock-vcr serve``); :class:`Limits` checks them once. :class:`WorkerPool` runs the answers of
HTTP/2 streams, and of HTTP/1.1 requests to sources that may block, on a bounded set of daemon
threads shared by every connection (other HTTP/1.1 requests are answered on the event loop).
:class:`RateMeter` counts events in the last second (a client's stream resets).

Whatever its clients do, a server runs at most ``1 + max_connections + max_workers`` threads of
its own (the event loop, one per HTTP/2 connection, the workers), and holds at most
``max_connection_body`` bytes of request bodies per HTTP/2 connection (an HTTP/1.1 connection
holds one body, of at most ``max_body``).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import ConfigError

#: Open connections (HTTP/1.1 and HTTP/2); more are closed as soon as they are accepted.
DEFAULT_MAX_CONNECTIONS = 256
#: SETTINGS_MAX_CONCURRENT_STREAMS advertised on each HTTP/2 connection.
DEFAULT_MAX_STREAMS = 100
#: Threads answering HTTP/2 streams and requests to blocking sources, for the whole server.
DEFAULT_MAX_WORKERS = 256
#: Stream resets a client may send on one connection in one second before it is sent away.
DEFAULT_MAX_RESETS_PER_SECOND = 200
#: Seconds an idle worker thread waits for more work before it ends.
WORKER_IDLE = 1.0


@dataclass(frozen=True)
class Limits:
    """The resource limits of one server (see the module docstring); all positive integers."""

    max_connections: int = DEFAULT_MAX_CONNECTIONS
    max_streams: int = DEFAULT_MAX_STREAMS
    max_workers: int = DEFAULT_MAX_WORKERS
    #: Request-body bytes one connection may hold at once, across its open streams.
    max_connection_body: int = 25_000_000
    max_resets_per_second: int = DEFAULT_MAX_RESETS_PER_SECOND

    def __post_init__(self) -> None:
        for name in (
            "max_connections",
            "max_streams",
            "max_workers",
            "max_connection_body",
            "max_resets_per_second",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(
                    f"server limit {name}={value!r} is invalid: expected a positive integer; "
                    f"leave it out for the default"
                )
        if self.max_streams > 2**31 - 1:
            raise ConfigError(
                f"server limit max_streams={self.max_streams} is over HTTP/2's 2**31-1"
            )


class WorkerPool:
    """At most ``size`` daemon threads running submitted calls in order; idle threads end after
    :data:`WORKER_IDLE` seconds, so a quiet server keeps none."""

    def __init__(self, size: int, name: str = "bedrock-vcr-worker") -> None:
        self.size = size
        self.name = name
        self.jobs: deque[Callable[[], None]] = deque()
        self.lock = threading.Condition()
        self.threads = 0  # started and not ended
        self.idle = 0  # waiting for a job

    def submit(self, job: Callable[[], None]) -> None:
        with self.lock:
            self.jobs.append(job)
            grow = len(self.jobs) > self.idle and self.threads < self.size
            if grow:
                self.threads += 1
            else:
                self.lock.notify()
        if grow:  # outside the lock: the new thread needs it at once
            threading.Thread(target=self._work, name=self.name, daemon=True).start()

    def _work(self) -> None:
        while True:
            with self.lock:
                deadline = time.monotonic() + WORKER_IDLE
                while not self.jobs:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        self.threads -= 1
                        return
                    self.idle += 1
                    self.lock.wait(left)
                    self.idle -= 1
                job = self.jobs.popleft()
            try:
                job()
            except Exception:  # pragma: no cover - each job handles its own errors
                pass


class RateMeter:
    """Counts events over the last second; :meth:`hit` says whether ``limit`` is exceeded."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self.times: deque[float] = deque(maxlen=limit + 1)

    def hit(self) -> bool:
        now = self.clock()
        self.times.append(now)
        return len(self.times) > self.limit and now - self.times[0] < 1.0


__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_RESETS_PER_SECOND",
    "DEFAULT_MAX_STREAMS",
    "DEFAULT_MAX_WORKERS",
    "Limits",
    "RateMeter",
    "WorkerPool",
]
