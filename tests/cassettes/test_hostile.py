"""Hostile and damaged cassettes: every reader refuses them with a ``CassetteFormatError`` that
says where (file, line/column or interaction and JSON path), quickly and in bounded memory.

Each case runs in a child process with a memory cap (``RLIMIT_AS``) and a timeout, so a reader
that hangs or allocates without bound fails the test instead of taking the suite down.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
import threading
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from bedrock_vcr import CassetteFormatError
from bedrock_vcr.cassettes import storage

#: Wall-clock limit of one child process, and the time a refusal must take at most.
TIMEOUT = 30.0
FAST = 5.0
#: Address-space cap of the child (an interpreter with bedrock-vcr loaded needs ~150 MB).
MEMORY = 1024 * 1024 * 1024

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
limit = int(sys.argv[4])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
reader, path, dest = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
started = time.perf_counter()
out = {"type": None}
try:
    if reader == "load":
        from bedrock_vcr.cassettes import storage
        storage.load_file(path)
    elif reader == "import":
        from bedrock_vcr.cassettes import vcrpy_convert
        vcrpy_convert.convert_file(path, dest)
    elif reader == "sniff":
        from bedrock_vcr.cassettes import vcrpy
        out["sniffed"] = vcrpy.file_is_vcrpy(path)
    else:
        raise SystemExit(f"unknown reader {reader}")
except BaseException as exc:
    out = {
        "type": type(exc).__name__,
        "message": str(exc)[:3000],
        "path": str(getattr(exc, "path", None) or ""),
        "interaction": getattr(exc, "interaction", None),
        "json_path": getattr(exc, "json_path", None),
        "fix": getattr(exc, "fix", None),
    }
out["seconds"] = time.perf_counter() - started
print(json.dumps(out))
"""


def run_reader(reader: str, path: Path) -> dict[str, Any]:
    """What ``reader`` does with ``path`` in a capped child process (its result as a dict)."""
    if sys.platform != "linux":
        pytest.skip("the memory cap of the child process uses Linux RLIMIT_AS")
    dest = path.with_name(path.stem + ".converted.yaml")
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, reader, str(path), str(dest), str(MEMORY)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{reader} of {path.name} did not finish within {TIMEOUT:.0f} s")
    lines = done.stdout.strip().splitlines()
    assert lines, f"the reader died (exit {done.returncode}): {done.stderr[-2000:]}"
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def assert_refused(
    result: dict[str, Any],
    path: Path,
    *,
    interaction: int | None = None,
    json_path: str | None = None,
    says: str = "",
) -> None:
    assert result["type"] == "CassetteFormatError", result
    assert result["path"] == str(path), result
    assert result["seconds"] < FAST, result
    assert result["fix"], result
    if interaction is not None:
        assert result["interaction"] == interaction, result
    if json_path is not None:
        assert result["json_path"] == json_path, result
    assert says in result["message"], result


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


# --- documents ------------------------------------------------------------------------------

#: Nine levels of nine-fold aliases: 664 bytes that expand to 9**10 leaves.
BOMB = "".join(
    f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}" if i else "x"] * 9) + "]\n" for i in range(10)
)

HEADERS = "{':event-type': chunk, ':content-type': application/json, ':message-type': event}"
FINAL = (
    "{generation: hi, stop_reason: stop, amazon-bedrock-invocationMetrics: {inputTokenCount: 1}}"
)


def own(second: str = "", *, top: str = "", first_body: str = "{json: {prompt: hi}}") -> str:
    """A bedrock-vcr cassette: a valid InvokeModel, then (optionally) a second interaction."""
    text = f"""\
{top}version: 1
interactions:
- request:
    operation: InvokeModel
    model_id: meta.llama3-70b-instruct-v1:0
    body: {first_body}
  response:
    status: 200
    headers: {{content-type: application/json}}
    body: {{json: {{generation: hi, stop_reason: stop}}}}
"""
    return text + second


