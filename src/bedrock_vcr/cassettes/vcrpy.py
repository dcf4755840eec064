"""Reading cassettes written by vcrpy or pytest-recording as bedrock-vcr interactions.

A vcrpy cassette stores each HTTP exchange as it crossed the wire::

    version: 1
    interactions:
    - request: {method: POST, uri: https://bedrock-runtime.../model/{id}/invoke,
                body: <str | !!binary | null>, headers: {Name: [value, ...]}}
      response: {status: {code: 200, message: OK}, headers: {Name: [value, ...]},
                 body: {string: <str | !!binary>}}

This module turns such a document into bedrock-vcr :class:`~bedrock_vcr.Interaction` objects
(telling it from a bedrock-vcr one is :mod:`.formats.sniff`'s job; other recorders' layouts are
made vcrpy documents by :mod:`.formats`), so that ``use_cassette`` replays a vcrpy file
directly (through :mod:`.storage`) and :mod:`.vcrpy_convert` writes the readable bedrock-vcr
format. It knows nothing of bedrock-vcr's own format. What is kept:

- the operation and model id, from the request path (interactions that are not one of the four
  Bedrock Runtime operations, such as calls to other AWS services, are skipped and reported);
- request headers listed in :data:`~bedrock_vcr.cassettes.records.KEPT_REQUEST_HEADERS` only,
  so signatures, dates, session tokens and SDK bookkeeping never reach a converted cassette;
- response headers with lower-case names (several values of one header joined with ``", "``, as
  urllib3 hands them to botocore), minus
  :data:`~bedrock_vcr.cassettes.records.DROPPED_RESPONSE_HEADERS`;
- plain bodies as their exact bytes; an event-stream body (``application/vnd.amazon.eventstream``
  on a 2xx answer, or a 2xx answer of a streaming operation with no content type) split into
  its frames. vcrpy keeps no timing, so every event's offset is 0;
- no header value a filter replaced (``**REDACTED**``), and never an empty body where the file
  holds one in a form not read here (that is an error).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..bedrock.operations import (
    NAMES,
    STREAM_CONTENT_TYPE,
    STREAMING,
    parse_path,
    parse_request,
)
from ..errors import CassetteFormatError, EventStreamError
from ..wire.eventstream import MessageDecoder
from . import safe_yaml
from .formats import remembered
from .records import (
    DROPPED_RESPONSE_HEADERS,
    KEPT_REQUEST_HEADERS,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)

#: vcrpy's cassette format versions this module reads (vcrpy has written version 1 since 2014).
VCRPY_VERSIONS = (1,)
FIX = (
    "the file looks like a vcrpy cassette but this entry is not one vcrpy writes; re-record it "
    "with vcrpy, or correct the entry named above"
)


# --- telling the formats apart ------------------------------------------------------------------
# Whether a file is another recorder's (vcrpy's, or any format of :mod:`.formats`) is answered in
# :mod:`.formats.remembered`; the names stay importable from here.
is_vcrpy_document = remembered.is_vcrpy_document
note_format = remembered.note_format
file_is_vcrpy = remembered.file_is_foreign


# --- what was read -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportedInteraction:
    """One vcrpy interaction that became a bedrock-vcr interaction."""

    index: int  # position in the vcrpy file
    operation: str
    model_id: str
    status: int
    #: Number of event-stream frames, or ``None`` for a plain body.
    stream_events: int | None
    body_bytes: int

    def describe(self) -> str:
        what = (
            f"stream of {self.stream_events} event(s)"
            if self.stream_events is not None
            else f"body of {self.body_bytes} byte(s)"
        )
        return f"#{self.index} {self.operation} {self.model_id} -> {self.status}, {what}"


@dataclass(frozen=True)
class SkippedInteraction:
    """A vcrpy interaction left out: not a Bedrock Runtime call bedrock-vcr replays."""

    index: int
    method: str
    uri: str
    reason: str

    def describe(self) -> str:
        return f"#{self.index} {self.method} {self.uri}: {self.reason}"


@dataclass
class VcrpyImport:
    """Everything read from one vcrpy document."""

    interactions: list[Interaction] = field(default_factory=list)
    imported: list[ImportedInteraction] = field(default_factory=list)
    skipped: list[SkippedInteraction] = field(default_factory=list)
    #: Header names (lower case) seen in the file and not carried over.
    dropped_request_headers: set[str] = field(default_factory=set)
    dropped_response_headers: set[str] = field(default_factory=set)


# --- converting one interaction ----------------------------------------------------------------


def _fail(problem: str, json_path: str) -> CassetteFormatError:
    return CassetteFormatError(problem, json_path=json_path)


def _mapping(value: Any, json_path: str) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise _fail(f"expected a mapping, found {_kind(value)}", json_path)
    return value


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def _text(value: Any, json_path: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return bytes(value).decode("latin-1")  # what http.client does with header bytes
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise _fail(f"expected text, found {_kind(value)}", json_path)


def _headers(value: Any, json_path: str) -> dict[str, str]:
    """``{Name: [values]}`` (values may be bytes, or one bare value) as ``{name: "v1, v2"}``."""
    if value is None:
        return {}
    out: dict[str, str] = {}
    for name, values in _mapping(value, json_path).items():
        where = f"{json_path}/{name}"
        if not isinstance(name, str):
            raise _fail(f"a header name must be text, found {_kind(name)}", json_path)
        items = values if isinstance(values, list) else [values]
        texts = [_text(v, f"{where}/{i}") for i, v in enumerate(items)]
        lname = name.lower()
        out[lname] = ", ".join(([out[lname]] if lname in out else []) + texts)
    return out


def _body(value: Any, json_path: str) -> bytes:
    if value is None:
        return b""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, io.BytesIO):
        return value.getvalue()
    raise _fail(f"a body must be text, !!binary or null, found {_kind(value)}", json_path)


def _status(response: dict[Any, Any]) -> int:
    status = response.get("status")
    code = status.get("code") if isinstance(status, dict) else status
    if isinstance(code, str) and code.isascii() and code.isdigit() and len(code) <= 3:
        code = int(code)
    if not isinstance(code, int) or isinstance(code, bool) or not 100 <= code <= 599:
        raise _fail(f"expected an HTTP status code, found {code!r}", "#/response/status/code")
    return code


def _skip_reason(method: str, uri: str) -> str | None:
    try:
        host = (urlsplit(uri).hostname or "").lower()
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise _fail(f"the request URI cannot be parsed: {exc}", "#/request/uri") from None
    if host.endswith((".amazonaws.com", ".amazonaws.com.cn")) and "bedrock-runtime" not in host:
        return f"not a Bedrock Runtime call (host {host})"
    if parse_path(uri, method) is None:
        return (
            f"{method} {urlsplit(uri).path} is not one of the operations bedrock-vcr replays "
            + (f"({', '.join(NAMES)})")
        )
    return None


def _events(body: bytes) -> list[StreamEvent]:
    decoder = MessageDecoder()
    decoder.feed(body)
    events = []
    try:
        for message, frame in decoder.frames():
            # Keep the recorded bytes should our encoding of the message ever differ from them.
            event = StreamEvent(message, 0.0, None if message.encode() == frame else frame)
            event.__dict__["frame"] = frame  # prime the cached encoding: replay sends these bytes
            events.append(event)
        decoder.close()
    except EventStreamError as exc:
        raise _fail(
            f"the event-stream body cannot be decoded after {len(events)} frame(s): {exc}",
            "#/response/body/string",
        ) from None
    return events


def _recorded_at(headers: dict[str, str]) -> str | None:
    value = headers.get("date")
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).isoformat(timespec="seconds")
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _convert(item: Any, index: int, out: VcrpyImport) -> None:
    item = _mapping(item, "#")
    request = _mapping(item.get("request"), "#/request")
    response = _mapping(item.get("response"), "#/response")
    uri = request.get("uri")
    if not isinstance(uri, str) or not uri:
        raise _fail(f"expected the request URI as text, found {_kind(uri)}", "#/request/uri")
    method = _text(request.get("method", "POST"), "#/request/method")
    reason = _skip_reason(method, uri)
    if reason is not None:
        out.skipped.append(SkippedInteraction(index, method, uri, reason))
        return
    recorded_request = _request(request, method, uri, out)
    recorded, body_bytes = _response(response, out, recorded_request.operation in STREAMING)
    out.interactions.append(Interaction(recorded_request, recorded, _recorded_at(recorded.headers)))
    out.imported.append(
        ImportedInteraction(
            index=index,
            operation=recorded_request.operation,
            model_id=recorded_request.model_id,
            status=recorded.status,
            stream_events=len(recorded.events) if recorded.events is not None else None,
            body_bytes=body_bytes,
        )
    )


def _request(request: dict[Any, Any], method: str, uri: str, out: VcrpyImport) -> RecordedRequest:
    body = _body(request.get("body"), "#/request/body")
    parsed = parse_request(method, uri, body)
    assert parsed is not None
    operation, model_id = parsed
    request_headers = {}
    for name, value in _headers(request.get("headers"), "#/request/headers").items():
        if name in KEPT_REQUEST_HEADERS and not is_placeholder(value):
            request_headers[name] = value
        else:
            out.dropped_request_headers.add(name)
    split = urlsplit(uri)
    return RecordedRequest(
        operation=operation.name,
        model_id=model_id,
        body=body,
        headers=request_headers,
        path=split.path + (f"?{split.query}" if split.query else ""),
        method=method.upper(),
    )


def _response(
    response: dict[Any, Any], out: VcrpyImport, streaming: bool
) -> tuple[RecordedResponse, int]:
    """The response, and the size of its body as recorded. A header whose value a recorder's
    filter replaced (``**REDACTED**``) is dropped; without a content type, a successful answer
    of a streaming operation is taken for the event stream it must be."""
    status = _status(response)
    response_headers = {}
    for name, value in _headers(response.get("headers"), "#/response/headers").items():
        if name in DROPPED_RESPONSE_HEADERS or is_placeholder(value):
            out.dropped_response_headers.add(name)
        else:
            response_headers[name] = value
    body = _response_body(response)
    recorded = RecordedResponse(status=status, headers=response_headers)
    content_type = response_headers.get("content-type", "").split(";")[0].strip().lower()
    if status < 300 and (
        content_type == STREAM_CONTENT_TYPE
        or (streaming and "content-type" not in response_headers)
    ):
        recorded.events = _events(body)
    else:
        recorded.body = body
    return recorded, len(body)


#: Response keys vcrpy's stubs write beside the body.
_RESPONSE_KEYS = frozenset({"status", "headers", "body", "url"})


def _response_body(response: dict[Any, Any]) -> bytes:
    """The recorded body; an error where the file holds one in a form not read here (rather
    than replaying an empty body)."""
    if "body" not in response:
        unknown = sorted(map(str, set(response) - _RESPONSE_KEYS))
        if unknown:
            raise _fail(
                f"the response has no body but has {', '.join(unknown)}; bedrock-vcr reads a "
                "vcrpy body ({string: ...}) or pydantic-ai's parsed_body",
                "#/response",
            )
        return b""
    body_doc = response["body"]
    if not isinstance(body_doc, dict):  # lenient: a bare body where vcrpy writes {string: ...}
        return _body(body_doc, "#/response/body")
    if "string" not in body_doc and body_doc:
        keys = ", ".join(sorted(map(str, body_doc)))
        raise _fail(
            f"the response body has no 'string' member (it has {keys}); vcrpy writes the body "
            "as {string: <text or !!binary>}",
            "#/response/body",
        )
    return _body(body_doc.get("string"), "#/response/body/string")


#: What recorders' header filters put in place of a value (compared without ``*<>[]`` and case).
_PLACEHOLDERS = frozenset({"redacted", "filtered", "placeholder", "scrubbed", "removed"})


def is_placeholder(value: str) -> bool:
    """Whether a header value is a filter's placeholder (``**REDACTED**``, ``PLACEHOLDER``)."""
    return len(value) <= 20 and value.strip(" *<>[]").lower() in _PLACEHOLDERS


