"""Cassette files: reading either format, the parsed-file cache (whose copies callers may change
freely), atomic writes that keep permissions, and the refusal to write credentials."""

from __future__ import annotations

import json
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bedrock_vcr.cassettes import secret_scan as secrets
from bedrock_vcr.cassettes import storage
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cassettes.cassette import Cassette, CassetteConfig, RecordMode
from bedrock_vcr.cassettes.records import (
    Interaction,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)
from bedrock_vcr.cli.main import main
from bedrock_vcr.errors import SecretInCassetteError

from .samples import plain, request, streamed

LLAMA = "meta.llama3-8b-instruct-v1:0"
HEADERS = {
    "content-type": "application/json",
    "date": "Tue, 01 Dec 2026 10:00:00 GMT",
    "x-amzn-requestid": "2f6c1a3e-0000-4000-8000-000000000001",
}


def answered() -> Interaction:
    request = RecordedRequest("InvokeModel", LLAMA, b'{"prompt":"Hi"}', {"accept": "*/*"})
    response = RecordedResponse(200, dict(HEADERS), body=b'{"generation":"Hello"}')
    return Interaction(request, response, "2026-12-01T10:00:00+00:00")


def answered_stream() -> Interaction:
    request = RecordedRequest("InvokeModelWithResponseStream", LLAMA, b'{"prompt":"Hi"}')
    events = [StreamEvent.chunk({"generation": w}, offset=0.1 * i) for i, w in enumerate("ab")]
    # the final chunk says why it stopped, as Bedrock's do (a stream without it is cut short)
    events.append(StreamEvent.chunk({"generation": "c", "stop_reason": "stop"}, offset=0.2))
    response = RecordedResponse(200, dict(HEADERS), events=events)
    return Interaction(request, response)


def write(path: Path) -> Path:
    storage.write_atomic(path, serialize.dumps([answered(), answered_stream()]))
    return path


def test_scrub_to_another_file_leaves_the_source_as_it_reads(tmp_path: Path) -> None:
    src = write(tmp_path / "src.yaml")
    before = storage.load_file(src)
    assert main(["scrub", str(src), "-o", str(tmp_path / "out.yaml")]) == 0
    again = storage.load_file(src)  # unchanged on disk: the cache answers
    for interaction in again:
        assert interaction.response is not None
        assert interaction.response.headers == HEADERS
    assert again == before
    (out, _) = storage.load_file(tmp_path / "out.yaml")
    assert out.response is not None and out.response.headers == {"content-type": "application/json"}


