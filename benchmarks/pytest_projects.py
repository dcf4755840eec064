"""Shared by ``bench_suite.py`` and ``bench_startup.py``: generated pytest projects.

The calls every generated test makes (``CALLS``, the same source text in every test module and in
the recording driver, so recorded and replayed request bodies are byte-identical), the local
server's scripted answers, recording cassettes with bedrock-vcr and with vcrpy against
``bedrock_vcr.BedrockServer``, and timed ``python -m pytest`` runs in a clean environment.
Only the public ``bedrock_vcr.<name>`` API is used.
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.client import BaseClient

import bedrock_vcr

AWS_HOST = "https://bedrock-runtime.us-east-1.amazonaws.com"
DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
VCRPY_MATCH_ON = ["method", "scheme", "host", "port", "path", "query", "body"]

#: What every generated test calls; exec'd here to record, written into every test module.
CALLS = """
MODEL = "meta.llama3-8b-instruct-v1:0"
EVENTS = 50


def question(k):
    return f"Question {k}: summarise what a cassette recorder does for a test suite."


def llama_body(k):
    prompt = (
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\\n\\n"
        + question(k)
        + "<|eot_id|>\\n<|start_header_id|>assistant<|end_header_id|>\\n"
    )
    return json.dumps({"prompt": prompt, "max_gen_len": 256, "temperature": 0.5, "top_p": 0.9})


def invoke(client, k):
    out = client.invoke_model(modelId=MODEL, body=llama_body(k))
    assert json.loads(out["body"].read())["stop_reason"] == "stop"


def invoke_stream(client, k):
    body = client.invoke_model_with_response_stream(modelId=MODEL, body=llama_body(k))["body"]
    assert sum(1 for event in body if "chunk" in event) == EVENTS


def converse_stream(client, k):
    stream = client.converse_stream(
        modelId=MODEL,
        messages=[{"role": "user", "content": [{"text": question(k)}]}],
        inferenceConfig={"maxTokens": 256},
    )["stream"]
    assert sum(1 for _ in stream) == EVENTS
"""
_CALLS: dict[str, Any] = {"json": json}
exec(CALLS, _CALLS)  # noqa: S102 - our own source text, shared with the generated tests


def stream_call(k: int) -> str:
    """The second call of test ``k``: Llama streaming for even ``k``, ConverseStream for odd."""
    return "invoke_stream" if k % 2 == 0 else "converse_stream"


def drive(client: BaseClient, ks: Iterable[int]) -> None:
    """Make the calls of tests ``ks`` (an invoke and a 50-event stream each), in order."""
    for k in ks:
        _CALLS["invoke"](client, k)
        _CALLS[stream_call(k)](client, k)


def drive_invoke(client: BaseClient, ks: Iterable[int]) -> None:
    for k in ks:
        _CALLS["invoke"](client, k)


# --- the local server's answers ------------------------------------------------------------------

_INDEX = re.compile(r"Question (\d+):")
_WORDS = (
    "The replay path hands botocore the recorded bytes so its parsers run unchanged and the "
    "caller cannot tell a cassette from the service itself while the test runs offline"
).split()


def _word(k: int, j: int) -> str:
    return _WORDS[(k + j) % len(_WORDS)]


def _invoke_answer(k: int, request_id: str) -> bedrock_vcr.RecordedResponse:
    words = [_word(k, j) for j in range(60)]
    body = {
        "generation": " ".join(words),
        "prompt_token_count": 28,
        "generation_token_count": len(words),
        "stop_reason": "stop",
    }
    headers = {
        "content-type": "application/json",
        "x-amzn-requestid": request_id,
        "x-amzn-bedrock-invocation-latency": "412",
        "x-amzn-bedrock-input-token-count": "28",
        "x-amzn-bedrock-output-token-count": str(len(words)),
    }
    return bedrock_vcr.RecordedResponse(200, headers, body=json.dumps(body).encode())


def _llama_events(k: int, n: int) -> list[bedrock_vcr.StreamEvent]:
    events = []
    for j in range(n):
        chunk: dict[str, Any] = {
            "generation": " " + _word(k, j),
            "prompt_token_count": 28 if j == 0 else None,
            "generation_token_count": j + 1,
            "stop_reason": "stop" if j == n - 1 else None,
        }
        if j == n - 1:
            chunk["amazon-bedrock-invocationMetrics"] = {
                "inputTokenCount": 28,
                "outputTokenCount": n,
                "invocationLatency": 1210,
                "firstByteLatency": 190,
            }
        events.append(bedrock_vcr.StreamEvent.chunk(chunk, offset=0.19 + 0.02 * j))
    return events


def _converse_events(k: int, n: int) -> list[bedrock_vcr.StreamEvent]:
    event = bedrock_vcr.StreamEvent.event
    usage = {"inputTokens": 20, "outputTokens": n - 4, "totalTokens": 16 + n}
    deltas = [
        event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": " " + _word(k, j)}})
        for j in range(n - 4)
    ]
    return [
        event("messageStart", {"role": "assistant"}),
        *deltas,
        event("contentBlockStop", {"contentBlockIndex": 0}),
        event("messageStop", {"stopReason": "end_turn"}),
        event("metadata", {"usage": usage, "metrics": {"latencyMs": 1210}}),
    ]


def answer(request: bedrock_vcr.RecordedRequest) -> bedrock_vcr.RecordedResponse | None:
    """Scripted answer for test ``k`` (found in the prompt) and the request's operation."""
    found = _INDEX.search(request.body.decode("utf-8", "replace"))
    if found is None:
        return None
    k = int(found.group(1))
    request_id = str(uuid.UUID(int=2 * k + 1 + (request.operation != "InvokeModel")))
    if request.operation == "InvokeModel":
        return _invoke_answer(k, request_id)
    headers = {"content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": request_id}
    if request.operation == "InvokeModelWithResponseStream":
        headers["x-amzn-bedrock-content-type"] = "application/json"
        return bedrock_vcr.RecordedResponse(200, headers, events=_llama_events(k, 50))
    if request.operation == "ConverseStream":
        return bedrock_vcr.RecordedResponse(200, headers, events=_converse_events(k, 50))
    return None


