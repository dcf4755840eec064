"""The subset reader reads what bedrock-vcr saves as the YAML loader reads it, and leaves
anything else (every damaged file included) to the loader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bedrock_vcr.cassettes import safe_yaml, storage, yaml_emit, yaml_subset
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cassettes.records import StreamEvent

from . import yaml_strategies
from .samples import plain, streamed

EXAMPLES = Path(__file__).parents[2] / "cassettes" / "examples" / "test_demo"
BUNDLED = sorted(EXAMPLES.glob("*.bedrock.yaml"))


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types throughout (``1 == 1.0 == True`` is not enough)."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if type(a) is list:
        return len(a) == len(b) and all(map(same, a, b))
    if type(a) is float and a != a:
        return bool(b != b)
    return bool(a == b)


def check(text: str) -> Any:
    """What the subset reader makes of ``text``, having checked it against the loader."""
    read = yaml_subset.read(text)
    if read is not None:
        assert same(read, safe_yaml.load(text, None))
    return read


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(yaml_strategies.items, min_size=2, max_size=3))
def test_a_saved_document_is_read_as_the_loader_reads_it(docs: list[dict[str, Any]]) -> None:
    check(yaml_emit.document(2, docs))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_every_bundled_cassette_is_read_by_the_subset(path: Path) -> None:
    assert check(path.read_text(encoding="utf-8")) is not None


@pytest.mark.parametrize("empty", [(), (255,), (256,), (254, 255, 256, 257), (511, 512)])
@pytest.mark.parametrize("head", ["|", "|-", "|+"])
def test_a_block_of_many_lines_is_read_as_the_loader_reads_it(
    head: str, empty: tuple[int, ...]
) -> None:
    # a long block, with empty lines inside it and at its end
    lines = ["" if k in empty else f"    line {k}" for k in range(600)]
    text = "\n".join(["version: 2", "block:", f"  text: {head}", *lines, "", "", "after: 1", ""])
    read = check(text)
    assert read is not None and read["after"] == 1


@pytest.mark.parametrize("end", ["", "\n", "\n\n", "\n\n\n", "\n   ", "\n  x: 1\n", "\n ..."])
@pytest.mark.parametrize("head", ["|", "|-", "|+"])
def test_a_block_at_the_end_of_the_file_is_read_as_the_loader_reads_it(head: str, end: str) -> None:
    # the file's last line break (or none: then the block has no line break to keep) and what
    # follows the block must end it where the loader does
    text = f"version: 2\nblock:\n  text: {head}\n    one\n\n    two" + end
    read = check(text)
    assert (read is not None) == (end not in ("\n   ", "\n ..."))


def test_a_recorded_stream_and_body_are_read_by_the_subset() -> None:
    chunks = [StreamEvent.chunk({"generation": f" w{i}", "stop": None}, 0.1 * i) for i in range(9)]
    text = serialize.dumps([plain(b'{"generation": "hello", "n": 3}'), streamed(*chunks)])
    assert check(text) is not None


_NOISE = list(" \n:-#'\"|>&*!?[]{},.~0123456789aZ\t\\") + ["- ", ": ", "  ", "\n  ", "...", "---"]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(BUNDLED),
    st.lists(
        st.tuples(st.floats(0, 1), st.sampled_from(_NOISE), st.integers(0, 6)),
        min_size=1,
        max_size=3,
    ),
)
def test_a_damaged_file_is_read_as_the_loader_reads_it_or_left_to_it(
    path: Path, edits: list[tuple[float, str, int]]
) -> None:
    text = path.read_text(encoding="utf-8")
    for where, noise, cut in edits:  # insert some text, or cut some out
        at = int(where * len(text))
        text = text[:at] + noise + text[at:] if cut % 2 else text[:at] + text[at + cut :]
    try:
        check(text)
    except serialize.CassetteFormatError:
        assert yaml_subset.read(text) is None  # the loader refuses it: so does the subset


HEAD = "# a cassette\nversion: 2\ninteractions:\n- request:\n    operation: X\n"


@pytest.mark.parametrize(
    "line",
    [
        'a: "double quoted"',
        "a: [1, 2]",
        "a: {b: 1}",
        "a: &anchor 1",
        "a: !!str 1",
        "a: yes",
        "a: 2026-01-01",
        "a: 0x1F",
        "a: 1_000",
        "a: 012",
        "a: " + "9" * 60,
        "a:",
        "a: 1 # a comment",
        "a: 'tab\tinside'",
        "'a': 1",
        "a: >\n      folded",
        "? a\n    : b",
        "a: |\n        deeper than two\n",
        "a: |\n      text\n     \n",
        "a:\n      - indented list",
        "a: plain\n        four deeper",
        "a: 'quoted\n\n      with an empty line'",
    ],
    ids=repr,
)
def test_yaml_beyond_what_bedrock_vcr_writes_is_left_to_the_loader(line: str) -> None:
    text = HEAD + "    " + line + "\n"
    yaml.safe_load(text)  # valid YAML
    assert yaml_subset.read(text) is None


def test_a_document_nested_deeper_than_it_reads_is_left_to_the_loader() -> None:
    deep = "".join(f"{'  ' * i}k:\n" for i in range(80)) + "  " * 80 + "k: 1\n"
    safe_yaml.load(deep, None)
    assert yaml_subset.read(deep) is None
    assert yaml_subset.read(deep.replace("k:\n", "k: 1\n", 1)) is None  # invalid: deeper line


def test_a_load_reads_a_saved_cassette_without_the_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(serialize.dumps([plain(b'{"a": 1}'), plain(b"b")]), encoding="utf-8")

    def refused(*_: object, **__: object) -> None:
        raise AssertionError("the loader ran")

    monkeypatch.setattr(safe_yaml, "load", refused)
    assert [i.response.body for i in storage.load_file(path) if i.response] == [b'{"a": 1}', b"b"]
