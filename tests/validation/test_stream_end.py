"""A stream whose final events are missing (cut short) is flagged by ``bedrock-vcr validate`` and
``inspect`` and warned about once when its cassette loads; every stream that ends the way its
operation and model family end (including one ending in a recorded mid-stream error) is not."""

from __future__ import annotations

import base64
import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bedrock_vcr import (
    Interaction,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
    TruncatedStreamWarning,
    use_cassette,
)
from bedrock_vcr.cassettes import storage, stream_build
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cassettes.stream_end import cut_short, missing_end
from bedrock_vcr.cli.main import main
from bedrock_vcr.simulation import Answer, build_response

from ..helpers import REAL_CASSETTES, bedrock_client

LLAMA = "meta.llama3-70b-instruct-v1:0"
NOVA = "amazon.nova-lite-v1:0"
BUNDLED = Path(__file__).resolve().parents[2] / "cassettes"
METRICS = {
    "inputTokenCount": 3,
    "outputTokenCount": 2,
    "invocationLatency": 120,
    "firstByteLatency": 40,
}


def llama_events() -> list[StreamEvent]:
    """A Llama stream as Bedrock sends it: the last chunk has the stop reason and the metrics."""
    return [
        StreamEvent.chunk({"generation": "Hel", "prompt_token_count": 3, "stop_reason": None}),
        StreamEvent.chunk({"generation": "lo", "prompt_token_count": None, "stop_reason": None}),
        StreamEvent.chunk(
            {
                "generation": "",
                "prompt_token_count": None,
                "generation_token_count": 2,
                "stop_reason": "stop",
                "amazon-bedrock-invocationMetrics": METRICS,
            }
        ),
    ]


def converse_events() -> list[StreamEvent]:
    return [
        StreamEvent.event("messageStart", {"role": "assistant"}),
        StreamEvent.event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}}),
        StreamEvent.event("contentBlockStop", {"contentBlockIndex": 0}),
        StreamEvent.event("messageStop", {"stopReason": "end_turn"}),
        StreamEvent.event(
            "metadata",
            {
                "usage": {"inputTokens": 3, "outputTokens": 1, "totalTokens": 4},
                "metrics": {"latencyMs": 120},
            },
        ),
    ]


def stream(
    events: list[StreamEvent],
    operation: str = "InvokeModelWithResponseStream",
    model_id: str = LLAMA,
    **extra: Any,
) -> Interaction:
    body: dict[str, Any] = {"prompt": "hi"}
    if operation == "ConverseStream":
        body = {"messages": []}
    elif model_id.startswith("amazon.titan"):
        body = {"inputText": "hi"}
    request = RecordedRequest(operation, model_id, json.dumps(body).encode())
    headers = {"content-type": "application/vnd.amazon.eventstream"}
    return Interaction(request, RecordedResponse(200, headers, events=events, **extra))


def plain() -> Interaction:
    request = RecordedRequest("InvokeModel", LLAMA, b'{"prompt": "hi"}')
    body = b'{"generation": "x", "prompt_token_count": 1, "generation_token_count": 1, '
    body += b'"stop_reason": "stop"}'
    return Interaction(request, RecordedResponse(200, {"content-type": "application/json"}, body))


def write(path: Path, *interactions: Interaction) -> Path:
    path.write_text(serialize.dumps(interactions), encoding="utf-8")
    return path


def cut_llama() -> Interaction:
    return stream(llama_events()[:-1])


def cut_converse() -> Interaction:
    return stream(converse_events()[:-2], "ConverseStream", NOVA)


def error_frame() -> StreamEvent:
    return StreamEvent.exception("modelStreamErrorException", {"message": "boom"})


# --- loading warns, once per cassette --------------------------------------------------------


def test_loading_a_cassette_with_cut_streams_warns_once(tmp_path: Path) -> None:
    path = write(tmp_path / "cut.yaml", plain(), cut_llama(), cut_converse())
    with pytest.warns(TruncatedStreamWarning) as caught:
        loaded = storage.load_file(path)
    assert len(loaded) == 3
    assert len(caught) == 1
    text = str(caught[0].message)
    assert str(path) in text
    assert (
        "interaction 1 (InvokeModelWithResponseStream meta.llama3-70b-instruct-v1:0): "
        "InvokeModelWithResponseStream stream ends without its final chunk (meta.llama: "
        "stop_reason and amazon-bedrock-invocationMetrics): the recording was cut short; "
        "re-record it"
    ) in text
    assert (
        "interaction 2 (ConverseStream amazon.nova-lite-v1:0): ConverseStream stream ends "
        "without messageStop/metadata: the recording was cut short; re-record it"
    ) in text
    assert "fix: re-record" in text