def test_changing_what_was_handed_out_changes_no_later_load(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml")
    pristine = serialize.loads(path.read_text(encoding="utf-8"), path)  # parsed apart
    first, second = storage.load_file(path)
    assert first.response is not None and second.response is not None
    assert second.response.events is not None
    first.request.headers["accept"] = "text/plain"
    first.request.body = b"{}"
    first.response.headers.clear()
    first.response.status = 500
    first.recorded_at = None
    second.response.events[0].message.headers.clear()
    second.response.events[0].offset = 9.0
    second.response.events.append(second.response.events[0])
    assert first.request.json == {}
    assert storage.load_file(path) == pristine


def test_events_handed_out_are_copied_once_however_many_threads_read_them(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml")
    storage.load_file(path)
    (_, streamed_answer) = storage.load_file(path)  # from the cache: events not copied yet
    response = streamed_answer.response
    assert response is not None
    with ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(lambda _: response.events, range(64)))
    assert seen[0] is not None and len(seen[0]) == 3
    assert all(events is seen[0] for events in seen)


def test_a_copy_is_equal_not_shared_and_replays_the_same_bytes(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml")
    one, two = storage.load_file(path), storage.load_file(path)
    assert one == two
    for a, b in zip(one, two, strict=True):
        assert a is not b and a.request is not b.request and a.response is not b.response
        assert a.request.headers is not b.request.headers
        assert a.response is not None and b.response is not None
        assert a.response.headers is not b.response.headers
        if a.response.events is not None:
            assert b.response.events is not None and a.response.events is not b.response.events
            for x, y in zip(a.response.events, b.response.events, strict=True):
                assert x is not y and x.message.headers is not y.message.headers
                assert x.frame == y.frame
    assert json.loads(one[1].request.body) == {"prompt": "Hi"}


# --- atomic writes --------------------------------------------------------------------------

OLD = "# the previous cassette\nversion: 1\ninteractions: []\n"


def leftovers(directory: Path) -> list[str]:
    """What a write left but the cassette: its git-ignored work folder (lock, notes) is allowed,
    a temporary file in it is not."""
    work = directory / storage.locking.WORK_DIR
    beside = [p.name for p in directory.iterdir() if p.name not in ("c.yaml", work.name)]
    return sorted(beside + [f"{work.name}/{p.name}" for p in work.glob("*.tmp")])


@pytest.fixture
def existing(tmp_path: Path) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(OLD, encoding="utf-8")
    return path


def test_failure_while_writing_text_keeps_the_old_file(existing: Path) -> None:
    text = serialize.dumps([plain(b"{}")]) + "\ud800"  # cannot be encoded: write() fails
    with pytest.raises(UnicodeEncodeError):
        storage.write_atomic(existing, text)
    assert existing.read_text(encoding="utf-8") == OLD
    assert leftovers(existing.parent) == []


@pytest.mark.parametrize(
    "error", [OSError("disk full"), KeyboardInterrupt()], ids=["oserror", "interrupt"]
)
def test_failure_after_the_data_is_written_keeps_the_old_file(
    existing: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    text = serialize.dumps([plain(b'{"new":true}')])
    seen: list[str] = []

    def failing_replace(src: str, dst: Path) -> None:
        seen.append(Path(src).read_text(encoding="utf-8"))  # the whole new text sits in a temp file
        raise error

    monkeypatch.setattr(storage.os, "replace", failing_replace)
    with pytest.raises(type(error)):
        storage.write_atomic(existing, text)
    assert seen == [text]
    assert existing.read_text(encoding="utf-8") == OLD
    assert leftovers(existing.parent) == []


def test_failure_in_dumps_during_save_keeps_the_old_file(
    existing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing.write_text(serialize.dumps([plain(b'{"old":1}')]), encoding="utf-8")
    before = existing.read_bytes()
    cassette = Cassette(existing, CassetteConfig(record_mode=RecordMode.ALL))
    new = cassette.reserve(request(b'{"prompt":"new"}'))
    cassette.complete(new, RecordedResponse(200, body=b'{"new":1}'))

    def broken_dumps(interactions: Any) -> str:
        raise RuntimeError("serializer crashed")

    monkeypatch.setattr(serialize, "dumps", broken_dumps)
    with pytest.raises(RuntimeError, match="serializer crashed"):
        cassette.save()
    assert existing.read_bytes() == before
    assert leftovers(existing.parent) == []


def test_successful_write_replaces_and_leaves_no_temp_file(existing: Path) -> None:
    text = serialize.dumps([plain(b'{"new":true}')])
    storage.write_atomic(existing, text)
    assert existing.read_text(encoding="utf-8") == text
    assert leftovers(existing.parent) == []


def test_new_cassette_is_readable_by_others_and_an_existing_one_keeps_its_mode(
    tmp_path: Path,
) -> None:
    fresh = tmp_path / "deep" / "dir" / "c.yaml"
    storage.write_atomic(fresh, OLD)
    assert stat.S_IMODE(fresh.stat().st_mode) == storage.NEW_FILE_MODE
    os.chmod(fresh, 0o600)
    storage.write_atomic(fresh, OLD + "# again\n")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600


# --- secrets --------------------------------------------------------------------------------

ACCESS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"
SESSION_KEY = "ASIA" + "Y34FZKBOKMUTVV7A"
SIGV4 = (
    f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20240101/us-east-1/bedrock/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "a" * 64
)
TOKEN = "ABSKQmVkcm9ja0FQSUtleS1example0123456789"


def folded_after_bearer(prefix: str, fold: str) -> Interaction:
    """A body whose bearer token YAML moves to the line after the word ``Bearer``."""
    for width in range(40, 140):
        interaction = plain(f"{prefix}{'w' * width} Bearer {TOKEN} {'word ' * 17}".encode())
        if f"Bearer{fold}\n" in serialize.dumps([interaction]):
            return interaction
    raise AssertionError(f"no body folds after 'Bearer{fold}'")


SECRET_CASES = [
    (
        "access_key_in_body",
        plain(f"key {ACCESS_KEY} leaked".encode()),
        "an AWS access key id",
        ACCESS_KEY,
    ),
    (
        "session_key_in_chunk",
        streamed(StreamEvent.chunk({"generation": SESSION_KEY})),
        "an AWS access key id",
        SESSION_KEY,
    ),
    (
        "sigv4_authorization",
        Interaction(request(headers={"authorization": SIGV4}), RecordedResponse(200)),
        "a SigV4 Authorization value",
        "AWS4-HMAC-SHA256",
    ),
    (
        "security_token_header",
        Interaction(
            request(headers={"x-amz-security-token": "FQoGZXIvYXdzEBc"}), RecordedResponse(200)
        ),
        "an X-Amz-Security-Token header",
        "x-amz-security-token",
    ),
    (
        "bearer_header",
        Interaction(request(headers={"authorization": f"Bearer {TOKEN}"}), RecordedResponse(200)),
        "a bearer token",
        TOKEN,
    ),
    ("bearer_in_text", plain(f"use Bearer {TOKEN} here".encode()), "a bearer token", TOKEN),
    # YAML folds long strings: the token lands on the line after the word "Bearer".
    ("bearer_folded_plain", folded_after_bearer("", ""), "a bearer token", "Bearer"),
    ("bearer_folded_quoted", folded_after_bearer("\x01", "\\"), "a bearer token", "Bearer"),
]


@pytest.mark.parametrize(
    ("interaction", "what", "on_line"),
    [c[1:] for c in SECRET_CASES],
    ids=[c[0] for c in SECRET_CASES],
)
def test_cassette_holding_a_secret_is_refused_and_nothing_is_written(
    tmp_path: Path, interaction: Interaction, what: str, on_line: str
) -> None:
    path = tmp_path / "c.yaml"
    text = serialize.dumps([interaction])
    with pytest.raises(
        SecretInCassetteError, match=rf"line (\d+) \({what}\).*nothing was written"
    ) as caught:
        storage.write_atomic(path, text)
    line = int(caught.value.problem.split("line ")[1].split(" ")[0])
    assert on_line in text.splitlines()[line - 1]
    assert caught.value.path == path and caught.value.fix is not None
    assert list(tmp_path.iterdir()) == []


def test_secret_refusal_during_save_keeps_the_old_cassette(existing: Path) -> None:
    cassette = Cassette(existing, CassetteConfig(record_mode=RecordMode.NEW_EPISODES))
    leaked = cassette.reserve(request(b'{"prompt":"x"}', {"authorization": SIGV4}))
    cassette.complete(leaked, RecordedResponse(200, body=b"{}"))
    with pytest.raises(SecretInCassetteError, match="SigV4"):
        cassette.save()
    assert existing.read_text(encoding="utf-8") == OLD
    assert leftovers(existing.parent) == []


def test_ordinary_words_are_not_taken_for_secrets(tmp_path: Path) -> None:
    prose = b"No authorization needed; the bearer of good news. AKIA is a prefix."
    body = b'{"note":"I am the bearer","inferenceConfiguration":{"maxTokens":5}}'
    text = serialize.dumps([Interaction(request(body), RecordedResponse(200, body=prose))])
    assert "bearer\n        inferenceConfiguration:" in text  # the word, then the next key
    assert secrets.find_secrets(text) == []
    storage.write_atomic(tmp_path / "c.yaml", text)
    assert (tmp_path / "c.yaml").read_text(encoding="utf-8") == text


def test_unchanged_file_is_parsed_once_and_changes_are_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bedrock_vcr.cassettes.records import Interaction, RecordedRequest, RecordedResponse

    path = tmp_path / "shared.yaml"

    def write_answer(text: str) -> None:
        interaction = Interaction(
            RecordedRequest("InvokeModel", "meta.llama3-8b-instruct-v1:0", b'{"prompt":"hi"}'),
            RecordedResponse(
                200,
                {"content-type": "application/json"},
                body=json.dumps({"generation": text}).encode(),
            ),
        )
        storage.write_atomic(path, serialize.dumps([interaction]))

    parsed: list[object] = []
    parse = storage.parse_document
    monkeypatch.setattr(storage, "parse_document", lambda *a: parsed.append(a[1:]) or parse(*a))
    write_answer("first")
    first = storage.load_file(path)
    again = storage.load_file(path)
    assert len(parsed) == 1  # served from memory, not parsed again
    assert again == first and again[0] is not first[0]  # each caller gets its own copy
    again.clear()  # callers get their own list
    assert len(storage.load_file(path)) == 1
    write_answer("second, longer")
    changed = storage.load_file(path)
    assert json.loads(changed[0].response.body)["generation"] == "second, longer"


# --- the real path of a loaded cassette ------------------------------------------------------


def test_a_load_finds_the_real_path_as_realpath_does_while_links_change(tmp_path: Path) -> None:
    """A folder's real path is remembered, so a link repointed between two loads must still
    lead the second load to the new target (the in-process cache and the entries go by it)."""
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        write(tmp_path / name / "c.yaml")
    folder = tmp_path / "current"
    folder.symlink_to(tmp_path / "one")
    file_link = tmp_path / "one" / "link.yaml"
    file_link.symlink_to(tmp_path / "two" / "c.yaml")
    write(tmp_path / "c.yaml")  # what a textual ".." would find instead
    (tmp_path / "one" / "deep").mkdir()
    (tmp_path / "deeper").symlink_to(tmp_path / "one" / "deep")
    paths = [
        tmp_path / "deeper" / ".." / "c.yaml",  # the link's parent's file: one/c.yaml
        folder / "c.yaml",
        folder / "link.yaml",
        tmp_path / "one" / "c.yaml",
        tmp_path / "one" / "." / "c.yaml",
        tmp_path / "missing" / "c.yaml",
    ]
    for _ in range(2):  # the second time from what the first remembered
        for path in paths:
            real, info = storage._real_and_stat(str(path))
            assert real == os.path.realpath(path)
            assert (info is None) == (not path.exists())
    folder.unlink()
    folder.symlink_to(tmp_path / "two")
    real, _ = storage._real_and_stat(str(folder / "c.yaml"))
    assert real == str(tmp_path / "two" / "c.yaml")
    storage.load_file(folder / "c.yaml")
    assert storage.real_path(folder / "c.yaml") == str(tmp_path / "two" / "c.yaml")
