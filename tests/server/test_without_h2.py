"""The server works without the optional ``h2`` package (``bedrock-vcr[server]`` brings it).

A fresh interpreter in which ``import h2`` fails starts the server and answers a boto3 call
over HTTP/1.1, which is what every SDK but the JavaScript one speaks.
"""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
sys.modules["h2"] = None  # import h2 now raises ImportError
import boto3
from bedrock_vcr import RecordedResponse
from bedrock_vcr.server.http1 import BedrockServer
from bedrock_vcr.server.sources import ScriptedSource

ANSWER = RecordedResponse(
    200,
    {"content-type": "application/json"},
    body=b'{"output": {"message": {"role": "assistant", "content": [{"text": "hello"}]}}, '
    b'"stopReason": "end_turn", "usage": {"inputTokens": 1, "outputTokens": 1, '
    b'"totalTokens": 2}, "metrics": {"latencyMs": 1}}',
)

with BedrockServer([ScriptedSource(lambda request: ANSWER)]) as server:
    client = boto3.client(
        "bedrock-runtime", endpoint_url=server.url, region_name="us-east-1",
        aws_access_key_id="x", aws_secret_access_key="x",
    )
    reply = client.converse(
        modelId="meta.llama3-8b-instruct-v1:0",
        messages=[{"role": "user", "content": [{"text": "hi"}]}],
    )
    client.close()
print(reply["output"]["message"]["content"][0]["text"], "h2" in sys.modules and sys.modules["h2"])
"""


def test_the_server_answers_http11_without_h2() -> None:
    done = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["hello", "None"], done.stdout
