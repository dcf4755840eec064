"""The in-memory cassette: record modes, the matching index, repeats and the unmatched message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bedrock_vcr.cassettes import storage
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cassettes.cassette import Cassette, CassetteConfig, RecordMode
from bedrock_vcr.cassettes.matching import MatchConfig
from bedrock_vcr.cassettes.records import Interaction, RecordedRequest, RecordedResponse
from bedrock_vcr.errors import CassetteNotFoundError, ConfigError, UnmatchedRequestError

LLAMA = "meta.llama3-8b-instruct-v1:0"
TITAN = "amazon.titan-text-express-v1"


def ask(
    prompt: str, model: str = LLAMA, operation: str = "InvokeModel", **extra: Any
) -> RecordedRequest:
    body = json.dumps({"prompt": prompt, **extra}).encode()
    return RecordedRequest(operation, model, body, {"accept": "application/json"})


def answer(text: str) -> RecordedResponse:
    return RecordedResponse(
        200, {"x-amzn-requestid": text}, body=json.dumps({"generation": text}).encode()
    )


def write(path: Path, *pairs: tuple[RecordedRequest, RecordedResponse]) -> Path:
    storage.write_atomic(path, serialize.dumps([Interaction(q, a) for q, a in pairs]))
    return path


def generation(interaction: Interaction | None) -> str:
    assert interaction is not None and interaction.response is not None
    return str(json.loads(interaction.response.body)["generation"])


def serve(cassette: Cassette, request: RecordedRequest, live: str) -> str:
    """What the player does with one request: replay, record ``live``, or fail."""
    found = cassette.find(request)
    if found is not None:
        return generation(found)
    if not cassette.records:
        raise cassette.unmatched(request)
    cassette.complete(cassette.reserve(request), answer(live))
    return live


def on_file(path: Path) -> list[str]:
    return [generation(i) for i in storage.load_file(path)]


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    return write(
        tmp_path / "c.yaml", (ask("Hi"), answer("old hi")), (ask("Bye"), answer("old bye"))
    )


# --- record modes ---------------------------------------------------------------------------

PARSE_CASES = [
    ("lower", "none", RecordMode.NONE),
    ("upper", "ONCE", RecordMode.ONCE),
    ("padded", " new_episodes ", RecordMode.NEW_EPISODES),
    ("enum", RecordMode.ALL, RecordMode.ALL),
    ("rewrite", "rewrite", RecordMode.REWRITE),
]


@pytest.mark.parametrize(
    ("value", "mode"), [c[1:] for c in PARSE_CASES], ids=[c[0] for c in PARSE_CASES]
)
def test_record_mode_parse(value: Any, mode: RecordMode) -> None:
    assert RecordMode.parse(value) is mode


@pytest.mark.parametrize("value", ["sometimes", "new-episodes", ""])
def test_unknown_record_mode_lists_the_valid_ones(value: str) -> None:
    with pytest.raises(
        ConfigError,
        match=rf"unknown record mode {value!r}; "
        "valid modes: none, once, new_episodes, all, rewrite$",
    ):
        RecordMode.parse(value)


def test_cassette_parses_a_mode_given_as_text(tmp_path: Path) -> None:
    cassette = Cassette(tmp_path / "c.yaml", CassetteConfig(record_mode="ONCE"))  # type: ignore[arg-type,unused-ignore]
    assert cassette.record_mode is RecordMode.ONCE
    with pytest.raises(ConfigError, match="valid modes"):
        Cassette(tmp_path / "c.yaml", CassetteConfig(record_mode="replay"))  # type: ignore[arg-type,unused-ignore]


MODE_CASES = [
    # mode, file exists, records unmatched requests, replays recorded ones, loaded interactions
    ("none", False, False, True, 0),
    ("none", True, False, True, 2),
    ("once", False, True, True, 0),
    ("once", True, False, True, 2),
    ("new_episodes", False, True, True, 0),
    ("new_episodes", True, True, True, 2),
    ("all", False, True, False, 0),
    ("all", True, True, False, 2),
    ("rewrite", False, True, False, 0),
    ("rewrite", True, True, False, 0),
]


@pytest.mark.parametrize(
    ("mode", "exists", "records", "replays", "loaded"),
    MODE_CASES,
    ids=[f"{c[0]}-{'existing' if c[1] else 'absent'}" for c in MODE_CASES],
)
def test_record_mode_decisions(
    tmp_path: Path, mode: str, exists: bool, records: bool, replays: bool, loaded: int
) -> None:
    path = tmp_path / "c.yaml"
    if exists:
        write(path, (ask("Hi"), answer("old hi")), (ask("Bye"), answer("old bye")))
    cassette = Cassette(path, CassetteConfig(record_mode=RecordMode.parse(mode)))
    assert (cassette.records, cassette.replays, len(cassette.interactions)) == (
        records,
        replays,
        loaded,
    )
    found = cassette.find(ask("Hi"))
    assert (found is not None) is (replays and loaded > 0)


def test_none_mode_without_a_cassette_fails_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    cassette = Cassette(path)
    with pytest.raises(CassetteNotFoundError, match="record mode 'none' only replays") as caught:
        cassette.check_exists()
    assert issubclass(CassetteNotFoundError, AssertionError)
    assert caught.value.path == path
    assert "--bedrock-record-mode=once" in str(caught.value)
    for mode in ("once", "new_episodes", "all", "rewrite"):
        Cassette(path, CassetteConfig(record_mode=RecordMode.parse(mode))).check_exists()


def test_none_replays_and_refuses_the_rest(recorded: Path) -> None:
    before = recorded.read_bytes()
    cassette = Cassette(recorded)
    assert serve(cassette, ask("Hi"), "live") == "old hi"
    with pytest.raises(UnmatchedRequestError):
        serve(cassette, ask("New"), "live")
    assert cassette.save() is False
    assert recorded.read_bytes() == before


def test_once_records_a_new_cassette_then_only_replays(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    first = Cassette(path, CassetteConfig(record_mode=RecordMode.ONCE))
    assert serve(first, ask("Hi"), "live hi") == "live hi"
    assert first.save() is True
    second = Cassette(path, CassetteConfig(record_mode=RecordMode.ONCE))
    assert serve(second, ask("Hi"), "other") == "live hi"
    with pytest.raises(UnmatchedRequestError, match="record mode: once"):
        serve(second, ask("New"), "live")
    assert on_file(path) == ["live hi"]


def test_new_episodes_replays_matches_and_appends_the_rest(recorded: Path) -> None:
    cassette = Cassette(recorded, CassetteConfig(record_mode=RecordMode.NEW_EPISODES))
    assert serve(cassette, ask("Hi"), "live") == "old hi"
    assert serve(cassette, ask("New"), "live new") == "live new"
    assert cassette.save() is True
    assert on_file(recorded) == ["old hi", "old bye", "live new"]


def test_all_records_everything_and_keeps_the_old_interactions(recorded: Path) -> None:
    cassette = Cassette(recorded, CassetteConfig(record_mode=RecordMode.ALL))
    assert serve(cassette, ask("Hi"), "live hi") == "live hi"
    cassette.save()
    assert on_file(recorded) == ["old hi", "old bye", "live hi"]


def test_rewrite_starts_the_cassette_anew(recorded: Path) -> None:
    cassette = Cassette(recorded, CassetteConfig(record_mode=RecordMode.REWRITE))
    assert serve(cassette, ask("Hi"), "live hi") == "live hi"
    cassette.save()
    assert on_file(recorded) == ["live hi"]


def test_recording_hooks_rewrite_or_drop_before_saving(tmp_path: Path) -> None:
    def scrub(request: RecordedRequest) -> RecordedRequest | None:
        return None if b"secret" in request.body else request

    def tag(response: RecordedResponse) -> RecordedResponse:
        response.headers["x-scrubbed"] = "yes"
        return response

    path = tmp_path / "c.yaml"
    config = CassetteConfig(
        record_mode=RecordMode.ONCE, before_record_request=scrub, before_record_response=tag
    )
    cassette = Cassette(path, config)
    serve(cassette, ask("keep"), "kept")
    serve(cassette, ask("secret"), "dropped")
    cassette.save()
    (only,) = storage.load_file(path)
    assert only.response is not None and only.response.headers["x-scrubbed"] == "yes"
    assert generation(only) == "kept"


def test_save_finishes_streams_still_being_recorded(tmp_path: Path) -> None:
    cassette = Cassette(tmp_path / "c.yaml", CassetteConfig(record_mode=RecordMode.ONCE))
    slot = cassette.reserve(ask("Hi"))
    cassette.add_pending(lambda: cassette.complete(slot, answer("drained")))
    assert cassette.save() is True
    assert on_file(cassette.path) == ["drained"]


# --- matching and repeats -------------------------------------------------------------------


def test_matching_ignores_body_layout(tmp_path: Path) -> None:
    layout = RecordedRequest("InvokeModel", LLAMA, b'{\n  "temperature": 0.5,\n  "prompt": "Hi"\n}')
    path = write(tmp_path / "c.yaml", (layout, answer("pretty")))
    cassette = Cassette(path)
    assert generation(cassette.find(ask("Hi", temperature=0.5))) == "pretty"


def test_repeated_requests_replay_in_recorded_order_then_run_out(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.yaml",
        (ask("Hi"), answer("first")),
        (ask("Other"), answer("other")),
        (ask("Hi"), answer("second")),
        (ask("Hi"), answer("third")),
    )
    cassette = Cassette(path)
    assert [generation(cassette.find(ask("Hi"))) for _ in range(3)] == ["first", "second", "third"]
    assert cassette.find(ask("Hi")) is None
    error = cassette.unmatched(ask("Hi"))
    assert error.reason == (
        "was already answered by all 3 matching recorded interaction(s); "
        "set allow_playback_repeats=True to replay them again"
    )
    assert [c.index for c in error.candidates] == [0, 2, 3]
    assert "allow_playback_repeats=True" in str(error)
    assert not cassette.all_played()
    assert generation(cassette.find(ask("Other"))) == "other"
    assert cassette.all_played()
    assert cassette.play_count == 4


def test_allow_playback_repeats_keeps_answering_with_the_last_answer(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", (ask("Hi"), answer("first")), (ask("Hi"), answer("second")))
    cassette = Cassette(path, CassetteConfig(allow_playback_repeats=True))
    answers = [generation(cassette.find(ask("Hi"))) for _ in range(4)]
    assert answers == ["first", "second", "second", "second"]
    assert [generation(i) for i in cassette.played] == answers


def test_ignore_body_keys_applies_to_the_index(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", (ask("Hi", temperature=0.5), answer("hi")))
    strict = Cassette(path)
    loose = Cassette(
        path, CassetteConfig(match=MatchConfig.build(ignore_body_keys=["temperature"]))
    )
    assert strict.find(ask("Hi", temperature=0.9)) is None
    assert generation(loose.find(ask("Hi", temperature=0.9))) == "hi"


def test_custom_matcher_refines_the_match(tmp_path: Path) -> None:
    first = RecordedRequest(
        "InvokeModel", LLAMA, b'{"prompt":"Hi"}', {"x-amzn-bedrock-trace": "ENABLED"}
    )
    second = RecordedRequest(
        "InvokeModel", LLAMA, b'{"prompt":"Hi"}', {"x-amzn-bedrock-trace": "DISABLED"}
    )
    path = write(tmp_path / "c.yaml", (first, answer("traced")), (second, answer("plain")))

    def same_trace(recorded: RecordedRequest, incoming: RecordedRequest) -> bool:
        return recorded.headers.get("x-amzn-bedrock-trace") == incoming.headers.get(
            "x-amzn-bedrock-trace"
        )

    cassette = Cassette(path, CassetteConfig(match=MatchConfig.build(matcher=same_trace)))
    assert generation(cassette.find(second)) == "plain"
    assert generation(cassette.find(first)) == "traced"


def test_request_rejected_by_the_matcher_is_explained_not_called_exhausted(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", (ask("Hi"), answer("hi")))
    cassette = Cassette(path, CassetteConfig(match=MatchConfig.build(matcher=lambda a, b: False)))
    assert cassette.find(ask("Hi")) is None
    error = cassette.unmatched(ask("Hi"))
    assert error.reason == "matches no recorded interaction"
    assert error.candidates[0].differences == ("the custom matcher rejected it",)
    assert "- the custom matcher rejected it" in str(error)


def test_lookup_only_compares_the_requests_with_the_same_key(tmp_path: Path) -> None:
    """The custom matcher runs after the hash lookup: only on same-key recordings."""
    pairs = [(ask(f"prompt {i}"), answer(str(i))) for i in range(300)]
    path = write(tmp_path / "c.yaml", *pairs, (ask("prompt 7"), answer("7 again")))
    compared: list[str] = []

    def counting(recorded: RecordedRequest, incoming: RecordedRequest) -> bool:
        compared.append(recorded.json["prompt"])
        return True

    cassette = Cassette(path, CassetteConfig(match=MatchConfig.build(matcher=counting)))
    assert generation(cassette.find(ask("prompt 123"))) == "123"
    assert compared == ["prompt 123"]
    compared.clear()
    assert cassette.find(ask("prompt 300")) is None
    assert compared == []
    assert [generation(cassette.find(ask("prompt 7"))) for _ in range(2)] == ["7", "7 again"]
    # The second lookup starts after the used answer: one comparison each.
    assert compared == ["prompt 7", "prompt 7"]


# --- the unmatched-request message ------------------------------------------------------------


def test_unmatched_message_names_everything_needed_to_fix_it(tmp_path: Path) -> None:
    path = write(
        tmp_path / "chat.yaml",
        (ask("Hi", model=TITAN), answer("titan")),
        (ask("Hi", temperature=0.5, max_gen_len=64), answer("close")),
        (ask("Hello there", temperature=0.5), answer("further")),
        (ask("Hi", temperature=0.5, max_gen_len=64, operation="Converse"), answer("other op")),
    )
    cassette = Cassette(path, CassetteConfig(record_mode=RecordMode.ONCE))
    incoming = ask("Hi", temperature=0.9, max_gen_len=64)
    assert cassette.find(incoming) is None
    error = cassette.unmatched(incoming)
    assert issubclass(UnmatchedRequestError, AssertionError)
    assert (error.operation, error.model_id, error.cassette, error.record_mode) == (
        "InvokeModel",
        LLAMA,
        path,
        "once",
    )
    assert [(c.index, c.differences) for c in error.candidates] == [
        (1, ("body #/temperature: recorded 0.5, request 0.9",)),
        (
            2,
            (
                'body #/prompt: recorded "Hello there", request "Hi"',
                "body #/temperature: recorded 0.5, request 0.9",
                "body #/max_gen_len: only in the request (64)",
            ),
        ),
        (
            3,
            (
                "operation: recorded Converse, request InvokeModel",
                "body #/temperature: recorded 0.5, request 0.9",
            ),
        ),
    ]
    text = str(error)
    for expected in (
        f"InvokeModel request to model {LLAMA!r} matches no recorded interaction.",
        f"cassette: {path}",
        "record mode: once",
        f"#1 InvokeModel {LLAMA}",
        "- body #/temperature: recorded 0.5, request 0.9",
        "--bedrock-record-mode=new_episodes",
        "ignore_body_keys",
    ):
        assert expected in text


def test_unmatched_in_an_empty_cassette_says_so(tmp_path: Path) -> None:
    cassette = Cassette(tmp_path / "absent.yaml")
    with pytest.raises(
        UnmatchedRequestError, match="the cassette holds no request for this operation and model"
    ):
        raise cassette.unmatched(ask("Hi"))