def stream_interaction(
    event: str = "", *, response_extra: str = "", request_extra: str = ""
) -> str:
    """A stream interaction (the second one, index 1) whose first event gets ``event`` lines."""
    return f"""\
- request:
    operation: InvokeModelWithResponseStream
    model_id: meta.llama3-70b-instruct-v1:0
    body: {{json: {{prompt: hi}}}}
{request_extra}  response:
    status: 200
    headers: {{content-type: application/vnd.amazon.eventstream}}
{response_extra}    stream:
    - offset: 0.1
      headers: {HEADERS}
{event or f"      chunk: {{json: {FINAL}}}"}
"""


# --- 1. anchors and aliases -----------------------------------------------------------------


def test_alias_bomb_in_a_bedrock_vcr_cassette_is_refused_fast(tmp_path: Path) -> None:
    text = own(top=BOMB, first_body="{json: *a9}")
    assert len(text.encode()) < 1000
    path = write(tmp_path, "bomb.yaml", text)
    result = run_reader("load", path)
    assert_refused(result, path, says="at line 1, column 5")  # the first anchor, &a0
    assert "alias" in result["message"] and "alias" in result["fix"]


def test_alias_bomb_in_a_vcrpy_cassette_is_refused_by_direct_replay(tmp_path: Path) -> None:
    path = write(tmp_path, "vcrpy-bomb.yaml", _vcrpy(top=BOMB, extra="    padding: *a9\n"))
    assert_refused(run_reader("load", path), path, says="alias")


def test_alias_bomb_in_a_vcrpy_cassette_is_refused_by_import(tmp_path: Path) -> None:
    path = write(tmp_path, "vcrpy-bomb.yaml", _vcrpy(top=BOMB, extra="    padding: *a9\n"))
    assert_refused(run_reader("import", path), path, says="alias")
    assert not path.with_name("vcrpy-bomb.converted.yaml").exists()


def test_sniffing_a_vcrpy_bomb_is_bounded(tmp_path: Path) -> None:
    path = write(tmp_path, "vcrpy-bomb.yaml", _vcrpy(top=BOMB, extra="    padding: *a9\n"))
    result = run_reader("sniff", path)
    assert result["type"] is None and result["seconds"] < FAST, result


@pytest.mark.parametrize(
    ("name", "text", "marker"),
    [
        # an anchor alone expands nothing, but the format never writes one: refused as well
        ("anchor", own(first_body="&b {json: {prompt: hi}}"), "&b"),
        ("scalar alias", own(top="m: &m meta.llama3-70b-instruct-v1:0\n"), "&m"),
        (
            "merge key",
            own(
                top="base: &base {content-type: application/json}\n",
                first_body="{json: {prompt: hi}}\n    headers: {<<: *base}",
            ),
            "&base",
        ),
        ("flow alias", own(first_body="{json: [&x 1,*x]}"), "&x"),
        ("alias only", own(first_body="{json: *nothing}"), "*nothing"),
    ],
)
def test_anchors_and_aliases_are_refused_with_their_line(
    tmp_path: Path, name: str, text: str, marker: str
) -> None:
    path = write(tmp_path, "anchored.yaml", text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if marker in row)
    column = text.splitlines()[line - 1].index(marker) + 1
    with pytest.raises(CassetteFormatError, match=rf"at line {line}, column {column}\b") as caught:
        storage.load_file(path)
    assert caught.value.path == path
    assert marker in caught.value.problem
    assert caught.value.fix is not None and "alias" in caught.value.fix


def test_ampersands_and_asterisks_in_text_are_not_anchors(tmp_path: Path) -> None:
    prompt = "Tom & Jerry, *bold*, **x**, a &b *c, R&D"
    text = own(
        stream_interaction(
            "      chunk:\n"
            "        json:\n"
            "          generation: |\n"
            "            * item\n"
            "            & more\n"
            "          stop_reason: stop\n"
            "          amazon-bedrock-invocationMetrics: {inputTokenCount: 1}\n"
            "      payload: {json: {p: '& *', q: \"*r &s\"}}"
        ),
        first_body=f'{{json: {{prompt: "{prompt}", k: "[*v, &w]"}}}}',
    )
    path = write(tmp_path, "text.yaml", text + "# a comment with &anchor and *alias\n")
    loaded = storage.load_file(path)
    assert json.loads(loaded[0].request.body)["prompt"] == prompt
    payload = json.loads(loaded[1].response.events[0].message.payload)
    assert payload["p"] == "& *" and payload["q"] == "*r &s"
    chunk = json.loads(base64.b64decode(payload["bytes"]))
    assert chunk["generation"] == "* item\n& more\n"


