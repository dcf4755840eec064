"""The cassette file format: versioned, readable YAML, written atomically.

Layout (version 1)::

    version: 1
    interactions:
    - request:
        operation: InvokeModel
        model_id: meta.llama3-70b-instruct-v1:0
        headers: {content-type: application/json, accept: application/json}
        body: {json: {prompt: ..., max_gen_len: 64}}
      response:
        status: 200
        headers: {content-type: application/json, x-amzn-requestid: ...}
        body: {json: {generation: ..., stop_reason: stop}}
    - request: {...}
      response:
        status: 200
        headers: {...}
        stream:
        - offset: 0.052
          headers: {':event-type': chunk, ':content-type': application/json, ':message-type': event}
          chunk: {json: {generation: Hello, stop_reason: null}}
          payload: {json: {p: abcd}}

A body is one of ``{json: value}`` (plus ``style`` when the bytes were not compact JSON),
``{text: str}`` or ``{base64: str}``; response bodies are stored so that they re-encode to the
exact recorded bytes. In a stream event, ``chunk`` is the base64 ``bytes`` member of the payload
decoded (for ``chunk`` events), and ``payload`` is the rest of the payload.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import stat
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from ..errors import CassetteFormatError, EventStreamError, SecretInCassetteError
from ..wire.eventstream import TYPE_NAMES, TYPES_BY_NAME, Header, HeaderType, Message
from .records import Interaction, RecordedRequest, RecordedResponse, StreamEvent

VERSION = 1
SUPPORTED_VERSIONS = (1,)

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


# --- interactions ----------------------------------------------------------------------------


def request_to_doc(request: RecordedRequest) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "operation": request.operation,
        "model_id": request.model_id,
    }
    if request.path:
        doc["path"] = request.path
    if request.headers:
        doc["headers"] = dict(request.headers)
    doc["body"] = body_to_doc(request.body, exact=False)
    return doc


def request_from_doc(doc: Any, where: str) -> RecordedRequest:
    if not isinstance(doc, dict):
        raise CassetteFormatError(_missing_or_not_mapping("request", doc), json_path=where)
    for key in ("operation", "model_id"):
        if not isinstance(doc.get(key), str):
            raise CassetteFormatError(
                f"request.{key} is missing or not a string", json_path=f"{where}/{key}"
            )
    headers = doc.get("headers") or {}
    if not isinstance(headers, dict):
        raise CassetteFormatError("headers must be a mapping", json_path=f"{where}/headers")
    return RecordedRequest(
        operation=doc["operation"],
        model_id=doc["model_id"],
        body=body_from_doc(doc.get("body"), f"{where}/body"),
        headers={str(k).lower(): str(v) for k, v in headers.items()},
        path=str(doc.get("path", "")),
        method=str(doc.get("method", "POST")),
    )


def response_to_doc(response: RecordedResponse) -> dict[str, Any]:
    doc: dict[str, Any] = {"status": response.status, "headers": dict(response.headers)}
    if response.latency:
        doc["latency"] = round(response.latency, 4)
    if response.events is not None:
        doc["stream"] = [event_to_doc(e) for e in response.events]
        if response.stream_end != "complete":
            doc["stream_end"] = response.stream_end
    else:
        doc["body"] = body_to_doc(response.body)
    return doc


def response_from_doc(doc: Any, where: str) -> RecordedResponse:
    if not isinstance(doc, dict):
        raise CassetteFormatError(_missing_or_not_mapping("response", doc), json_path=where)
    status = doc.get("status")
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise CassetteFormatError(
            f"response.status must be an HTTP status code, found {status!r}",
            json_path=f"{where}/status",
        )
    headers = doc.get("headers") or {}
    if not isinstance(headers, dict):
        raise CassetteFormatError("headers must be a mapping", json_path=f"{where}/headers")
    latency = doc.get("latency", 0.0)
    if not isinstance(latency, (int, float)) or isinstance(latency, bool):
        raise CassetteFormatError(
            f"latency must be a number of seconds, found {latency!r}", json_path=f"{where}/latency"
        )
    response = RecordedResponse(
        status=status,
        headers={str(k).lower(): str(v) for k, v in headers.items()},
        latency=float(latency),
        stream_end=str(doc.get("stream_end", "complete")),
    )
    if "stream" in doc:
        events = doc["stream"]
        if events is None:
            raise CassetteFormatError(
                "the response's stream is empty (was the file cut short?); a stream with no "
                "events is written `stream: []`",
                json_path=f"{where}/stream",
                fix="restore the cassette from version control, or re-record it",
            )
        if not isinstance(events, list):
            raise CassetteFormatError(
                "stream must be a list of events", json_path=f"{where}/stream"
            )
        response.events = [event_from_doc(e, f"{where}/stream/{i}") for i, e in enumerate(events)]
        for i, event in enumerate(response.events):
            try:
                event.frame  # noqa: B018 - encode once, at load, not at replay
            except EventStreamError as exc:
                raise CassetteFormatError(
                    f"the event cannot be encoded as a frame: {exc}",
                    json_path=f"{where}/stream/{i}",
                ) from None
    elif "body" in doc:
        response.body = body_from_doc(doc["body"], f"{where}/body")
    else:
        raise CassetteFormatError(
            "the response has neither a body nor a stream (was the file cut short?)",
            json_path=where,
            fix="restore the cassette from version control, or re-record it",
        )
    return response


def _missing_or_not_mapping(name: str, doc: Any) -> str:
    if doc is None:
        return f"the interaction has no {name}"
    return f"{name} must be a mapping, found {type(doc).__name__}"


def interaction_to_doc(interaction: Interaction) -> dict[str, Any]:
    assert interaction.response is not None
    doc: dict[str, Any] = {
        "request": request_to_doc(interaction.request),
        "response": response_to_doc(interaction.response),
    }
    if interaction.recorded_at:
        doc["recorded_at"] = interaction.recorded_at
    return doc


# --- files ---------------------------------------------------------------------------------


#: libyaml's safe loader when PyYAML was built with it (about 3x faster), else the Python one.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Dumper(yaml.SafeDumper):
    pass


#: Unicode line breaks that YAML folds or normalises unless they are escaped (double quotes).
_YAML_ONLY_BREAKS = ("\x85", "\u2028", "\u2029")


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style: str | None = "|" if "\n" in value and len(value) > 60 else None
    if any(ch in value for ch in _YAML_ONLY_BREAKS):
        style = '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


def dumps(interactions: Iterable[Interaction]) -> str:
    doc = {
        "version": VERSION,
        "interactions": [interaction_to_doc(i) for i in interactions if i.response is not None],
    }
    header = "# bedrock-vcr cassette (format described in README.md, section 'Cassette format')\n"
    return header + yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


_FIX_ENTRY = (
    "correct the value at that path (README section 'Cassette format'), or delete the cassette "
    "and re-record it with --bedrock-record-mode=once"
)


def loads(text: str, path: Path | str | None = None) -> list[Interaction]:
    try:
        try:
            doc = yaml.load(text, Loader=_Loader)
        except yaml.YAMLError:
            # libyaml's messages are terser: read the broken file again to explain it fully.
            doc = yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise CassetteFormatError(
            f"the cassette is not valid YAML{where}: {getattr(exc, 'problem', exc)}",
            path=path,
            fix="restore the file from version control, or delete it and re-record with "
            "--bedrock-record-mode=once",
        ) from None
    if not isinstance(doc, dict) or "interactions" not in doc:
        raise CassetteFormatError(
            "the file is not a cassette (no top-level 'interactions' list)",
            path=path,
            fix="point use_cassette at a bedrock-vcr or vcrpy cassette, or delete the file and "
            "re-record with --bedrock-record-mode=once",
        )
    if is_vcrpy_document(doc):
        from .vcrpy import interactions_from_vcrpy

        return interactions_from_vcrpy(doc, path)
    version = doc.get("version")
    if version not in SUPPORTED_VERSIONS:
        raise CassetteFormatError(
            f"unknown cassette version {version!r}; this bedrock-vcr reads version(s) "
            f"{', '.join(map(str, SUPPORTED_VERSIONS))}",
            path=path,
            json_path="#/version",
            fix="upgrade bedrock-vcr, or re-record the cassette with this version",
        )
    raw = doc["interactions"] or []
    if not isinstance(raw, list):
        raise CassetteFormatError(
            "'interactions' must be a list", path=path, json_path="#/interactions", fix=_FIX_ENTRY
        )
    out = []
    for index, item in enumerate(raw):
        try:
            if not isinstance(item, dict):
                raise CassetteFormatError("an interaction must be a mapping")
            interaction = Interaction(
                request=request_from_doc(item.get("request"), "#/request"),
                response=response_from_doc(item.get("response"), "#/response"),
                recorded_at=item.get("recorded_at"),
            )
            _check_bedrock_stream(interaction)
            out.append(interaction)
        except CassetteFormatError as exc:
            raise CassetteFormatError(
                exc.problem,
                path=path,
                interaction=index,
                json_path=exc.json_path,
                fix=exc.fix or _FIX_ENTRY,
            ) from None
    return out


# --- secrets -------------------------------------------------------------------------------

# YAML folds a long string at a space: a plain or single-quoted scalar continues on the next line,
# a double-quoted one ends the line with ``\`` and resumes with ``\ ``. Only a pattern spanning
# a space can be split that way, so only the bearer pattern allows for it.
_FOLD = r"(?:\s|\\)+"
_SECRET_PATTERNS = [
    (re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"AWS4-HMAC-SHA256"), "a SigV4 Authorization value"),
    (re.compile(r"Signature=[0-9a-f]{64}"), "a SigV4 signature"),
    (re.compile(r"(?i)x-amz-security-token"), "an X-Amz-Security-Token header"),
    (re.compile(r"(?i)\bauthorization\b[ \t]*:"), "an Authorization header"),
    # The token is a whole run of token characters, not followed by ':' (not the next YAML key).
    (
        re.compile(rf"(?i)\bbearer{_FOLD}[A-Za-z0-9._~+/=-]{{16,}}(?![A-Za-z0-9._~+/=:-])"),
        "a bearer token",
    ),
    (re.compile(r"(?i)x-amz-date[ \t]*:"), "an X-Amz-Date header"),
]


def find_secrets(text: str) -> list[tuple[int, str]]:
    """Lines (1-based) of ``text`` that look like they hold a credential, and what they hold.

    The whole text is scanned, not line by line, so that a bearer token YAML folded onto the line
    after the word ``Bearer`` is still found; a hit is reported at the line where it starts.
    """
    hits = set()
    for pattern, what in _SECRET_PATTERNS:
        for found in pattern.finditer(text):
            hits.add((text.count("\n", 0, found.start()) + 1, what))
    return sorted(hits)


# --- atomic writes -------------------------------------------------------------------------


#: Mode of a new cassette (an existing one keeps its mode). Not derived from the umask: reading
#: the umask means changing it, which races with other threads.
NEW_FILE_MODE = 0o644


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half."""
    hits = find_secrets(text)
    if hits:
        lines = ", ".join(f"line {n} ({what})" for n, what in hits[:5])
        raise SecretInCassetteError(
            f"refusing to write a cassette that holds credentials: {lines}; nothing was written",
            path=path,
            fix="remove the secret with a before_record_request/before_record_response hook "
            "(README section 'Secrets'), or report a bedrock-vcr bug if a header leaked",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = NEW_FILE_MODE
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.chmod(tmp, mode)  # mkstemp makes 0600 files; a cassette is shared like source
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _check_bedrock_stream(interaction: Interaction) -> None:
    """Every frame of a Bedrock stream says its message type; one that does not was cut short."""
    response = interaction.response
    if response is None or response.events is None:
        return
    if interaction.request.operation not in ("InvokeModelWithResponseStream", "ConverseStream"):
        return
    for i, event in enumerate(response.events):
        if ":message-type" not in event.message.headers:
            raise CassetteFormatError(
                "the stream event has no :message-type header, which every Bedrock frame "
                "carries (was the file cut short?)",
                json_path=f"#/response/stream/{i}/headers",
                fix="restore the cassette from version control, or re-record it",
            )


def is_vcrpy_document(doc: Any) -> bool:
    """vcrpy requests carry ``uri``/``method``; bedrock-vcr requests carry ``operation``."""
    if not isinstance(doc, dict):
        return False
    items = doc.get("interactions") or []
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        return False
    request = items[0].get("request") or {}
    return isinstance(request, dict) and "uri" in request and "operation" not in request


def file_is_vcrpy(path: Path) -> bool:
    """Whether ``path`` holds a vcrpy cassette rather than a bedrock-vcr one."""
    try:
        return is_vcrpy_document(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False


_CACHE_SIZE = 32
_cache: OrderedDict[Path, tuple[int, int, list[Interaction]]] = OrderedDict()
_cache_lock = threading.Lock()


def load_file(path: Path) -> list[Interaction]:
    """Read a cassette (bedrock-vcr or vcrpy format).

    Parsed files are remembered by path, size and modification time, so tests that share a
    cassette parse it once per process; the interactions are shared, never modified in place.
    """
    path = Path(path)
    try:
        info = path.stat()
    except OSError:
        info = None
    key = path.resolve()
    if info is not None:
        with _cache_lock:
            hit = _cache.get(key)
            if hit is not None and hit[:2] == (info.st_mtime_ns, info.st_size):
                _cache.move_to_end(key)
                return list(hit[2])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteFormatError(f"the cassette is not UTF-8 text: {exc}", path=path) from None
    interactions = loads(text, path)
    if info is not None:
        with _cache_lock:
            _cache[key] = (info.st_mtime_ns, info.st_size, interactions)
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return list(interactions)
