"""The parsed-cassette cache: a file's bytes are parsed once across processes, an entry is used
only for the very bytes it was made from, and a damaged or foreign entry is a miss."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

from bedrock_vcr.cassettes import cache, records, storage, stream_build
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cassettes.records import Interaction, StreamEvent
from bedrock_vcr.errors import TruncatedStreamWarning
from bedrock_vcr.wire.eventstream import Header, HeaderType

from .samples import plain, streamed


def stream_answer() -> Interaction:
    return streamed(
        StreamEvent.chunk({"generation": "Hi", "stop_reason": None}, 0.01),
        StreamEvent.chunk(
            {"generation": "!", "stop_reason": "stop", "amazon-bedrock-invocationMetrics": {}},
            0.02,
        ),
    )


def cut_short_answer() -> Interaction:
    return streamed(StreamEvent.chunk({"generation": "Hi", "stop_reason": None}, 0.01))


@pytest.fixture
def cassette(tmp_path: Path) -> Path:
    path = tmp_path / "c.yaml"
    storage.write_atomic(path, serialize.dumps([plain(b'{"generation":"ok"}'), stream_answer()]))
    return path


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files parsed from their text (the in-process cache left out of the way)."""
    monkeypatch.delenv("BEDROCK_VCR_CACHE", raising=False)
    monkeypatch.setattr(storage, "_cache", type(storage._cache)())
    seen: list[Path] = []
    parse = storage.parse_document
    monkeypatch.setattr(
        storage,
        "parse_document",
        lambda text, path, *rest: seen.append(path) or parse(text, path, *rest),
    )
    return seen


def fresh_load(path: Path) -> list[Interaction]:
    storage._cache.clear()
    return storage.load_file(path)


def entries(path: Path) -> list[Path]:
    return sorted((path.parent / ".bedrock-vcr" / "cache").glob("*.marshal"))


def test_a_second_load_reads_the_entry_and_gives_equal_interactions(
    cassette: Path, parses: list[Path]
) -> None:
    first = fresh_load(cassette)
    again = fresh_load(cassette)
    assert parses == [cassette]
    assert len(entries(cassette)) == 1
    assert again == first
    assert again[1].response is not None and first[1].response is not None
    assert [e.frame for e in again[1].response.events or []] == [
        e.frame for e in first[1].response.events or []
    ]


def test_stream_events_from_an_entry_are_built_when_first_read(
    cassette: Path, parses: list[Path]
) -> None:
    fresh_load(cassette)
    response = fresh_load(cassette)[1].response
    assert response is not None
    assert "events" not in response.__dict__ or response.__dict__["events"] is None
    assert response.is_stream
    events = response.events
    assert events is not None and [e.offset for e in events] == [0.01, 0.02]
    assert events[0].message.header(":event-type") == "chunk"


def mapped_stream_answer() -> Interaction:
    """A stream the file holds as event mappings (an event with a header a line cannot say),
    which the cache keeps as frames."""
    interaction = stream_answer()
    assert interaction.response is not None and interaction.response.events is not None
    event = interaction.response.events[0]
    event.message.headers["x-extra"] = Header(HeaderType.STRING, "1")
    event.__dict__.pop("frame", None)
    return interaction


