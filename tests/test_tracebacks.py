"""A failing test's traceback leaves out bedrock-vcr's frames; ``--full-trace`` shows them.

Each engine module names :func:`bedrock_vcr._tracebacks.hide` ``__tracebackhide__``, which
pytest honours in module globals. Inner pytest runs (pytester) show the report a user reads.
"""

from __future__ import annotations

import re

import pytest

pytest_plugins = ["pytester"]

FAILING = """
import json

import boto3
import pytest


def client():
    return boto3.client("bedrock-runtime", region_name="us-east-1")


@pytest.mark.bedrock_cassette
def test_missing_cassette():
    client().invoke_model(modelId="meta.llama3-8b-instruct-v1:0", body=json.dumps({"prompt": "hi"}))


def test_unexpected_request(bedrock_mock):
    bedrock_mock.on(model_id="amazon.nova-lite-v1:0", optional=True).return_value = "hi"
    client().converse(
        modelId="meta.llama3-8b-instruct-v1:0",
        messages=[{"role": "user", "content": [{"text": "hi"}]}],
    )


@pytest.mark.bedrock_mock(assert_all_called=False)
def test_a_bug_in_a_side_effect(bedrock_mock):
    def broken(request):
        raise RuntimeError("the side effect broke")

    bedrock_mock.on(model_id="meta.llama3-8b-instruct-v1:0").side_effect = broken
    client().converse(
        modelId="meta.llama3-8b-instruct-v1:0",
        messages=[{"role": "user", "content": [{"text": "hi"}]}],
    )
"""

#: A traceback entry's location line in a frame of the package (source checkout or installed).
ENGINE_FRAME = re.compile(
    r"bedrock_vcr[/\\](intercept|cassettes|simulation|validation)[/\\]\w+\.py:\d+"
)


def _frames(text: str) -> list[str]:
    return [line for line in text.splitlines() if ENGINE_FRAME.search(line)]


def _report(pytester: pytest.Pytester, test: str, *args: str) -> str:
    pytester.makepyfile(test_failing=FAILING)
    result = pytester.runpytest_subprocess("-p", "no:randomly", f"test_failing.py::{test}", *args)
    result.assert_outcomes(failed=1)
    return result.stdout.str()


@pytest.mark.parametrize("test", ["test_missing_cassette", "test_unexpected_request"])
def test_the_engine_s_frames_are_left_out(pytester: pytest.Pytester, test: str) -> None:
    report = _report(pytester, test)
    assert _frames(report) == [], report
    assert "test_failing.py:" in report  # the test's own call is where the report points
    assert re.search(r"^E +bedrock_vcr\.errors\.\w+\.\w+Error: ", report, re.M), report


@pytest.mark.parametrize("test", ["test_missing_cassette", "test_unexpected_request"])
def test_full_trace_shows_them_again(pytester: pytest.Pytester, test: str) -> None:
    report = _report(pytester, test, "--full-trace")
    assert any("intercept" in line for line in _frames(report)), report


def test_an_exception_that_is_not_ours_keeps_every_frame(pytester: pytest.Pytester) -> None:
    report = _report(pytester, "test_a_bug_in_a_side_effect")
    assert "RuntimeError: the side effect broke" in report
    assert any("intercept" in line for line in _frames(report)), report
