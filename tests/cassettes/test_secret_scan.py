"""The secret scan and the redaction of known credential values, on interactions in memory."""

from __future__ import annotations

import base64
import json
import time
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_vcr.cassettes import secret_scan, storage, yaml_format
from bedrock_vcr.cassettes.cassette import Cassette, CassetteConfig
from bedrock_vcr.cassettes.modes import RecordMode
from bedrock_vcr.cassettes.records import (
    Interaction,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)
from bedrock_vcr.cassettes.redaction import MIN_SECRET_LENGTH, KnownSecrets, placeholder
from bedrock_vcr.cassettes.secret_scan import clean, find_secrets, scan_interactions
from bedrock_vcr.errors import SecretInCassetteError, SecretRedactedWarning
from bedrock_vcr.wire.eventstream import Header, HeaderType, Message

LLAMA = "meta.llama3-70b-instruct-v1:0"
ACCESS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"
SESSION_KEY = "ASIA" + "Y34FZKBOKMUTVV7A"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
BEARER = "ABSK" + "QmVkcm9ja0FQSUtleS1leGFtcGxlOmV4YW1wbGVzZWNyZXRrZXk="
SHORT_TERM_KEY = (
    "bedrock-api-key-" + "YmVkcm9jay5hbWF6b25hd3MuY29tLz9BY3Rpb249Q2FsbFdpdGhCZWFyZXJUb2tlbg=="
)


def request(body: object = None, **headers: str) -> RecordedRequest:
    data = json.dumps(body if body is not None else {"prompt": "hi"}).encode()
    return RecordedRequest("InvokeModel", LLAMA, data, dict(headers), f"/model/{LLAMA}/invoke")


def answered(body: bytes = b'{"generation":"ok"}', **headers: str) -> Interaction:
    return Interaction(request(), RecordedResponse(200, dict(headers), body=body))


def streamed(pieces: list[str], *, raw: bool = False) -> Interaction:
    if raw:  # chunks whose bytes are plain text, not JSON
        events = [
            StreamEvent.event("chunk", {"bytes": base64.b64encode(p.encode()).decode()})
            for p in pieces
        ]
    else:
        events = [StreamEvent.chunk({"generation": p, "stop_reason": None}) for p in pieces]
    req = RecordedRequest("InvokeModelWithResponseStream", LLAMA, b'{"prompt":"hi"}')
    return Interaction(req, RecordedResponse(200, {}, events=events))


def four(text: str) -> list[str]:
    return [text[i : i + 4] for i in range(0, len(text), 4)]


def known(**values: str) -> KnownSecrets:
    secrets = KnownSecrets()
    for name, value in values.items():
        secrets.add(name, value)
    return secrets


# --- the patterns ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"arn-key{SESSION_KEY}",  # no word boundary between "y" and "A"
        f"key{ACCESS_KEY}x",
        f"id_{ACCESS_KEY}_2",
        f"x-api-key: {BEARER}",  # a long-term Bedrock API key, without the word Bearer
        f"token={SHORT_TERM_KEY}",  # a short-term Bedrock API key
    ],
)
def test_secret_shaped_text_glued_to_other_text_is_found(text: str) -> None:
    assert find_secrets(text), text


def test_a_key_inside_a_longer_run_of_capitals_is_not_taken_for_one() -> None:
    assert find_secrets(f"X{ACCESS_KEY}") == [] and find_secrets(f"{ACCESS_KEY}9") == []


def test_the_scan_of_hostile_text_takes_bounded_time() -> None:
    started = time.monotonic()
    for text in ("Bearer " + "a" * 200_000 + ":", "AKIA" * 100_000, "bedrock-api-key-" * 20_000):
        find_secrets(text)
        scan_interactions([answered(json.dumps({"g": text}).encode())])
    assert time.monotonic() - started < 10


# --- structured scan: every location, joined streams -----------------------------------------


def test_an_access_key_id_split_four_characters_per_chunk_is_found_in_the_joined_text() -> None:
    hits = scan_interactions([answered(), streamed(["Here: ", *four(SESSION_KEY), " done"])])
    assert hits == [
        "interaction 1, #/response/stream/1-5/chunk/json/generation "
        "(an AWS access key id, split across chunks 1-5)"
    ]


def test_raw_payloads_are_joined_too() -> None:
    hits = scan_interactions([streamed(four(f"key {ACCESS_KEY}."), raw=True)])
    assert hits == [
        "interaction 0, #/response/stream/1-5/chunk/text "
        "(an AWS access key id, split across chunks 1-5)"
    ]


