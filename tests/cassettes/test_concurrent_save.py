"""Several writers of one cassette: nothing recorded is lost, and what they leave behind.

Saving takes the cassette's lock, reads what is on disk now, merges and writes atomically. The
two-process tests record for real: separate Python processes using ``use_cassette`` against the
project's local server on 127.0.0.1, started here.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bedrock_vcr.cassettes import storage
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cassettes.cassette import Cassette, CassetteConfig, RecordMode
from bedrock_vcr.cassettes.records import Interaction, RecordedRequest, RecordedResponse
from bedrock_vcr.errors import CassetteLockTimeout, ConfigError
from bedrock_vcr.server.http1 import BedrockServer
from bedrock_vcr.server.sources import ScriptedSource

from .. import scripted
from . import vcrpy_samples

LLAMA = "meta.llama3-8b-instruct-v1:0"
CALLS = 20
TIMEOUT = 60  # seconds any subprocess of this module may take

# One writer: enter the cassette, wait until every writer has (so all of them loaded the same
# file before any saves: the race the lock has to win), then record CALLS calls.
WRITER = textwrap.dedent(
    """
    import json, os, sys, time
    from pathlib import Path

    import boto3
    from botocore.config import Config

    from bedrock_vcr import use_cassette

    url, path, mode, tag, ready, writers = sys.argv[1:7]
    client = boto3.client(
        "bedrock-runtime", endpoint_url=url, region_name="us-east-1",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )
    with use_cassette(path, record_mode=mode):
        Path(ready, tag).touch()
        deadline = time.monotonic() + 30
        while len(os.listdir(ready)) < int(writers):
            if time.monotonic() > deadline:
                sys.exit("the other writers never started")
            time.sleep(0.01)
        for i in range(CALLS):
            client.invoke_model(
                modelId="meta.llama3-8b-instruct-v1:0",
                body=json.dumps({"prompt": f"{tag} {i}"}),
            )
    """
).replace("CALLS", str(CALLS))


@pytest.fixture
def url(aws_env: None) -> Iterator[str]:
    with BedrockServer([ScriptedSource(scripted.answer)]) as srv:
        yield srv.url


def prompts(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [json.loads(i.request.body)["prompt"] for i in storage.interactions_from_text(text)]


def record_in_parallel(url: str, path: Path, mode: str, tags: tuple[str, ...]) -> None:
    ready = path.parent.parent / "ready"
    ready.mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, url, str(path), mode, tag, str(ready), str(len(tags))],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for tag in tags
    ]
    try:
        outputs = [proc.communicate(timeout=TIMEOUT)[0] for proc in procs]
    finally:
        for proc in procs:
            proc.kill()
            proc.communicate()
    for proc, out in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, out


def expected(*tags: str) -> list[str]:
    return sorted(f"{tag} {i}" for tag in tags for i in range(CALLS))


def test_two_processes_recording_into_one_cassette_keep_every_interaction(
    url: str, tmp_path: Path
) -> None:
    path = tmp_path / "cassettes" / "shared.yaml"
    record_in_parallel(url, path, "new_episodes", ("alpha", "beta"))
    assert sorted(prompts(path)) == expected("alpha", "beta")  # today: one writer's 20


def test_two_processes_rewriting_keep_both_and_drop_only_what_was_there_before(
    url: str, tmp_path: Path
) -> None:
    path = tmp_path / "cassettes" / "shared.yaml"
    path.parent.mkdir()
    old = Interaction(
        RecordedRequest("InvokeModel", LLAMA, b'{"prompt":"old"}'),
        RecordedResponse(200, {}, body=b'{"generation":"old"}'),
    )
    storage.write_atomic(path, serialize.dumps([old]))
    record_in_parallel(url, path, "rewrite", ("alpha", "beta"))
    assert sorted(prompts(path)) == expected("alpha", "beta")


# --- the merge, in one process --------------------------------------------------------------


def ask(prompt: str) -> RecordedRequest:
    return RecordedRequest("InvokeModel", LLAMA, json.dumps({"prompt": prompt}).encode())


def record(cassette: Cassette, *prompt_list: str) -> None:
    for prompt in prompt_list:
        body = json.dumps({"generation": prompt}).encode()
        cassette.complete(cassette.reserve(ask(prompt)), RecordedResponse(200, {}, body=body))


def open_(path: Path, mode: RecordMode, run: str | None = None) -> Cassette:
    return Cassette(path, CassetteConfig(record_mode=mode, run=run))


@pytest.mark.parametrize("mode", [RecordMode.NEW_EPISODES, RecordMode.ALL, RecordMode.ONCE])
def test_a_save_keeps_what_another_writer_saved_meanwhile(tmp_path: Path, mode: RecordMode) -> None:
    path = tmp_path / "c.yaml"
    # both opened the same (missing) file, so both record, even in `once`
    first, second = open_(path, mode), open_(path, mode)
    record(first, "a1", "a2")
    record(second, "b1")
    assert first.save() and second.save()
    assert prompts(path) == ["a1", "a2", "b1"]


def test_a_recording_cassette_reads_the_file_anew_not_a_cached_parse(tmp_path: Path) -> None:
    def one(prompt: str) -> str:
        body = json.dumps({"generation": prompt}).encode()
        return serialize.dumps([Interaction(ask(prompt), RecordedResponse(200, {}, body=body))])

    path = tmp_path / "c.yaml"
    storage.write_atomic(path, one("aaa"))
    storage.load_file(path)  # parsed and remembered by size and time
    before = path.stat()
    storage.write_atomic(path, one("bbb"))  # another writer: same size...
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # ...within one clock tick
    cassette = open_(path, RecordMode.NEW_EPISODES)
    record(cassette, "new")
    cassette.save()
    assert prompts(path) == ["bbb", "new"]  # not "aaa": that would lose "bbb"


def test_saving_twice_writes_each_recording_once(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    cassette = open_(path, RecordMode.NEW_EPISODES)
    record(cassette, "a1")
    assert cassette.save() is True
    assert cassette.save() is False  # nothing new since
    record(cassette, "a2")
    cassette.save()
    assert prompts(path) == ["a1", "a2"]


def test_rewrite_in_one_run_keeps_every_save_of_that_run(tmp_path: Path) -> None:
    # A pytest run gives every cassette it opens the same run id (xdist workers included): the
    # tests sharing one cassette all end up in it, and only what an earlier run left is dropped.
    path = tmp_path / "c.yaml"
    old = open_(path, RecordMode.REWRITE, run="earlier run")
    record(old, "old")
    old.save()
    tests = [open_(path, RecordMode.REWRITE, run="this run") for _ in range(3)]
    for i, cassette in enumerate(tests):
        record(cassette, f"test{i}")
    for cassette in reversed(tests):
        cassette.save()
    assert prompts(path) == ["test2", "test1", "test0"]
    again = open_(path, RecordMode.REWRITE, run="the next run")
    record(again, "next")
    again.save()
    assert prompts(path) == ["next"]


def test_rewrite_outside_a_run_drops_what_was_there_when_the_block_began(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    first = open_(path, RecordMode.REWRITE)
    record(first, "first")
    first.save()
    second = open_(path, RecordMode.REWRITE)  # a later block: rewrites the file anew
    concurrent = open_(path, RecordMode.NEW_EPISODES)
    record(second, "second")
    record(concurrent, "meanwhile")
    concurrent.save()  # saved while `second` was recording: kept
    second.save()
    assert prompts(path) == ["meanwhile", "second"]


def test_a_save_refuses_to_turn_a_vcrpy_file_written_meanwhile_into_its_own_format(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.yaml"
    cassette = open_(path, RecordMode.NEW_EPISODES)
    record(cassette, "a1")
    vcrpy_text = yaml.safe_dump(vcrpy_samples.doc(vcrpy_samples.item(), vcrpy_samples.item()))
    path.write_text(vcrpy_text, encoding="utf-8")  # another tool wrote it meanwhile
    with pytest.raises(ConfigError, match="became a vcrpy cassette"):
        cassette.save()
    assert path.read_text(encoding="utf-8") == vcrpy_text


# --- the lock -------------------------------------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import sys, time
    from bedrock_vcr.cassettes import storage
    with storage.locked(sys.argv[1]):
        print("held", flush=True)
        time.sleep(60)
    """
)


