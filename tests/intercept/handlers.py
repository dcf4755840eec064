"""Test-only interception handlers: the smallest things :func:`clients.activate` accepts, so a
test sees what the registry hands a handler and what botocore makes of the answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.client import BaseClient

from bedrock_vcr.intercept import clients


@dataclass
class Seen:
    client: BaseClient
    operation: str
    url: str
    signed: bool


@dataclass
class Handler:
    """Answers every request with ``answer(request)`` (None: pass it on) and notes each one.

    ``network``: what ``may_reach_network()`` says (None: the method is absent, as a handler
    that does not say is assumed to reach the network).
    """

    answer: Callable[[AWSPreparedRequest], AWSResponse | None] = lambda request: None
    network: bool | None = None
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.network is not None:
            self.may_reach_network = lambda: self.network

    @property
    def operations(self) -> list[str]:
        return [s.operation for s in self.seen]

    def handle(
        self, client: BaseClient, request: AWSPreparedRequest, operation: str
    ) -> AWSResponse | None:
        signed = "Authorization" in request.headers
        self.seen.append(Seen(client, operation, request.url, signed))
        return self.answer(request)

    async def handle_async(
        self, client: BaseClient, request: AWSPreparedRequest, operation: str
    ) -> Any:
        from bedrock_vcr.intercept.aio import to_aio_response

        response = self.handle(client, request, operation)
        return None if response is None else to_aio_response(response)


@contextmanager
def active(handler: Any) -> Iterator[Any]:
    clients.activate(handler)
    try:
        yield handler
    finally:
        clients.deactivate(handler)
