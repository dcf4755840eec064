"""Schema validation wired into replay, recording, cassette load and pytest."""

from __future__ import annotations

import json
import textwrap
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from bedrock_vcr import (
    BedrockServer,
    ConfigError,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    ScriptedSource,
    StreamEvent,
    UnmatchedRequestError,
    error_response,
    use_cassette,
)
from bedrock_vcr.cassettes import storage
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.errors import (
    CassetteSchemaError,
    InvalidRequestError,
    SchemaDriftWarning,
    SchemaValidationError,
    UnknownModelError,
    UnknownModelWarning,
)
from bedrock_vcr.intercept import settings as config
from bedrock_vcr.validation.checks import SchemaAssertions, check_interactions
from bedrock_vcr.validation.policy import RequestValidator
from bedrock_vcr.validation.settings import ValidationSettings
from bedrock_vcr.validation.validate import ERROR_TYPE

from ..helpers import NO_RETRY

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.usefixtures("aws_env")

LLAMA = "meta.llama3-70b-instruct-v1:0"
TITAN = "amazon.titan-text-express-v1"
COHERE_EMBED = "cohere.embed-english-v3"
JAMBA = "ai21.jamba-1-5-mini-v1:0"
NOVA = "us.amazon.nova-lite-v1:0"

LLAMA_ANSWER = {
    "generation": "hi",
    "prompt_token_count": 1,
    "generation_token_count": 1,
    "stop_reason": "stop",
}
#: A valid answer of each model the request table uses.
ANSWERS = {
    LLAMA: LLAMA_ANSWER,
    TITAN: {
        "inputTextTokenCount": 1,
        "results": [{"tokenCount": 1, "outputText": "hi", "completionReason": "FINISHED"}],
    },
    COHERE_EMBED: {
        "id": "e1",
        "embeddings": [[0.1, 0.2]],
        "texts": ["hi"],
        "response_type": "embeddings_floats",
    },
}


def client(url: str | None = None) -> Any:
    return boto3.client("bedrock-runtime", endpoint_url=url, config=NO_RETRY)


def llama_chunk(stop: str | None, **extra: Any) -> StreamEvent:
    return StreamEvent.chunk(
        {
            "generation": "w",
            "prompt_token_count": None,
            "generation_token_count": 1,
            "stop_reason": stop,
            **extra,
        }
    )


def plain(data: Any, status: int = 200) -> RecordedResponse:
    return RecordedResponse(
        status, {"content-type": "application/json"}, body=json.dumps(data).encode()
    )


def stream(*events: StreamEvent) -> RecordedResponse:
    return RecordedResponse(
        200, {"content-type": "application/vnd.amazon.eventstream"}, events=list(events)
    )


def interaction(
    model_id: str, body: Any, response: RecordedResponse, operation: str = "InvokeModel"
) -> Interaction:
    request = RecordedRequest(
        operation=operation,
        model_id=model_id,
        body=json.dumps(body).encode(),
        headers={"content-type": "application/json", "accept": "application/json"},
    )
    return Interaction(request, response)


def write(path: Path, *interactions: Interaction) -> Path:
    path.write_text(serialize.dumps(interactions), encoding="utf-8")
    return path


# --- settings --------------------------------------------------------------------------------

SETTING_CASES = [
    ({}, ValidationSettings()),
    ({"validate_requests": "FAIL"}, ValidationSettings(validate_requests="fail")),
    ({"validate_requests": False}, ValidationSettings(validate_requests="off")),
    ({"validate_responses": True}, ValidationSettings(validate_responses="warn")),
    ({"validate_responses": "off"}, ValidationSettings(validate_responses="off")),
    ({"strict_models": True}, ValidationSettings(strict_models=True)),
    (
        {"model_families": {"arn:*:imported-model/*": "amazon.titan-text:lite"}},
        ValidationSettings(model_families={"arn:*:imported-model/*": "amazon.titan-text:lite"}),
    ),
]


