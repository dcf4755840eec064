"""The bedrock-vcr cassette format: versioned, readable YAML, to and from interactions.

Layout (version 2)::

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
        stream: |
          0.052 chunk {"bytes":{"generation":"Hello","stop_reason":null},"p":"abcd"}
    - request: {...}
      response:
        status: 200
        stream:
        - offset: 0.052
          headers: {':event-type': chunk, ':content-type': application/json, ':message-type': event}
          chunk: {json: {generation: Hello, stop_reason: null}}
          payload: {json: {p: abcd}}

A stream is written in lines where every event has one (:mod:`.stream_text`), else as a list of
event mappings; version 1 files (lists only) are read as they are. Bodies and stream events are
written as :mod:`.bodies` describes. This module is the bedrock-vcr
document and nothing else: reading files, the cache and other recorders' formats live in
:mod:`.storage` and :mod:`.vcrpy`, so the format itself depends on neither.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..errors import CassetteFormatError, EventStreamError
from . import safe_yaml, stream_build, stream_check, stream_text, yaml_emit, yaml_subset
from .bodies import body_from_doc, body_to_doc, event_from_doc, event_to_doc, seconds_at
from .keys import refuse_unknown_keys
from .records import STREAM_ENDS, Interaction, RecordedRequest, RecordedResponse

#: Version 2 added streams written in lines (:mod:`.stream_text`).
VERSION = 2
SUPPORTED_VERSIONS = (1, 2)

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
    for key in ("path", "method"):
        if key in doc and not isinstance(doc[key], str):
            raise CassetteFormatError(
                f"request.{key} must be a string, found {type(doc[key]).__name__}",
                json_path=f"{where}/{key}",
            )
    return RecordedRequest(
        operation=doc["operation"],
        model_id=doc["model_id"],
        body=body_from_doc(doc.get("body"), f"{where}/body"),
        headers=_headers_from_doc(doc.get("headers"), f"{where}/headers"),
        path=doc.get("path", ""),
        method=doc.get("method", "POST"),
    )


def _headers_from_doc(doc: Any, where: str) -> dict[str, str]:
    """HTTP headers: names and values are text (numbers are taken as their text)."""
    headers = doc or {}
    if not isinstance(headers, dict):
        raise CassetteFormatError("headers must be a mapping", json_path=where)
    out = {}
    for name, value in headers.items():
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise CassetteFormatError(
                f"a header value must be a string, found {type(value).__name__} (quote it)",
                json_path=f"{where}/{name}",
            )
        out[str(name).lower()] = str(value)
    return out


def response_to_doc(response: RecordedResponse, *, lines: bool = False) -> dict[str, Any]:
    """The response's document; with ``lines``, its stream in lines where it has that form
    (as the file holds it; without, always a list of event mappings)."""
    doc: dict[str, Any] = {"status": response.status, "headers": dict(response.headers)}
    if response.latency:
        doc["latency"] = round(response.latency, 4)
    events = response.events
    if events is not None:
        text = stream_text.to_text(events) if lines else None
        doc["stream"] = [event_to_doc(e) for e in events] if text is None else text
        if response.stream_end != "complete":
            doc["stream_end"] = response.stream_end
    else:
        doc["body"] = body_to_doc(response.body)
    return doc


def response_from_doc(doc: Any, where: str) -> RecordedResponse:
    """The response of ``doc``. A stream in lines is checked line by line (a bad line fails
    the load, located) and its events are built when a test first reads them: a test replays
    few of a cassette's streams, and the parsed-cassette cache keeps the lines, half the room
    of the frames."""
    if not isinstance(doc, dict):
        raise CassetteFormatError(_missing_or_not_mapping("response", doc), json_path=where)
    status = doc.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise CassetteFormatError(
            f"response.status must be an HTTP status code, found {status!r}",
            json_path=f"{where}/status",
        )
    headers = _headers_from_doc(doc.get("headers"), f"{where}/headers")
    latency = seconds_at(doc, "latency", where)
    stream_end = doc.get("stream_end", "complete")
    if stream_end not in STREAM_ENDS:
        raise CassetteFormatError(
            f"stream_end must be one of {', '.join(STREAM_ENDS)}, found {stream_end!r}",
            json_path=f"{where}/stream_end",
        )
    response = RecordedResponse(
        status=status, headers=headers, latency=latency, stream_end=stream_end
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
        if isinstance(events, str):
            stream_check.check_text(events, f"{where}/stream")
            response.set_packed_events(events, stream_build.read_lines)
            return response
        if not isinstance(events, list):
            raise CassetteFormatError(
                "stream must be a list of events, or their lines", json_path=f"{where}/stream"
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


def interaction_to_doc(interaction: Interaction, *, lines: bool = False) -> dict[str, Any]:
    """The interaction's document (``lines``: see :func:`response_to_doc`)."""
    assert interaction.response is not None
    doc: dict[str, Any] = {
        "request": request_to_doc(interaction.request),
        "response": response_to_doc(interaction.response, lines=lines),
    }
    if interaction.recorded_at:
        doc["recorded_at"] = interaction.recorded_at
    return doc