def test_every_location_is_named() -> None:
    leaky = Interaction(
        request({"messages": [{"content": [{"text": f"use {ACCESS_KEY}"}]}]}),
        RecordedResponse(
            200,
            {"x-token": f"Bearer {'t' * 20}"},
            body=json.dumps({"Authorization": "x", "n": [1, f"k{SESSION_KEY}"]}).encode(),
        ),
    )
    hits = scan_interactions([answered(), leaky, streamed([f"one {ACCESS_KEY}", "two"])])
    assert hits == [
        "interaction 1, #/request/body/json/messages/0/content/0/text (an AWS access key id)",
        "interaction 1, #/response/headers/x-token (a bearer token)",
        "interaction 1, #/response/body/json/Authorization (the name) (an Authorization header)",
        "interaction 1, #/response/body/json/n/1 (an AWS access key id)",
        "interaction 2, #/response/stream/0/chunk/json/generation (an AWS access key id)",
    ]


def test_a_refusal_lists_every_location_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    cassette = Cassette(path, CassetteConfig(record_mode=RecordMode.ONCE))
    for interaction in (answered(), answered(f'{{"g":"{ACCESS_KEY}"}}'.encode())):
        slot = cassette.reserve(interaction.request)
        assert interaction.response is not None
        cassette.complete(slot, interaction.response)
    slot = cassette.reserve(streamed([]).request)
    cassette.complete(slot, streamed(four(SESSION_KEY)).response)  # type: ignore[arg-type]
    with pytest.raises(SecretInCassetteError) as caught:
        cassette.save()
    assert caught.value.locations == (
        "interaction 1, #/response/body/json/g (an AWS access key id)",
        "interaction 2, #/response/stream/0-4/chunk/json/generation "
        "(an AWS access key id, split across chunks 0-4)",
    )
    for where in caught.value.locations:
        assert where in str(caught.value)
    assert caught.value.path == path and caught.value.fix
    assert not path.exists()
    # nothing but the lock's bookkeeping (the ignored .bedrock-vcr folder)
    assert [p.name for p in tmp_path.iterdir() if p.name != ".bedrock-vcr"] == []
    assert not list(tmp_path.rglob("*.tmp")) and not list(tmp_path.rglob("*.yaml"))


def test_the_text_scan_names_every_line(tmp_path: Path) -> None:
    lines = "\n".join(f"k{i}: {ACCESS_KEY}" for i in range(8))
    with pytest.raises(SecretInCassetteError) as caught:
        storage.write_atomic(tmp_path / "c.yaml", lines)
    assert [where.split(" ")[1] for where in caught.value.locations] == [
        str(n) for n in range(1, 9)
    ]


# --- redaction of known values ---------------------------------------------------------------


def test_known_values_are_redacted_in_every_field_and_the_rest_is_kept(tmp_path: Path) -> None:
    secrets = known(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, aws_session_token="T" * 40
    )
    leaky = Interaction(
        RecordedRequest(
            "InvokeModel",
            LLAMA,
            json.dumps({"prompt": f"key {SECRET_KEY}", SECRET_KEY: 1}).encode(),
            {"x-amzn-bedrock-trace": SECRET_KEY},
            f"/model/{LLAMA}/invoke",
        ),
        RecordedResponse(
            200,
            {"x-custom-token": "T" * 40},
            # escaped the way some JSON writers escape "/"
            body=('{"generation":"' + SECRET_KEY.replace("/", "\\/") + '"}').encode(),
        ),
    )
    binary = answered(b"\xff\xfe" + ACCESS_KEY.encode() + b"\x00")
    stream = streamed(["The key is ", *four(SECRET_KEY), "."])
    with pytest.warns(SecretRedactedWarning) as caught:
        out = clean([answered(), leaky, binary, stream], secrets, tmp_path / "c.yaml")
    text = yaml_format.dumps(out)
    for value in (ACCESS_KEY, SECRET_KEY, "T" * 40):
        assert value not in text
    assert len(out) == 4 and out[0] is not None
    message = str(caught[0].message)
    for where in (
        "interaction 1, #/request/headers/x-amzn-bedrock-trace",
        "interaction 1, #/request/body/json/prompt",
        "interaction 1, #/response/headers/x-custom-token",
        "interaction 1, #/response/body/json/generation",
        "interaction 2, #/response/body/base64",
        "interaction 3, #/response/stream/1-10/chunk/json/generation "
        "(aws_secret_access_key, split across chunks 1-10)",
    ):
        assert where in message, message
    assert SECRET_KEY not in message and ACCESS_KEY not in message
    assert caught[0].message.locations  # type: ignore[union-attr]
    again = yaml_format.loads(text)
    generation = "".join(
        json.loads(base64.b64decode(json.loads(e.message.payload)["bytes"]))["generation"]
        for e in again[3].response.events or []  # type: ignore[union-attr]
    )
    assert generation == f"The key is {placeholder('aws_secret_access_key')}."
    binary_body = again[2].response.body  # type: ignore[union-attr]
    assert binary_body == b"\xff\xfe<redacted:aws_access_key_id>\x00"
    assert json.loads(again[1].request.body) == {
        "prompt": "key <redacted:aws_secret_access_key>",
        "<redacted:aws_secret_access_key>": 1,
    }
    assert out[0].response.body == b'{"generation":"ok"}'  # type: ignore[union-attr]


