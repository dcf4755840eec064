"""How a body and a stream event are written in a cassette: readable, yet byte-exact.

A body is one of ``{json: value}`` (plus ``style`` when the bytes were not compact JSON),
``{text: str}`` or ``{base64: str}``; response bodies are stored so that they re-encode to the
exact recorded bytes. In a stream event, ``chunk`` is the base64 ``bytes`` member of the payload
decoded (for ``chunk`` events), and ``payload`` is the rest of the payload. Kept apart from the
document layout (:mod:`.yaml_format`) because these encodings are the part that must round-trip
to the byte.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ..errors import CassetteFormatError
from ..wire.eventstream import TYPE_NAMES, TYPES_BY_NAME, Header, HeaderType, Message
from .records import StreamEvent

# --- JSON styles -----------------------------------------------------------------------------
# Each style is a json.dumps configuration; the first one that reproduces the recorded bytes is
# stored, so replay gives back exactly what the service sent.
_STYLES: dict[str, dict[str, Any]] = {
    "compact": {"separators": (",", ":"), "ensure_ascii": False},
    "compact-ascii": {"separators": (",", ":"), "ensure_ascii": True},
    "spaced": {"separators": (", ", ": "), "ensure_ascii": False},
    "spaced-ascii": {"separators": (", ", ": "), "ensure_ascii": True},
    "indent2": {"indent": 2, "ensure_ascii": False},
    "indent4": {"indent": 4, "ensure_ascii": False},
}
DEFAULT_STYLE = "compact"


def dump_json(value: Any, style: str = DEFAULT_STYLE) -> bytes:
    try:
        options = _STYLES[style]
    except KeyError:
        raise CassetteFormatError(
            f"unknown JSON style {style!r}; known styles: {', '.join(_STYLES)}"
        ) from None
    return json.dumps(value, **options).encode("utf-8")


def body_to_doc(data: bytes, *, exact: bool = True) -> dict[str, Any]:
    """Readable form of a body; with ``exact`` it must re-encode to the same bytes."""
    if not data:
        return {"text": ""}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}
    try:
        value = json.loads(text)
    except ValueError:
        return {"text": text}
    if not exact:
        return {"json": value}
    for style in _STYLES:
        if dump_json(value, style) == data:
            return {"json": value} if style == DEFAULT_STYLE else {"json": value, "style": style}
    return {"text": text}


def body_from_doc(doc: Any, where: str) -> bytes:
    if doc is None:
        return b""
    if not isinstance(doc, dict):
        raise CassetteFormatError(
            f"a body must be a mapping with one of json/text/base64, found {type(doc).__name__}",
            json_path=where,
        )
    if "json" in doc:
        style = doc.get("style", DEFAULT_STYLE)
        if style not in _STYLES:
            raise CassetteFormatError(
                f"unknown JSON style {style!r}; known styles: {', '.join(_STYLES)}",
                json_path=f"{where}/style",
            )
        try:
            return dump_json(doc["json"], style)
        except (TypeError, ValueError) as exc:
            raise CassetteFormatError(
                f"the json value cannot be written as JSON ({exc}); quote dates and other "
                "YAML-only values",
                json_path=f"{where}/json",
            ) from None
    if "text" in doc:
        return str(doc["text"]).encode("utf-8")
    if "base64" in doc:
        try:
            return base64.b64decode(doc["base64"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CassetteFormatError(f"invalid base64 body: {exc}", json_path=where) from None
    raise CassetteFormatError(
        f"a body needs one of the keys json, text or base64; found {sorted(doc)}",
        json_path=where,
    )


# --- stream events -------------------------------------------------------------------------


def _header_to_doc(header: Header) -> Any:
    if header.type == HeaderType.STRING:
        return header.value
    value = header.value
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).hex()
    return {"type": TYPE_NAMES[header.type], "value": value}


def _header_from_doc(doc: Any, where: str) -> Header:
    if isinstance(doc, str):
        return Header(HeaderType.STRING, doc)
    if isinstance(doc, dict) and "type" in doc:
        kind = TYPES_BY_NAME.get(str(doc["type"]))
        if kind is None:
            raise CassetteFormatError(
                f"unknown header type {doc['type']!r}; known: {', '.join(TYPES_BY_NAME)}",
                json_path=f"{where}/type",
            )
        value = doc.get("value")
        if kind in (HeaderType.BYTE_ARRAY, HeaderType.UUID):
            try:
                value = bytes.fromhex(str(value))
            except ValueError:
                raise CassetteFormatError(
                    f"a {TYPE_NAMES[kind]} header value must be hex digits, found {value!r}",
                    json_path=f"{where}/value",
                ) from None
        return Header(kind, value)
    raise CassetteFormatError("a header is a string or {type: ..., value: ...}", json_path=where)


def event_to_doc(event: StreamEvent) -> dict[str, Any]:
    message = event.message
    doc: dict[str, Any] = {"offset": round(event.offset, 4)}
    doc["headers"] = {name: _header_to_doc(h) for name, h in message.headers.items()}
    payload_doc = body_to_doc(message.payload)
    # Decode the base64 `bytes` member of chunk payloads, keeping the rest of the payload.
    inner = payload_doc.get("json")
    if (
        "style" not in payload_doc
        and isinstance(inner, dict)
        and isinstance(inner.get("bytes"), str)
        and next(iter(inner)) == "bytes"
    ):
        try:
            chunk = base64.b64decode(inner["bytes"], validate=True)
        except (binascii.Error, ValueError):
            chunk = None
        if chunk is not None and base64.b64encode(chunk).decode("ascii") == inner["bytes"]:
            rest = {k: v for k, v in inner.items() if k != "bytes"}
            doc["chunk"] = body_to_doc(chunk)
            if rest:
                doc["payload"] = {"json": rest}
            if event.frame_override is not None:
                doc["frame"] = {"base64": base64.b64encode(event.frame_override).decode()}
            return doc
    if message.payload:
        doc["payload"] = payload_doc
    if event.frame_override is not None:
        doc["frame"] = {"base64": base64.b64encode(event.frame_override).decode()}
    return doc


def event_from_doc(doc: Any, where: str) -> StreamEvent:
    if not isinstance(doc, dict):
        raise CassetteFormatError("a stream event must be a mapping", json_path=where)
    headers_doc = doc.get("headers")
    if headers_doc is None:
        raise CassetteFormatError(
            "the stream event has no headers (was the file cut short?)",
            json_path=f"{where}/headers",
            fix="restore the cassette from version control, or re-record it",
        )
    if not isinstance(headers_doc, dict):
        raise CassetteFormatError("event headers must be a mapping", json_path=f"{where}/headers")
    headers = {
        str(name): _header_from_doc(value, f"{where}/headers/{name}")
        for name, value in headers_doc.items()
    }
    if "chunk" in doc:
        chunk = body_from_doc(doc["chunk"], f"{where}/chunk")
        extra = doc.get("payload") or {}
        rest = extra.get("json", {}) if isinstance(extra, dict) else None
        if not isinstance(rest, dict):
            raise CassetteFormatError(
                "beside a chunk, payload holds the other members of the chunk payload as "
                f"{{json: {{name: value}}}}, found {extra!r}",
                json_path=f"{where}/payload",
            )
        payload = dump_json({"bytes": base64.b64encode(chunk).decode("ascii"), **rest})
    else:
        payload = body_from_doc(doc.get("payload"), f"{where}/payload")
    offset = doc.get("offset", 0.0)
    if not isinstance(offset, (int, float)) or isinstance(offset, bool):
        raise CassetteFormatError("offset must be a number of seconds", json_path=f"{where}/offset")
    override = None
    if "frame" in doc:
        override = body_from_doc(doc["frame"], f"{where}/frame")
    return StreamEvent(Message(headers, payload), float(offset), override)