def test_replaying_a_cut_stream_warns(tmp_path: Path, aws_env: None) -> None:
    path = write(tmp_path / "cut.yaml", cut_llama())
    with pytest.warns(TruncatedStreamWarning, match="meta.llama: stop_reason"):
        with use_cassette(path, record_mode="none"):
            answer = bedrock_client().invoke_model_with_response_stream(
                modelId=LLAMA, body=json.dumps({"prompt": "hi"})
            )
            assert len(list(answer["body"])) == 2  # replayed as recorded, warned about


@pytest.mark.parametrize(
    ("name", "interaction"),
    [
        ("llama", stream(llama_events())),
        ("converse", stream(converse_events(), "ConverseStream", NOVA)),
        ("mid-stream error", stream([*llama_events()[:1], error_frame()])),
        ("converse error", stream([*converse_events()[:2], error_frame()], "ConverseStream")),
        ("dropped", stream(llama_events()[:1], stream_end="dropped")),
        ("unknown model", stream(llama_events()[:1], model_id="my-imported-model")),
        (
            "guardrail blocked",
            stream(
                [
                    StreamEvent.chunk(
                        {
                            "outputText": "Input blocked",
                            "amazon-bedrock-guardrailAction": "INTERVENED",
                        }
                    )
                ],
                model_id="amazon.titan-text-express-v1",
            ),
        ),
        (
            "error answer",
            Interaction(
                RecordedRequest("InvokeModelWithResponseStream", LLAMA, b"{}"),
                RecordedResponse(400, {}, body=b'{"message": "bad"}'),
            ),
        ),
    ],
)
def test_complete_streams_load_without_a_warning(
    tmp_path: Path, name: str, interaction: Interaction
) -> None:
    path = write(tmp_path / "ok.yaml", interaction)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        storage.load_file(path)
    assert main(["validate", "-q", str(path)]) == 0


# --- every family, as the simulation streams it ----------------------------------------------

FAMILY_REQUESTS = {
    LLAMA: {"prompt": "hi", "max_gen_len": 64},
    "amazon.titan-text-express-v1": {"inputText": "hi"},
    NOVA: {"messages": [{"role": "user", "content": [{"text": "hi"}]}]},
    "anthropic.claude-3-haiku-20240307-v1:0": {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "hi"}],
    },
    "anthropic.claude-v2": {"prompt": "\n\nHuman: hi\n\nAssistant:", "max_tokens_to_sample": 64},
    "cohere.command-text-v14": {"prompt": "hi"},
    "cohere.command-r-v1:0": {"message": "hi"},
    "mistral.mistral-7b-instruct-v0:2": {"prompt": "<s>[INST] hi [/INST]"},
    "mistral.mistral-large-2407-v1:0": {"messages": [{"role": "user", "content": "hi"}]},
    "ai21.jamba-1-5-mini-v1:0": {"messages": [{"role": "user", "content": "hi"}]},
}


def simulated(model_id: str, operation: str, stop: str) -> Interaction:
    body = FAMILY_REQUESTS[model_id]
    if operation == "ConverseStream":
        body = {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}
    request = RecordedRequest(operation, model_id, json.dumps(body).encode())
    answer = Answer("One two three four.", stop_reason=stop)
    return Interaction(request, build_response(answer, request))


CASES = [
    (model_id, operation, stop)
    for model_id in FAMILY_REQUESTS
    for operation in ("InvokeModelWithResponseStream", "ConverseStream")
    for stop in ("stop", "length")
]


@pytest.mark.parametrize(("model_id", "operation", "stop"), CASES)
def test_each_family_ends_its_stream_and_losing_the_end_is_caught(
    model_id: str, operation: str, stop: str
) -> None:
    whole = simulated(model_id, operation, stop)
    assert missing_end(whole) is None
    response = whole.response
    assert response is not None and response.events
    cut = Interaction(
        whole.request, RecordedResponse(200, response.headers, events=response.events[:-1])
    )
    missing = missing_end(cut)
    assert missing is not None
    if operation == "ConverseStream":
        assert missing == "metadata"
    else:
        assert "amazon-bedrock-invocationMetrics" in missing


@pytest.mark.parametrize(("model_id", "operation", "stop"), CASES)
def test_the_end_check_reads_unbuilt_lines_as_it_reads_events(
    model_id: str, operation: str, stop: str
) -> None:
    whole = simulated(model_id, operation, stop)
    assert whole.response is not None and whole.response.events
    events = whole.response.events
    cut = Interaction(whole.request, RecordedResponse(200, {}, events=events[:-1]))
    failed = Interaction(whole.request, RecordedResponse(200, {}, events=[*events, error_frame()]))
    text = serialize.dumps([whole, cut, failed])
    lazy = serialize.loads(text)
    assert all(i.response and i.response.lines for i in lazy)  # loaded unbuilt
    built = _built(serialize.loads(text))
    assert [missing_end(i) for i in lazy] == [missing_end(i) for i in built]
    assert missing_end(lazy[0]) is None and missing_end(lazy[1]) is not None
    # and it built none of them to know
    assert all(i.response and i.response.lines for i in lazy)