def test_a_redaction_warning_made_an_error_still_writes_the_cassette(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    cassette = Cassette(path, CassetteConfig(record_mode=RecordMode.ONCE))
    cassette.secrets.add("aws_secret_access_key", SECRET_KEY)
    slot = cassette.reserve(request({"prompt": SECRET_KEY}))
    cassette.complete(slot, RecordedResponse(200, body=b'{"generation":"ok"}'))
    with warnings.catch_warnings():
        warnings.simplefilter("error", SecretRedactedWarning)
        with pytest.raises(
            SecretRedactedWarning, match=r"interaction 0, #/request/body/json/prompt"
        ):
            cassette.save()
    text = path.read_text(encoding="utf-8")
    assert SECRET_KEY not in text and "prompt: <redacted:aws_secret_access_key>" in text


def test_an_unchanged_body_keeps_its_exact_bytes() -> None:
    body = b'{ "generation" : "ok" }'
    out = clean([answered(body)], known(aws_secret_access_key=SECRET_KEY), Path("c.yaml"))
    assert out[0].response.body == body  # type: ignore[union-attr]


def test_a_known_value_in_a_stream_event_header_is_redacted() -> None:
    event = StreamEvent(
        Message(
            {
                ":event-type": Header(HeaderType.STRING, "chunk"),
                ":message-type": Header(HeaderType.STRING, "event"),
                "x-note": Header(HeaderType.STRING, f"t={SECRET_KEY}"),
            },
            b'{"bytes":"e30="}',
        )
    )
    req = RecordedRequest("InvokeModelWithResponseStream", LLAMA, b"{}")
    interaction = Interaction(req, RecordedResponse(200, {}, events=[event]))
    with pytest.warns(SecretRedactedWarning, match=r"#/response/stream/0/headers/x-note"):
        out = clean([interaction], known(aws_secret_access_key=SECRET_KEY), Path("c.yaml"))
    assert out[0].response.events[0].message.header("x-note") == (  # type: ignore[union-attr]
        "t=<redacted:aws_secret_access_key>"
    )


def test_unknown_secret_shaped_text_is_still_refused_beside_a_redaction() -> None:
    interactions = [answered(json.dumps({"a": SECRET_KEY, "b": SESSION_KEY}).encode())]
    with pytest.raises(SecretInCassetteError, match="interaction 0, #/response/body/json/b"):
        clean(interactions, known(aws_secret_access_key=SECRET_KEY), Path("c.yaml"))


def test_values_too_short_to_be_credentials_are_ignored() -> None:
    secrets = known(
        aws_secret_access_key="testing", aws_session_token="x" * (MIN_SECRET_LENGTH - 1)
    )
    assert not secrets
    out = clean([answered(b'{"generation":"testing"}')], secrets, Path("c.yaml"))
    assert out[0].response.body == b'{"generation":"testing"}'  # type: ignore[union-attr]


def test_a_request_is_matched_in_its_redacted_form(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    body = {"prompt": f"key {SECRET_KEY}"}
    recording = Cassette(path, CassetteConfig(record_mode=RecordMode.ONCE))
    recording.secrets.add("aws_secret_access_key", SECRET_KEY)
    slot = recording.reserve(request(body))
    recording.complete(slot, RecordedResponse(200, body=b'{"generation":"ok"}'))
    with pytest.warns(SecretRedactedWarning):
        recording.save()
    assert SECRET_KEY not in path.read_text(encoding="utf-8")
    replaying = Cassette(path)
    replaying.secrets.add("aws_secret_access_key", SECRET_KEY)
    found = replaying.find(request(body))
    assert found is not None and found.response is not None
    # without knowing the value, the request does not match the redacted recording
    assert Cassette(path).find(request(body)) is None


def test_the_request_hook_runs_before_redaction(tmp_path: Path) -> None:
    def hook(req: RecordedRequest) -> RecordedRequest:
        req.body = req.body.replace(b"hi", SECRET_KEY.encode())
        return req

    cassette = Cassette(
        tmp_path / "c.yaml",
        CassetteConfig(record_mode=RecordMode.ONCE, before_record_request=hook),
    )
    cassette.secrets.add("aws_secret_access_key", SECRET_KEY)
    form = cassette.recorded_form(request())
    assert form is not None and SECRET_KEY.encode() not in form.body


# --- any split, any surrounding text ---------------------------------------------------------

_TEXT = st.text(alphabet="ab wJ/+=:-\n", max_size=30)  # no secret-shaped text


@settings(max_examples=150, deadline=None)
@given(before=_TEXT, after=_TEXT, cuts=st.lists(st.integers(0, 80), max_size=12))
def test_a_known_value_is_never_written_however_the_stream_splits_it(
    before: str, after: str, cuts: list[int]
) -> None:
    text = f"{before}{SECRET_KEY}{after}"
    bounds = sorted({0, len(text), *(c for c in cuts if c < len(text))})
    pieces = [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    secrets = known(aws_secret_access_key=SECRET_KEY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecretRedactedWarning)
        out = clean([streamed(pieces)], secrets, Path("c.yaml"))
    events = out[0].response.events or []  # type: ignore[union-attr]
    joined = "".join(
        json.loads(base64.b64decode(json.loads(e.message.payload)["bytes"]))["generation"]
        for e in events
    )
    assert joined == text.replace(SECRET_KEY, placeholder("aws_secret_access_key"))
    assert len(events) == len(pieces)
    assert SECRET_KEY not in yaml_format.dumps(out)


# --- the word pre-check finds what the patterns alone find --------------------------------------


def _every_pattern(text: str) -> list[tuple[int, str]]:
    """What the patterns find with no pre-check: each one run over the whole text."""
    found = {
        (text.count("\n", 0, m.start()) + 1, what)
        for pattern, what, _, _ in secret_scan._COMPILED
        for m in pattern.finditer(text)
    }
    return sorted(found)


PIECES = st.sampled_from(
    [
        "AKIA",
        "ASIA",
        "ABSK",
        "bedrock-api-key-",
        "Bearer",
        "bEaReR",
        "authorization",
        "AUTHORİZATİON",
        "authorızation",
        "x-amz-ſecurity-token",
        "X-AMZ-DATE",
        "x-amz-date",
        "\u212a",
        "AWS4-HMAC-SHA256",
        "Signature=",
        "0123456789ABCDEF",
        "abcdef0123456789" * 4,
        "Z" * 16,
        ":",
        " ",
        "\n",
        "\\",
        "-",
        "=",
        "/",
        "é",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=12).map("".join))
def test_the_word_pre_check_misses_nothing_the_patterns_find(text: str) -> None:
    assert secret_scan.find_secrets(text) == _every_pattern(text)


@pytest.mark.parametrize(
    "text",
    ["x-amz-ſecurity-token", "authorİzation: x", "authorızation: x", "x-amz-security-to\u212aen"],
)
def test_letters_a_case_blind_pattern_takes_for_ascii_are_found(text: str) -> None:
    assert secret_scan.find_secrets(text) == _every_pattern(text) != []


SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PIECES = st.sampled_from(
    [SECRET, SECRET[:9], "\\u0077JalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "%2F", "/", "a", " "]
)
TEXTS = st.lists(PIECES, max_size=4).map("".join)


@settings(max_examples=200, deadline=None)
@given(
    value=TEXTS,
    key=TEXTS,
    header=TEXTS,
    name=TEXTS,
    path=TEXTS,
    raw=st.booleans(),
    binary=st.booleans(),
)
def test_a_request_is_redacted_as_a_walk_of_its_texts_would(
    value: str, key: str, header: str, name: str, path: str, raw: bool, binary: bool
) -> None:
    """The look at a request's raw parts, before walking its texts, changes no redaction: a
    value spelled with an escape, URL-quoted, in a member name, a header, the path or a body
    that is not JSON (or not UTF-8) is redacted just the same."""
    from bedrock_vcr.cassettes.text_fields import map_request

    secrets = known(aws_secret_access_key=SECRET)
    if raw:
        body = (value + key).encode() + (b"\xff" if binary else b"")
    else:
        body = ('{"' + key + '": "' + value + '"}').encode()
    request = RecordedRequest("InvokeModel", "m", body, {"x-h": header, name or "y": "v"}, path)
    walked = map_request(request, lambda _, text: secrets.replace(text)[0])
    redacted = secrets.redact_request(request)
    assert redacted == walked
    assert (redacted is request) == (walked is request)