# --- documents -------------------------------------------------------------------------------


def read_vcrpy(doc: Any, path: Path | str | None = None, fix: str = FIX) -> VcrpyImport:
    """Convert a parsed vcrpy document, keeping track of what was skipped or dropped (``fix``:
    the advice of an error in an entry, for documents made from another recorder's file)."""
    if not isinstance(doc, dict):
        raise CassetteFormatError(
            f"a vcrpy cassette is a mapping with 'interactions', found {_kind(doc)}", path=path
        )
    version = doc.get("version", VCRPY_VERSIONS[-1])
    if version not in VCRPY_VERSIONS:
        raise CassetteFormatError(
            f"unknown vcrpy cassette version {version!r}; bedrock-vcr reads vcrpy version(s) "
            f"{', '.join(map(str, VCRPY_VERSIONS))}",
            path=path,
            json_path="#/version",
            fix="load and save the cassette with a current vcrpy first",
        )
    items = doc.get("interactions") or []
    if not isinstance(items, list):
        raise CassetteFormatError(
            f"'interactions' must be a list, found {_kind(items)}",
            path=path,
            json_path="#/interactions",
        )
    out = VcrpyImport()
    for index, item in enumerate(items):
        try:
            _convert(item, index, out)
        except CassetteFormatError as exc:
            raise CassetteFormatError(
                exc.problem, path=path, interaction=index, json_path=exc.json_path, fix=fix
            ) from None
        except safe_yaml.UNEXPECTED as exc:  # a check missing above: still a located, typed error
            raise CassetteFormatError(
                f"the entry cannot be read ({type(exc).__name__}: {exc})",
                path=path,
                interaction=index,
                json_path="#",
                fix=fix,
            ) from None
    return out


def interactions_from_vcrpy(doc: Any, path: Path | str | None = None) -> list[Interaction]:
    """The Bedrock Runtime interactions of a vcrpy document (others are left out)."""
    return read_vcrpy(doc, path).interactions
