"""The server's resource limits (issue 8.6): HTTP/2 workers, streams, bodies and resets per
connection, connections per server, and an accept loop that backs off at the descriptor limit.

Each test speaks HTTP/2 with the ``h2`` package over a raw socket to a server on 127.0.0.1, with
loops bounded in count and in time, and measures what the server holds: its threads
(``threading.active_count``, the server runs in this process) and whether the connection is still
usable afterwards.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from bedrock_vcr.errors import ConfigError
from bedrock_vcr.server.http1 import BedrockServer
from bedrock_vcr.server.sources import ScriptedSource

from .support import INVOKE, Recorder, assert_still_serving, wait_for

h2_connection = pytest.importorskip("h2.connection")
h2_config = pytest.importorskip("h2.config")
h2_events = pytest.importorskip("h2.events")
h2_errors = pytest.importorskip("h2.errors")

pytestmark = pytest.mark.usefixtures("aws_env")

REFUSED_STREAM = 0x7
CANCEL = 0x8
ENHANCE_YOUR_CALM = 0xB
#: Threads a server may start on top of its workers (accept loop, connection threads, slack).
SLACK = 8


def _headers(path: str = INVOKE) -> list[tuple[str, str]]:
    return [
        (":method", "POST"),
        (":path", path),
        (":scheme", "http"),
        (":authority", "localhost"),
        ("content-type", "application/json"),
    ]


class H2Client:
    """A client connection that sends what it is told and sorts what comes back by stream."""

    def __init__(self, port: int, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.conn = h2_connection.H2Connection(h2_config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        self.status: dict[int, str] = {}
        self.body: dict[int, bytes] = {}
        self.ended: set[int] = set()
        self.reset: dict[int, int] = {}
        self.terminated: Any = None
        self.closed = False

    def request(self, sid: int, body: bytes, *, end: bool = True) -> None:
        self.conn.send_headers(sid, _headers())
        if body or end:
            self.conn.send_data(sid, body, end_stream=end)

    def flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def read(self, until: Any, timeout: float = 10.0) -> None:
        """Read and handle frames until ``until()`` holds, the server hangs up or time is up."""
        deadline = time.monotonic() + timeout
        while not until() and not self.closed and time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.sock.recv(1 << 16)
            except TimeoutError:
                break
            except ConnectionResetError:
                data = b""
            if not data:
                self.closed = True
                break
            for event in self.conn.receive_data(data):
                self._on(event)
            self.flush()

    def _on(self, event: Any) -> None:
        sid = getattr(event, "stream_id", None)
        if isinstance(event, h2_events.ResponseReceived):
            self.status[sid] = dict(event.headers)[b":status"].decode()
        elif isinstance(event, h2_events.DataReceived):
            self.body[sid] = self.body.get(sid, b"") + event.data
            self.conn.acknowledge_received_data(event.flow_controlled_length, sid)
        elif isinstance(event, h2_events.StreamEnded):
            self.ended.add(sid)
        elif isinstance(event, h2_events.StreamReset):
            self.reset[sid] = int(event.error_code)
        elif isinstance(event, h2_events.ConnectionTerminated):
            self.terminated = event

    def done(self, sids: Any) -> bool:
        return all(s in self.ended or s in self.reset for s in sids)

    def call(self, sid: int, text: str) -> str:
        """One whole request on this connection; the answer's text."""
        self.request(sid, json.dumps({"prompt": text}).encode())
        self.flush()
        self.read(lambda: self.done([sid]))
        assert self.status.get(sid) == "200", (self.status.get(sid), self.reset.get(sid))
        return str(json.loads(self.body[sid])["generation"])

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked reading it
        except OSError:
            pass
        self.sock.close()


