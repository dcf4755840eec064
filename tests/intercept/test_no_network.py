"""Replay-only mode reaches no network, whenever and wherever the client was created.

A real TCP listener on 127.0.0.1 stands in for the Bedrock endpoint
(``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` points at it) and counts every connection; real-looking
credentials are in the environment, so a leaked request would be signed and sent. Each case
creates its client at a different moment: before bedrock-vcr is imported, in another plugin, at
conftest import, at module import of the code under test, inside and outside the block.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
CALL = (
    'client.invoke_model(modelId="meta.llama3-8b-instruct-v1:0", body=json.dumps({"prompt": "hi"}))'
)


class Listener:
    """Accepts and counts connections, answering nothing."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Listener]:
    server = Listener()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", server.url)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    yield server
    server.close()


# --- inside pytest ------------------------------------------------------------------------------

MAKE = 'boto3.client("bedrock-runtime", region_name="us-east-1")'
UNDER_TEST = {
    # where the client is created -> files of the inner project
    "conftest-import": {
        "conftest.py": f"import boto3\nEARLY = {MAKE}\n",
        "test_x.py": "import json, pytest, bedrock_vcr, conftest\nclient = conftest.EARLY\n",
    },
    "other-plugin": {
        "early_plugin.py": f"import boto3\nEARLY = {MAKE}\n",
        "conftest.py": 'pytest_plugins = ["early_plugin"]\n',
        "test_x.py": "import json, pytest, bedrock_vcr, early_plugin\n"
        "client = early_plugin.EARLY\n",
    },
    "module-import-of-code-under-test": {
        "app.py": f"import boto3\nCLIENT = {MAKE}\n",
        "test_x.py": "import json, pytest, bedrock_vcr, app\nclient = app.CLIENT\n",
    },
    "inside-the-test": {
        "test_x.py": "import json, pytest, bedrock_vcr, boto3\nclient = None\n",
    },
}
MARKS = {
    "cassette": "@pytest.mark.bedrock_cassette",
    "mock": "@pytest.mark.bedrock_mock(assert_all_called=True)",
    "answer": '@pytest.mark.bedrock_answer(bedrock_vcr.Answer("hello"))',
}


def _inner_test(where: str, mark: str) -> str:
    make_inside = f"    global client\n    client = {MAKE}\n" if where == "inside-the-test" else ""
    args = "bedrock_mock" if mark == "mock" else ""
    if mark == "mock":
        make_inside += '    bedrock_mock.on().return_value = bedrock_vcr.Answer("hello")\n'
    if mark in ("answer", "mock"):
        check = f"    out = {CALL}\n    assert json.loads(out['body'].read())['generation']\n"
    else:
        check = f"    with pytest.raises(AssertionError):\n        {CALL}\n"
    return f"\n{MARKS[mark]}\ndef test_call({args}):\n{make_inside}{check}"


@pytest.mark.parametrize("mark", sorted(MARKS))
@pytest.mark.parametrize("where", sorted(UNDER_TEST))
def test_none_mode_makes_no_connection(
    pytester: pytest.Pytester, listener: Listener, where: str, mark: str
) -> None:
    files = dict(UNDER_TEST[where])
    files["test_x.py"] += _inner_test(where, mark)
    for name, text in files.items():
        pytester.path.joinpath(name).write_text(textwrap.dedent(text))
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert listener.connections == 0


# --- outside pytest -----------------------------------------------------------------------------

SCRIPT = """
import json, sys
import boto3
BEFORE_IMPORT = {make}
import bedrock_vcr
AFTER_IMPORT = {make}
for client in (BEFORE_IMPORT, AFTER_IMPORT):
    with bedrock_vcr.use_cassette(sys.argv[1]):
        try:
            {call}
        except AssertionError as exc:
            print("refused:", type(exc).__name__)
        else:
            raise SystemExit("the call was answered without a cassette")
with bedrock_vcr.use_cassette(sys.argv[1]):
    INSIDE = {make}
for client in (INSIDE,):
    with bedrock_vcr.use_cassette(sys.argv[1]):
        try:
            {call}
        except AssertionError as exc:
            print("refused:", type(exc).__name__)
"""


def test_script_clients_made_before_import_and_block_make_no_connection(
    listener: Listener, tmp_path: Path
) -> None:
    script = tmp_path / "script.py"
    script.write_text(SCRIPT.format(make=MAKE, call=CALL))
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "missing.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("refused: CassetteNotFoundError") == 3, done.stdout
    assert listener.connections == 0
