"""Fuzzing the cassette readers: a mutated cassette either loads or fails with a located
``CassetteFormatError``, never another exception, in bounded time and memory.

Each example takes a valid document (bedrock-vcr's format, or vcrpy's) and changes it the ways a
damaged or hostile file would be: a value replaced by one of the wrong type (dates, binaries,
huge numbers, sized header declarations, anchors and aliases, YAML tags), a key deleted or
added, a value nested thousands of levels deep, the text cut short. The readers are
``storage.interactions_from_text`` (both formats, as ``use_cassette`` reads them) and the
``bedrock-vcr import`` reader.
"""

from __future__ import annotations

import copy
import faulthandler
import json
import resource
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bedrock_vcr.cassettes import storage, stream_end, vcrpy, vcrpy_convert
from bedrock_vcr.cassettes import yaml_format as serialize
from bedrock_vcr.cassettes.records import (
    Interaction,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)
from bedrock_vcr.errors import CassetteFormatError
from bedrock_vcr.wire.eventstream import Header, HeaderType, Message

from .vcrpy_samples import LLAMA, LLAMA_PATH, RUNTIME, STREAM_HEADERS, doc, frames, item

PATH = Path("fuzz.yaml")
PLACEHOLDER = "FUZZ-PLACEHOLDER-{}"
#: Address space the test may add to the process: a reader that allocates without bound fails.
MEMORY = 2 * 1024 * 1024 * 1024


# --- valid documents ---------------------------------------------------------------------------


def _own_document() -> dict[str, Any]:
    typed = {
        ":event-type": Header(HeaderType.STRING, "chunk"),
        ":content-type": Header(HeaderType.STRING, "application/json"),
        ":message-type": Header(HeaderType.STRING, "event"),
        "n": Header(HeaderType.INTEGER, 7),
        "b": Header(HeaderType.BYTE_ARRAY, b"\x00\xff"),
        "u": Header(HeaderType.UUID, bytes(range(16))),
        "t": Header(HeaderType.BOOL_TRUE, True),
    }
    chunk = StreamEvent.chunk({"generation": "hi", "stop_reason": None}, offset=0.1)
    final = StreamEvent.chunk(
        {"generation": "", "stop_reason": "stop", stream_end.METRICS_KEY: {"inputTokenCount": 1}},
        offset=0.2,
    )
    odd = StreamEvent(Message(typed, b'{"bytes":"aGk=","p":"ab"}'), 0.15)
    interactions = [
        Interaction(
            RecordedRequest("InvokeModel", LLAMA, b'{"prompt": "hi"}', {"accept": "*/*"}),
            RecordedResponse(
                200, {"content-type": "application/json"}, b'{"a": [1, 2.5]}', None, 0.2
            ),
            "2026-01-01T00:00:00+00:00",
        ),
        Interaction(
            RecordedRequest("InvokeModel", LLAMA, b"plain text body"),
            RecordedResponse(400, {"x-amzn-errortype": "ValidationException"}, b"\xff\x00"),
        ),
        Interaction(
            RecordedRequest("InvokeModelWithResponseStream", LLAMA, b'{"prompt":"x"}'),
            RecordedResponse(200, {"x-amzn-requestid": "r"}, events=[chunk, odd, final]),
        ),
        Interaction(
            RecordedRequest("ConverseStream", "amazon.nova-lite-v1:0", b'{"messages":[]}'),
            RecordedResponse(
                200,
                {},
                events=[
                    StreamEvent.event("messageStart", {"role": "assistant"}, 0.1),
                    StreamEvent.exception("throttlingException", {"message": "slow"}, 0.2),
                ],
                stream_end="dropped",
            ),
        ),
    ]
    document = yaml.safe_load(serialize.dumps(interactions))
    assert isinstance(document, dict)
    return document


def _vcrpy_document() -> dict[str, Any]:
    stream = frames(StreamEvent.chunk({"generation": "hi", "stop_reason": "stop"}))
    return doc(
        item(request_headers={"Content-Type": ["application/json"], "X-Amz-Date": "x"}),
        item(
            f"{RUNTIME}{LLAMA_PATH}/invoke-with-response-stream",
            headers=STREAM_HEADERS,
            response_body=stream,
        ),
        item("https://s3.amazonaws.com/bucket/key", method="GET"),
    )


BASES = {"own": _own_document(), "vcrpy": _vcrpy_document()}


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in ``value`` (mapping keys and list indexes), parents first."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, child in items:
        path = (*prefix, key)
        yield path
        yield from _paths(child, path)


PATHS = {name: list(_paths(base)) for name, base in BASES.items()}


# --- hostile values, as YAML text ----------------------------------------------------------------