@pytest.mark.parametrize(
    ("options", "expected"), SETTING_CASES, ids=[str(o) for o, _ in SETTING_CASES]
)
def test_settings_parse(options: dict[str, Any], expected: ValidationSettings) -> None:
    assert ValidationSettings.parse(options) == expected
    built = config.build(options)
    assert ValidationSettings.parse(built.extra) == expected


BAD_SETTINGS = [
    ({"validate_requests": "warn"}, r"validate_requests must be one of bedrock, fail, off"),
    ({"validate_responses": "bedrock"}, r"validate_responses must be one of warn, fail, off"),
    ({"strict_models": "yes"}, r"strict_models must be True or False"),
    ({"model_families": ["meta.llama"]}, r"model_families must map model ids"),
    ({"model_families": {"x": "meta.lama"}}, r"names no known family; known families: ai21"),
    ({"validate_request": "off"}, r"did you mean 'validate_requests'"),
]


@pytest.mark.parametrize(
    ("options", "message"), BAD_SETTINGS, ids=[next(iter(o)) for o, _ in BAD_SETTINGS]
)
def test_bad_settings_fail_loudly(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        use_cassette("unused.yaml", **options)


# --- replay: the request is validated before matching ------------------------------------------

INVALID_REQUESTS = [
    (
        "titan-stopSequences-string",
        TITAN,
        {"inputText": "hi", "textGenerationConfig": {"stopSequences": "User:"}},
        "Malformed input request: #/textGenerationConfig/stopSequences: expected type: "
        "JSONArray, found: String, please reformat your input and try again.",
    ),
    (
        "llama-top_p-1.5",
        LLAMA,
        {"prompt": "hi", "top_p": 1.5},
        "Malformed input request: #/top_p: 1.5 is not less or equal to 1, please reformat your "
        "input and try again.",
    ),
    (
        "cohere-embed-without-texts",
        COHERE_EMBED,
        {"input_type": "search_document", "top_p": 0.5},
        "Malformed input request: 2 schema violations found#: required key [texts] not found"
        "#: extraneous key [top_p] is not permitted, please reformat your input and try again.",
    ),
]


@pytest.fixture
def invalid_cassette(tmp_path: Path) -> Path:
    """A cassette with the table's models but none of its invalid requests."""
    return write(
        tmp_path / "recorded.yaml",
        *(
            interaction(m, {"other": "request"}, plain(ANSWERS[m]))
            for _, m, _, _ in INVALID_REQUESTS
        ),
    )


@pytest.mark.parametrize(
    ("model_id", "body", "message"),
    [case[1:] for case in INVALID_REQUESTS],
    ids=[case[0] for case in INVALID_REQUESTS],
)
def test_invalid_request_is_answered_like_bedrock(
    invalid_cassette: Path, model_id: str, body: dict[str, Any], message: str
) -> None:
    before = invalid_cassette.read_text()
    with use_cassette(invalid_cassette) as cassette:
        c = client()
        with pytest.raises(c.exceptions.ValidationException) as caught:
            c.invoke_model(modelId=model_id, body=json.dumps(body))
        assert cassette.play_count == 0  # answered like Bedrock, not "unmatched"
    error = caught.value.response
    assert error["Error"] == {"Code": "ValidationException", "Message": message}
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == ERROR_TYPE
    assert invalid_cassette.read_text() == before


@pytest.mark.parametrize(
    ("model_id", "body"),
    [case[1:3] for case in INVALID_REQUESTS],
    ids=[case[0] for case in INVALID_REQUESTS],
)
def test_a_recorded_answer_wins_over_the_schema(
    tmp_path: Path, model_id: str, body: dict[str, Any]
) -> None:
    # Bedrock answered this request when it was recorded: that answer is the evidence, so
    # replay gives it back (as production did) and reports that the schema disagrees.
    path = write(tmp_path / "c.yaml", interaction(model_id, body, plain(ANSWERS[model_id])))
    with use_cassette(path) as cassette:
        c = client()
        with pytest.warns(SchemaDriftWarning, match="breaks its schema, but the cassette"):
            response = c.invoke_model(modelId=model_id, body=json.dumps(body))
        assert json.loads(response["body"].read()) == ANSWERS[model_id]
        assert cassette.play_count == 1


def test_invalid_streaming_request_is_answered_like_bedrock(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml")
    body = {"messages": [{"role": "user", "content": "hi"}], "n": 2}
    with use_cassette(path):
        c = client()
        with pytest.raises(
            c.exceptions.ValidationException, match=r"#/n: 2 is not permitted, expected 1"
        ):
            c.invoke_model_with_response_stream(modelId=JAMBA, body=json.dumps(body))


def test_valid_request_is_replayed(tmp_path: Path) -> None:
    body = {"prompt": "hi", "top_p": 0.5}
    path = write(tmp_path / "c.yaml", interaction(LLAMA, body, plain(LLAMA_ANSWER)))
    with use_cassette(path) as cassette:
        answer = client().invoke_model(modelId=LLAMA, body=json.dumps(body))
        assert json.loads(answer["body"].read()) == LLAMA_ANSWER
    assert cassette.play_count == 1


def test_fail_mode_raises_listing_every_violation(invalid_cassette: Path) -> None:
    body = {"input_type": "search_document", "top_p": 0.5}
    with use_cassette(invalid_cassette, validate_requests="fail") as cassette:
        with pytest.raises(InvalidRequestError) as caught:
            client().invoke_model(modelId=COHERE_EMBED, body=json.dumps(body))
        assert cassette.play_count == 0
    error = caught.value
    assert isinstance(error, AssertionError)
    assert isinstance(error, SchemaValidationError)
    assert [(v.path, v.keyword) for v in error.violations] == [
        ("#", "required"),
        ("#", "additionalProperties"),
    ]
    text = str(error)
    assert "  # [required]: required key [texts] not found" in text
    assert "  # [additionalProperties]: extraneous key [top_p] is not permitted" in text
    assert "urn:bedrock-vcr:schema:cohere.embed.request" in text
    assert str(invalid_cassette) in text and "validate_requests='fail'" in text


def test_off_mode_passes_the_request_to_matching(tmp_path: Path) -> None:
    body = {"prompt": "hi", "top_p": 1.5}
    recorded = write(tmp_path / "recorded.yaml", interaction(LLAMA, body, plain(LLAMA_ANSWER)))
    with use_cassette(recorded, validate_requests="off") as cassette:
        answer = client().invoke_model(modelId=LLAMA, body=json.dumps(body))
        assert json.loads(answer["body"].read()) == LLAMA_ANSWER
        assert cassette.play_count == 1
    with use_cassette(write(tmp_path / "empty.yaml"), validate_requests="off"):
        with pytest.raises(UnmatchedRequestError):
            client().invoke_model(modelId=LLAMA, body=json.dumps(body))


def test_non_json_body_is_a_validation_exception(tmp_path: Path) -> None:
    with use_cassette(write(tmp_path / "c.yaml")):
        c = client()
        with pytest.raises(c.exceptions.ValidationException, match=r"#: body is not valid JSON"):
            c.invoke_model(modelId=LLAMA, body="prompt=hi")


def test_unknown_model_warns_once_and_replays(tmp_path: Path) -> None:
    model = f"arn:aws:bedrock:us-east-1:123456789012:imported-model/{uuid.uuid4().hex[:12]}"
    body = {"anything": True}
    path = write(tmp_path / "c.yaml", interaction(model, body, plain({"out": 1})))
    with use_cassette(path, allow_playback_repeats=True):
        with pytest.warns(UnknownModelWarning, match="imported-model"):
            client().invoke_model(modelId=model, body=json.dumps(body))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            answer = client().invoke_model(modelId=model, body=json.dumps(body))
        assert json.loads(answer["body"].read()) == {"out": 1}


def test_strict_models_fails_on_an_unknown_model(tmp_path: Path) -> None:
    model = f"arn:aws:bedrock:us-east-1:123456789012:custom-model/{uuid.uuid4().hex[:12]}"
    with use_cassette(write(tmp_path / "c.yaml"), strict_models=True):
        with pytest.raises(UnknownModelError, match=r"model_families|overrides"):
            client().invoke_model(modelId=model, body=json.dumps({"prompt": "hi"}))


def test_model_families_validates_a_custom_model(tmp_path: Path) -> None:
    model = "arn:aws:bedrock:us-east-1:123456789012:imported-model/my-llama"
    families = {"arn:aws:bedrock:*:imported-model/my-llama": "meta.llama"}
    with use_cassette(write(tmp_path / "c.yaml"), model_families=families):
        c = client()
        with pytest.raises(c.exceptions.ValidationException, match=r"#/top_p"):
            c.invoke_model(modelId=model, body=json.dumps({"prompt": "hi", "top_p": 2}))


def test_request_validator_serves_simulated_answers() -> None:
    """What replay does, a simulation source can do: answer invalid requests like Bedrock."""
    validator = RequestValidator(ValidationSettings())

    def answer(request: RecordedRequest) -> RecordedResponse:
        return validator.answer(request) or plain(LLAMA_ANSWER)

    with BedrockServer([ScriptedSource(answer)]) as srv:
        c = client(srv.url)
        with pytest.raises(c.exceptions.ValidationException, match=r"#/top_p: 1.5 is not less"):
            c.invoke_model(modelId=LLAMA, body=json.dumps({"prompt": "hi", "top_p": 1.5}))
        ok = c.invoke_model(modelId=LLAMA, body=json.dumps({"prompt": "hi", "top_p": 0.5}))
        assert json.loads(ok["body"].read()) == LLAMA_ANSWER
    request = RecordedRequest("InvokeModel", LLAMA, b'{"prompt": 1}')
    failing = RequestValidator(ValidationSettings(validate_requests="fail"))
    with pytest.raises(InvalidRequestError, match=r"#/prompt \[type\]"):
        failing.answer(request)
    assert RequestValidator(ValidationSettings(validate_requests="off")).answer(request) is None


# --- recording: Bedrock is the authority -------------------------------------------------------


def drifting_answer(request: RecordedRequest) -> RecordedResponse | None:
    """A server whose answers break the Llama/Converse schemas (as if the API had changed)."""
    prompt = json.loads(request.body).get("prompt", "")
    if prompt == "reject":
        return error_response(400, "ValidationException", "Malformed input request: ...")
    if request.operation == "InvokeModel":
        return plain({**LLAMA_ANSWER, "stop_reason": 7})
    if request.operation == "InvokeModelWithResponseStream":
        return stream(llama_chunk(None), llama_chunk(None), llama_chunk(7))
    if request.operation == "ConverseStream":
        return stream(
            StreamEvent.event("messageStart", {"role": "assistant"}),
            StreamEvent.event("messageStop", {"stopReason": 7}),
            StreamEvent.event(
                "metadata",
                {
                    "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
                    "metrics": {"latencyMs": 1},
                },
            ),
        )
    return None


@pytest.fixture
def drifting_server() -> Iterator[BedrockServer]:
    with BedrockServer([ScriptedSource(drifting_answer)]) as srv:
        yield srv


def _saved(path: Path) -> list[Interaction]:
    return storage.load_file(path)


def test_recording_warns_on_an_answer_that_breaks_the_schema(
    drifting_server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "new.yaml"
    with use_cassette(path, record_mode="once"):
        with pytest.warns(SchemaDriftWarning) as caught:
            client(drifting_server.url).invoke_model(
                modelId=LLAMA, body=json.dumps({"prompt": "hi"})
            )
    text = str(caught[0].message)
    assert "Bedrock is the authority, so the schema is wrong or the API changed" in text
    assert f"(InvokeModel {LLAMA}) response #/stop_reason [type]" in text
    assert str(path) in text
    assert len(_saved(path)) == 1


def test_recording_warns_on_each_bad_stream_chunk(
    drifting_server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "new.yaml"
    with use_cassette(path, record_mode="once"):
        c = client(drifting_server.url)
        answer = c.invoke_model_with_response_stream(
            modelId=LLAMA, body=json.dumps({"prompt": "hi"})
        )
        with pytest.warns(SchemaDriftWarning, match=r"chunk 2 #/stop_reason \[type\]"):
            events = list(answer["body"])
        assert len(events) == 3
        answer = c.converse_stream(
            modelId=NOVA, messages=[{"role": "user", "content": [{"text": "hi"}]}]
        )
        with pytest.warns(SchemaDriftWarning, match=r"chunk 1 #/messageStop/stopReason \[type\]"):
            list(answer["stream"])
    assert len(_saved(path)) == 2


def test_recording_warns_on_a_request_bedrock_accepted(
    drifting_server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "new.yaml"
    with use_cassette(path, record_mode="once", validate_responses="off"):
        with pytest.warns(SchemaDriftWarning, match=r"request #/top_p \[maximum\]") as caught:
            client(drifting_server.url).invoke_model(
                modelId=LLAMA, body=json.dumps({"prompt": "hi", "top_p": 1.5})
            )
    assert "#/stop_reason" not in str(caught[0].message)  # answers not checked: "off"
    assert len(_saved(path)) == 1  # recorded, not blocked


def test_recording_ignores_error_answers(drifting_server: BedrockServer, tmp_path: Path) -> None:
    path = tmp_path / "new.yaml"
    with use_cassette(path, record_mode="once"):
        c = client(drifting_server.url)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(c.exceptions.ValidationException, match=r"Malformed input"):
                c.invoke_model(modelId=LLAMA, body=json.dumps({"prompt": "reject", "top_p": 9}))
    assert _saved(path)[0].response.status == 400  # type: ignore[union-attr]


def test_recording_valid_traffic_is_silent(server: BedrockServer, tmp_path: Path) -> None:
    path = tmp_path / "new.yaml"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with use_cassette(path, record_mode="once", validate_responses="fail"):
            c = client(server.url)
            c.invoke_model(modelId=LLAMA, body=json.dumps({"prompt": "hi"}))["body"].read()
            answer = c.invoke_model_with_response_stream(
                modelId=LLAMA, body=json.dumps({"prompt": "hi"})
            )
            list(answer["body"])
    assert len(_saved(path)) == 2


def test_failing_drift_check_keeps_the_recording(
    drifting_server: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "new.yaml"
    with pytest.raises(CassetteSchemaError, match=r"chunk 2 #/stop_reason") as caught:
        with use_cassette(path, record_mode="once", validate_responses="fail"):
            # the stream is never read: it is drained while saving, then checked
            client(drifting_server.url).invoke_model_with_response_stream(
                modelId=LLAMA, body=json.dumps({"prompt": "hi"})
            )
    assert caught.value.recording is True
    assert [f.event for f in caught.value.findings] == [2]
    assert len(_saved(path)[0].response.events or []) == 3  # type: ignore[union-attr]


# --- cassette load --------------------------------------------------------------------------


@pytest.fixture
def drifted_cassette(tmp_path: Path) -> Path:
    return write(
        tmp_path / "drifted.yaml",
        interaction(LLAMA, {"prompt": "a"}, plain(LLAMA_ANSWER)),
        interaction(
            LLAMA,
            {"prompt": "b"},
            stream(llama_chunk(None), llama_chunk(None), llama_chunk(7)),
            "InvokeModelWithResponseStream",
        ),
        interaction(LLAMA, {"prompt": "c"}, plain({**LLAMA_ANSWER, "generation": 5})),
        interaction(LLAMA, {"prompt": "d"}, plain({"unexpected": "error body"}, status=400)),
        interaction("my-custom-model", {"prompt": "e"}, plain({"anything": 1})),
    )


def test_load_reports_drift_with_file_index_and_path(drifted_cassette: Path) -> None:
    with pytest.warns(SchemaDriftWarning) as caught:
        with use_cassette(drifted_cassette):
            pass
    assert len(caught) == 1  # one report per cassette, no unknown-model warning
    lines = str(caught[0].message).splitlines()
    assert lines[1:3] == [
        f"  interaction 1 (InvokeModelWithResponseStream {LLAMA}) chunk 2 #/stop_reason [type]: "
        "expected type: String or Null, found: Integer",
        f"  interaction 2 (InvokeModel {LLAMA}) response #/generation [type]: expected type: "
        "String, found: Integer",
    ]
    assert f"  cassette: {drifted_cassette}" in lines


def test_load_drift_is_reported_on_every_load(drifted_cassette: Path) -> None:
    for _ in range(2):
        with pytest.warns(SchemaDriftWarning, match="interaction 2"):
            with use_cassette(drifted_cassette):
                pass


def test_load_drift_fails_under_fail_mode(drifted_cassette: Path) -> None:
    with pytest.raises(CassetteSchemaError, match=r"recorded answers") as caught:
        with use_cassette(drifted_cassette, validate_responses="fail"):
            pass
    error = caught.value
    assert isinstance(error, AssertionError)
    assert [(f.interaction, f.part, f.event, f.violation.path) for f in error.findings] == [
        (1, "chunk", 2, "#/stop_reason"),
        (2, "response", None, "#/generation"),
    ]
    assert {f.path for f in error.findings} == {drifted_cassette}


def test_load_check_off(drifted_cassette: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with use_cassette(drifted_cassette, validate_responses="off"):
            pass


def test_check_interactions_counts_unknown_models_and_skips_rejected_requests() -> None:
    report = check_interactions(
        [
            interaction(LLAMA, {"prompt": "a", "top_p": 3}, plain({"message": "no"}, 400)),
            interaction(LLAMA, {"prompt": "b", "top_p": 3}, plain({"message": "slow"}, 429)),
            interaction("my-model", {"x": 1}, plain({})),
            interaction("my-model", {"x": 1}, plain({})),
        ]
    )
    assert report.interactions == 4
    assert [(f.interaction, f.part) for f in report.findings] == [(1, "request")]
    assert report.unknown_models == {"my-model": 2}
    assert not report.ok


# --- the pytest helper and pytest settings -------------------------------------------------------


def test_schema_assertions_use_the_test_settings() -> None:
    model = "arn:aws:bedrock:us-east-1:123456789012:imported-model/titan-lite"
    helper = SchemaAssertions.from_options({"model_families": {model: "amazon.titan-text:lite"}})
    helper.assert_valid_request(model, {"inputText": "hi"})
    with pytest.raises(SchemaValidationError, match=r"#/textGenerationConfig/maxTokenCount"):
        helper.assert_valid_request(
            model, {"inputText": "hi", "textGenerationConfig": {"maxTokenCount": 5000}}
        )
    with pytest.raises(SchemaValidationError, match=r"#/stop_reason \[type\]"):
        helper.assert_valid_chunk(LLAMA, {"generation": "", "stop_reason": 7})
    assert helper.schema(model)["$id"] == "urn:bedrock-vcr:schema:amazon.titan-text.request"
    strict = SchemaAssertions(strict_models=True)
    with pytest.raises(UnknownModelError):
        strict.assert_valid_response("my-model-" + uuid.uuid4().hex, {})


def test_settings_through_the_fixture_and_the_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_settings=textwrap.dedent(
            f"""
            import json
            import boto3
            import pytest
            from bedrock_vcr.errors import InvalidRequestError

            BODY = json.dumps({{"prompt": "hi", "top_p": 1.5}})

            @pytest.fixture
            def bedrock_vcr_config():
                return {{"validate_requests": "fail", "model_families": {{"x.*": "meta.llama"}}}}

            def test_fixture_setting(bedrock_cassette):
                client = boto3.client("bedrock-runtime")
                with pytest.raises(InvalidRequestError, match="top_p"):
                    client.invoke_model(modelId="x.custom", body=BODY)

            @pytest.mark.bedrock_cassette(validate_requests="bedrock")
            def test_marker_wins():
                client = boto3.client("bedrock-runtime")
                with pytest.raises(client.exceptions.ValidationException, match="top_p"):
                    client.invoke_model(modelId="{LLAMA}", body=BODY)

            @pytest.mark.bedrock_cassette(validate_request="off")
            def test_misspelled():
                pass
            """
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*unknown option 'validate_request'*validate_requests*"])