@pytest.mark.parametrize("form", ["lines", "large lines", "mappings"])
def test_replaying_an_entry_reads_its_frames_without_decoding_them(
    tmp_path: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    """Replay sends the recorded frames as they are: a test that only replays never pays for
    decoding its stream's frames back into messages. A large cassette's stream held as lines
    is kept as its lines and read again into events (built, never decoded); a small one's,
    and a stream held as event mappings, is kept as frames, and ``message`` is decoded when
    first read."""
    if form == "large lines":
        monkeypatch.setattr(stream_build, "PREBUILT_UP_TO", 0)
    cassette = tmp_path / "c.yaml"
    answer = stream_answer() if "lines" in form else mapped_stream_answer()
    storage.write_atomic(cassette, serialize.dumps([plain(b'{"generation":"ok"}'), answer]))
    assert ("stream: |" in cassette.read_text()) == ("lines" in form)
    parsed = fresh_load(cassette)[1].response
    cached = fresh_load(cassette)[1].response
    assert parsed is not None and cached is not None and parses == [cassette]
    decoded: list[bytes] = []
    decode = records.decode_message
    monkeypatch.setattr(records, "decode_message", lambda f: decoded.append(f) or decode(f))
    events = cached.events or []
    assert [e.frame for e in events] == [e.frame for e in parsed.events or []]
    assert [e.offset for e in events] == [0.01, 0.02] and decoded == []
    assert events[1].message == (parsed.events or [])[1].message
    # (a small cassette's parse holds frames as well: both messages are decoded)
    assert decoded == [events[1].frame] * {"large lines": 0, "lines": 2, "mappings": 1}[form]
    assert events == parsed.events and parsed.events == events  # equal either way round
    assert [e.copy() for e in events] == parsed.events
    assert all(isinstance(e, StreamEvent) for e in events)


def test_an_edited_cassette_is_parsed_again_and_its_old_entry_removed(
    cassette: Path, parses: list[Path]
) -> None:
    fresh_load(cassette)
    old = entries(cassette)
    storage.write_atomic(cassette, serialize.dumps([plain(b'{"generation":"changed"}')]))
    loaded = fresh_load(cassette)
    assert parses == [cassette, cassette]
    assert loaded[0].response is not None and b"changed" in loaded[0].response.body
    assert len(entries(cassette)) == 1 and entries(cassette) != old


def test_a_damaged_entry_is_a_miss(cassette: Path, parses: list[Path]) -> None:
    expected = fresh_load(cassette)
    (entry,) = entries(cassette)
    blob = entry.read_bytes()
    entry.write_bytes(blob[: len(blob) // 2])
    assert fresh_load(cassette) == expected
    assert parses == [cassette, cassette]


def test_an_entry_of_other_readers_is_ignored(
    cassette: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh_load(cassette)
    monkeypatch.setattr(cache, "_fingerprint", b"\0" * 32)  # another bedrock-vcr wrote it
    fresh_load(cassette)
    assert parses == [cassette, cassette]


def written(head: bytes, extra: Any, *pieces: Any) -> bytes:
    """An entry laid out as :func:`cache.store` lays it out: each piece after its length."""
    count = sum(map(len, pieces))
    return head + b"".join(cache._piece(value) for value in ((count, extra), *pieces))


def read_entry(entry: Path) -> tuple[bytes, Any, list[Any]]:
    """The head, the ``extra`` value and the packed interactions of an entry."""
    blob = entry.read_bytes()
    head = blob[: len(cache._MAGIC) + 64]
    (_, extra), *pieces = cache._pieces(memoryview(blob)[len(head) :])
    return head, extra, [item for piece in pieces for item in piece]


def test_an_entry_of_the_wrong_shape_is_a_miss(cassette: Path, parses: list[Path]) -> None:
    fresh_load(cassette)
    (entry,) = entries(cassette)
    head = entry.read_bytes()[: len(cache._MAGIC) + 64]
    entry.write_bytes(written(head, [], [((1, 2, 3, 4, 5, 6, 7), (8,) * 6)]))
    assert len(fresh_load(cassette)) == 2
    assert parses == [cassette, cassette]


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: blob + b"\0",  # a length cut short
        lambda blob: blob + (99).to_bytes(8, "little") + b"x",  # a piece cut short
        lambda blob: blob[: len(cache._MAGIC) + 64],  # no pieces at all
        lambda blob: blob[: len(cache._MAGIC) + 64] + cache._piece((2, [])),  # cut at a piece's end
    ],
)
def test_an_entry_whose_pieces_do_not_add_up_is_a_miss(
    cassette: Path, parses: list[Path], damage: Any
) -> None:
    expected = fresh_load(cassette)
    (entry,) = entries(cassette)
    entry.write_bytes(damage(entry.read_bytes()))
    assert fresh_load(cassette) == expected
    assert parses == [cassette, cassette]


def test_a_large_entry_is_written_and_read_in_pieces(tmp_path: Path, parses: list[Path]) -> None:
    many = tmp_path / "many.yaml"
    answers = [plain(f'{{"generation":"{k}"}}'.encode()) for k in range(2 * cache.PIECE + 3)]
    storage.write_atomic(many, serialize.dumps(answers))
    expected = fresh_load(many)
    (entry,) = entries(many)
    blob = entry.read_bytes()
    sizes = [len(piece) for piece in cache._pieces(memoryview(blob)[len(cache._MAGIC) + 64 :])]
    assert sizes == [2, cache.PIECE, cache.PIECE, 3]  # (count, extra), then the pieces
    assert fresh_load(many) == expected
    assert parses == [many]


FRAME = b"\0" * 16


@pytest.mark.parametrize(
    "events",
    [
        ((0.1,), [FRAME], None),  # a list of frames
        ((0.1, 0.2), (FRAME,), None),  # fewer frames than offsets
        ((1,), (FRAME,), None),  # an offset that is no float
        ((0.1,), ("text",), None),  # a frame that is no bytes
        ((0.1,), (b"short",), None),  # shorter than a frame's framing
        ((0.1,), (FRAME,), (1,)),  # an override that is no bytes
        ((0.1,), (FRAME,), (None, None)),  # more overrides than events
        ((0.1,), FRAME, None),  # layout 2's frames laid end to end
    ],
)
def test_an_entry_whose_stream_has_the_wrong_shape_is_a_miss(
    cassette: Path, parses: list[Path], events: tuple[object, ...]
) -> None:
    fresh_load(cassette)
    (entry,) = entries(cassette)
    head, extra, packed = read_entry(entry)
    request, response = packed[1]
    packed[1] = (request, (*response[:5], events))
    entry.write_bytes(written(head, extra, packed))
    loaded = fresh_load(cassette)
    assert parses == [cassette, cassette]
    assert loaded[1].response is not None and len(loaded[1].response.events or []) == 2


def test_the_cache_can_be_turned_off(
    cassette: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEDROCK_VCR_CACHE", "off")
    fresh_load(cassette)
    fresh_load(cassette)
    assert parses == [cassette, cassette]
    assert entries(cassette) == []


def test_a_cut_short_stream_warns_on_every_load_cached_or_not(
    tmp_path: Path, parses: list[Path]
) -> None:
    path = tmp_path / "short.yaml"
    storage.write_atomic(path, serialize.dumps([cut_short_answer()]))
    for _ in range(2):
        with pytest.warns(TruncatedStreamWarning, match="interaction 0"):
            fresh_load(path)
    assert parses == [path]


def test_a_folder_it_cannot_write_just_has_no_cache(
    cassette: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = os.open

    def refused(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT:  # any file made in the folder (tempfile's too)
            raise PermissionError("read-only")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refused)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(fresh_load(cassette)) == 2
    assert entries(cassette) == []


def test_another_process_reads_the_entry_this_one_wrote(cassette: Path, parses: list[Path]) -> None:
    expected = fresh_load(cassette)
    script = (
        "import sys\n"
        "from bedrock_vcr.cassettes import storage\n"
        "storage.parse_document = None  # a parse would fail\n"
        "loaded = storage.load_file(__import__('pathlib').Path(sys.argv[1]))\n"
        "print(len(loaded), loaded[1].response.events[1].frame.hex())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(cassette)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert expected[1].response is not None and expected[1].response.events is not None
    assert out == ["2", expected[1].response.events[1].frame.hex()]


def test_replaying_from_an_entry_loads_none_of_the_writing_modules(
    cassette: Path, parses: list[Path]
) -> None:
    """A replay-only process (the cassette opened, a request found) never saves: the modules
    that only saving, a mismatch report or the YAML reader need stay unimported."""
    fresh_load(cassette)  # writes the entry
    script = (
        "import sys\n"
        "from bedrock_vcr.cassettes.cassette import Cassette\n"
        "cassette = Cassette(sys.argv[1])\n"
        "assert cassette.find(cassette.interactions[1].request) is not None\n"
        "names = ('secret_scan', 'merge', 'stable', 'candidates', 'yaml_format')\n"
        "print([n for n in names if f'bedrock_vcr.cassettes.{n}' in sys.modules])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(cassette)], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_processes_writing_the_same_entry_at_once_leave_one_whole_entry(
    cassette: Path, parses: list[Path]
) -> None:
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from bedrock_vcr.cassettes import storage\n"
        "loaded = storage.load_file(Path(sys.argv[1]))\n"
        "print(loaded[1].response.events[1].frame.hex())\n"
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(cassette)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = [child.communicate()[0].strip() for child in children]
    assert all(child.returncode == 0 for child in children)
    assert len(set(outputs)) == 1
    assert len(entries(cassette)) == 1
    assert not list((cassette.parent / ".bedrock-vcr" / "cache").glob("*.tmp"))
    loaded = fresh_load(cassette)
    assert parses == []  # the entry the processes wrote is whole
    assert loaded[1].response is not None and loaded[1].response.events is not None
    assert loaded[1].response.events[1].frame.hex() == outputs[0]


def test_a_large_cassettes_stream_read_from_lines_is_kept_as_its_lines(
    cassette: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past :data:`.stream_build.PREBUILT_UP_TO`, the entry holds a stream's lines, smaller
    than its frames (no base64, no header block per event), and the events read from them are
    the parsed ones."""
    monkeypatch.setattr(stream_build, "PREBUILT_UP_TO", 0)
    parsed = fresh_load(cassette)
    (entry,) = entries(cassette)
    blob = entry.read_bytes()
    assert b'0.01 chunk {"bytes":{"generation":"Hi","stop_reason":null}}' in blob
    assert parsed[1].response is not None and parsed[1].response.events is not None
    assert parsed[1].response.events[0].frame not in blob  # no frame kept beside the lines
    cached = fresh_load(cassette)
    assert parses == [cassette] and cached == parsed


def test_a_small_cassettes_streams_are_made_into_frames_once_and_replayed_as_they_are(
    cassette: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first parse makes a small cassette's streams into frames (the lines are checked
    first, and the end check reads them); the entry holds those frames, and replay from it or
    from the parse sends them without building an event, in this process and the next."""
    built: list[str] = []
    read = stream_build.read_lines
    monkeypatch.setattr(stream_build, "read_lines", lambda t: built.append(t) or read(t))
    parsed = fresh_load(cassette)
    (entry,) = entries(cassette)
    blob = entry.read_bytes()
    assert b'0.01 chunk {"bytes":' not in blob  # no lines kept beside the frames
    cached = fresh_load(cassette)
    assert parses == [cassette]
    for response in (parsed[1].response, cached[1].response):
        assert response is not None and response.lines is None
        frames = response.frames()
        assert frames is not None and len(frames) == 2 and all(f in blob for f in frames)
        assert "events" not in response.__dict__ or response.__dict__["events"] is None
    assert built == []
    # the events, when read, are those of the lines (decoded from the frames)
    assert cached == parsed
    storage._cache.clear()
    streams = [i.response for i in storage.interactions_from_text(cassette.read_text())]
    assert streams[1] is not None and streams[1].lines is not None  # read, not built
    assert cached[1].response.events == streams[1].events


@pytest.mark.parametrize("override", [False, True])
def test_an_entrys_frames_are_replayed_without_building_its_events(
    tmp_path: Path, parses: list[Path], override: bool
) -> None:
    """``frames()`` of a response from an entry are the recorded frames (a frame override in
    its place); an entry that holds the frames (a stream the line form cannot hold) gives them
    without building an event."""
    answer = stream_answer()
    assert answer.response is not None and answer.response.events is not None
    if override:  # a corrupted frame as recorded: the line form cannot hold it
        first = answer.response.events[0]
        answer.response.events[0] = StreamEvent(
            first.message, first.offset, frame_override=first.frame[:-1] + b"\x00"
        )
    cassette = tmp_path / "c.yaml"
    storage.write_atomic(cassette, serialize.dumps([plain(b'{"generation":"ok"}'), answer]))
    parsed = fresh_load(cassette)[1].response
    cached = fresh_load(cassette)[1].response
    assert parsed is not None and cached is not None and parses == [cassette]
    frames = cached.frames()
    if override:  # kept as frames: sent as they are
        assert cached.__dict__["events"] is None and records._PACKED in cached.__dict__
    assert frames == [e.frame for e in parsed.events or []] == parsed.frames()
    assert (frames[0][-1:] == b"\x00") == override
    assert plain(b"{}").response is not None and plain(b"{}").response.frames() is None


def test_an_entry_keeps_the_recorded_bodies_match_keys(
    cassette: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry holds what default matching compares of each recorded body: a cached load
    indexes its interactions without parsing one body (the keys are those of a parse)."""
    from bedrock_vcr.cassettes import matching
    from bedrock_vcr.cassettes.cassette import Cassette

    parsed = [matching.MatchConfig().key(i.request) for i in fresh_load(cassette)]
    matching._BODY_KEYS.clear()
    storage._cache.clear()
    monkeypatch.setattr(matching, "_canonical_text", lambda data: pytest.fail("parsed"))
    cached = Cassette(cassette)
    assert parses == [cassette]
    assert list(cached._index) == parsed


def test_a_temporary_file_left_with_this_process_id_does_not_stop_the_entry(
    cassette: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "_serial", itertools.count(7))
    folder = cassette.parent / ".bedrock-vcr" / "cache"
    folder.mkdir(parents=True)
    digest = cache.digest(cassette.read_bytes())
    stale = Path(f"{cache.entry_path(cassette.resolve(), digest)}.{os.getpid()}-7.tmp")
    stale.write_bytes(b"a dead process's")
    fresh_load(cassette)
    assert len(entries(cassette)) == 1
    assert stale.read_bytes() == b"a dead process's"  # not its to remove
    assert [p.name for p in folder.iterdir() if p.suffix == ".tmp"] == [stale.name]


#: Modules a parse imports that do not decide what a cassette's text becomes (writing,
#: locking, messages, the cassette object around the interactions).
NOT_READERS = {
    "cassette",
    "calls",
    "modes",
    "locking",
    "redaction",
    "text_fields",
    "textdiff",
    "yaml_emit",
    "fast_nodes",
}


def test_every_module_that_reads_a_cassette_is_in_the_entry_fingerprint(tmp_path: Path) -> None:
    # an entry of an older reader must be a miss: a module left out of the fingerprint would
    # let a changed reader use entries the old one wrote
    path = tmp_path / "c.yaml"
    storage.write_atomic(path, serialize.dumps([plain(b'{"generation":"ok"}'), stream_answer()]))
    script = (
        "import sys, bedrock_vcr\n"
        "bedrock_vcr.Cassette(sys.argv[1])\n"
        "print(' '.join(m for m in sys.modules if m.startswith('bedrock_vcr.')))\n"
    )
    env = {**os.environ, "BEDROCK_VCR_CACHE": "off"}
    out = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.split()
    here = Path(cache.__file__).parent
    files = {
        str(Path(m.replace(".", "/")).relative_to("bedrock_vcr/cassettes"))
        for m in out
        if m.startswith("bedrock_vcr.cassettes.")
    }
    read = {f for f in files if (here / f"{f}.py").is_file() and f not in NOT_READERS}
    read |= {
        f"../{m.split('.', 1)[1].replace('.', '/')}"
        for m in out
        if m.startswith(("bedrock_vcr.wire.", "bedrock_vcr.bedrock.operations"))
    }
    assert read <= {name.removesuffix(".py") for name in cache._READERS}
