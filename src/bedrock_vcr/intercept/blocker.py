"""``--bedrock-block-network``: a handler for tests that have no cassette and no mock.

It answers nothing and lets nothing through: a botocore request to Bedrock Runtime fails with
:class:`~bedrock_vcr.errors.NetworkBlockedError`, and the network guard refuses the same for
other HTTP libraries. Allowed hosts (a local server, say) pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSPreparedRequest
from botocore.client import BaseClient

from ..errors import NetworkBlockedError
from . import clients, guard, transports


class NetworkBlocker:
    """Refuses every Bedrock Runtime request while active, but to ``allowed_hosts``."""

    def __init__(self, allowed_hosts: Iterable[str] = ()) -> None:
        self.allowed_hosts = frozenset(h.strip().lower() for h in allowed_hosts if h.strip())

    def allows(self, url: str) -> bool:
        return (urlsplit(url).hostname or "").lower() in self.allowed_hosts

    def may_reach_network(self) -> bool:
        return False

    def handle(self, client: BaseClient, request: AWSPreparedRequest, operation: str) -> Any:
        __tracebackhide__ = True
        if self.allows(request.url):
            return None
        library = getattr(client, "library", None)  # a transport adapter's caller
        raise NetworkBlockedError(
            method=str(request.method),
            url=str(request.url),
            caller=f"{library or 'a boto3 client'} ({operation})",
            transport=library or "botocore",
            why="--bedrock-block-network is on and this test has no cassette or mock",
        )

    async def handle_async(
        self, client: BaseClient, request: AWSPreparedRequest, operation: str
    ) -> Any:
        return self.handle(client, request, operation)

    def __enter__(self) -> NetworkBlocker:
        guard.install()
        transports.install()  # httpx and requests callers too
        clients.activate(self)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        clients.deactivate(self)