# --- files ---------------------------------------------------------------------------------


def dumps(interactions: Iterable[Interaction]) -> str:
    """The text of a cassette holding ``interactions`` (those with a response): see
    :func:`.yaml_emit.document`."""
    docs = [interaction_to_doc(i, lines=True) for i in interactions if i.response is not None]
    return yaml_emit.document(VERSION, docs)


_FIX_ENTRY = (
    "correct the value at that path (README section 'Cassette format'), or delete the cassette "
    "and re-record it with --bedrock-record-mode=once"
)


def parse(text: str, path: Path | str | None = None) -> Any:
    """The YAML document in ``text``; invalid YAML, anchors and aliases are errors naming the
    line and column (see :mod:`.safe_yaml`)."""
    doc = yaml_subset.read(text)  # the usual saved file, read without libyaml's nodes
    return doc if doc is not None else safe_yaml.load(text, path)


def from_document(doc: Any, path: Path | str | None = None) -> list[Interaction]:
    """The interactions of a parsed bedrock-vcr cassette (see :func:`parse`)."""
    if not isinstance(doc, dict) or "interactions" not in doc:
        raise CassetteFormatError(
            "the file is not a cassette (no top-level 'interactions' list)",
            path=path,
            fix="point use_cassette at a bedrock-vcr or vcrpy cassette, or delete the file and "
            "re-record with --bedrock-record-mode=once",
        )
    version = doc.get("version")
    if isinstance(version, bool) or version not in SUPPORTED_VERSIONS:
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
            out.append(interaction_from_doc(item))
        except CassetteFormatError as exc:
            raise CassetteFormatError(
                exc.problem,
                path=path,
                interaction=index,
                json_path=exc.json_path,
                fix=exc.fix or _FIX_ENTRY,
            ) from None
        except safe_yaml.UNEXPECTED as exc:  # a check missing here: still a located error
            raise CassetteFormatError(
                f"the interaction cannot be read ({type(exc).__name__}: {exc})",
                path=path,
                interaction=index,
                json_path="#",
                fix=_FIX_ENTRY,
            ) from None
    return out


def interaction_from_doc(item: Any) -> Interaction:
    if not isinstance(item, dict):
        raise CassetteFormatError("an interaction must be a mapping")
    refuse_unknown_keys(item)  # before anything else: a misspelled key is what went wrong
    interaction = Interaction(
        request=request_from_doc(item.get("request"), "#/request"),
        response=response_from_doc(item.get("response"), "#/response"),
        recorded_at=_recorded_at(item.get("recorded_at")),
    )
    _check_bedrock_stream(interaction)
    return interaction


def _recorded_at(value: Any) -> str | None:
    """When the interaction was recorded: ISO 8601 text (an unquoted YAML date is taken too)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    raise CassetteFormatError(
        f"recorded_at must be an ISO 8601 date and time, found {type(value).__name__}",
        json_path="#/recorded_at",
    )


def loads(text: str, path: Path | str | None = None) -> list[Interaction]:
    """The interactions of a bedrock-vcr cassette's text (:mod:`.storage` reads any format)."""
    return from_document(parse(text, path), path)


def _check_bedrock_stream(interaction: Interaction) -> None:
    """Every frame of a Bedrock stream says its message type; one that does not was cut short."""
    response = interaction.response
    if response is None or response.lines is not None or response.events is None:
        return  # no stream, or one read from lines: each of them carries the header
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