# --- recording -----------------------------------------------------------------------------------


def make_client(url: str) -> BaseClient:
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@dataclass
class Job:
    """One cassette to record: where, and the tests whose calls it holds."""

    path: Path
    ks: Sequence[int]
    invoke_only: bool = False


def _run(client: BaseClient, job: Job) -> None:
    (drive_invoke if job.invoke_only else drive)(client, job.ks)


def record_bedrock_vcr(jobs: Sequence[Job], url: str) -> list[str]:
    """Record each job with ``bedrock_vcr.use_cassette(record_mode="rewrite")``; warnings seen."""
    client = bedrock_vcr.patch_client(make_client(url))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for job in jobs:
            job.path.parent.mkdir(parents=True, exist_ok=True)
            with bedrock_vcr.use_cassette(job.path, record_mode="rewrite"):
                _run(client, job)
    return sorted({f"{w.category.__name__}: {w.message}" for w in seen})


def _to_aws(request: Any) -> Any:
    """vcrpy stores the real endpoint, so pytest-recording's default matching applies."""
    parts = urlsplit(request.uri)
    request.uri = AWS_HOST + parts.path + (f"?{parts.query}" if parts.query else "")
    return request


def record_vcrpy(jobs: Sequence[Job], url: str) -> None:
    """Record each job through vcrpy itself (``match_on=["method"]`` keeps recording linear)."""
    import vcr

    recorder = vcr.VCR(record_mode="all", match_on=["method"], before_record_request=_to_aws)
    client = make_client(url)
    for job in jobs:
        job.path.parent.mkdir(parents=True, exist_ok=True)
        with recorder.use_cassette(str(job.path)):
            _run(client, job)


def wire_answers(path: Path) -> list[dict[str, Any]]:
    """Status, headers and body pieces (one per frame) of a bedrock-vcr cassette's answers."""
    answers = []
    for interaction in bedrock_vcr.Cassette(path).interactions:
        response = interaction.response
        assert response is not None
        pieces = [e.frame for e in response.events] if response.events else [response.body]
        answers.append({"status": response.status, "headers": response.headers, "pieces": pieces})
    return answers


def vcrpy_bodies(path: Path) -> list[bytes]:
    from vcr.cassette import Cassette

    return [response["body"]["string"] for response in Cassette.load(path=str(path)).responses]


# --- running pytest ------------------------------------------------------------------------------


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment without AWS settings or pytest options, plus dummy credentials."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "PYTEST_", "BEDROCK_VCR")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(DUMMY_ENV)
    env.update(extra or {})
    return env