# --- 2. malformed values --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "second", "json_path", "says"),
    [
        (
            "base64 body that is a number",
            stream_interaction("      chunk: {base64: 5}"),
            "#/response/stream/0/chunk",
            "base64",
        ),
        (
            "JSON style that is a mapping",
            stream_interaction(f"      chunk: {{json: {FINAL}, style: {{x: 1}}}}"),
            "#/response/stream/0/chunk/style",
            "style",
        ),
        (
            "integer header that is not a number",
            stream_interaction(
                "      chunk: {json: " + FINAL + "}\n"
                "    - offset: 0.2\n"
                "      headers: {':message-type': event, n: {type: integer, value: abc}}\n"
            ),
            "#/response/stream/1/headers/n/value",
            "integer",
        ),
        (
            "date in a chunk payload",
            stream_interaction(
                f"      chunk: {{json: {FINAL}}}\n      payload: {{json: {{when: 2020-01-01}}}}"
            ),
            "#/response/stream/0/payload/json",
            "JSON",
        ),
        (
            "string header declaring 100 GB",
            stream_interaction(
                f"      chunk: {{json: {FINAL}}}\n"
                "    - offset: 0.2\n"
                "      headers: {':message-type': event, s: {type: string, value: 100000000000}}\n"
            ),
            "#/response/stream/1/headers/s/value",
            "string",
        ),
        (
            "byte_array header longer than a frame allows",
            stream_interaction(
                f"      chunk: {{json: {FINAL}}}\n"
                "    - offset: 0.2\n"
                "      headers: {':message-type': event, b: {type: byte_array, value: '"
                + "00" * 70_000
                + "'}}\n"
            ),
            "#/response/stream/1",  # typed already: the frame encoder checks lengths
            "65535",
        ),
        (
            "byte header out of range",
            stream_interaction(
                f"      chunk: {{json: {FINAL}}}\n"
                "    - offset: 0.2\n"
                "      headers: {':message-type': event, b: {type: byte, value: 300}}\n"
            ),
            "#/response/stream/1",  # typed already: the frame encoder checks ranges
            "does not fit BYTE",
        ),
        (
            "text body that is a mapping",
            stream_interaction("      chunk: {text: {a: 1}}"),
            "#/response/stream/0/chunk/text",
            "text",
        ),
        (
            "offset that is not a number",
            stream_interaction(
                f"      chunk: {{json: {FINAL}}}\n"
                f"    - offset: .nan\n      headers: {HEADERS}\n      chunk: {{json: {FINAL}}}"
            ),
            "#/response/stream/1/offset",
            "offset",
        ),
        (
            "latency of 5000 digits",
            stream_interaction(response_extra="    latency: " + "1" * 5000 + "\n"),
            None,
            "",
        ),
        (
            "stream_end that is not one of complete/dropped",
            stream_interaction(response_extra="    stream_end: {x: 1}\n"),
            "#/response/stream_end",
            "stream_end",
        ),
        (
            "request header that is a mapping",
            stream_interaction(request_extra="    headers: {accept: {a: 1}}\n"),
            "#/request/headers/accept",
            "header",
        ),
        (
            "impossible date",
            stream_interaction() + "  recorded_at: 2001-13-45\n",
            None,
            "",
        ),
    ],
)
def test_malformed_values_are_located_format_errors(
    tmp_path: Path, name: str, second: str, json_path: str | None, says: str
) -> None:
    path = write(tmp_path, "damaged.yaml", own(second))
    result = run_reader("load", path)
    if json_path is None:  # a YAML-level problem: located by line, not by interaction
        assert_refused(result, path, says="line")
    else:
        assert_refused(result, path, interaction=1, json_path=json_path, says=says)


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deep_nesting_fails_fast(tmp_path: Path, depth: int) -> None:
    path = write(tmp_path, "deep.yaml", own(first_body="{json: " + "[" * depth + "]" * depth + "}"))
    result = run_reader("load", path)
    assert_refused(result, path, says="nest")


