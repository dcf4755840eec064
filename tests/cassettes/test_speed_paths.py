"""Saving through libyaml, or writing an item's text directly, gives exactly what PyYAML's
pure-Python dumper writes; the vcrpy sniff reuses the parse a cassette was loaded with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bedrock_vcr.cassettes import safe_yaml, storage, vcrpy, yaml_direct, yaml_subset
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cassettes.records import (
    Interaction,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)
from bedrock_vcr.cassettes.stream_text import StreamText

from . import yaml_strategies
from .samples import MODEL, plain, streamed

EXAMPLES = Path(__file__).parents[2] / "cassettes" / "examples" / "test_demo"


class _Reference(yaml.SafeDumper):
    pass


def _presenter(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style: str | None = "|" if "\n" in value and len(value) > 60 else None
    if any(ch in value for ch in ("\x85", "\u2028", "\u2029")):
        style = '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _lines_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")


_Reference.add_representer(str, _presenter)
_Reference.add_representer(StreamText, _lines_presenter)


def reference_dumps(interactions: list[Interaction]) -> str:
    """The cassette's text as one pure-Python dump of its document writes it."""
    doc = {
        "version": serialize.VERSION,
        "interactions": [
            serialize.interaction_to_doc(i, lines=True) for i in interactions if i.response
        ],
    }
    header = "# bedrock-vcr cassette (format described in README.md, section 'Cassette format')\n"
    return header + yaml.dump(
        doc, Dumper=_Reference, sort_keys=False, allow_unicode=True, width=100
    )


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.bedrock.yaml")), ids=lambda p: p.name)
def test_bundled_cassettes_dump_to_their_own_bytes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert serialize.dumps(storage.interactions_from_text(text, path)) == text


def test_all_bundled_interactions_in_one_file_dump_as_the_reference() -> None:
    every = [
        interaction
        for path in sorted(EXAMPLES.glob("*.bedrock.yaml"))
        for interaction in storage.load_file(path)
    ]
    every = every + every[::-1]
    assert serialize.dumps(every) == reference_dumps(every)


TEXTS = [
    "",
    "plain",
    "emoji \U0001f600 in a line",
    "C:\\Users\\me",
    "line one\nline two " * 8,
    "ends with breaks, kept " * 4 + "\n\n\n",
    "  leading spaces and a long line " * 10,
    "trailing space \n" * 6,
    "sep \u2028 and \u2029 and \x85",
    "tab\there, bell \x07, bom \ufeff",
    "unicode: héllo wörld, 日本語のテキスト, ελληνικά " * 5,
    "yes",
    "null",
    "0123",
    "- dash: colon # hash",
    "'quotes' and \"double\"",
    "x" * 250,
    "\n" * 3,
]


def _interaction(text: str, last_is_block: bool) -> Interaction:
    body = json.dumps({"prompt": text, "n": 3, "f": 0.5, "list": [text, None, True]}).encode()
    request = RecordedRequest("InvokeModel", MODEL, body, {"accept": "application/json"})
    response = RecordedResponse(200, {"x-t": text[:20] or "v"}, body=text.encode(), latency=0.1)
    interaction = Interaction(request, response)
    if not last_is_block:
        interaction.recorded_at = "2026-01-01T00:00:00+00:00"
    return interaction


def test_a_large_generated_cassette_dumps_as_the_reference() -> None:
    interactions = [
        _interaction(text, last_is_block=bool(i % 2)) for i in range(3) for text in TEXTS
    ]
    chunks = [{"text": text} for text in TEXTS]
    interactions.append(
        streamed(*(StreamEvent.event("chunk", c, 0.01 * i) for i, c in enumerate(chunks)))
    )
    for order in (interactions, interactions[::-1]):
        assert serialize.dumps(order) == reference_dumps(order)


@pytest.mark.parametrize("text", TEXTS)
def test_a_cassette_ending_in_each_text_dumps_as_the_reference(text: str) -> None:
    interactions = [_interaction(t, True) for t in TEXTS[:4]] + [_interaction(text, True)]
    assert serialize.dumps(interactions) == reference_dumps(interactions)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(max_size=150), min_size=1, max_size=4), st.booleans())
def test_any_text_dumps_as_the_reference(texts: list[str], block_last: bool) -> None:
    interactions = [_interaction(t, block_last) for t in texts] + [plain(b"ok")]
    interactions.insert(0, plain(b"first"))
    assert serialize.dumps(interactions) == reference_dumps(interactions)


# --- items written directly -----------------------------------------------------------------


def reference_item(item: dict[str, Any]) -> str:
    return yaml.dump([item], Dumper=_Reference, sort_keys=False, allow_unicode=True, width=100)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_strategies.items)
def test_an_item_written_directly_is_what_the_reference_writes(item: dict[str, Any]) -> None:
    direct = yaml_direct.item_text(item)
    if direct is not None:
        assert direct == reference_item(item)


LONG = [
    "The replay path hands botocore the recorded bytes so its parsers run unchanged " * 3,
    "two  spaces  between  words, " * 8,
    "Question 0: a colon and space make it quoted, and it folds past the width " * 3,
    "it's quoted because 'of' the colon: " * 6,
    " leading space, then a long quoted line that folds somewhere past column 100 " * 2,
    "x" * 150 + " y",
    "a: " + "b" * 120,
]


@pytest.mark.parametrize("text", LONG)
@pytest.mark.parametrize("depth", [0, 1, 3])
def test_long_text_folds_where_the_reference_folds_it(text: str, depth: int) -> None:
    value: Any = {"generation": text, "list": [text, 1]}
    for _ in range(depth):
        value = {"json": value}
    item = {"response": value, "recorded_at": "2026-12-02T07:16:04+00:00"}
    direct = yaml_direct.item_text(item)
    assert direct is not None  # the way a save goes for such text
    assert direct == reference_item(item)


