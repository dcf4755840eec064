"""Several cassettes for one test: replay from the own one and the extras, record into the own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bedrock_vcr import CassetteNotFoundError, UnmatchedRequestError, use_cassette
from bedrock_vcr.server.http1 import BedrockServer

from ..helpers import bedrock_client

LLAMA = "meta.llama3-8b-instruct-v1:0"

pytestmark = pytest.mark.usefixtures("aws_env")


def _ask(client: Any, prompt: str) -> str:
    tokens = 32 if prompt == "alpha" else 16
    response = client.invoke_model(
        modelId=LLAMA, body=json.dumps({"prompt": prompt, "max_gen_len": tokens})
    )
    return str(json.loads(response["body"].read())["generation"])


@pytest.fixture
def shared(server: BedrockServer, tmp_path: Path) -> tuple[Path, Path]:
    """Two recorded cassettes: "alpha" (asked twice) in one, "beta" in the other."""
    first, second = tmp_path / "shared" / "first.yaml", tmp_path / "shared" / "second.yaml"
    with use_cassette(first, record_mode="once"):
        _ask(bedrock_client(server.url), "alpha")
        _ask(bedrock_client(server.url), "alpha")
    with use_cassette(second, record_mode="once"):
        _ask(bedrock_client(server.url), "beta")
    return first, second


def test_replays_from_every_extra_and_writes_nothing(
    shared: tuple[Path, Path], tmp_path: Path
) -> None:
    before = [p.read_text() for p in shared]
    own = tmp_path / "own.yaml"
    with use_cassette(own, extra_cassettes=list(shared)) as cassette:
        client = bedrock_client()
        assert _ask(client, "beta") and _ask(client, "alpha") and _ask(client, "alpha")
        with pytest.raises(UnmatchedRequestError):  # each recording plays once, as anywhere
            _ask(client, "alpha")
    assert cassette.calls.call_count() == 4
    assert not own.exists()  # none mode: an own cassette that never existed is not needed
    assert [p.read_text() for p in shared] == before


def test_records_what_no_cassette_holds_into_the_own_one_only(
    shared: tuple[Path, Path], server: BedrockServer, tmp_path: Path
) -> None:
    own = tmp_path / "own.yaml"
    with use_cassette(own, record_mode="once", extra_cassettes=[str(shared[1])]):
        client = bedrock_client(server.url)
        _ask(client, "beta")  # replayed from the extra
        _ask(client, "gamma")  # recorded
    text = own.read_text()
    assert "gamma" in text and "beta" not in text
    with use_cassette(own, extra_cassettes=shared[1]):  # one path works too
        _ask(bedrock_client(), "gamma")
        _ask(bedrock_client(), "beta")


def test_the_own_cassette_is_asked_first(shared: tuple[Path, Path], tmp_path: Path) -> None:
    with use_cassette(shared[0], extra_cassettes=[shared[0], shared[1]]) as cassette:
        _ask(bedrock_client(), "alpha")
        _ask(bedrock_client(), "alpha")
    assert cassette.play_count == 2  # the own cassette played both; a duplicate extra is dropped


def test_rewrite_records_everything_into_the_own_cassette(
    shared: tuple[Path, Path], server: BedrockServer, tmp_path: Path
) -> None:
    own = tmp_path / "own.yaml"
    with use_cassette(own, record_mode="rewrite", extra_cassettes=list(shared)) as cassette:
        _ask(bedrock_client(server.url), "beta")
    assert len(cassette.new_interactions) == 1 and "beta" in own.read_text()


def test_an_unmatched_request_names_the_cassette_with_the_closest_recording(
    shared: tuple[Path, Path], tmp_path: Path
) -> None:
    own = tmp_path / "own.yaml"
    with use_cassette(own, extra_cassettes=list(shared)):
        with pytest.raises(UnmatchedRequestError) as info:
            _ask(bedrock_client(), "betx")
    error = info.value
    assert error.cassette == shared[1] and error.record_mode == "none"
    assert f"searched the test's cassette {own} (where new recordings go)" in error.reason
    assert f"{shared[0]}, {shared[1]}; the closest recordings are in the cassette below" in str(
        error
    )
    assert 'body #/prompt: recorded "beta", request "betx"' in str(error)


def test_a_missing_extra_cassette_fails_at_once(tmp_path: Path) -> None:
    missing = tmp_path / "typo.yaml"
    with pytest.raises(CassetteNotFoundError, match="extra cassette .*does not exist") as info:
        with use_cassette(tmp_path / "own.yaml", extra_cassettes=[missing]):
            pass
    assert info.value.path == missing


def test_a_vcrpy_file_serves_as_an_extra_cassette(tmp_path: Path) -> None:
    import yaml

    from .vcrpy_samples import LLAMA as VCRPY_LLAMA
    from .vcrpy_samples import doc, item

    recorded = tmp_path / "from_vcrpy.yaml"
    recorded.write_text(yaml.safe_dump(doc(item())))  # prompt "hi" -> generation "hello"
    with use_cassette(tmp_path / "own.yaml", extra_cassettes=[recorded]) as cassette:
        response = bedrock_client().invoke_model(
            modelId=VCRPY_LLAMA, body=json.dumps({"prompt": "hi"})
        )
        assert json.loads(response["body"].read()) == {"generation": "hello"}
    assert cassette.calls.call_count(model_id=VCRPY_LLAMA) == 1
