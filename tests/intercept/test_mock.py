"""The in-process mock: routes, outcomes, call assertions, strict teardown, pytest surfaces."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from bedrock_vcr.cassettes.records import Interaction, RecordedRequest, RecordedResponse
from bedrock_vcr.errors import (
    ConfigError,
    MockVerificationError,
    RouteExhaustedError,
    UnexpectedRequestError,
    UnsupportedAnswerError,
)
from bedrock_vcr.intercept.mock import BedrockMock, mock_bedrock
from bedrock_vcr.server.http1 import BedrockServer
from bedrock_vcr.simulation import Answer

from ..helpers import ONE_RETRY

pytestmark = pytest.mark.usefixtures("aws_env")
pytest_plugins = ["pytester"]

LLAMA = "meta.llama3-8b-instruct-v1:0"
CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"


def _client() -> Any:
    return boto3.client("bedrock-runtime", region_name="us-east-1", config=ONE_RETRY)


def _generate(client: Any, prompt: str = "hi", model_id: str = LLAMA) -> str:
    body = json.dumps({"prompt": prompt, "max_gen_len": 64})
    return str(
        json.loads(client.invoke_model(modelId=model_id, body=body)["body"].read())["generation"]
    )


# --- outcomes ----------------------------------------------------------------------------------


def test_return_value_answers_every_call_and_calls_are_recorded() -> None:
    with BedrockMock() as mock:
        route = mock.on(model_id=LLAMA, operation="invoke_model", return_value=Answer("Hi!"))
        client = _client()
        assert [_generate(client, p) for p in ("one", "two")] == ["Hi!", "Hi!"]
    assert route.called and route.call_count == 2 and mock.call_count == 2
    assert [c.request.json["prompt"] for c in route.calls] == ["one", "two"]
    assert route.last_request is not None and route.last_request.model_id == LLAMA
    assert route.calls[0].response is not None and route.calls[0].response.status == 200


def test_side_effect_sequence_is_consumed_one_per_call_then_exhausted() -> None:
    with BedrockMock(assert_all_called=False) as mock:
        mock.on(side_effect=[Answer("first"), Answer("second")])
        client = _client()
        assert _generate(client) == "first"
        assert _generate(client) == "second"
        with pytest.raises(RouteExhaustedError, match=r"call #3 but its side_effect sequence"):
            _generate(client)


def test_side_effect_callable_sees_the_request_and_may_defer_to_return_value() -> None:
    def echo(request: RecordedRequest) -> Answer | None:
        prompt = request.json["prompt"]
        return Answer(f"echo {prompt}") if prompt != "skip" else None

    with BedrockMock() as mock:
        mock.on(side_effect=echo, return_value=Answer("default"))
        client = _client()
        assert _generate(client, "ping") == "echo ping"
        assert _generate(client, "skip") == "default"


def test_side_effect_exception_is_raised_at_the_call() -> None:
    class Boom(RuntimeError):
        pass

    with BedrockMock() as mock:
        mock.on(side_effect=Boom("no network today"))
        with pytest.raises(Boom, match="no network today"):
            _generate(_client())


def test_recorded_responses_and_interactions_are_outcomes() -> None:
    body = json.dumps({"generation": "recorded", "prompt_token_count": 1,
                       "generation_token_count": 1, "stop_reason": "stop"}).encode()  # fmt: skip
    recorded = RecordedResponse(200, {"content-type": "application/json"}, body=body)
    interaction = Interaction(RecordedRequest("InvokeModel", LLAMA), recorded)
    with BedrockMock() as mock:
        mock.on(side_effect=[recorded, interaction])
        client = _client()
        assert [_generate(client), _generate(client)] == ["recorded", "recorded"]


def test_route_without_outcome_answers_a_default_answer() -> None:
    with BedrockMock() as mock:
        mock.on(model_id=LLAMA)
        assert _generate(_client()) == Answer().full_text


def test_respond_declares_one_or_several_outcomes() -> None:
    mock = BedrockMock()
    single = mock.on(name="single").respond(Answer("x"))
    several = mock.on(name="several").respond(Answer("a"), mock.throttling())
    assert single.return_value == Answer("x") and single.side_effect is None
    assert several.side_effect == [Answer("a"), mock.throttling()] and several.remaining == 2


@pytest.mark.parametrize(
    ("route", "outcome", "exc", "match"),
    [
        (
            {"model_id": LLAMA, "operation": "InvokeModel"},
            Answer(stop_reason="end_turn"),
            UnsupportedAnswerError,
            r"'end_turn' does not exist.*valid values: stop, length",
        ),
        ({"operation": "Converse"}, "hello", ConfigError, r"cannot answer with 'hello'"),
        ({"operation": "invoke_modle"}, None, ConfigError, r"did you mean 'invoke_model'"),
    ],
    ids=["wrong-stop-reason", "not-an-outcome", "misspelled-operation"],
)
def test_bad_declarations_fail_at_once(
    route: dict[str, Any], outcome: Any, exc: type[Exception], match: str
) -> None:
    with pytest.raises(exc, match=match):
        BedrockMock().on(**route, return_value=outcome)


# --- matching ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "called"),
    [
        (LLAMA, LLAMA),
        (LLAMA, "us." + LLAMA),
        (LLAMA, f"arn:aws:bedrock:us-east-1::foundation-model/{LLAMA}"),
        ("meta.llama3-*", LLAMA),
    ],
    ids=["exact", "inference-profile", "arn", "pattern"],
)
def test_model_ids_match_in_every_spelling(declared: str, called: str) -> None:
    with BedrockMock() as mock:
        route = mock.on(model_id=declared, return_value=Answer("matched"))
        assert _generate(_client(), model_id=called) == "matched"
    assert route.call_count == 1


def test_first_declared_route_wins_and_match_predicates_narrow() -> None:
    with BedrockMock() as mock:
        special = mock.on(
            match=lambda r: r.json.get("prompt") == "special", return_value=Answer("S")
        )
        general = mock.on(return_value=Answer("G"))
        client = _client()
        assert [_generate(client, "special"), _generate(client, "other")] == ["S", "G"]
    assert (special.call_count, general.call_count) == (1, 1)


def test_unexpected_request_fails_at_the_call_and_again_at_exit() -> None:
    mock = BedrockMock(assert_all_called=False)
    with pytest.raises(MockVerificationError, match=r"InvokeModel request to .*matched no route"):
        with mock:
            mock.on(model_id=CLAUDE, operation="InvokeModel")
            with pytest.raises(UnexpectedRequestError) as caught:
                _generate(_client())
            message = str(caught.value)
            assert f"model is '{LLAMA}', the route wants '{CLAUDE}'" in message
            assert "fix: declare it, e.g. bedrock_mock.on(model_id=" in message
    assert [r.model_id for r in mock.unexpected] == [LLAMA]


def test_passthrough_hands_unmatched_requests_to_the_next_handler() -> None:
    with BedrockMock() as outer:
        outer.on(return_value=Answer("from the outer handler"))
        with BedrockMock(passthrough=True) as inner:
            assert _generate(_client()) == "from the outer handler"
        assert [r.model_id for r in inner.passed] == [LLAMA]


# --- strict teardown ---------------------------------------------------------------------------


def test_unused_routes_and_leftover_outcomes_fail_verification() -> None:
    mock = BedrockMock()
    with pytest.raises(MockVerificationError) as caught:
        with mock:
            mock.on(model_id=CLAUDE, name="claude")
            mock.on(model_id=LLAMA, side_effect=[mock.throttling(), Answer(), Answer()])
            mock.on(model_id="amazon.*", optional=True)
            _client().invoke_model(modelId=LLAMA, body=b'{"prompt": "x"}')  # retried once
    problems = caught.value.problems
    assert problems == (
        "route 'claude' was never called",
        "route(model_id='meta.llama3-8b-instruct-v1:0') left 1 side_effect outcome unused "
        "(called 2 times)",
    )
    assert "on(..., optional=True)" in str(caught.value)


def test_verification_can_be_turned_off_and_does_not_mask_a_failing_block() -> None:
    with BedrockMock(assert_all_called=False) as mock:
        mock.on(model_id=CLAUDE)
    with pytest.raises(KeyError):
        with BedrockMock() as mock:
            mock.on(model_id=CLAUDE)
            raise KeyError("the block's own failure")


def test_library_context_manager_checks_its_options() -> None:
    with pytest.raises(ConfigError, match=r"unknown option 'asert_all_called'.*did you mean"):
        mock_bedrock(asert_all_called=False)
    with pytest.raises(ConfigError, match=r"speed must be a number >= 0"):
        BedrockMock(speed=-1)
    with mock_bedrock(assert_all_called=False) as mock:
        with pytest.raises(ConfigError, match="already active"):
            mock.start()


# --- as a source for the local server ----------------------------------------------------------


def test_the_mock_answers_as_a_local_server_source() -> None:
    mock = BedrockMock()  # not activated: it only answers what the server hands it
    route = mock.on(model_id=LLAMA, side_effect=[mock.throttling(), Answer("over HTTP")])
    with BedrockServer([mock]) as server:
        client = boto3.client(
            "bedrock-runtime",
            region_name="us-east-1",
            endpoint_url=server.url,
            config=Config(retries={"mode": "standard", "max_attempts": 3}),
        )
        with mock_bedrock(passthrough=True):  # fast retries; the request goes to the server
            result = client.invoke_model(modelId=LLAMA, body=b'{"prompt": "hi"}')
        client.close()
    assert json.loads(result["body"].read())["generation"] == "over HTTP"
    assert result["ResponseMetadata"]["RetryAttempts"] == 1
    assert route.call_count == 2


# --- pytest surfaces ---------------------------------------------------------------------------

INNER_APP = textwrap.dedent(
    """
    import json
    import boto3

    def generate(prompt, model_id="meta.llama3-8b-instruct-v1:0"):
        client = boto3.client("bedrock-runtime", region_name="us-east-1")
        response = client.invoke_model(
            modelId=model_id, body=json.dumps({"prompt": prompt, "max_gen_len": 64})
        )
        return json.loads(response["body"].read())["generation"]
    """
)


@pytest.fixture
def inner(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(app=INNER_APP)
    pytester.syspathinsert()
    return pytester


def test_fixture_routes_and_call_assertions(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        test_it=textwrap.dedent(
            """
            import os
            from app import generate
            from bedrock_vcr.intercept.mock import BedrockMock
            from bedrock_vcr.simulation import Answer

            def test_retries(bedrock_mock: BedrockMock):
                route = bedrock_mock.on(model_id="meta.llama3-8b-instruct-v1:0")
                route.side_effect = [bedrock_mock.throttling(), Answer("Hello")]
                assert generate("hi") == "Hello"
                assert route.call_count == 2
                assert route.calls[1].request.json == {"prompt": "hi", "max_gen_len": 64}
                assert os.environ["AWS_ACCESS_KEY_ID"] == "bedrock-vcr-replay"
            """
        )
    )
    inner.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_unused_route_fails_at_teardown_with_the_opt_outs(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        test_it=textwrap.dedent(
            """
            import pytest

            def test_unused(bedrock_mock):
                bedrock_mock.on(model_id="anthropic.claude-3-haiku-20240307-v1:0")

            def test_optional_route(bedrock_mock):
                bedrock_mock.on(model_id="anthropic.claude-3-haiku-20240307-v1:0", optional=True)

            @pytest.mark.bedrock_mock(assert_all_called=False)
            def test_opted_out(bedrock_mock):
                bedrock_mock.on(model_id="anthropic.claude-3-haiku-20240307-v1:0")
            """
        )
    )
    result = inner.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_unused*",
            "*MockVerificationError: bedrock_mock expectations not met:*",
            "*route(model_id='anthropic.claude-3-haiku-20240307-v1:0') was never called*",
        ]
    )


def test_markers_declare_answers_per_test(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        test_it=textwrap.dedent(
            """
            import pytest
            from app import generate
            from bedrock_vcr.simulation.faults import throttling
            from bedrock_vcr.simulation import Answer

            @pytest.mark.bedrock_answer(Answer("marked"), model_id="meta.llama3-*")
            def test_single():
                assert generate("x") == "marked"

            @pytest.mark.bedrock_answer(throttling(), Answer("second"), operation="InvokeModel")
            def test_sequence(bedrock_mock):
                assert generate("x") == "second"
                assert bedrock_mock.routes[0].call_count == 2

            @pytest.mark.bedrock_answer(Answer("x"), modle_id="meta.llama3-*")
            def test_misspelled():
                pass

            LLAMA = "meta.llama3-8b-instruct-v1:0"

            @pytest.mark.bedrock_answer(Answer(stop_reason="refusal"), model_id=LLAMA)
            def test_impossible():
                pass
            """
        )
    )
    result = inner.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ConfigError: unknown argument 'modle_id' in @pytest.mark.bedrock_answer "
            "(did you mean 'model_id'?)*",
            "*UnsupportedAnswerError: stop reason 'refusal' does not exist*",
        ]
    )


def test_markers_are_registered(inner: pytest.Pytester) -> None:
    result = inner.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.bedrock_answer(*", "@pytest.mark.bedrock_mock(*"])


def test_concurrent_requests_each_take_one_outcome() -> None:
    from concurrent.futures import ThreadPoolExecutor

    mock = BedrockMock()
    route = mock.on(side_effect=[Answer(f"answer {i}") for i in range(40)])
    request = RecordedRequest("InvokeModel", LLAMA, b'{"prompt": "hi"}')

    def ask(_: int) -> str:
        response = mock.answer(request)
        assert response is not None
        return str(json.loads(response.body)["generation"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(ask, range(40)))
    assert sorted(answers) == sorted(f"answer {i}" for i in range(40))
    assert route.call_count == 40 and route.remaining == 0


def test_an_invalid_request_gets_bedrocks_validation_exception() -> None:
    body = {"inputText": "hi", "textGenerationConfig": {"stopSequences": "User:"}}
    with BedrockMock() as mock:
        route = mock.on(model_id="amazon.titan-text-express-v1", optional=True)
        route.return_value = Answer("never sent")
        client = boto3.client("bedrock-runtime", region_name="us-east-1")
        with pytest.raises(client.exceptions.ValidationException) as info:
            client.invoke_model(modelId="amazon.titan-text-express-v1", body=json.dumps(body))
        assert route.call_count == 0
    assert info.value.response["Error"]["Message"] == (
        "Malformed input request: #/textGenerationConfig/stopSequences: expected type: "
        "JSONArray, found: String, please reformat your input and try again."
    )
    with BedrockMock(validate_requests="off") as mock:
        mock.on(model_id="amazon.titan-text-express-v1", return_value=Answer("sent anyway"))
        response = client.invoke_model(
            modelId="amazon.titan-text-express-v1", body=json.dumps(body)
        )
        assert "sent anyway" in response["body"].read().decode()


def test_simulation_needs_no_credentials_even_for_clients_made_before(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # A fresh session: boto3's default one may hold credentials from an earlier test.
    client = boto3.Session().client("bedrock-runtime", region_name="us-east-1")
    with BedrockMock() as mock:
        mock.on(return_value=Answer("no keys needed"))
        body = json.dumps({"prompt": "hi"})
        response = client.invoke_model(modelId="meta.llama3-8b-instruct-v1:0", body=body)
        assert "no keys needed" in response["body"].read().decode()
    with BedrockMock(passthrough=True) as mock:  # may reach the network: signs as usual
        mock.on(return_value=Answer("signed"), optional=True)
        with pytest.raises(botocore.exceptions.NoCredentialsError):
            client.invoke_model(modelId="meta.llama3-8b-instruct-v1:0", body=body)


def test_a_refused_answer_withdraws_its_new_route() -> None:
    with BedrockMock() as mock:
        route = mock.on(model_id="meta.llama3-8b-instruct-v1:0")
        with pytest.raises(UnsupportedAnswerError, match="FINISH"):
            route.return_value = Answer("x", stop_reason="FINISH")
        assert route not in mock.routes
    # leaving the block did not add a "route was never called" failure
