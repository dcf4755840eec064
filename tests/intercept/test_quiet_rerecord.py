"""Re-recording an unchanged answer leaves the cassette as it was (issue 10.6), and re-recording
can drop what was not played (issue 10.5), against the project's own local server."""

from __future__ import annotations

import difflib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bedrock_vcr import RecordedRequest, RecordedResponse, use_cassette
from bedrock_vcr.cassettes import storage
from bedrock_vcr.cli.scrub import scrub_file
from bedrock_vcr.intercept import settings
from bedrock_vcr.intercept.player import CassettePlayer
from bedrock_vcr.server.http1 import BedrockServer
from bedrock_vcr.server.sources import ScriptedSource

from .. import scripted
from .test_record_replay import LLAMA, OPERATIONS, client, run_operation

pytestmark = pytest.mark.usefixtures("aws_env")

#: the five cassettes of the issue: each operation, and a recorded throttle
CALLS = [(op, "hello") for op in OPERATIONS] + [("invoke_model", "THROTTLE")]


class Answers:
    """The scripted answers, with the InvokeModel text changeable between recordings."""

    def __init__(self) -> None:
        self.generation: str | None = None

    def __call__(self, request: RecordedRequest) -> RecordedResponse | None:
        response = scripted.answer(request)
        if response is not None and self.generation and request.operation == "InvokeModel":
            body = json.loads(response.body)
            body["generation"] = self.generation
            response.body = json.dumps(body).encode()
        return response


@pytest.fixture
def answers() -> Answers:
    return Answers()


@pytest.fixture
def live(answers: Answers) -> Iterator[BedrockServer]:
    with BedrockServer([ScriptedSource(answers)], speed=1.0) as srv:
        yield srv


def record(url: str, folder: Path, mode: str, **options: Any) -> dict[str, Any]:
    """Record every call of CALLS into its own cassette; what each call returned."""
    seen = {}
    for operation, prompt in CALLS:
        path = folder / f"{operation}-{prompt}.yaml"
        with use_cassette(path, record_mode=mode, **options):
            seen[path.name] = run_operation(client(url), operation, prompt)
    return seen


def texts(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.glob("*.yaml"))}


def changed_lines(before: dict[str, str], after: dict[str, str]) -> int:
    return sum(
        1
        for name in before
        for line in difflib.unified_diff(before[name].splitlines(), after[name].splitlines())
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    )


@pytest.mark.parametrize(
    ("mode", "options"),
    [("rewrite", {}), ("all", {"drop_unplayed": True})],
    ids=["rewrite", "all-drop_unplayed"],
)
def test_rerecording_unchanged_answers_leaves_every_cassette_byte_identical(
    live: BedrockServer, tmp_path: Path, mode: str, options: dict[str, Any]
) -> None:
    record(live.url, tmp_path, "once")
    before = texts(tmp_path)
    time.sleep(1.05)  # a new second: the date and recorded_at would differ
    record(live.url, tmp_path, mode, **options)
    after = texts(tmp_path)
    assert len(after) == 5
    assert changed_lines(before, after) == 0


def test_exact_volatile_writes_every_recording_as_it_came(
    live: BedrockServer, tmp_path: Path
) -> None:
    record(live.url, tmp_path, "once")
    before = texts(tmp_path)
    seen = record(live.url, tmp_path, "rewrite", exact_volatile=True)
    for name, text in texts(tmp_path).items():
        assert text != before[name]
        (interaction,) = storage.load_file(tmp_path / name)
        assert interaction.response is not None
        live_id = seen[name]["meta"]["RequestId"] if "meta" in seen[name] else None
        if live_id is not None:  # what the client saw is what the file now holds
            assert interaction.response.header("x-amzn-requestid") == live_id


def test_a_changed_answer_is_written_whole_and_unchanged_ones_stay(
    live: BedrockServer, answers: Answers, tmp_path: Path
) -> None:
    path = tmp_path / "two.yaml"
    with use_cassette(path, record_mode="once"):
        run_operation(client(live.url), "converse")
        run_operation(client(live.url), "invoke_model")
    old_converse, old_invoke = storage.load_file(path)
    answers.generation = "a different answer"
    with use_cassette(path, record_mode="rewrite"):
        run_operation(client(live.url), "converse")
        fresh = run_operation(client(live.url), "invoke_model")
    converse, invoke = storage.load_file(path)
    assert converse == old_converse  # every value as it was
    assert invoke.response is not None and old_invoke.response is not None
    assert json.loads(invoke.response.body)["generation"] == "a different answer"
    assert invoke.response.header("x-amzn-requestid") == fresh["meta"]["RequestId"]
    assert invoke.response.header("x-amzn-requestid") != old_invoke.response.header(
        "x-amzn-requestid"
    )


MESSAGES = [{"role": "user", "content": [{"text": "x"}]}]


def _calls(url: str) -> list[dict[str, Any]]:
    """What botocore gives the caller: metadata (date included) and the answer."""
    c = client(url)
    r = c.invoke_model(modelId=LLAMA, body=json.dumps({"prompt": "hello", "max_gen_len": 32}))
    seen = [{"meta": r["ResponseMetadata"], "body": r["body"].read()}]
    r = c.converse_stream(modelId=LLAMA, messages=MESSAGES)
    seen.append({"meta": r["ResponseMetadata"], "events": list(r["stream"])})
    return seen


