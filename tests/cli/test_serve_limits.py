"""``bedrock-vcr serve`` flags for the server's resource limits (issue 8.6)."""

from __future__ import annotations

import signal
import socket
import time

import pytest

from bedrock_vcr.cli.main import build_parser, main

from ..server.support import LLAMA, call, client
from .test_serve import start_serve

pytestmark = pytest.mark.usefixtures("aws_env")


def test_serve_takes_the_limits_and_the_server_keeps_them() -> None:
    proc, url = start_serve("--answer", "hi", "--max-connections", "2")
    port = int(url.rsplit(":", 1)[1])
    held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(2)]
    try:
        time.sleep(0.2)  # both accepted
        with socket.create_connection(("127.0.0.1", port), timeout=5) as extra:
            extra.settimeout(2)
            try:
                assert extra.recv(1024) == b""  # closed at once
            except ConnectionResetError:
                pass
    finally:
        for sock in held:
            sock.close()
    try:
        time.sleep(0.2)
        assert call(client(url), "invoke_model", LLAMA, "x") == "hi"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        _, err = proc.communicate()
    assert "2 connections are open (max_connections)" in err


def test_limit_flags_have_the_server_defaults() -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.max_connections, args.max_streams, args.max_workers) == (256, 100, 256)
    assert args.max_connection_body is None and args.max_resets_per_second == 200


def test_a_limit_flag_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["serve", "--max-streams", "0"])
    assert info.value.code == 2
    assert "expected a positive integer, got '0'" in capsys.readouterr().err