FRAGMENTS = [
    "2020-01-01",
    "2001-13-45",
    "2020-01-01T00:00:00+99:00",
    "!!binary AAAA",
    "!!binary '@@'",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!python/object/apply:os.system [echo]",
    "!!python/object/new:_io.BytesIO {state: 5}",
    "!!python/tuple [1, 2]",
    "!!int x",
    "!!float x",
    "!!timestamp x",
    "!custom x",
    ".nan",
    ".inf",
    "-.inf",
    "1" * 5000,
    "'" + "9" * 5000 + "'",
    "0x" + "f" * 40,
    "1:20:30",
    "yes",
    "~",
    "''",
    "{}",
    "[]",
    "&a x",
    "*a",
    "&a [*a]",
    "[&b 1, *b, *b]",
    "{<<: {a: 1}, b: 2}",
    "{[a]: b}",
    "{type: string, value: 100000000000}",
    "{type: integer, value: abc}",
    "{type: integer, value: 99999999999999999999}",
    "{type: byte, value: true}",
    "{type: uuid, value: zz}",
    "{type: uuid, value: '00'}",
    "{type: byte_array, value: 100000000000}",
    "{type: bool_false}",
    "{type: [x]}",
    "{json: 1, style: {x: 1}}",
    "{json: 1, style: indent9}",
    "{json: 2020-01-01}",
    "{json: {1: 2, null: 3}}",
    "{json: !!binary AAAA}",
    "{base64: 5}",
    "{base64: 'é'}",
    "{text: {a: 1}}",
    "{text: 5}",
    "{chunk: {text: x}, payload: {json: {d: 2020-01-01}}}",
    '"\\ud800"',
    "'" + "x" * 70_000 + "'",
    "{status: 99999999999999999999}",
    "http://[::1/model/x/invoke",
    "'http://[::1/model/x/invoke'",
    "{code: '٣٠٠'}",
    "{string: !!binary AAAA}",
    "- x",
    "@",
    "\t",
    "%YAML 1.1",
]

_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=8,
)

VALUES = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    _JSONISH.map(lambda v: json.dumps(v, ensure_ascii=True)),
)

DEPTHS = st.sampled_from([150, 201, 500, 995, 1001, 5000, 100_000])


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str]:
    """A base document's name and its text after one or two mutations."""
    name = draw(st.sampled_from(sorted(BASES)))
    document = copy.deepcopy(BASES[name])
    raw: dict[str, str] = {}
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from(PATHS[name]))
        parent = _at(document, path[:-1])
        if parent is None or not _holds(parent, path[-1]):
            continue
        how = draw(st.sampled_from(["replace", "replace", "delete", "nest", "add"]))
        mark = PLACEHOLDER.format(len(raw))
        if how == "delete":
            del parent[path[-1]]
            continue
        if how == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "style", "frame", "<<", "stream"]))] = mark
        else:
            parent[path[-1]] = mark
        depth = draw(DEPTHS) if how == "nest" else 0
        raw[mark] = "[" * depth + draw(VALUES) + "]" * depth
    text = yaml.safe_dump(document, sort_keys=False, width=10**9)
    for mark, fragment in raw.items():
        text = text.replace(mark, fragment)
    if draw(st.integers(0, 9)) == 0:  # cut short, as a killed writer leaves a file
        text = text[: draw(st.integers(0, len(text)))]
    return name, text


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    target = document
    for step in path:
        if not _holds(target, step):
            return None
        target = target[step]
    return target if isinstance(target, (dict, list)) else None


def _holds(container: Any, key: Any) -> bool:
    if isinstance(container, dict):
        return key in container
    return isinstance(container, list) and isinstance(key, int) and key < len(container)


# --- bounds ---------------------------------------------------------------------------------------


@contextmanager
def bounded(seconds: float) -> Iterator[None]:
    """Cap the address space this process may add, and dump the stacks and exit on a hang."""
    limits = None
    if sys.platform == "linux":
        limits = resource.getrlimit(resource.RLIMIT_AS)
        used = _virtual_size()
        cap = used + MEMORY
        if limits[1] == resource.RLIM_INFINITY or cap < limits[1]:
            resource.setrlimit(resource.RLIMIT_AS, (cap, limits[1]))
        else:
            limits = None
    faulthandler.dump_traceback_later(seconds, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        if limits is not None:
            resource.setrlimit(resource.RLIMIT_AS, limits)


def _virtual_size() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


# --- the property -------------------------------------------------------------------------------


def _read(name: str, text: str) -> list[Interaction]:
    interactions = storage.interactions_from_text(text, PATH)
    if name == "vcrpy":
        document = vcrpy_convert.load_document(text, PATH)
        if vcrpy.is_vcrpy_document(document):
            vcrpy.read_vcrpy(document, PATH)
    return interactions


def check(name: str, text: str) -> None:
    """The readers accept ``text`` or refuse it with a located CassetteFormatError."""
    try:
        interactions = _read(name, text)
    except CassetteFormatError as exc:
        assert exc.path == PATH, exc
        assert exc.fix, exc
        assert "cannot be read (" not in exc.problem, f"only the last-resort check caught: {exc}"
        if exc.interaction is not None and exc.problem != "an interaction must be a mapping":
            assert exc.json_path and exc.json_path.startswith("#"), exc
        return
    # what loaded can be judged and written back
    stream_end.cut_short(interactions)
    serialize.dumps(interactions)


@pytest.mark.parametrize("fragment", FRAGMENTS)
@pytest.mark.parametrize("where", ["request body", "event header", "stream event"])
def test_each_hostile_fragment_is_accepted_or_refused_cleanly(where: str, fragment: str) -> None:
    document = copy.deepcopy(BASES["own"])
    target = {
        "request body": document["interactions"][0]["request"],
        "event header": document["interactions"][2]["response"]["stream"][1]["headers"],
        "stream event": document["interactions"][2]["response"]["stream"],
    }[where]
    key = {"request body": "body", "event header": "n", "stream event": 0}[where]
    target[key] = PLACEHOLDER.format(0)
    text = yaml.safe_dump(document, sort_keys=False, width=10**9)
    with bounded(60):
        check("own", text.replace(PLACEHOLDER.format(0), fragment))


@settings(
    max_examples=200,
    deadline=None,  # timing varies on a shared machine; `bounded` caps each example's time
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
@given(case=mutated())
def test_mutated_cassettes_load_or_fail_with_a_located_format_error(case: tuple[str, str]) -> None:
    name, text = case
    with bounded(60):
        check(name, text)