def _replayed(url: str, path: Path) -> list[dict[str, Any]]:
    with use_cassette(path):
        return _calls(url)


def test_replay_after_a_quiet_rerecord_exposes_what_the_file_says(
    live: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "replayed.yaml"
    with use_cassette(path, record_mode="once"):
        _calls(live.url)
    replayed_before = _replayed(live.url, path)
    time.sleep(1.05)
    with use_cassette(path, record_mode="rewrite"):
        _calls(live.url)
    replayed_after = _replayed(live.url, path)
    assert replayed_after == replayed_before
    for seen, interaction in zip(replayed_after, storage.load_file(path), strict=True):
        assert interaction.response is not None
        headers = seen["meta"]["HTTPHeaders"]
        assert seen["meta"]["RequestId"] == interaction.response.header("x-amzn-requestid")
        assert headers["date"] == interaction.response.header("date")


def test_a_scrubbed_cassette_stays_scrubbed_when_rerecorded(
    live: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "scrubbed.yaml"
    with use_cassette(path, record_mode="once"):
        run_operation(client(live.url), "converse")
    assert scrub_file(path, path, {"date", "x-amzn-requestid"}) == 2
    scrubbed = path.read_text()
    with use_cassette(path, record_mode="rewrite"):
        run_operation(client(live.url), "converse")
    assert path.read_text() == scrubbed


def _prompts(path: Path) -> list[str]:
    return [json.loads(i.request.body)["prompt"] for i in storage.load_file(path)]


def _invoke(url: str, *prompts: str) -> None:
    c = client(url)
    for prompt in prompts:
        c.invoke_model(modelId=LLAMA, body=json.dumps({"prompt": prompt}))


@pytest.mark.parametrize(
    ("drop", "expected"),
    [(False, ["one", "two", "three"]), (True, ["one", "three"])],
    ids=["kept-by-default", "dropped"],
)
def test_new_episodes_can_drop_what_it_did_not_play(
    live: BedrockServer, tmp_path: Path, drop: bool, expected: list[str]
) -> None:
    path = tmp_path / "episodes.yaml"
    with use_cassette(path, record_mode="once"):
        _invoke(live.url, "one", "two")
    first = storage.load_file(path)[0]
    with use_cassette(path, record_mode="new_episodes", drop_unplayed=drop) as cassette:
        _invoke(live.url, "one", "three")  # "one" replays, "three" is recorded
    assert cassette.play_count == 1
    assert _prompts(path) == expected
    assert storage.load_file(path)[0] == first


def test_drop_unplayed_writes_even_when_nothing_new_was_recorded(
    live: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "episodes.yaml"
    with use_cassette(path, record_mode="once"):
        _invoke(live.url, "one", "two")
    with use_cassette(path, record_mode="new_episodes", drop_unplayed=True):
        _invoke(live.url, "two")
    assert _prompts(path) == ["two"]
    with use_cassette(path, record_mode="none", drop_unplayed=True):
        pass  # replay only: the option changes nothing
    assert _prompts(path) == ["two"]


def test_all_with_drop_unplayed_keeps_only_this_runs_recordings(
    live: BedrockServer, tmp_path: Path
) -> None:
    path = tmp_path / "all.yaml"
    with use_cassette(path, record_mode="once"):
        _invoke(live.url, "one", "two")
    before = path.read_text()
    with use_cassette(path, record_mode="all"):
        _invoke(live.url, "one")
    assert _prompts(path) == ["one", "two", "one"]  # all appends by default
    path.write_text(before)
    first = storage.load_file(path)[0]
    with use_cassette(path, record_mode="all", drop_unplayed=True):
        _invoke(live.url, "one")
    assert _prompts(path) == ["one"]
    assert storage.load_file(path) == [first]  # an unchanged answer: the file's values


def _player(path: Path, run: str) -> CassettePlayer:
    """A cassette of the pytest run ``run`` (as the plugin opens one per test)."""
    config = settings.build({"record_mode": "rewrite"})
    config.run = run
    return CassettePlayer.open(path, config)


@pytest.mark.parametrize("overlapping", [False, True], ids=["one-after-another", "overlapping"])
def test_tests_of_one_run_sharing_a_cassette_rerecord_it_quietly(
    live: BedrockServer, tmp_path: Path, overlapping: bool
) -> None:
    path = tmp_path / "shared.yaml"
    for run in ("first run", "second run"):
        if run == "second run":
            before = path.read_text()
            time.sleep(1.05)
        players = [_player(path, run), _player(path, run)] if overlapping else []
        for n, prompt in enumerate(["one", "two"]):
            player = players[n] if overlapping else _player(path, run)
            with player:
                _invoke(live.url, prompt)
    assert _prompts(path) == ["one", "two"]
    assert path.read_text() == before


def test_a_block_that_fails_drops_nothing(live: BedrockServer, tmp_path: Path) -> None:
    path = tmp_path / "episodes.yaml"
    with use_cassette(path, record_mode="once"):
        _invoke(live.url, "one", "two")
    with (
        pytest.raises(RuntimeError),
        use_cassette(path, record_mode="new_episodes", drop_unplayed=True),
    ):
        _invoke(live.url, "one", "three")
        raise RuntimeError("the test stopped before asking 'two'")
    assert _prompts(path) == ["one", "two", "three"]  # the recording is kept, nothing dropped
