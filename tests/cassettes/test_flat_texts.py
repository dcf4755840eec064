"""The place-free texts the secret scan's fast proof reads are exactly the texts it would scan."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_vcr.cassettes import secret_scan
from bedrock_vcr.cassettes.flat_texts import flat
from bedrock_vcr.cassettes.records import (
    Interaction,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)
from bedrock_vcr.cassettes.redaction import KnownSecrets
from bedrock_vcr.cassettes.text_fields import NAME, collect, stream_pieces
from bedrock_vcr.wire.eventstream import Header, HeaderType, Message

KEY = "AKIA" + "IOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
#: Text pieces, some of them parts of secrets, so that joined stream texts can hold one.
WORDS = st.sampled_from(
    [
        "Hel",
        "lo",
        " ",
        "AKIA",
        "IOSFODNN7",
        "EXAMPLE",
        "Bea",
        "rer ",
        "x" * 20,
        SECRET[:9],
        SECRET[9:],
        "é",
        "\\",
        '"',
        "\n",
        "authori",
        "zation:",
        "",
    ]
)
TEXT = st.lists(WORDS, max_size=4).map("".join)
JSON = st.recursive(
    st.none() | st.integers(-5, 5) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)


@st.composite
def payloads(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["chunk", "json", "text", "binary", "spaced chunk"]))
    ascii_only = draw(st.booleans())
    if kind in ("chunk", "spaced chunk"):
        inner = draw(JSON | st.sampled_from([b"plain", b"\xff\xfe"]))
        data = inner if isinstance(inner, bytes) else json.dumps(inner).encode()
        members = {"bytes": base64.b64encode(data).decode(), **draw(st.dictionaries(TEXT, TEXT))}
        separators = (", ", ": ") if kind == "spaced chunk" else (",", ":")
        return json.dumps(members, separators=separators, ensure_ascii=ascii_only).encode()
    if kind == "json":
        return json.dumps(draw(JSON), ensure_ascii=ascii_only).encode()
    if kind == "text":
        return draw(TEXT).encode()
    return draw(st.binary(max_size=8))


@st.composite
def interactions(draw: st.DrawFn) -> Interaction:
    headers = draw(st.dictionaries(TEXT, TEXT, max_size=2))
    request = RecordedRequest(
        "InvokeModelWithResponseStream",
        draw(TEXT) or "m",
        draw(payloads()),
        headers,
        draw(TEXT),
    )
    response = RecordedResponse(200, draw(st.dictionaries(TEXT, TEXT, max_size=2)))
    if draw(st.booleans()):
        response.body = draw(payloads())
    else:
        response.events = []
        for _ in range(draw(st.integers(0, 4))):
            names = draw(st.lists(TEXT, min_size=1, max_size=3, unique=True))
            event_headers = {
                n: Header(HeaderType.STRING, draw(TEXT))
                if i % 2 == 0
                else Header(HeaderType.INTEGER, 3)
                for i, n in enumerate(names)
            }
            response.events.append(StreamEvent(Message(event_headers, draw(payloads()))))
    return Interaction(request, response)


def scanned(interaction: Interaction) -> tuple[list[str], list[str]]:
    """What the scan reads, from the texts with places: each text (a name followed by ':'),
    and each stream group of two or more pieces joined."""
    _, texts = collect(interaction)
    shown = [text + ":" if place[-1] is NAME else text for place, text in texts]
    joined = ["".join(t for _, _, t in p) for p in stream_pieces(texts).values() if len(p) >= 2]
    return shown, joined


@settings(max_examples=400, deadline=None)
@given(interactions())
def test_flat_texts_hold_every_text_the_scan_reads(interaction: Interaction) -> None:
    """Each text the scan reads is one of the flat texts, or (a stream event's JSON with no
    escape, which stands for its names and strings) a piece of one; the joined stream texts
    are the same."""
    texts, joined = flat(interaction)
    expected_texts, expected_joined = scanned(interaction)
    for text in expected_texts:
        bare = text[:-1] if text.endswith(":") else text
        assert text in texts or any(bare in t and "\\" not in t for t in texts), text
    assert sorted(joined) == sorted(expected_joined)


@settings(max_examples=200, deadline=None)
@given(interactions())
def test_clean_gives_what_the_scan_by_places_gives(interaction: Interaction) -> None:
    secrets = KnownSecrets()
    secrets.add("aws_access_key_id", KEY)
    secrets.add("aws_secret_access_key", SECRET)
    fast = _outcome(lambda: secret_scan.clean([interaction], secrets, Path("c.yaml"), []))
    secret_scan_clear = secret_scan._clear
    try:
        secret_scan._clear = lambda *_: False  # type: ignore[assignment]
        by_places = _outcome(lambda: secret_scan.clean([interaction], secrets, Path("c.yaml"), []))
    finally:
        secret_scan._clear = secret_scan_clear  # type: ignore[assignment]
    assert fast == by_places


def _outcome(run: Any) -> Any:
    try:
        (out,) = run()
    except secret_scan.SecretInCassetteError as exc:
        return ("refused", exc.locations)
    return ("written", collect(out)[1])


def test_a_stream_with_a_key_split_across_chunks_is_not_cleared() -> None:
    events = [StreamEvent.chunk({"generation": part}) for part in ("AKIA", "IOSFODNN7", "EXAMPLE")]
    interaction = Interaction(
        RecordedRequest("InvokeModelWithResponseStream", "m", b"{}"),
        RecordedResponse(200, events=events),
    )
    texts, joined = flat(interaction)
    assert not any(KEY in text for text in texts) and KEY in joined
    assert not secret_scan._clear(interaction, KnownSecrets())