@dataclass
class Outcome:
    seconds: float
    summary: str
    #: CPU seconds (user + system) of the pytest process: on shared, busy cores a slow spell
    #: of another process stretches the wall time far more than this
    cpu: float = 0.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_pytest(
    project: Path, args: Sequence[str], expect: int, extra_env: dict[str, str] | None = None
) -> Outcome:
    """Wall and CPU time of ``python -m pytest -q -p no:cacheprovider ARGS`` in ``project``.

    Fails loudly unless exactly ``expect`` tests passed and nothing else happened.
    """
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=project, env=clean_env(extra_env), capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    cpu = _children_cpu() - cpu
    lines = done.stdout.strip().splitlines()
    summary = re.sub(r" in [\d.]+s.*$", "", lines[-1].strip("= ")) if lines else ""
    if done.returncode != 0 or not re.match(rf"{expect} passed\b", summary):
        tail = "\n".join(lines[-40:])
        raise SystemExit(
            f"pytest in {project} {' '.join(args)}: expected {expect} passed, got {summary!r}"
            f" (exit {done.returncode})\n{tail}\n{done.stderr[-2000:]}"
        )
    return Outcome(seconds, summary, cpu)


def write_project(root: Path, conftest: str, modules: dict[str, str]) -> None:
    """A project folder: ``pytest.ini`` (the rootdir), ``tests/conftest.py``, test modules."""
    tests = root / "tests"
    tests.mkdir(parents=True, exist_ok=True)
    (root / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n", encoding="utf-8")
    (tests / "conftest.py").write_text(conftest, encoding="utf-8")
    for name, text in modules.items():
        (tests / f"{name}.py").write_text(text, encoding="utf-8")


#: A conftest answering every bedrock-runtime call of the default boto3 session with the test's
#: prebuilt bytes (``prebuilt/<module>/<test>.json``) from a ``before-send`` handler.
FLOOR_CONFTEST = """
import base64
import json
from pathlib import Path

import boto3
import pytest
from botocore.awsrequest import AWSResponse

HERE = Path(__file__).parent
QUEUE = []


class Raw:
    def __init__(self, pieces):
        self._pieces = pieces

    def stream(self, amt=None, decode_content=None):
        yield from self._pieces

    def read(self, amt=None, decode_content=None):
        data, self._pieces = b"".join(self._pieces), []
        return data

    def close(self):
        self._pieces = []


def answer(request, **kwargs):
    status, headers, pieces = QUEUE.pop(0)
    return AWSResponse(request.url, status, headers, Raw(pieces))


boto3.setup_default_session()
boto3.DEFAULT_SESSION.events.register("before-send.bedrock-runtime", answer)


@pytest.fixture(autouse=True)
def prebuilt(request):
    path = HERE / "prebuilt" / request.node.path.stem / f"{request.node.name}.json"
    QUEUE[:] = [
        (a["status"], a["headers"], [base64.b64decode(p) for p in a["pieces"]])
        for a in json.loads(path.read_text())
    ]
    yield
    assert not QUEUE, "prebuilt answers left over"
"""


def prebuilt_json(answers: list[dict[str, Any]]) -> str:
    import base64

    return json.dumps(
        [
            {**a, "pieces": [base64.b64encode(p).decode("ascii") for p in a["pieces"]]}
            for a in answers
        ]
    )


# --- memory --------------------------------------------------------------------------------------


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise OSError(f"no {field} in /proc/self/status")


def reset_peak_rss() -> float:
    """Reset the kernel's peak RSS (Linux ``clear_refs``); returns the RSS now, in MB."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return _status_mb("VmRSS")
    except OSError:  # not Linux: ru_maxrss cannot be reset, so an earlier peak may show
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_rss() -> float:
    """The peak RSS (MB) since :func:`reset_peak_rss`."""
    try:
        return _status_mb("VmHWM")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- figures -------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or not b else f"{a / b:.2f}x"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned first column, right-aligned others, widths from the content."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        first = f"{cells[0]:<{widths[0]}}"
        return "  ".join(
            [first, *(f"{c:>{w}}" for c, w in zip(cells[1:], widths[1:], strict=True))]
        )

    return [line(header), "-" * len(line(header)), *(line(r) for r in rows)]


def versions() -> dict[str, Any]:
    import botocore
    import pytest

    try:
        import vcr

        vcrpy = str(vcr.__version__)
    except ImportError:
        vcrpy = "absent"
    return {
        "bedrock_vcr": bedrock_vcr.__version__,
        "botocore": botocore.__version__,
        "pytest": pytest.__version__,
        "vcrpy": vcrpy,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }


def version_line(what: str, info: dict[str, Any]) -> str:
    return (
        f"bedrock-vcr {info['bedrock_vcr']} {what}: botocore {info['botocore']}, pytest "
        f"{info['pytest']}, vcrpy {info['vcrpy']}, Python {info['python']}, {info['cpus']} CPUs"
    )


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
