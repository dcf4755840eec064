"""A cassette whose recorded answers passed the load check is not checked again in the next
process while its bytes, the schemas and the settings stay the same; findings are reported on
every load. Likewise a replayed request that is byte for byte a recorded one, once every
recorded request passed the request check."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from bedrock_vcr import use_cassette
from bedrock_vcr.cassettes import storage
from bedrock_vcr.cassettes.cassette import Cassette
from bedrock_vcr.cassettes.records import RecordedRequest
from bedrock_vcr.errors import SchemaDriftWarning
from bedrock_vcr.validation import checks as checks_module
from bedrock_vcr.validation import policy
from bedrock_vcr.validation.settings import ValidationSettings

from .test_checks import LLAMA, LLAMA_ANSWER, interaction, plain, write


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The cassettes whose recorded answers were checked, each load as in a new process."""
    monkeypatch.delenv("BEDROCK_VCR_CACHE", raising=False)
    checked: list[Path] = []
    real = policy.check_interactions

    def counting(interactions, *, path, **kwargs):  # type: ignore[no-untyped-def]
        checked.append(path)
        return real(interactions, path=path, **kwargs)

    monkeypatch.setattr(policy, "check_interactions", counting)
    return checked


def new_process_load(path: Path, **options: object) -> None:
    storage._cache.clear()
    policy._LOAD_CACHE.clear()
    with use_cassette(path, **options):  # type: ignore[arg-type]
        pass


