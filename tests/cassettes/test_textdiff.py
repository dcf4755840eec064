"""The unmatched-request message shows where two long values differ."""

from __future__ import annotations

import json
import textwrap

import pytest

from bedrock_vcr.cassettes.matching import MatchConfig, json_differences
from bedrock_vcr.cassettes.records import RecordedRequest

TEMPLATE = (
    "\n<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{}<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n"
)
CASSETTE = """\
# bedrock-vcr cassette (format described in README.md, section 'Cassette format')
version: 1
interactions:
- request:
    operation: InvokeModel
    model_id: meta.llama3-8b-instruct-v1:0
    body:
      json:
        prompt: {prompt}
  response:
    status: 200
    headers:
      content-type: application/json
    body:
      json:
        generation: hi
        prompt_token_count: 1
        generation_token_count: 1
        stop_reason: stop
"""
LONG_LINE = "Summarise the quarterly report for the board in three bullet points: " + "{}"


def _request(body: object) -> RecordedRequest:
    data = json.dumps(body).encode()
    return RecordedRequest("InvokeModel", "meta.llama3-8b-instruct-v1:0", data)


def _diff(a: object, b: object, **kw: object) -> str:
    (line,) = json_differences({"prompt": a}, {"prompt": b}, "#", **kw)  # type: ignore[arg-type]
    return line


def test_two_prompts_sharing_a_template_show_the_changed_line() -> None:
    line = _diff(
        TEMPLATE.format("What is the capital of France?"), TEMPLATE.format("Who wrote Dune?")
    )
    assert "-What is the capital of France?<|eot_id|><|start_header_id|>assistant" in line
    assert "+Who wrote Dune?<|eot_id|><|start_header_id|>assistant" in line
    assert "--- recorded" in line and "+++ request" in line


def test_a_long_single_line_is_shown_around_its_first_difference() -> None:
    line = _diff(LONG_LINE.format("revenue"), LONG_LINE.format("margins"))
    assert line.startswith("body #/prompt: differs at character 69")
    assert 'recorded "...in three bullet points: revenue"' in line
    assert 'request "...in three bullet points: margins"' in line


def test_short_values_stay_exact() -> None:
    assert _diff("hello", "hullo") == 'body #/prompt: recorded "hello", request "hullo"'
    assert _diff(64, 128) == "body #/prompt: recorded 64, request 128"


def test_full_diffs_show_whole_values() -> None:
    a, b = LONG_LINE.format("revenue"), LONG_LINE.format("margins")
    line = _diff(a, b, full=True)
    assert a in line and b in line


def test_match_config_explains_with_full_values_when_asked() -> None:
    recorded = _request({"prompt": LONG_LINE.format("x")})
    incoming = _request({"prompt": LONG_LINE.format("y")})
    (short,) = MatchConfig().differences(recorded, incoming)
    (full,) = MatchConfig(full_diffs=True).differences(recorded, incoming)
    assert "differs at character" in short
    assert LONG_LINE.format("x") in full


SHOWN = {
    "-v": ["*-old question<|eot_id|>*", "*+new question<|eot_id|>*"],
    "-vv": ['*recorded "*old question<|eot_id|>*", request "*new question<|eot_id|>*'],
}


@pytest.mark.parametrize("verbosity", sorted(SHOWN))
def test_pytest_shows_the_changed_prompt(pytester: pytest.Pytester, verbosity: str) -> None:
    cassette = pytester.path / "c.yaml"
    cassette.write_text(
        CASSETTE.format(prompt=json.dumps(TEMPLATE.format("old question"))), encoding="utf-8"
    )
    pytester.makepyfile(
        test_x=textwrap.dedent(
            f"""
            import json, boto3, pytest

            @pytest.mark.bedrock_cassette(path={str(cassette)!r})
            def test_call():
                client = boto3.client("bedrock-runtime", region_name="us-east-1")
                body = json.dumps({{"prompt": {TEMPLATE.format("new question")!r}}})
                client.invoke_model(modelId="meta.llama3-8b-instruct-v1:0", body=body)
            """
        )
    )
    result = pytester.runpytest_subprocess(verbosity)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(SHOWN[verbosity])
