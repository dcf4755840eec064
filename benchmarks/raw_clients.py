"""Clients for ``bench_server.py``: raw HTTP/1.1 keep-alive connections, or boto3 clients.

A raw client sends the prebuilt bytes of a stream request and reads the chunked answer with a
small asyncio protocol, counting one HTTP chunk per event-stream frame (a stream that does not
arrive as ``chunks`` separate chunks counts as failed) and noting when the first chunk arrived
whole, so the client costs little next to the server. Each client process also reports its own
CPU time, to show how much of the machine the clients take. The boto3 client (``--client
boto3``) iterates every event through botocore's parser, which is what an SDK user sees but
costs far more than the server itself.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from workload import MODEL_ID, STREAM, Workload, caller, make_client

from bedrock_vcr.bedrock.operations import model_path

DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def request_bytes(workload: Workload, i: int, host: str) -> bytes:
    body = workload.request_body(i)
    path = model_path(MODEL_ID, STREAM)
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Accept: application/vnd.amazon.eventstream\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


class _Stream(asyncio.Protocol):
    """One keep-alive connection; :meth:`ask` sends a request and waits for the whole answer."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.done: asyncio.Future[int] | None = None
        self.transport: Any = None
        self.head = True
        self.chunks = 0
        self.first_at = 0.0  # when the first chunk of the answer had arrived whole

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    async def ask(self, data: bytes) -> int:
        self.done = asyncio.get_running_loop().create_future()
        self.head, self.chunks = True, 0
        self.transport.write(data)
        return await self.done

    def data_received(self, data: bytes) -> None:
        buf = self.buffer
        buf += data
        pos = 0
        if self.head:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buf.startswith(b"HTTP/1.1 200"):
                self._fail(bytes(buf[:80]))
                return
            self.head, pos = False, end + 4
        while True:
            line = buf.find(b"\r\n", pos)
            if line < 0:
                break
            size = int(buf[pos:line], 16)
            end = line + 2 + size + 2
            if len(buf) < end:
                break
            pos = end
            if size == 0:
                del buf[:pos]
                assert self.done is not None
                self.done.set_result(self.chunks)
                return
            self.chunks += 1
            if self.chunks == 1:
                self.first_at = time.perf_counter()
        del buf[:pos]

    def _fail(self, what: bytes) -> None:
        if self.done is not None and not self.done.done():
            self.done.set_exception(AssertionError(f"unexpected answer {what!r}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(b"(connection closed)")


#: What a client process reports: stream latencies, errors, times to the first chunk (raw
#: clients only) and the process's own CPU seconds while streaming.
Results = tuple[list[float], list[str], list[float], float]


async def _raw_clients(
    url: str, workload: Workload, targets: list[int], threads: int, seconds: float, start: Any
) -> Results:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    requests = {i: request_bytes(workload, i, parts.netloc) for i in set(targets)}
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    firsts: list[float] = []
    errors: list[str] = []
    streams = [(await loop.create_connection(_Stream, host, port))[1] for _ in range(threads)]
    start.wait()  # every client process is connected: the window opens for all at once
    cpu = time.process_time()
    deadline = time.perf_counter() + seconds

    async def run(stream: _Stream, k: int) -> None:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                count = await stream.ask(requests[targets[k % len(targets)]])
            except Exception as exc:  # counted and reported, never hidden
                errors.append(f"{type(exc).__name__}: {exc}")
                return
            if count != workload.chunks:
                errors.append(f"{count} chunks, expected {workload.chunks}")
            else:
                latencies.append(time.perf_counter() - began)
                firsts.append(stream.first_at - began)
            k += 1

    await asyncio.gather(*(run(s, n * 7) for n, s in enumerate(streams)))
    cpu = time.process_time() - cpu
    for stream in streams:
        stream.transport.close()
    return latencies, errors, firsts, cpu


def _boto3_clients(
    url: str, workload: Workload, targets: list[int], threads: int, seconds: float, ready: Any
) -> Results:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    began: list[float] = []
    start = threading.Barrier(
        threads, action=lambda: (ready.wait(), began.append(time.process_time()))
    )

    def loop(offset: int) -> None:
        call = caller(make_client(url), workload, STREAM, targets)
        mine: list[float] = []
        start.wait()
        deadline = time.perf_counter() + seconds
        k = offset
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                call(targets[k % len(targets)])
            except Exception as exc:  # counted and reported, never hidden
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
            else:
                mine.append(time.perf_counter() - began)
            k += 1
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=loop, args=(n * 7,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return latencies, errors, [], time.process_time() - began[0]


def client_process(
    kind: str,
    url: str,
    workload: Workload,
    targets: list[int],
    threads: int,
    seconds: float,
    start: Any,
    queue: Any,
) -> None:
    """``threads`` clients streaming for ``seconds`` once every process has passed ``start`` (a
    multiprocessing barrier); puts its :data:`Results` on ``queue``."""
    os.environ.update(DUMMY_ENV)
    if kind == "raw":
        queue.put(asyncio.run(_raw_clients(url, workload, targets, threads, seconds, start)))
    else:
        queue.put(_boto3_clients(url, workload, targets, threads, seconds, start))
