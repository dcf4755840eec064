"""Every piece of text an interaction writes to a cassette, each with its place in the document.

The secret scan reads these texts and the redaction of known credentials rewrites them, so both
see the same fields: the request's model id, path, headers and body; the response's headers and
body, or each stream event's headers, its ``chunk`` (the decoded ``bytes`` member) and the rest of
its payload. A JSON body is walked down to its strings (names and values), so text the file holds
decoded is seen decoded; other bodies are one text (UTF-8, or Latin-1 for bytes that are not
UTF-8, which the file holds as base64).

A place is a tuple of JSON-pointer parts under the interaction (``("response", "stream", 3,
"chunk", "json", "generation")``); :data:`NAME` as its last part means the name of the mapping
entry there, not its value. :func:`collect` lists an interaction's texts with their places;
:func:`stream_pieces` groups a stream's texts by their place within an event, event by event:
what a reader of the stream sees joined (a value streamed four characters per chunk is whole
there).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..wire.eventstream import Header, HeaderType, Message
from .bodies import DEFAULT_STYLE, body_to_doc, dump_json
from .records import Interaction, RecordedRequest, RecordedResponse, StreamEvent

Place = tuple[Any, ...]
#: Last part of a place that is the name of a mapping entry (a JSON member, a header).
NAME = "(the name)"
#: Called with each text and its place; returns the text to write there (the same to keep it).
TextMap = Callable[[Place, str], str]

_NOT_JSON = object()


def render(place: Place) -> str:
    """``#/request/body/json/messages/0`` (RFC 6901 escaping); a name gets ``(the name)``."""
    name = bool(place) and place[-1] is NAME
    parts = place[:-1] if name else place
    text = "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return f"{text} {NAME}" if name else text


# --- JSON and bodies -------------------------------------------------------------------------


def map_json(value: Any, where: Place, fn: TextMap) -> Any:
    """``value`` with every string (member names too) passed through ``fn``; the same object
    when nothing changed."""
    if isinstance(value, str):
        new = fn(where, value)
        return value if new == value else new
    if isinstance(value, dict):
        changed = False
        members: dict[Any, Any] = {}
        for key, item in value.items():
            new_key = fn((*where, key, NAME), key) if isinstance(key, str) else key
            new_item = map_json(item, (*where, key), fn)
            changed = changed or new_key != key or new_item is not item
            members[new_key] = new_item
        return members if changed else value
    if isinstance(value, list):
        items = [map_json(item, (*where, i), fn) for i, item in enumerate(value)]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    return value


