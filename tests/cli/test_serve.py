"""``bedrock-vcr serve`` (``cli.serve``): the command in a subprocess, its options and signals."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bedrock_vcr.cassettes import storage
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cassettes.records import (
    Interaction,
    RecordedRequest,
)

from ..server.support import (
    LLAMA,
    NOVA,
    call,
    client,
    plain,
)

pytestmark = pytest.mark.usefixtures("aws_env")


def start_serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bedrock_vcr.cli.main", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    found = re.search(r"serving on (http://\S+)", line)
    if found is None:
        proc.kill()
        raise AssertionError(
            f"serve did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}"
        )
    return proc, found.group(1)


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serve_stops_cleanly_on_signals_and_finishes_a_stream_in_flight(sig: int) -> None:
    proc, url = start_serve("--answer", "one two three four five six", "--chunk-delay", "0.1")
    port = int(url.rsplit(":", 1)[1])
    try:
        stream = client(url).invoke_model_with_response_stream(
            modelId=LLAMA, body=json.dumps({"prompt": "hi"})
        )["body"]
        pieces = iter(stream)
        first = json.loads(next(pieces)["chunk"]["bytes"])["generation"]
        proc.send_signal(sig)  # mid-stream: the rest must still arrive
        rest = [json.loads(e["chunk"]["bytes"])["generation"] for e in pieces]
        code = proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    _, err = proc.communicate()
    assert first + "".join(rest) == "one two three four five six"
    assert code == 0, err
    assert f"stopping on {signal.Signals(sig).name}" in err
    assert f"stopped; port {port} released" in err
    assert port_is_free(port)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_serve_command_options_and_cassettes(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    request = RecordedRequest(
        "InvokeModel",
        LLAMA,
        json.dumps({"prompt": "recorded"}).encode(),
        {"content-type": "application/json", "accept": "application/json"},
    )
    storage.write_atomic(
        path,
        serialize.dumps(
            [
                Interaction(
                    request, plain({"generation": "from the cassette", "stop_reason": "stop"})
                )
            ]
        ),
    )
    proc, url = start_serve(
        str(path), "--fault", "ThrottlingException", "--times", "1", "--answer", "simulated"
    )
    try:
        c = client(url)
        assert call(c, "invoke_model", LLAMA, "recorded") == "from the cassette"
        with pytest.raises(c.exceptions.ThrottlingException):
            call(c, "converse", NOVA, "new")
        assert call(c, "converse", NOVA, "new") == "simulated"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        proc.communicate()


def test_serve_refuses_a_bad_config(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("routes: [{anser: hi}]\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bedrock_vcr.cli.main",
            "serve",
            "--port",
            "0",
            "--config",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "did you mean 'answer'" in result.stderr
