"""The httpx and requests adapters themselves: a recorded stream stays a stream, replay serves
the same frames offline, other requests pass untouched, and the adapters come and go with the
handlers (and load nothing a program did not import)."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests

from bedrock_vcr import Answer, Cassette, RecordedRequest, use_cassette
from bedrock_vcr.intercept import transports
from bedrock_vcr.simulation import build_response

MODEL = "meta.llama3-8b-instruct-v1:0"
PATH = "/model/meta.llama3-8b-instruct-v1%3A0/converse-stream"
BODY = json.dumps({"messages": [{"role": "user", "content": [{"text": "Count"}]}]})
BEARER = {
    "Authorization": "Bearer ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl",
    "content-type": "application/json",
}


def _frames() -> list[bytes]:
    request = RecordedRequest("ConverseStream", MODEL, BODY.encode(), path=PATH)
    response = build_response(Answer("one two three four", chunk_size=4), request)
    assert response.events is not None
    return [event.frame for event in response.events]


class GatedServer:
    """Sends the first frame of a stream, then waits until the test says its caller has it
    (or 5 s) before sending the rest: a recorder that buffered the body would make it wait."""

    def __init__(self) -> None:
        self.frames = _frames()
        self.gate = threading.Event()
        self.waited: list[bool] = []  # per stream: whether the caller had the first frame
        self.sock = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
        while len(body) < length:
            body += conn.recv(65536)
        if b"/health" in head.split(b"\r\n")[0]:
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
            return
        conn.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/vnd.amazon.eventstream\r\n"
            b"transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        )
        first, *rest = self.frames
        conn.sendall(b"%x\r\n%s\r\n" % (len(first), first))
        self.waited.append(self.gate.wait(5))
        self.gate.clear()
        for frame in rest:
            conn.sendall(b"%x\r\n%s\r\n" % (len(frame), frame))
        conn.sendall(b"0\r\n\r\n")

    def close(self) -> None:
        self.sock.close()
        self._thread.join(timeout=2)


@pytest.fixture
def gated() -> Iterator[GatedServer]:
    server = GatedServer()
    yield server
    server.close()


def _httpx(url: str, gate: threading.Event) -> bytes:
    with httpx.Client(timeout=10) as client:
        with client.stream("POST", url + PATH, content=BODY, headers=BEARER) as response:
            chunks = response.iter_raw()
            first = next(chunks)
            gate.set()
            return first + b"".join(chunks)


def _httpx_async(url: str, gate: threading.Event) -> bytes:
    async def post() -> bytes:
        received = []
        async with httpx.AsyncClient(timeout=10) as client:
            async with client.stream("POST", url + PATH, content=BODY, headers=BEARER) as r:
                async for chunk in r.aiter_raw():
                    received.append(chunk)
                    gate.set()
        return b"".join(received)

    return asyncio.run(post())


def _requests(url: str, gate: threading.Event) -> bytes:
    with requests.post(url + PATH, data=BODY, headers=BEARER, stream=True, timeout=10) as r:
        chunks = r.iter_content(chunk_size=None)
        first = next(chunks)
        gate.set()
        return first + b"".join(chunks)


CALLERS: dict[str, Callable[[str, threading.Event], bytes]] = {
    "httpx": _httpx,
    "httpx-async": _httpx_async,
    "requests": _requests,
}


@pytest.mark.parametrize("name", sorted(CALLERS))
def test_a_recorded_stream_reaches_the_caller_frame_by_frame_then_replays_offline(
    gated: GatedServer, tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the configured endpoint, as AWS's host would be: the guard must know the recorder's send
    # (for an async caller it runs on the caller's loop, with no bedrock-vcr frame on the stack)
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", gated.url)
    path = tmp_path / "stream.yaml"
    with use_cassette(path, record_mode="once"):
        recorded = CALLERS[name](gated.url, gated.gate)
    assert gated.waited == [True]  # the first frame was in the caller's hands mid-stream
    assert recorded == b"".join(gated.frames)
    (interaction,) = Cassette(path).interactions
    assert interaction.response is not None and interaction.response.events is not None
    assert [e.frame for e in interaction.response.events] == gated.frames
    assert "ABSK" not in path.read_text()

    gated.close()  # offline: the replay must not need the server
    monkeypatch.delenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME")
    with use_cassette(path) as cassette:
        assert CALLERS[name]("https://bedrock-runtime.us-east-1.amazonaws.com", gated.gate) == (
            recorded
        )
    assert len(cassette.played) == 1


def test_other_requests_pass_untouched_and_the_adapters_leave_with_the_cassette(
    gated: GatedServer, tmp_path: Path
) -> None:
    assert transports.covered() == []
    with use_cassette(tmp_path / "none.yaml"):
        assert set(transports.covered()) >= {"httpx", "requests"}
        assert requests.post(gated.url + "/health", data=b"x", timeout=5).text == "ok"
        assert httpx.post(gated.url + "/health", content=b"x", timeout=5).text == "ok"
    assert transports.covered() == []
    from bedrock_vcr.intercept.transports import httpx_adapter

    assert not httpx_adapter._wrapped  # the transports are httpx's (and the guard's) again


def test_nothing_is_imported_for_a_program_without_httpx_or_requests(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from bedrock_vcr import BedrockMock, use_cassette\n"
        f"with use_cassette({str(tmp_path / 'c.yaml')!r}), BedrockMock():\n"
        "    pass\n"
        "print(sorted(m for m in ('httpx', 'httpx2', 'requests', 'responses') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_the_async_answer_keeps_the_callers_cassette(tmp_path: Path) -> None:
    """The async path answers in a worker thread: it must still see the task's own handler."""
    from bedrock_vcr import BedrockMock

    async def call(text: str) -> Any:
        with BedrockMock() as mock:
            mock.on().return_value = Answer(text)
            async with httpx.AsyncClient() as client:
                response = await client.post(
                    "https://bedrock-runtime.us-east-1.amazonaws.com/model/" + MODEL + "/converse",
                    content=BODY,
                    headers=BEARER,
                )
            return response.json()["output"]["message"]["content"][0]["text"]

    async def both() -> list[Any]:
        return list(await asyncio.gather(call("first"), call("second")))

    assert asyncio.run(both()) == ["first", "second"]