def _parse(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _NOT_JSON


def map_blob(data: bytes, where: Place, fn: TextMap) -> bytes:
    """A body (or chunk) with its texts passed through ``fn``; the same bytes when unchanged.

    A changed JSON body is written again in the JSON style it had (compact when none fits).
    """
    if not data:
        return data
    try:
        text, kind = data.decode("utf-8"), "text"
    except UnicodeDecodeError:
        text, kind = data.decode("latin-1"), "base64"
    if kind == "text":
        value = _parse(text)
        if value is not _NOT_JSON:
            try:
                new = map_json(value, (*where, "json"), fn)
            except RecursionError:  # nested deeper than a walk can go: treat it as text
                pass
            else:
                return data if new is value else dump_json(new, _style(data))
    new_text = fn((*where, kind), text)
    if new_text == text:
        return data
    return new_text.encode("utf-8" if kind == "text" else "latin-1")


def _style(data: bytes) -> str:
    doc = body_to_doc(data)
    return str(doc.get("style", DEFAULT_STYLE)) if "json" in doc else DEFAULT_STYLE


# --- stream events ---------------------------------------------------------------------------


def chunk_parts(payload: bytes) -> tuple[bytes, dict[str, Any]] | None:
    """A ``chunk`` payload's decoded ``bytes`` and its other members, when the cassette writes
    it as a ``chunk`` (see :func:`bedrock_vcr.cassettes.bodies.event_to_doc`); else ``None``."""
    if not payload.startswith(b'{"bytes":'):
        return None
    if payload[9:10] == b'"' and payload.endswith(b'"}') and payload.count(b'"') == 4:
        # {"bytes":"..."} alone (the usual chunk): compact JSON once the member is base64
        encoded = payload[10:-2]
        try:  # not validated: only canonical base64 encodes back to itself
            chunk = binascii.a2b_base64(encoded)
        except (binascii.Error, ValueError):
            return None
        return (chunk, {}) if binascii.b2a_base64(chunk, newline=False) == encoded else None
    value = _parse(payload.decode("utf-8", "replace"))
    if not isinstance(value, dict) or not isinstance(value.get("bytes"), str):
        return None
    if dump_json(value) != payload:
        return None
    try:
        chunk = base64.b64decode(value["bytes"], validate=True)
    except (binascii.Error, ValueError):
        return None
    if base64.b64encode(chunk).decode("ascii") != value["bytes"]:
        return None
    return chunk, {k: v for k, v in value.items() if k != "bytes"}


def map_payload(payload: bytes, where: Place, fn: TextMap) -> bytes:
    parts = chunk_parts(payload)
    if parts is None:
        return map_blob(payload, (*where, "payload"), fn)
    chunk, rest = parts
    new_chunk = map_blob(chunk, (*where, "chunk"), fn)
    new_rest = map_json(rest, (*where, "payload", "json"), fn)
    if new_chunk is chunk and new_rest is rest:
        return payload
    return dump_json({"bytes": base64.b64encode(new_chunk).decode("ascii"), **new_rest})


def map_event(event: StreamEvent, where: Place, fn: TextMap) -> StreamEvent:
    message = event.message
    headers: dict[str, Header] = {}
    changed = False
    for name, header in message.headers.items():
        new_name = fn((*where, "headers", name, NAME), name)
        if header.type == HeaderType.STRING and isinstance(header.value, str):
            value = fn((*where, "headers", name), header.value)
            if value != header.value:
                header = Header(HeaderType.STRING, value)
                changed = True
        changed = changed or new_name != name
        headers[new_name] = header
    payload = map_payload(message.payload, where, fn)
    if not changed and payload is message.payload:
        return event
    return StreamEvent(Message(headers, payload), event.offset, event.frame_override)


# --- requests and responses ------------------------------------------------------------------


def _map_headers(headers: dict[str, str], where: Place, fn: TextMap) -> dict[str, str]:
    out = {
        fn((*where, name, NAME), name): fn((*where, name), value) for name, value in headers.items()
    }
    return headers if out == headers else out


def map_request(request: RecordedRequest, fn: TextMap) -> RecordedRequest:
    """``request`` with its texts passed through ``fn``; the same object when unchanged."""
    where: Place = ("request",)
    model_id = fn((*where, "model_id"), request.model_id)
    path = fn((*where, "path"), request.path) if request.path else request.path
    headers = _map_headers(request.headers, (*where, "headers"), fn)
    body = map_blob(request.body, (*where, "body"), fn)
    if (model_id, path) == (request.model_id, request.path) and (
        headers is request.headers and body is request.body
    ):
        return request
    return RecordedRequest(request.operation, model_id, body, headers, path, request.method)


def map_response(response: RecordedResponse, fn: TextMap) -> RecordedResponse:
    """``response`` with its texts passed through ``fn``; the same object when unchanged."""
    headers = _map_headers(response.headers, ("response", "headers"), fn)
    events = response.events
    body = response.body
    if events is not None:
        new_events = [map_event(e, ("response", "stream", i), fn) for i, e in enumerate(events)]
        if all(a is b for a, b in zip(new_events, events, strict=True)):
            new_events = events
    else:
        new_events = None
        body = map_blob(body, ("response", "body"), fn)
    if headers is response.headers and new_events is events and body is response.body:
        return response
    return RecordedResponse(
        response.status, headers, body, new_events, response.latency, response.stream_end
    )


def map_interaction(interaction: Interaction, fn: TextMap) -> Interaction:
    """``interaction`` with every text passed through ``fn``; the same object when unchanged."""
    request = map_request(interaction.request, fn)
    response = interaction.response
    if response is not None:
        response = map_response(response, fn)
    if request is interaction.request and response is interaction.response:
        return interaction
    return Interaction(request, response, interaction.recorded_at)


# --- collected texts, and the joined texts of a stream ---------------------------------------

Texts = list[tuple[Place, str]]


def collect(interaction: Interaction, fn: TextMap | None = None) -> tuple[Interaction, Texts]:
    """``interaction`` with every text passed through ``fn`` (kept as it is without one), and
    every text it then holds, with its place, in document order."""
    texts: Texts = []

    def visit(place: Place, text: str) -> str:
        new = text if fn is None else fn(place, text)
        texts.append((place, new))
        return new

    return map_interaction(interaction, visit), texts


#: The event index in a place that stands for every event of the stream.
EVERY = "*"
#: One piece of a stream's joined text: event index, place, text.
Piece = tuple[int, Place, str]


def stream_pieces(texts: Texts) -> dict[Place, list[Piece]]:
    """The stream texts among ``texts`` (see :func:`collect`) grouped by place within an event
    (the event index replaced by :data:`EVERY`), non-empty ones in event order: what a reader of
    the stream sees joined (``generation`` of each Llama chunk, ``delta/text`` of each
    ConverseStream delta, the raw text of chunks that are not JSON). Event headers and names
    are not joined."""
    joined: dict[Place, list[Piece]] = {}
    for place, text in texts:
        if (
            text
            and place[:2] == ("response", "stream")
            and place[3] != "headers"
            and place[-1] is not NAME
        ):
            joined.setdefault((*place[:2], EVERY, *place[3:]), []).append((place[2], place, text))
    return joined


def event_range(place: Place, first: int, last: int) -> str:
    """How a place of :func:`stream_pieces` is named when its text spans events first..last."""
    return render((*place[:2], f"{first}-{last}", *place[3:]))


def edit_stream(interaction: Interaction, edits: dict[Place, str]) -> Interaction:
    """``interaction`` with the stream texts at the places of ``edits`` replaced."""
    response = interaction.response
    if not edits or response is None or response.events is None:
        return interaction
    events = [
        map_event(event, ("response", "stream", i), lambda p, text: edits.get(p, text))
        for i, event in enumerate(response.events)
    ]
    changed = RecordedResponse(
        response.status,
        response.headers,
        response.body,
        events,
        response.latency,
        response.stream_end,
    )
    return Interaction(interaction.request, changed, interaction.recorded_at)


def spanned(texts: Sequence[str], start: int, end: int) -> tuple[int, int]:
    """The positions in ``texts`` of the first and last text that ``joined[start:end]`` covers
    (``joined`` being their concatenation)."""
    first = last = 0
    offset = 0
    for position, text in enumerate(texts):
        if offset <= start < offset + len(text):
            first = position
        if offset < end <= offset + len(text):
            last = position
            break
        offset += len(text)
    return first, last
