"""The HTTP/1.1 server's fast paths answer as the careful ones do (``server.request_body``,
``server.h1_writing``, ``server.h1_connection``): a head parsed at once, answers encoded once,
an unpaced stream written at once, a paced one frame by frame, one idle timer per connection,
Bedrock's request checks remembered per request."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path

import pytest

from bedrock_vcr.bedrock.operations import model_path
from bedrock_vcr.cassettes import storage
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cassettes.records import Interaction, RecordedRequest, RecordedResponse
from bedrock_vcr.server.app import App
from bedrock_vcr.server.http1 import BedrockServer
from bedrock_vcr.server.request_body import FAST_HEAD, SLOW, buffered_head, read_headers
from bedrock_vcr.server.sources import CassetteSource, ScriptedSource

from .support import JSON, LLAMA, llama_stream, post, wait_for

pytestmark = pytest.mark.usefixtures("aws_env")

STREAM_PATH = model_path(LLAMA, "InvokeModelWithResponseStream")


class _Lines:
    """The reader :func:`read_headers` takes, over bytes already received."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def readline(self, limit: int) -> bytes:
        end = self.data.find(b"\n", 0, limit)
        size = end + 1 if end >= 0 else min(limit, len(self.data))
        line, self.data = self.data[:size], self.data[size:]
        return line

    async def read(self, size: int) -> bytes:
        data, self.data = self.data[:size], self.data[size:]
        return data


@pytest.mark.parametrize(
    "head",
    [
        b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}",
        b"GET / HTTP/1.1\r\nX-Spaced :  padded value  \r\nno colon here\r\nX-Empty:\r\n\r\n",
        b"POST / HTTP/1.1\r\nA: 1\r\na: 2\r\nContent-Length: 0\r\n\r\nnext",
    ],
    ids=["plain", "odd-lines", "repeated"],
)
def test_a_head_parsed_at_once_matches_the_line_by_line_reading(head: bytes) -> None:
    found = buffered_head(bytearray(head))
    assert isinstance(found, tuple)
    line, headers, size = found
    reader = _Lines(head)
    expected_line = asyncio.run(reader.readline(65537))
    expected = asyncio.run(read_headers(reader))
    assert line == expected_line
    assert headers.items == expected.items
    assert headers.last == expected.last
    assert head[size:] == reader.data  # the body (or the next request) is left in the buffer


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"POST / HTTP/1.1\r\nHost: a\r\n", None),  # more may come
        (b"POST / HTTP/1.1\nHost: a\n\n", SLOW),  # bare LF line ends
        (b"POST / HTTP/1.1\r\nHost: a\n\r\n\r\n", SLOW),  # a bare LF inside
        (b"\r\nPOST / HTTP/1.1\r\n\r\n", SLOW),  # a blank first line ends the connection
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", SLOW),  # the HTTP/2 preface
        (b"GET / HTTP/1.1\r\nX: " + b"y" * FAST_HEAD, SLOW),  # too long to parse at once
        (b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 101 + b"\r\n", SLOW),  # too many headers
    ],
    ids=["incomplete", "bare-lf", "lf-inside", "blank-first", "h2-preface", "long", "many"],
)
def test_unusual_heads_are_left_to_the_line_by_line_reading(
    data: bytes, expected: str | None
) -> None:
    assert buffered_head(bytearray(data)) == expected


def _serve(tmp_path: Path, responses: list[RecordedResponse], **options: float) -> BedrockServer:
    path = tmp_path / "fast.yaml"
    interactions = [
        Interaction(
            RecordedRequest(
                "InvokeModelWithResponseStream",
                LLAMA,
                json.dumps({"prompt": str(i)}).encode(),
                {"content-type": "application/json"},
            ),
            response,
        )
        for i, response in enumerate(responses)
    ]
    storage.write_atomic(path, serialize.dumps(interactions))
    return BedrockServer([CassetteSource([path])], **options)  # type: ignore[arg-type]


def _ask(n: int) -> bytes:
    return post(STREAM_PATH, json.dumps({"prompt": str(n)}).encode(), **JSON)


def _read_answer(sock: socket.socket, buffer: bytearray) -> tuple[bytes, list[bytes], list[float]]:
    """One chunked answer from ``sock``: its head, its chunks, and when each chunk arrived."""
    while b"\r\n\r\n" not in buffer:
        buffer += sock.recv(65536)
    end = buffer.index(b"\r\n\r\n")
    head = bytes(buffer[:end])
    del buffer[: end + 4]
    chunks: list[bytes] = []
    times: list[float] = []
    while True:
        while b"\r\n" not in buffer:
            buffer += sock.recv(65536)
        line = buffer.index(b"\r\n")
        size = int(buffer[:line], 16)
        while len(buffer) < line + 2 + size + 2:
            data = sock.recv(65536)
            if not data:
                raise ConnectionError(f"closed after {len(chunks)} chunks")
            buffer += data
        if size == 0:
            del buffer[: line + 4]
            return head, chunks, times
        chunks.append(bytes(buffer[line + 2 : line + 2 + size]))
        times.append(time.monotonic())
        del buffer[: line + 2 + size + 2]