@contextmanager
def peak_threads() -> Iterator[list[int]]:
    """Sample ``threading.active_count()`` every millisecond; yields ``[baseline, peak]``."""
    result = [threading.active_count(), 0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            result[1] = max(result[1], threading.active_count())
            time.sleep(0.001)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield result
    finally:
        stop.set()
        sampler.join(timeout=2)


def _frames(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(type, stream id, payload) of each whole frame in ``data`` (the server's side)."""
    offset = 0
    while len(data) - offset >= 9:
        length = int.from_bytes(data[offset : offset + 3], "big")
        kind = data[offset + 3]
        sid = int.from_bytes(data[offset + 5 : offset + 9], "big") & 0x7FFFFFFF
        if len(data) - offset < 9 + length:
            return
        yield kind, sid, data[offset + 9 : offset + 9 + length]
        offset += 9 + length


@pytest.fixture
def server(recorder: Recorder) -> Iterator[BedrockServer]:
    with BedrockServer([ScriptedSource(recorder)], grace=1.0) as srv:
        yield srv


# --- rapid reset -----------------------------------------------------------------------------


def test_rapid_reset_gets_goaway_enhance_your_calm_with_bounded_threads(
    server: BedrockServer,
) -> None:
    client = H2Client(server.port)
    received = bytearray()

    def drain() -> None:  # the server's frames, read while we send (so it never blocks)
        try:
            while data := client.sock.recv(1 << 16):
                received.extend(data)
        except OSError:
            pass

    reader = threading.Thread(target=drain, daemon=True)
    body = b""  # (the client never reads the server's WINDOW_UPDATEs)
    sent = 0
    with peak_threads() as threads:
        client.flush()
        reader.start()
        deadline = time.monotonic() + 10
        try:
            for n in range(20_000):
                sid = 2 * n + 1
                client.request(sid, body)
                client.conn.reset_stream(sid, error_code=CANCEL)
                if n % 50 == 49:
                    client.flush()
                    sent = n + 1
                if time.monotonic() > deadline:
                    break
            client.flush()
        except OSError:
            pass  # the server hung up on us, as it should
        reader.join(timeout=5)
    client.close()
    goaways = [p for kind, _, p in _frames(bytes(received)) if kind == 0x7]
    assert goaways, f"no GOAWAY after {sent} resets"
    assert int.from_bytes(goaways[-1][4:8], "big") == ENHANCE_YOUR_CALM
    assert b"reset" in goaways[-1][8:]  # the debug text says why
    assert threads[1] - threads[0] <= 100 + SLACK, threads
    answered = sum(1 for kind, _, _ in _frames(bytes(received)) if kind == 0x1)
    assert answered < 1000, f"{answered} of {sent} reset streams were answered"
    assert_still_serving(server)
    assert wait_for(lambda: threading.active_count() <= threads[0] + 2, timeout=10)


def test_open_and_cancel_without_the_reset_limit_keeps_threads_bounded(recorder: Recorder) -> None:
    with BedrockServer([ScriptedSource(recorder)], max_resets_per_second=10**6) as srv:
        client = H2Client(srv.port)
        received = bytearray()

        def drain() -> None:
            try:
                while data := client.sock.recv(1 << 16):
                    received.extend(data)
            except OSError:
                pass

        reader = threading.Thread(target=drain, daemon=True)
        last = 2 * 2_000 + 1
        with peak_threads() as threads:
            client.flush()
            reader.start()
            for n in range(2_000):
                client.request(2 * n + 1, b"")
                client.conn.reset_stream(2 * n + 1, error_code=CANCEL)
                if n % 50 == 49:
                    client.flush()
            # then a real request, once the server has caught up (a stream it refuses while
            # busy may be retried; the connection is never refused)
            size = -1
            while size != len(received):
                size = len(received)
                time.sleep(0.2)
            answered = False
            for attempt in range(20):
                sid = last + 2 * attempt
                client.conn.send_headers(sid, _headers(), end_stream=True)
                client.flush()

                def settled(sid: int = sid) -> bool:
                    return any(s == sid and k in (0x0, 0x3) for k, s, _ in _frames(bytes(received)))

                assert wait_for(settled, timeout=5)
                if any(s == sid and k == 0x0 for k, s, _ in _frames(bytes(received))):
                    answered = True
                    break
                time.sleep(0.1)
            assert answered
        client.close()
        reader.join(timeout=5)
        assert threads[1] - threads[0] <= 100 + SLACK, threads
        kinds = {kind for kind, _, payload in _frames(bytes(received))}
        assert 0x7 not in kinds  # no GOAWAY: the connection stayed usable


def test_a_few_resets_leave_the_connection_usable(server: BedrockServer) -> None:
    client = H2Client(server.port)
    for n in range(50):
        client.request(2 * n + 1, b'{"prompt": "x"}')
        client.conn.reset_stream(2 * n + 1, error_code=CANCEL)
    client.flush()
    try:
        assert client.call(101, "still here") == "echo still here"
        assert client.terminated is None
    finally:
        client.close()


# --- streams beyond the advertised limit -----------------------------------------------------


def test_streams_beyond_the_limit_are_refused_and_the_first_ones_served(
    server: BedrockServer,
) -> None:
    client = H2Client(server.port)
    sids = [2 * n + 1 for n in range(1000)]
    with peak_threads() as threads:
        for sid in sids:  # all before reading the server's SETTINGS
            client.request(sid, json.dumps({"prompt": f"s{sid}"}).encode())
        client.flush()
        client.read(lambda: client.done(sids), timeout=20)
    try:
        assert client.terminated is None, client.terminated
        assert client.done(sids)
        served = {s for s in sids if client.status.get(s) == "200" and s in client.ended}
        refused = {s for s, code in client.reset.items() if code == REFUSED_STREAM}
        assert served | refused == set(sids)
        assert set(sids[:100]) <= served
        assert refused, "nothing was refused"
        assert all(json.loads(client.body[s])["generation"] == f"echo s{s}" for s in served)
        assert threads[1] - threads[0] <= 100 + SLACK, threads
        assert client.call(2001, "after") == "echo after"
    finally:
        client.close()


def test_the_limit_is_advertised_and_applies(recorder: Recorder) -> None:
    with BedrockServer([ScriptedSource(recorder)], max_streams=7) as srv:
        polite = H2Client(srv.port)
        polite.flush()
        try:
            polite.read(lambda: polite.conn.remote_settings.max_concurrent_streams == 7)
            assert polite.conn.remote_settings.max_concurrent_streams == 7
        finally:
            polite.close()
        eager = H2Client(srv.port)
        try:
            sids = [2 * n + 1 for n in range(30)]
            for sid in sids:  # before the server's SETTINGS arrive
                eager.request(sid, b'{"prompt": "x"}')
            eager.flush()
            eager.read(lambda: eager.done(sids))
            assert eager.terminated is None
            assert set(sids[:7]) <= eager.ended
            assert eager.reset and set(eager.reset.values()) == {REFUSED_STREAM}
        finally:
            eager.close()


class Blocking:
    """A source whose answers wait until :meth:`release`; counts the calls in progress."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0

    def __call__(self, request: Any) -> Any:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            self.gate.wait(timeout=10)
            return Recorder()(request)
        finally:
            with self.lock:
                self.running -= 1

    def release(self) -> None:
        self.gate.set()


def test_slow_answers_hold_at_most_max_streams_workers_per_connection() -> None:
    source = Blocking()
    with BedrockServer([ScriptedSource(source)], max_streams=20) as srv:
        client = H2Client(srv.port)
        sids = [2 * n + 1 for n in range(60)]
        try:
            with peak_threads() as threads:
                for sid in sids:
                    client.request(sid, json.dumps({"prompt": f"s{sid}"}).encode())
                client.flush()
                client.read(lambda: len(client.reset) == 40, timeout=5)
                assert wait_for(lambda: source.running == 20)
                time.sleep(0.1)
                assert source.running == 20  # the 40 others were refused, not queued
            source.release()
            client.read(lambda: client.done(sids))
            assert set(client.reset) == set(sids[20:])
            assert {s for s in sids if client.status.get(s) == "200"} == set(sids[:20])
            assert source.peak == 20
            assert threads[1] - threads[0] <= 20 + SLACK, threads
        finally:
            source.release()
            client.close()


def test_workers_are_bounded_for_the_whole_server() -> None:
    source = Blocking()
    with BedrockServer([ScriptedSource(source)], max_workers=5, max_streams=20) as srv:
        clients = [H2Client(srv.port) for _ in range(3)]
        sids = [2 * n + 1 for n in range(10)]
        try:
            with peak_threads() as threads:
                for client in clients:
                    for sid in sids:
                        client.request(sid, json.dumps({"prompt": f"s{sid}"}).encode())
                    client.flush()
                assert wait_for(lambda: source.running == 5)
                time.sleep(0.2)
                assert source.running == 5  # 25 more wait for a worker
            source.release()
            for client in clients:
                client.read(lambda c=client: c.done(sids))
                assert all(client.status.get(s) == "200" for s in sids), client.reset
            assert source.peak == 5
            assert threads[1] - threads[0] <= 5 + 3 + SLACK, threads
        finally:
            source.release()
            for client in clients:
                client.close()


# --- request bodies ----------------------------------------------------------------------------


def _window_or_reset(client: H2Client, sid: int) -> bool:
    return client.conn.local_flow_control_window(sid) > 0 or sid in client.reset


def _send_body(client: H2Client, sid: int, data: bytes, *, first: bool = True) -> None:
    """Send ``data`` on ``sid`` as flow control allows: the first part opens the stream, the
    next (``first=False``) ends it."""
    if first:
        client.conn.send_headers(sid, _headers())
    view = memoryview(data)
    deadline = time.monotonic() + 10
    while view and sid not in client.reset and time.monotonic() < deadline:
        window = client.conn.local_flow_control_window(sid)
        size = min(len(view), window, client.conn.max_outbound_frame_size)
        if size:
            last = size == len(view) and not first
            client.conn.send_data(sid, view[:size].tobytes(), end_stream=last)
            view = view[size:]
            client.flush()
        else:
            client.read(
                lambda: client.conn.local_flow_control_window(sid) > 0 or sid in client.reset
            )
    assert not view or sid in client.reset, f"stream {sid} stalled"


def test_a_connection_holds_a_bounded_total_of_request_bodies(recorder: Recorder) -> None:
    budget = 1_000_000
    with BedrockServer([ScriptedSource(recorder)], max_connection_body=budget) as srv:
        client = H2Client(srv.port)
        client.flush()
        try:
            pieces = {sid: b'{"prompt": "' + b"a" * 400_000 for sid in (1, 3, 5, 7)}
            for sid, data in pieces.items():
                _send_body(client, sid, data)
            client.read(lambda: bool(client.reset), timeout=5)
            assert set(client.reset) == {5, 7}  # 3 x 400 kB would go over 1 MB
            assert set(client.reset.values()) == {REFUSED_STREAM}
            for sid in (1, 3):
                _send_body(client, sid, b'"}', first=False)
            client.read(lambda: client.done([1, 3]))
            assert client.status[1] == client.status[3] == "200"
            assert client.call(9, "small") == "echo small"  # the budget was given back
            assert client.terminated is None
        finally:
            client.close()


def test_the_body_budget_defaults_to_the_body_limit(recorder: Recorder) -> None:
    with BedrockServer([ScriptedSource(recorder)], max_body=300_000) as srv:
        assert srv.limits.max_connection_body == 300_000
        client = H2Client(srv.port)
        client.flush()
        try:
            _send_body(client, 1, b'{"prompt": "' + b"a" * 200_000)
            _send_body(client, 3, b'{"prompt": "' + b"b" * 200_000)
            client.read(lambda: 3 in client.reset, timeout=5)
            assert client.reset == {3: REFUSED_STREAM}
        finally:
            client.close()


# --- connections -----------------------------------------------------------------------------


def _closed_promptly(sock: socket.socket, timeout: float = 2.0) -> bool:
    sock.settimeout(timeout)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


@pytest.mark.parametrize("protocol", ["http/1.1", "h2"])
def test_connections_beyond_the_cap_are_closed_promptly(recorder: Recorder, protocol: str) -> None:
    with BedrockServer([ScriptedSource(recorder)], max_connections=4) as srv:
        held = [socket.create_connection(("127.0.0.1", srv.port), timeout=5) for _ in range(4)]
        try:
            assert wait_for(lambda: srv.connections == 4)
            extra = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            with extra:
                if protocol == "h2":
                    conn = h2_connection.H2Connection(h2_config.H2Configuration(client_side=True))
                    conn.initiate_connection()
                    extra.sendall(conn.data_to_send())
                started = time.monotonic()
                assert _closed_promptly(extra)
                assert time.monotonic() - started < 1.0
            assert srv.connections == 4
        finally:
            for sock in held:
                sock.close()
        assert wait_for(lambda: srv.connections == 0)
        assert_still_serving(srv)


EMFILE_CHILD = textwrap.dedent(
    """
    import os, resource, sys, time
    from bedrock_vcr.server.http1 import BedrockServer
    from bedrock_vcr.server.sources import ScriptedSource

    server = BedrockServer([ScriptedSource(lambda r: None)], max_connections=1000).start()
    print(server.port, flush=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    sys.stdin.readline()  # the parent has connected
    resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + 1, hard))
    sys.stdin.readline()  # the parent has connected more than fit
    time.sleep(0.2)
    start = time.process_time()
    time.sleep(1.0)
    print(f"{time.process_time() - start:.3f}", flush=True)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    sys.stdin.readline()
    server.stop(grace=0.5)
    """
)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc (Linux)")
def test_the_accept_loop_backs_off_at_the_descriptor_limit() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", EMFILE_CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        socks: list[socket.socket] = []
        try:
            port = int(proc.stdout.readline())
            proc.stdin.write("limit\n")
            proc.stdin.flush()
            time.sleep(0.2)
            socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(5)]
            proc.stdin.write("connected\n")
            proc.stdin.flush()
            cpu = float(proc.stdout.readline())
            assert cpu < 0.3, f"the server used {cpu:.2f} s of CPU in 1 s at the descriptor limit"
            # once descriptors are free again, the waiting connections are served
            last = socks[-1]
            last.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
            last.settimeout(5)
            assert last.recv(1024).startswith(b"HTTP/1.1 200")
            proc.stdin.write("stop\n")
            proc.stdin.flush()
            assert proc.wait(timeout=10) == 0
            assert proc.stderr is not None
            assert "cannot accept connections (Too many open files)" in proc.stderr.read()
        finally:
            for sock in socks:
                sock.close()
            if proc.poll() is None:
                proc.kill()


# --- configuration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "option", ["max_connections", "max_streams", "max_workers", "max_connection_body"]
)
def test_limits_must_be_positive(option: str) -> None:
    with pytest.raises(ConfigError, match=option):
        BedrockServer([], **{option: 0})