def test_a_writer_waits_a_bounded_time_then_names_the_lock_and_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.yaml"
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline() == "held\n"
            monkeypatch.setenv("BEDROCK_VCR_LOCK_TIMEOUT", "0.3")
            started = time.monotonic()
            with pytest.raises(CassetteLockTimeout) as caught:
                storage.write_atomic(path, "version: 1\ninteractions: []\n")
            assert time.monotonic() - started < 5
        finally:
            holder.kill()
            holder.wait(TIMEOUT)
    error = caught.value
    assert error.lock_path == storage.lock_path(path)
    assert str(storage.lock_path(path)) in str(error)
    assert f"pid {holder.pid}" in str(error)  # who holds it
    assert "BEDROCK_VCR_LOCK_TIMEOUT" in str(error)
    assert not path.exists()
    storage.write_atomic(path, "version: 1\ninteractions: []\n")  # the kernel freed the lock


def test_a_bad_lock_timeout_setting_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEDROCK_VCR_LOCK_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="BEDROCK_VCR_LOCK_TIMEOUT"):
        storage.write_atomic(tmp_path / "c.yaml", "version: 1\ninteractions: []\n")


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


# A writer killed after writing its temporary file, before the rename.
KILLED = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from bedrock_vcr.cassettes import storage

    replace = storage.os.replace

    def stuck(src, dst):
        if not str(src).endswith(".tmp"):
            return replace(src, dst)
        print("written", flush=True)
        time.sleep(60)

    storage.os.replace = stuck
    storage.write_atomic(Path(sys.argv[1]), "version: 1\\ninteractions: []\\n# never renamed\\n")
    """
)


def kill_a_writer(path: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", KILLED, str(path)], stdout=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None and proc.stdout.readline() == "written\n"
        finally:
            proc.kill()
            proc.wait(TIMEOUT)


def temp_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.tmp"))


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_add_of_the_cassette_folder_adds_only_cassettes(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    path = tmp_path / "cassettes" / "c.yaml"
    cassette = open_(path, RecordMode.NEW_EPISODES)
    record(cassette, "a1")
    cassette.save()
    for _ in range(3):
        kill_a_writer(path)
    assert len(temp_files(tmp_path)) == 3  # what killed writers leave...
    git(tmp_path, "add", "cassettes/")
    assert git(tmp_path, "status", "--porcelain").splitlines() == ["A  cassettes/c.yaml"]


def test_stale_temp_files_of_killed_writers_are_removed_by_the_next_write(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    storage.write_atomic(path, "version: 1\ninteractions: []\n")
    kill_a_writer(path)
    kill_a_writer(path)
    (old, young) = temp_files(tmp_path)
    # an older version of bedrock-vcr wrote its temporary files beside the cassette
    legacy = tmp_path / ".c.yaml.k2j4h1.tmp"
    legacy.write_text("half a cassette", encoding="utf-8")
    other = tmp_path / ".d.yaml.k2j4h1.tmp"  # another cassette's: not this write's business
    other.write_text("half a cassette", encoding="utf-8")
    an_hour_ago = time.time() - 3600
    for stale in (old, legacy, other):
        os.utime(stale, (an_hour_ago, an_hour_ago))
    storage.write_atomic(path, "version: 1\ninteractions: []\n# next\n")
    # a young one may belong to a writer that does not take the lock: left for a later write
    assert temp_files(tmp_path) == sorted([young, other])
    assert path.read_text(encoding="utf-8").endswith("# next\n")


# --- symlinks -------------------------------------------------------------------------------


def test_writing_a_symlinked_cassette_replaces_its_target(tmp_path: Path) -> None:
    target = tmp_path / "shared" / "real.yaml"
    target.parent.mkdir()
    target.write_text("version: 1\ninteractions: []\n", encoding="utf-8")
    os.chmod(target, 0o640)
    link = tmp_path / "cassettes" / "c.yaml"
    link.parent.mkdir()
    link.symlink_to(Path("..") / "shared" / "real.yaml")
    cassette = open_(link, RecordMode.NEW_EPISODES)
    record(cassette, "through the link")
    cassette.save()
    assert link.is_symlink()  # today: replaced by a regular file, the target left behind
    assert prompts(target) == ["through the link"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert temp_files(tmp_path) == []


def test_a_dangling_symlink_gets_its_target_written(tmp_path: Path) -> None:
    link = tmp_path / "c.yaml"
    link.symlink_to(tmp_path / "elsewhere" / "real.yaml")
    storage.write_atomic(link, "version: 1\ninteractions: []\n")
    assert link.is_symlink()
    assert (tmp_path / "elsewhere" / "real.yaml").read_text(encoding="utf-8").startswith("version")


def test_two_links_to_one_cassette_share_its_lock(tmp_path: Path) -> None:
    target = tmp_path / "real.yaml"
    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    one.symlink_to(target)
    two.symlink_to(target)
    assert storage.lock_path(one) == storage.lock_path(two) == storage.lock_path(target)
    first, second = open_(one, RecordMode.NEW_EPISODES), open_(two, RecordMode.NEW_EPISODES)
    record(first, "one")
    record(second, "two")
    first.save()
    second.save()
    assert prompts(target) == ["one", "two"]