def test_block_network_refuses_adapted_callers_and_lets_allowed_hosts_through(
    gated: GatedServer,
) -> None:
    from bedrock_vcr import NetworkBlockedError
    from bedrock_vcr.intercept.blocker import NetworkBlocker

    real = "https://bedrock-runtime.us-east-1.amazonaws.com"
    with NetworkBlocker(["127.0.0.1"]):
        with pytest.raises(NetworkBlockedError, match=r"sent by requests \(ConverseStream\)"):
            requests.post(real + PATH, data=BODY, headers=BEARER, timeout=5)
        gated.gate.set()  # the allowed host is reached: every handler passed, the guard allows
        with httpx.Client(timeout=10) as client:
            response = client.post(gated.url + PATH, content=BODY, headers=BEARER)
    assert response.content == b"".join(gated.frames)


INVOKE = "https://bedrock-runtime.us-east-1.amazonaws.com/model/" + MODEL + "/invoke"


@pytest.mark.parametrize("library", ["httpx", "requests"])
def test_a_body_that_breaks_the_schema_gets_bedrocks_400_as_for_boto3(library: str) -> None:
    from bedrock_vcr import BedrockMock

    bogus = b'{"bogus": 1}'
    with BedrockMock() as mock:
        route = mock.on(model_id=MODEL, optional=True)
        if library == "httpx":
            response: Any = httpx.post(INVOKE, content=bogus, headers=BEARER)
        else:
            response = requests.post(INVOKE, data=bogus, headers=BEARER)
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"].startswith("ValidationException")
    assert "prompt" in response.json()["message"]
    assert route.call_count == 0


def test_a_simulated_disconnect_is_each_librarys_own_error() -> None:
    from bedrock_vcr import BedrockMock

    stream = INVOKE + "-with-response-stream"
    body = json.dumps({"prompt": "hi"})
    with BedrockMock() as mock:
        mock.on(model_id=MODEL).side_effect = [mock.disconnect(after=1)] * 3
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.post(stream, content=body, headers=BEARER)
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.post(stream, data=body, headers=BEARER)

        async def post() -> None:
            async with httpx.AsyncClient() as client:
                await client.post(stream, content=body, headers=BEARER)

        with pytest.raises(httpx.RemoteProtocolError):
            asyncio.run(post())


def test_requests_without_responses_installed_is_guarded_and_told_the_extra(
    tmp_path: Path,
) -> None:
    code = (
        "import sys\n"
        "sys.modules['responses'] = None  # as if it were not installed\n"
        "import requests\n"
        "from bedrock_vcr import NetworkBlockedError, use_cassette\n"
        f"with use_cassette({str(tmp_path / 'c.yaml')!r}):\n"
        "    try:\n"
        "        requests.post('https://bedrock-runtime.us-east-1.amazonaws.com/model/m/invoke',\n"
        "                      data=b'{}', headers={'Authorization': 'Bearer k'}, timeout=5)\n"
        "    except NetworkBlockedError as error:\n"
        "        print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "sent by requests (through urllib3)" in done.stdout, done.stdout + done.stderr
    assert "pip install 'bedrock-vcr[requests]'" in done.stdout
