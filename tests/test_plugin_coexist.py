"""pytest-recording's ``@pytest.mark.vcr`` and ``@pytest.mark.bedrock_cassette`` on one test
(a real inner pytest run with both plugins): two files, each recorded by its own plugin, each
replayed offline, and vcrpy's never holding the Bedrock request."""

from __future__ import annotations

import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bedrock_vcr.server.http1 import BedrockServer
from bedrock_vcr.server.sources import ScriptedSource

from . import scripted

pytest_plugins = ["pytester"]


class _Pong(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = b"pong"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def _other_service() -> Iterator[str]:
    """Some other HTTP service the test calls with requests (what vcrpy records)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Pong)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/ping"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


BOTH = textwrap.dedent(
    """
    import json
    import os
    import boto3
    import pytest
    import requests

    @pytest.mark.vcr
    @pytest.mark.bedrock_cassette
    def test_both(vcr, bedrock_cassette):
        with requests.get(os.environ["PING_URL"], timeout=5) as response:
            status = response.status_code
        client = boto3.client("bedrock-runtime", region_name="us-east-1")
        answer = client.invoke_model(
            modelId="meta.llama3-8b-instruct-v1:0",
            body=json.dumps({"prompt": "hi", "max_gen_len": 16}),
        )
        text = json.loads(answer["body"].read())["generation"]
        with open(os.environ["SEEN"], "a") as seen:
            seen.write(f"{status} {text!r} {vcr.play_count} {bedrock_cassette.play_count}\\n")
    """
)


def test_both_markers_write_two_files_and_each_replays(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("pytest_recording")
    # In subprocesses: an in-process run forgets the modules it imported, and the second run's
    # fresh imports of PyYAML and requests meet the first run's C extension and patched
    # classes ("could not determine a constructor for the tag None", "You can only merge into
    # CookieJar"), which no real suite ever sees.
    seen = tmp_path / "seen.txt"
    monkeypatch.setenv("SEEN", str(seen))
    pytester.makepyfile(test_both=BOTH)
    with BedrockServer([ScriptedSource(scripted.answer)]) as server, _other_service() as ping:
        monkeypatch.setenv("PING_URL", ping)
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", server.url)
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            monkeypatch.setenv(name, "testing")
        result = pytester.runpytest_subprocess(
            "-p", "recording", "--record-mode=once", "--bedrock-record-mode=once"
        )
        result.assert_outcomes(passed=1)

    folder = pytester.path / "cassettes" / "test_both"
    files = sorted(p.name for p in folder.glob("*.yaml"))
    assert files == ["test_both.bedrock.yaml", "test_both.yaml"]
    vcrpy_text = (folder / "test_both.yaml").read_text()
    assert vcrpy_text.count("uri:") == 1 and "/ping" in vcrpy_text
    assert "invoke" not in vcrpy_text and "Authorization" not in vcrpy_text
    assert "word0" in (folder / "test_both.bedrock.yaml").read_text()

    # offline: no server, no credentials, pytest-recording's and bedrock-vcr's default modes
    monkeypatch.delenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    result = pytester.runpytest_subprocess("-p", "recording")
    result.assert_outcomes(passed=1)
    recorded, replayed = seen.read_text().splitlines()
    assert recorded.rsplit(" ", 2)[0] == replayed.rsplit(" ", 2)[0]
    assert replayed.endswith(" 1 1")  # each cassette played its one interaction


MOTO = textwrap.dedent(
    """
    import boto3
    import pytest
    from moto import mock_aws
    from bedrock_vcr import Answer

    MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]

    @pytest.fixture
    def aws():
        with mock_aws():
            yield

    @mock_aws
    @pytest.mark.bedrock_answer(Answer("simulated"), model_id="us.amazon.nova-lite-v1:0")
    def test_decorated(bedrock_mock):
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="moto-still-here")
        client = boto3.client("bedrock-runtime", region_name="us-east-1")
        events = client.converse_stream(modelId="us.amazon.nova-lite-v1:0", messages=MESSAGES)
        text = "".join(e["contentBlockDelta"]["delta"]["text"]
                       for e in events["stream"] if "contentBlockDelta" in e)
        assert text == "simulated"
        bedrock_mock.calls.assert_called_once_with(operation="converse_stream")

    @pytest.mark.bedrock_answer(Answer("from a fixture"))
    def test_fixture(aws, bedrock_mock):
        client = boto3.client("bedrock-runtime", region_name="us-east-1")
        reply = client.converse(modelId="us.amazon.nova-lite-v1:0", messages=MESSAGES)
        assert reply["output"]["message"]["content"] == [{"text": "from a fixture"}]
    """
)


def test_moto_mock_aws_as_decorator_and_fixture_beside_bedrock_mock(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_moto=MOTO)
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)