def test_json_nested_under_the_yaml_limit_but_too_deep_for_a_body(tmp_path: Path) -> None:
    depth = 900  # libyaml accepts up to 1000 levels
    body = "{json: " + "[" * depth + "]" * depth + "}"
    path = write(tmp_path, "deep.yaml", own(first_body=body))
    result = run_reader("load", path)
    assert_refused(result, path, interaction=0, json_path="#/request/body/json", says="nest")


def test_a_cassette_larger_than_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:  # sparse: costs no disk
        handle.truncate(storage.MAX_CASSETTE_BYTES + 1)
    result = run_reader("load", path)
    assert_refused(result, path, says="MiB")


def test_reading_a_cassette_asks_for_no_more_memory_than_it_holds(tmp_path: Path) -> None:
    # a read asks the allocator for all it may return: asking for the limit cost every test
    # a large allocation and its release
    path = tmp_path / "small.yaml"
    path.write_bytes(b"x" * 10_000)
    tracemalloc.start()
    try:
        data = storage.read_bytes(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert data == b"x" * 10_000
    assert peak < 1024 * 1024


def test_a_pipe_is_read_whole_and_refused_past_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a pipe reports no size: it is read up to the limit
    monkeypatch.setattr(storage, "MAX_CASSETTE_BYTES", 3 * 1024 * 1024)
    for size, refused in ((3 * 1024 * 1024, False), (3 * 1024 * 1024 + 1, True)):
        path = tmp_path / f"pipe-{size}"
        os.mkfifo(path)
        # (the reader takes at most one byte past the limit: each writer is read to its end)
        writer = threading.Thread(target=path.write_bytes, args=(b"y" * size,), daemon=True)
        writer.start()
        if refused:
            with pytest.raises(CassetteFormatError, match="MiB"):
                storage.read_bytes(path)
        else:
            assert storage.read_bytes(path) == b"y" * size
        writer.join(timeout=10)
        assert not writer.is_alive()


# --- vcrpy documents ------------------------------------------------------------------------


def _vcrpy(*, top: str = "", extra: str = "", uri: str = "", code: str = "200") -> str:
    uri = uri or (
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/meta.llama3-70b-instruct-v1%3A0/invoke"
    )
    return f"""\
{top}interactions:
- request:
    body: '{{"prompt": "hi"}}'
    headers: {{}}
    method: POST
    uri: '{uri}'
  response:
    body: {{string: '{{"generation": "hello"}}'}}
    headers: {{Content-Type: [application/json]}}
    status: {{code: {code}, message: OK}}
{extra}version: 1
"""


@pytest.mark.parametrize(
    ("name", "text", "json_path"),
    [
        ("broken IPv6 host", _vcrpy(uri="http://[::1/model/x/invoke"), "#/request/uri"),
        ("status of 5000 digits", _vcrpy(code="'" + "9" * 5000 + "'"), "#/response/status/code"),
    ],
)
@pytest.mark.parametrize("reader", ["load", "import"])
def test_malformed_vcrpy_values_are_located_format_errors(
    tmp_path: Path, name: str, text: str, json_path: str, reader: str
) -> None:
    path = write(tmp_path, "vcrpy.yaml", text)
    assert_refused(run_reader(reader, path), path, interaction=0, json_path=json_path)


def test_vcrpy_pickled_body_of_the_wrong_shape_is_a_format_error(tmp_path: Path) -> None:
    text = _vcrpy().replace(
        'body: \'{"prompt": "hi"}\'', "body: !!python/object/new:_io.BytesIO {state: 5}"
    )
    path = write(tmp_path, "vcrpy.yaml", text)
    result = run_reader("import", path)
    assert_refused(result, path)