def _header(head: bytes, name: bytes) -> bytes:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    raise KeyError(name)


def test_pipelined_and_trickled_requests_get_whole_answers_with_a_fresh_head(
    tmp_path: Path,
) -> None:
    """Two requests in one packet, then one sent a byte at a time: each gets its own answer,
    one chunk per frame, with a Date header and a request id made for it (the answer's
    encoding is kept, its per-request parts are not)."""
    responses = [llama_stream(["a ", "b "]), llama_stream(["c ", "d ", "e "])]
    frames = [[e.frame for e in r.events or []] for r in responses]
    with _serve(tmp_path, responses) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            buffer = bytearray()
            sock.sendall(_ask(0) + _ask(1))
            answers = [_read_answer(sock, buffer) for _ in range(2)]
            for byte in _ask(0):
                sock.sendall(bytes([byte]))
            answers.append(_read_answer(sock, buffer))
    assert [chunks for _, chunks, _ in answers] == [frames[0], frames[1], frames[0]]
    ids = {_header(head, b"x-amzn-requestid") for head, _, _ in answers}
    assert len(ids) == 3
    assert all(_header(head, b"date").endswith(b" GMT") for head, _, _ in answers)


def test_a_paced_stream_sends_each_frame_at_its_time(tmp_path: Path) -> None:
    """Offsets 0, 0, 0.3, 0.3 s at speed 1: the first two frames arrive before the third is
    due, and every frame is still its own chunk."""
    response = llama_stream(["a ", "b ", "c "])
    events = response.events or []
    for event, offset in zip(events, (0.0, 0.0, 0.3, 0.3), strict=True):
        event.offset = offset
    with _serve(tmp_path, [response], speed=1.0) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sent = time.monotonic()
            sock.sendall(_ask(0))
            _, chunks, times = _read_answer(sock, bytearray())
    assert chunks == [e.frame for e in events]
    assert times[1] - sent < 0.2 < times[2] - sent


def test_a_dropped_stream_is_cut_after_its_frames(tmp_path: Path) -> None:
    response = llama_stream(["a ", "b "])
    response.stream_end = "dropped"
    frames = [e.frame for e in response.events or []]
    bodies = []
    with _serve(tmp_path, [response]) as server:
        for _ in range(2):  # the server serves on after cutting one
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
                sock.sendall(_ask(0))
                data = b""
                while chunk := sock.recv(65536):
                    data += chunk
            bodies.append(data.partition(b"\r\n\r\n")[2])
        assert wait_for(lambda: server.connections == 0)
    cut = b"".join(b"%x\r\n%b\r\n" % (len(f), f) for f in frames)  # and no last chunk
    assert bodies == [cut, cut]


def test_a_silent_client_is_dropped_but_a_busy_one_is_not(tmp_path: Path) -> None:
    """idle_timeout 0.4 s: a connection that sends half a head and stops is closed; one that
    asks every 0.1 s for over a second is served throughout (the one timer moves on)."""
    with _serve(tmp_path, [llama_stream(["a "])], idle_timeout=0.4) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as silent:
            silent.sendall(b"POST / HTTP/1.1\r\nHost:")
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as busy:
                buffer = bytearray()
                began = time.monotonic()
                answered = 0
                while time.monotonic() - began < 1.2:
                    busy.sendall(_ask(0))
                    _read_answer(busy, buffer)
                    answered += 1
                    time.sleep(0.1)
                assert silent.recv(100) == b""  # closed by the server long ago
    assert answered >= 8


def test_remembered_checks_still_ask_the_source_and_still_refuse() -> None:
    """The App remembers requests that passed Bedrock's checks, never answers: the source is
    asked every time, with each request's own headers; refused requests are refused again."""
    seen: list[dict[str, str]] = []

    def answer(request: RecordedRequest) -> RecordedResponse:
        seen.append(request.headers)
        return llama_stream([str(len(seen))])

    app = App([ScriptedSource(answer)])
    path = model_path(LLAMA, "InvokeModelWithResponseStream")
    body = b'{"prompt": "same"}'
    first = app.respond("POST", path, {"x-n": "1"}, body)
    second = app.respond("POST", path, {"x-n": "2"}, body)
    assert first is not second
    assert seen == [{"x-n": "1"}, {"x-n": "2"}]
    for _ in range(2):
        assert app.respond("POST", path, {}, b"{not json").status == 400
        bad_model = app.respond("POST", model_path("no-such.model", "InvokeModel"), {}, body)
        assert bad_model.status == 400
    assert len(seen) == 2