def test_a_clean_cassette_is_checked_once(tmp_path: Path, checks: list[Path]) -> None:
    path = write(tmp_path / "clean.yaml", interaction(LLAMA, {"prompt": "a"}, plain(LLAMA_ANSWER)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            new_process_load(path)
    assert checks == [path]


def test_an_edited_cassette_or_other_settings_are_checked_again(
    tmp_path: Path, checks: list[Path]
) -> None:
    path = write(tmp_path / "clean.yaml", interaction(LLAMA, {"prompt": "a"}, plain(LLAMA_ANSWER)))
    new_process_load(path)
    new_process_load(path, model_families={"my-model": "meta.llama"})
    write(path, interaction(LLAMA, {"prompt": "b"}, plain(LLAMA_ANSWER)))
    new_process_load(path)
    assert checks == [path, path, path]


def test_findings_are_reported_on_every_load(tmp_path: Path, checks: list[Path]) -> None:
    drifted = {**LLAMA_ANSWER, "stop_reason": 5}  # a type violation (a new enum value is drift)
    path = write(tmp_path / "drifted.yaml", interaction(LLAMA, {"prompt": "a"}, plain(drifted)))
    for _ in range(2):
        with pytest.warns(SchemaDriftWarning, match=r"#/stop_reason \[type\]"):
            new_process_load(path)
    assert checks == [path, path]


def test_with_the_cache_off_every_load_is_checked(
    tmp_path: Path, checks: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEDROCK_VCR_CACHE", "off")
    path = write(tmp_path / "clean.yaml", interaction(LLAMA, {"prompt": "a"}, plain(LLAMA_ANSWER)))
    new_process_load(path)
    new_process_load(path)
    assert checks == [path, path]


def test_an_edited_schema_or_check_module_means_a_check_again(
    tmp_path: Path, checks: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bedrock_vcr.validation import schemas, verdicts

    shipped = tmp_path / "schemas"
    shipped.mkdir()
    for file in schemas._schema_dir().glob("*.json"):
        (shipped / file.name).write_bytes(file.read_bytes())
    monkeypatch.setattr(verdicts, "_schema_dir", lambda: shipped)
    monkeypatch.setattr(verdicts, "_code", None)
    monkeypatch.setattr(verdicts, "_keys", {})
    path = write(tmp_path / "clean.yaml", interaction(LLAMA, {"prompt": "a"}, plain(LLAMA_ANSWER)))
    new_process_load(path)
    new_process_load(path)
    assert checks == [path]

    edited = sorted(shipped.glob("*.json"))[0]
    edited.write_bytes(edited.read_bytes() + b"\n")  # a new size and a new time
    monkeypatch.setattr(verdicts, "_code", None)  # as a new process works them out
    monkeypatch.setattr(verdicts, "_keys", {})
    new_process_load(path)
    assert checks == [path, path]
    new_process_load(path)
    assert checks == [path, path]


# --- replayed requests that are recorded ones ------------------------------------------------


@pytest.fixture
def validated(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The request bodies checked against their schema."""
    monkeypatch.delenv("BEDROCK_VCR_CACHE", raising=False)
    seen: list[bytes] = []
    real = checks_module.validate_request

    def counting(model_id, body, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(json.dumps(body).encode())
        return real(model_id, body, **kwargs)

    monkeypatch.setattr(checks_module, "validate_request", counting)
    return seen


def new_process_checks(path: Path) -> policy.CassetteChecks:
    storage._cache.clear()
    checks_module._VERDICTS.clear()
    return policy.CassetteChecks(Cassette(path), ValidationSettings())


def sent(body: bytes) -> RecordedRequest:
    return RecordedRequest(operation="InvokeModel", model_id=LLAMA, body=body)


def test_a_replayed_request_that_is_a_recorded_one_takes_their_verdict(
    tmp_path: Path, validated: list[bytes]
) -> None:
    # a test's request holding the JSON value of a recorded one (written any way) is not
    # checked again once every recorded request passed; that they passed is remembered for
    # the next process
    recorded = [
        interaction(LLAMA, {"prompt": "a", "max_gen_len": 5}, plain(LLAMA_ANSWER)),
        interaction(LLAMA, {"prompt": "b"}, plain(LLAMA_ANSWER)),
    ]
    path = write(tmp_path / "c.yaml", *recorded)
    first = new_process_checks(path)
    assert first.check_request(sent(b'{"prompt": "a", "max_gen_len": 5}')) is None
    assert first.check_request(sent(b'{"prompt":"b"}')) is None
    assert len(validated) == 2  # the two recorded requests, checked once
    validated.clear()
    later = new_process_checks(path)
    assert later.check_request(sent(b'{"max_gen_len":5,  "prompt":"a"}')) is None
    assert later.check_request(sent(b'{"prompt": "b"}')) is None
    assert validated == []
    # the same bytes again are answered by the process's verdict memo, without the value text
    texts: list[RecordedRequest] = []
    text_of = policy._verdict_key
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(policy, "_verdict_key", lambda r: texts.append(r) or text_of(r))
        assert later.check_request(sent(b'{"prompt": "b"}')) is None
    assert texts == [] and validated == []
    # any other value is checked (5.0 is not 5 here), and a bad one still gets Bedrock's 400
    assert later.check_request(sent(b'{"prompt": "a", "max_gen_len": 5.0}')) is None
    rejected = later.check_request(sent(b'{"prompt": 5}'))
    assert rejected is not None and rejected.status == 400
    assert len(validated) == 2


def test_a_request_the_schema_refuses_keeps_every_replayed_request_checked(
    tmp_path: Path, validated: list[bytes]
) -> None:
    bad = interaction(LLAMA, {"prompt": 5}, plain(LLAMA_ANSWER))  # recorded, yet refused now
    path = write(tmp_path / "c.yaml", interaction(LLAMA, {"prompt": "a"}, plain(LLAMA_ANSWER)), bad)
    for _ in range(2):
        checks = new_process_checks(path)
        validated.clear()
        rejected = checks.check_request(sent(b'{"prompt": 5}'))
        assert rejected is not None and rejected.status == 400
        assert checks.check_request(sent(b'{"prompt": "a"}')) is None
        # the recorded requests, then each replayed one, in every process
        assert len(validated) == 2 + 2