def test_the_usual_interactions_are_written_directly() -> None:
    every = [
        interaction
        for path in sorted(EXAMPLES.glob("*.bedrock.yaml"))
        for interaction in storage.load_file(path)
    ]
    every += [plain(b'{"generation": "hello"}'), streamed(StreamEvent.chunk({"t": "Hi"}, 0.1))]
    docs = [serialize.interaction_to_doc(i, lines=True) for i in every]
    written = [yaml_direct.item_text(doc) for doc in docs]
    assert None not in written
    assert written == [reference_item(doc) for doc in docs]


@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        [{}, []],
        "ends\n\n" * 20,
        "\n" * 61,
        " lead\n" * 20,
        "no end\n" * 20 + "x",
        1e17,
        -0.0,
    ],
    ids=repr,
)
@pytest.mark.parametrize("last", [True, False])
def test_blocks_and_empty_containers_are_written_as_the_reference(value: Any, last: bool) -> None:
    item = {"response": {"body": value}} if last else {"response": {"body": value, "n": 1}}
    direct = yaml_direct.item_text(item)
    assert direct is not None
    assert direct == reference_item(item)  # with "..." after a last "|+" block
    interactions = [plain(b"a"), plain(b"b")]
    interactions[0].request.body = interactions[1].request.body = json.dumps(item).encode()
    assert serialize.dumps(interactions) == reference_dumps(interactions)


@pytest.mark.parametrize(
    "value", ["", 'say "hi"\t', "x" * 61 + " \n", float("nan"), b"bytes", [["nested"]]], ids=repr
)
def test_what_the_reference_writes_otherwise_is_left_to_the_emitter(value: Any) -> None:
    item = {"response": {"body": value}}
    assert yaml_direct.item_text(item) is None
    text = serialize.dumps([plain(b"a"), plain(b"b")])  # the emitter still writes the file
    assert text == reference_dumps([plain(b"a"), plain(b"b")])


# --- the vcrpy sniff -------------------------------------------------------------------------


SUBSET = "yaml_subset"


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The readers of each parse: a YAML loader, or :data:`SUBSET` for a file the subset
    reader read."""
    calls: list[Any] = []
    real, subset = yaml.load, yaml_subset.read

    def counting(stream: Any, Loader: Any) -> Any:  # noqa: N803 - yaml's own name
        calls.append(Loader)
        return real(stream, Loader=Loader)

    def reading(text: str) -> Any:
        value = subset(text)
        if value is not None:
            calls.append(SUBSET)
        return value

    monkeypatch.setattr(yaml, "load", counting)
    monkeypatch.setattr(yaml_subset, "read", reading)
    return calls


def test_opening_in_new_episodes_parses_the_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bedrock_vcr.cassettes.cassette import Cassette, CassetteConfig

    path = tmp_path / "c.bedrock.yaml"
    path.write_text(serialize.dumps([plain(b'{"a": 1}'), plain(b"two")]), encoding="utf-8")
    calls = _count_parses(monkeypatch)
    Cassette(path, CassetteConfig(record_mode="new_episodes"))
    assert calls == [SUBSET]
    assert not vcrpy.file_is_vcrpy(path)
    assert calls == [SUBSET]


@pytest.mark.parametrize("subset", [True, False], ids=["saved file", "hand-written file"])
def test_the_sniff_of_a_file_never_parsed_parses_it_once_never_with_pyyamls_python_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, subset: bool
) -> None:
    path = tmp_path / "never-seen.yaml"
    text = serialize.dumps([plain(b"unseen " + path.name.encode())])
    path.write_text(text if subset else text.replace("status: 200", "status: 0x0c8"), "utf-8")
    calls = _count_parses(monkeypatch)
    assert not vcrpy.file_is_vcrpy(path)
    assert not vcrpy.file_is_vcrpy(path)
    assert calls == [SUBSET if subset else safe_yaml.FastLoader]
    assert safe_yaml.FastLoader.__mro__[1] is getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def test_a_vcrpy_file_loaded_is_known_as_vcrpy_without_a_second_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .vcrpy_samples import doc, item

    path = tmp_path / "vcrpy.yaml"
    path.write_text(yaml.safe_dump(doc(item(), item())), encoding="utf-8")
    calls = _count_parses(monkeypatch)
    assert len(storage.load_file(path)) == 2
    assert vcrpy.file_is_vcrpy(path)
    assert len(calls) == 1 and calls[0] in (SUBSET, safe_yaml.FastLoader)
    path.write_text(serialize.dumps([plain(b"now bedrock-vcr's")]), encoding="utf-8")
    assert not vcrpy.file_is_vcrpy(path)  # other bytes: parsed anew
    assert len(calls) == 2


@pytest.mark.skipif(not hasattr(yaml, "CSafeDumper"), reason="PyYAML built without libyaml")
def test_saving_many_interactions_leaves_only_the_last_to_the_python_emitter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events: list[Any] = []
    real = yaml.emitter.Emitter.emit

    def counting(self: Any, event: Any) -> None:
        events.append(event)
        real(self, event)

    monkeypatch.setattr(yaml.emitter.Emitter, "emit", counting)
    one = [plain(b'{"generation": "hello"}')]
    serialize.dumps(one)
    per_file = len(events)
    events.clear()
    serialize.dumps(one * 50)
    assert 0 < len(events) < 2 * per_file  # all 50 through it before: 50 times as many