def _built(interactions: list[Interaction]) -> list[Interaction]:
    """``interactions`` with their streams' events built (their lines then forgotten)."""
    for interaction in interactions:
        assert interaction.response is not None and interaction.response.events is not None
        assert interaction.response.lines is None
    return interactions


_CHUNK_VALUES = st.sampled_from([None, "stop", "message_stop", "INTERVENED", True, {}, [1]])
_CHUNKS = st.dictionaries(
    st.sampled_from(
        ["stop_reason", "type", "metadata", "amazon-bedrock-invocationMetrics", "is_finished"]
        + ["amazon-bedrock-guardrailAction", "completionReason", "generation"]
    ),
    _CHUNK_VALUES,
    max_size=3,
) | st.lists(_CHUNK_VALUES, max_size=2)


@st.composite
def _invoke_line(draw: st.DrawFn) -> str:
    """A last line of an InvokeModelWithResponseStream stream, in any form a line takes."""
    chunk = json.dumps(draw(_CHUNKS), separators=(",", ":"))
    payload = draw(
        st.sampled_from(
            [
                '{"bytes":%s}',
                '{"bytes":%s,"p":"x"}',
                '{"bytes":%s,"bytes":{"stop_reason":"stop"}}',
                '{"p":%s}',
            ]
        )
    )
    if draw(st.booleans()):
        payload = payload.replace("%s", '"%s"', 1)  # the member as base64 text
        chunk = base64.b64encode(chunk.encode()).decode()
    kind = draw(st.sampled_from(["chunk", "chunk", "other", "exception modelStreamErrorException"]))
    return f"0.1 {kind} {payload % chunk}"


_CONVERSE_LINE = st.sampled_from(
    ["messageStart", "contentBlockDelta", "messageStop", "metadata", "messageStopped"]
) | st.sampled_from(["exception messageStop", "exception throttlingException"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_invoke_line(), min_size=1, max_size=3),
    st.lists(_CONVERSE_LINE.map(lambda t: f"0.1 {t} {{}}"), min_size=1, max_size=6),
    st.sampled_from([LLAMA, "anthropic.claude-3-haiku-20240307-v1:0", NOVA, "custom.model"]),
)
def test_the_end_check_reads_any_last_line_as_it_reads_its_event(
    invoke: list[str], converse: list[str], model_id: str
) -> None:
    streams = [
        stream(stream_build.from_text("\n".join(invoke), "#"), model_id=model_id),
        stream(stream_build.from_text("\n".join(converse), "#"), "ConverseStream", NOVA),
    ]
    text = serialize.dumps(streams)
    lazy = serialize.loads(text)
    assert all(i.response and i.response.lines for i in lazy)
    assert [missing_end(i) for i in lazy] == [missing_end(i) for i in _built(serialize.loads(text))]


# --- the command line ------------------------------------------------------------------------


def test_validate_flags_cut_streams_and_says_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "cut.yaml", plain(), cut_llama(), cut_converse())
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}: 2 problem(s) in 3 interaction(s)" in out
    assert (
        "  interaction 2 (ConverseStream amazon.nova-lite-v1:0): ConverseStream stream ends "
        "without messageStop/metadata: the recording was cut short; re-record it"
    ) in out.splitlines()
    assert "stop_reason and amazon-bedrock-invocationMetrics" in out
    assert "2 problem(s) in 1 cassette(s)" in out


def test_validate_names_the_missing_metadata_of_a_converse_stream(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "cut.yaml", stream(converse_events()[:-1], "ConverseStream", NOVA))
    assert main(["validate", str(path)]) == 1
    assert "ConverseStream stream ends without metadata: the recording" in capsys.readouterr().out


def test_inspect_marks_a_cut_stream(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "cut.yaml", stream(llama_events()), cut_llama())
    assert main(["inspect", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "CUT SHORT" not in lines[1]
    assert lines[2].endswith(
        ", CUT SHORT: ends without its final chunk (meta.llama: stop_reason and "
        "amazon-bedrock-invocationMetrics)"
    )


# --- no false alarm on real and bundled recordings -------------------------------------------


def _all_cassettes(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.yaml") if p.is_file())


@pytest.mark.parametrize(
    "folder",
    [
        BUNDLED,
        pytest.param(
            REAL_CASSETTES,
            marks=pytest.mark.skipif(
                not REAL_CASSETTES.is_dir(), reason="../shared/real-cassettes is absent"
            ),
        ),
    ],
    ids=["bundled", "real"],
)
def test_no_recorded_stream_is_flagged(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = _all_cassettes(folder)
    assert paths
    streams = 0
    for path in paths:
        with warnings.catch_warnings():
            warnings.simplefilter("error", TruncatedStreamWarning)
            loaded = storage.load_file(path)
        assert cut_short(loaded) == [], path
        streams += sum(i.response is not None and i.response.is_stream for i in loaded)
    assert streams > 0
    assert main(["validate", "-q", str(folder)]) == 0, capsys.readouterr().out
