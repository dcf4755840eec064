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
import math
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..errors import CassetteFormatError
from ..wire.eventstream import TYPE_NAMES, TYPES_BY_NAME, Header, HeaderType, Message
from .keys import refuse_unknown
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
#: Deepest nesting of lists and mappings a JSON body or payload may have when a cassette is read.
#: Bedrock's payloads nest a few levels; far deeper values would exhaust the interpreter's
#: recursion limit whenever they are parsed again (matching, validation, botocore).
MAX_JSON_DEPTH = 200


#: An encoder per style, made once: ``json.dumps`` with options makes one at every call (a
#: load writes every ``json:`` body, a save tries the styles on each).
_ENCODERS = {style: json.JSONEncoder(**options).encode for style, options in _STYLES.items()}


def dump_json(value: Any, style: str = DEFAULT_STYLE) -> bytes:
    try:
        encode = _ENCODERS[style]
    except KeyError:
        raise CassetteFormatError(
            f"unknown JSON style {style!r}; known styles: {', '.join(_STYLES)}"
        ) from None
    return encode(value).encode("utf-8")


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
    if not doc.keys().isdisjoint(("json", "text", "base64")):  # else: the error below
        refuse_unknown(doc, "body", where)
    if "json" in doc:
        style = doc.get("style", DEFAULT_STYLE)
        if not isinstance(style, str) or style not in _STYLES:
            raise CassetteFormatError(
                f"unknown JSON style {style!r}; known styles: {', '.join(_STYLES)}",
                json_path=f"{where}/style",
            )
        return json_from_doc(doc["json"], f"{where}/json", style)
    if "text" in doc:
        text = doc["text"]
        if not isinstance(text, str):
            raise CassetteFormatError(
                f"a text body must be a string, found {type(text).__name__} (quote it)",
                json_path=f"{where}/text",
            )
        return _utf8(text, f"{where}/text")
    if "base64" in doc:
        data = doc["base64"]
        try:
            if not isinstance(data, str):
                raise ValueError(f"expected a string, found {type(data).__name__}")
            return base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CassetteFormatError(f"invalid base64 body: {exc}", json_path=where) from None
    raise CassetteFormatError(
        f"a body needs one of the keys json, text or base64; found {sorted(map(str, doc))}",
        json_path=where,
    )


def json_from_doc(value: Any, where: str, style: str = DEFAULT_STYLE) -> bytes:
    """The bytes of a cassette's JSON ``value``: an error at ``where`` when YAML gave something
    JSON cannot hold (a date, a binary, a non-string key), or nested deeper than
    :data:`MAX_JSON_DEPTH`."""
    problem = None
    try:
        data = dump_json(value, style)
    except RecursionError:
        problem = f"the value is nested too deeply (more than {MAX_JSON_DEPTH} levels)"
    except (TypeError, ValueError) as exc:
        problem = (
            f"the json value cannot be written as JSON ({exc}); quote dates and other "
            "YAML-only values"
        )
    else:
        # Bracket counting is cheap and bounds the depth: walk the value only when it could be deep.
        if data.count(b"[") + data.count(b"{") <= MAX_JSON_DEPTH or not _deeper_than(
            value, MAX_JSON_DEPTH
        ):
            return data
        problem = f"the value is nested too deeply (more than {MAX_JSON_DEPTH} levels)"
    raise CassetteFormatError(problem, json_path=where)


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and mappings nest in ``value`` more than ``limit`` levels (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def seconds(value: Any) -> float | None:
    """``value`` as a finite number of seconds >= 0, or ``None`` when it is not one."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        return None
    return number if math.isfinite(number) and number >= 0 else None


def seconds_at(doc: dict[str, Any], key: str, where: str) -> float:
    """``doc[key]`` (0 when absent) as :func:`seconds`, or a located format error."""
    value = seconds(doc.get(key, 0.0))
    if value is None:
        raise CassetteFormatError(
            f"{key} must be a number of seconds >= 0, found {_shown(doc.get(key))}",
            json_path=f"{where}/{key}",
        )
    return value


def _utf8(text: str, where: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate, from a \ud800-style escape
        raise CassetteFormatError(
            f"the text is not valid Unicode: {exc}", json_path=where
        ) from None


# --- stream events -------------------------------------------------------------------------


def _header_to_doc(header: Header) -> Any:
    if header.type == HeaderType.STRING:
        return header.value
    value = header.value
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).hex()
    return {"type": TYPE_NAMES[header.type], "value": value}


_INTEGER_TYPES = frozenset(
    {HeaderType.BYTE, HeaderType.SHORT, HeaderType.INTEGER, HeaderType.LONG, HeaderType.TIMESTAMP}
)


def _header_from_doc(doc: Any, where: str) -> Header:
    if isinstance(doc, str):
        return Header(HeaderType.STRING, doc)
    if isinstance(doc, dict) and "type" in doc:
        kind = TYPES_BY_NAME.get(doc["type"]) if isinstance(doc["type"], str) else None
        if kind is None:
            raise CassetteFormatError(
                f"unknown header type {doc['type']!r}; known: {', '.join(TYPES_BY_NAME)}",
                json_path=f"{where}/type",
            )
        return Header(kind, _header_value(kind, doc.get("value"), f"{where}/value"))
    raise CassetteFormatError("a header is a string or {type: ..., value: ...}", json_path=where)


def _header_value(kind: HeaderType, value: Any, where: str) -> Any:
    """The value of a typed header, checked against its type before anything is encoded."""
    name = TYPE_NAMES[kind]
    if kind in (HeaderType.BYTE_ARRAY, HeaderType.UUID):
        try:
            return bytes.fromhex(str(value))
        except ValueError:
            raise CassetteFormatError(
                f"a {name} header value must be hex digits, found {_shown(value)}",
                json_path=where,
            ) from None
    if kind in _INTEGER_TYPES and (not isinstance(value, int) or isinstance(value, bool)):
        raise CassetteFormatError(
            f"a {name} header value must be an integer, found {_shown(value)}", json_path=where
        )
    if kind == HeaderType.STRING and not isinstance(value, str):
        raise CassetteFormatError(
            f"a string header value must be a string, found {_shown(value)} (quote it)",
            json_path=where,
        )
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


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
    refuse_unknown(doc, "stream event", where)
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
                f"{{json: {{name: value}}}}, found {_shown(extra)}",
                json_path=f"{where}/payload",
            )
        members = {"bytes": base64.b64encode(chunk).decode("ascii"), **rest}
        payload = json_from_doc(members, f"{where}/payload/json")
    else:
        payload = body_from_doc(doc.get("payload"), f"{where}/payload")
    offset = seconds_at(doc, "offset", where)
    override = None
    if "frame" in doc:
        override = body_from_doc(doc["frame"], f"{where}/frame")
    return StreamEvent(Message(headers, payload), offset, override)
