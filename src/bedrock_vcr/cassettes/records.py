"""In-memory form of recorded interactions: wire-exact bytes, decoded once.

The cassette file (see :mod:`bedrock_vcr.cassettes.yaml_format`) stores bodies parsed and streams
as decoded events for people to read; in memory everything is kept as the exact bytes that go back
to botocore, so replay never re-encodes anything.
"""

from __future__ import annotations

import base64
import json
import operator
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeAlias, overload

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..bedrock.operations import ERROR_TYPE_SUFFIX
from ..wire.eventstream import Header, HeaderType, Message, decode_message

#: Request headers worth keeping: they change what Bedrock answers.
KEPT_REQUEST_HEADERS = (
    "content-type",
    "accept",
    "x-amzn-bedrock-accept",
    "x-amzn-bedrock-trace",
    "x-amzn-bedrock-guardrailidentifier",
    "x-amzn-bedrock-guardrailversion",
    "x-amzn-bedrock-performanceconfig-latency",
    "x-amzn-bedrock-service-tier",
)
#: Response headers never stored. Connection headers (``transfer-encoding``, ``connection``)
#: are kept because callers see them in ``ResponseMetadata.HTTPHeaders``.
DROPPED_RESPONSE_HEADERS = frozenset({"set-cookie"})
#: How a recorded stream ended: ``complete`` (it ran to its end, or to an exception frame) or
#: ``dropped`` (the connection closed mid-stream).
STREAM_ENDS = ("complete", "dropped")


@dataclass
class RecordedRequest:
    operation: str
    model_id: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    path: str = ""
    method: str = "POST"

    @cached_property
    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` when it is not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except (ValueError, UnicodeDecodeError):
            return None

    @property
    def is_json(self) -> bool:
        return self.json is not None or self.body.strip() == b"null"

    def copy(self) -> RecordedRequest:
        """An equal request sharing nothing mutable with this one (``json`` is parsed anew)."""
        return RecordedRequest(
            self.operation, self.model_id, self.body, dict(self.headers), self.path, self.method
        )


@dataclass
class StreamEvent:
    """One event-stream frame and when it arrived (seconds after the request was sent).

    ``frame`` is normally the encoding of ``message``; a deliberately corrupted frame carries
    other bytes (simulation uses that).
    """

    message: Message
    offset: float = 0.0
    frame_override: bytes | None = None

    @classmethod
    def event(cls, event_type: str, payload: Any, offset: float = 0.0) -> StreamEvent:
        """A ``:message-type: event`` frame with a JSON payload (ConverseStream style)."""
        headers = {
            ":event-type": Header(HeaderType.STRING, event_type),
            ":content-type": Header(HeaderType.STRING, "application/json"),
            ":message-type": Header(HeaderType.STRING, "event"),
        }
        data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        return cls(Message(headers, data), offset)

    @classmethod
    def chunk(cls, model_json: Any, offset: float = 0.0) -> StreamEvent:
        """An InvokeModelWithResponseStream ``chunk`` whose ``bytes`` hold ``model_json``."""
        inner = json.dumps(model_json, separators=(",", ":"), ensure_ascii=False).encode()
        return cls.event("chunk", {"bytes": base64.b64encode(inner).decode("ascii")}, offset)

    @classmethod
    def exception(cls, exception_type: str, payload: Any, offset: float = 0.0) -> StreamEvent:
        """A ``:message-type: exception`` frame, as Bedrock sends errors inside a stream."""
        headers = {
            ":exception-type": Header(HeaderType.STRING, exception_type),
            ":content-type": Header(HeaderType.STRING, "application/json"),
            ":message-type": Header(HeaderType.STRING, "exception"),
        }
        data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        return cls(Message(headers, data), offset)

    @cached_property
    def frame(self) -> bytes:
        return self.frame_override if self.frame_override is not None else self.message.encode()

    def copy(self) -> StreamEvent:
        """An equal event sharing nothing mutable with this one; an encoded frame is kept."""
        message = self.message
        event = StreamEvent(
            Message(dict(message.headers), message.payload), self.offset, self.frame_override
        )
        if "frame" in self.__dict__:
            event.__dict__["frame"] = self.__dict__["frame"]  # bytes: safe to share
        return event

    @property
    def event_type(self) -> str | None:
        value = self.message.header(":event-type") or self.message.header(":exception-type")
        return str(value) if value is not None else None

    @property
    def message_type(self) -> str:
        return str(self.message.header(":message-type", "event"))


_SHARED = "_shared_events"
#: Events kept packed until first read (a response loaded from the parsed-cassette cache, see
#: :mod:`.cache`): see :data:`Packed`.
_PACKED = "_packed_events"
_sharing_lock = threading.Lock()
#: A stream's events as plain values: their offsets, the frames of their messages, and their
#: frame overrides (``None`` when none has one). Two objects per event rather than four: a
#: cached cassette of a thousand streams loads in a fraction of the memory.
#: Or the text of the stream's lines as the cassette held it (see ``stream_text``), read again
#: by the function the packer gives (:meth:`RecordedResponse.set_packed_events`): smaller still
#: than the frames, which hold base64 and a header block per event.
Packed: TypeAlias = (
    "tuple[tuple[float, ...], tuple[bytes, ...], tuple[bytes | None, ...] | None] | str"
)
#: The key under which a response keeps the reader of its packed lines, when they are lines.
_UNPACK = "_unpack_events"


def _unpack_events(packed: Any) -> list[StreamEvent]:
    offsets, frames, overrides = packed
    if overrides is None:
        return [_unpack_event((o, f, None)) for o, f in zip(offsets, frames, strict=True)]
    items = zip(offsets, frames, overrides, strict=True)
    return [_unpack_event(item) for item in items]


class PackedEvent(StreamEvent):
    """A :class:`StreamEvent` of a cache entry: its message is decoded from the recorded frame
    when first read. Replay sends only the frame, so a test that just replays a stream never
    decodes it (about 10 us a frame). Equal to a :class:`StreamEvent` of the same fields."""

    @cached_property
    def message(self) -> Message:  # type: ignore[override]
        return decode_message(self.__dict__["_packed_frame"])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StreamEvent):
            return NotImplemented
        mine = (self.message, self.offset, self.frame_override)
        return mine == (other.message, other.offset, other.frame_override)

    __hash__ = None  # type: ignore[assignment]  # as StreamEvent's (a dataclass with eq)


def _unpack_event(packed: tuple[float, bytes, bytes | None]) -> StreamEvent:
    offset, frame, override = packed
    event = PackedEvent.__new__(PackedEvent)
    event.__dict__.update(
        offset=offset,
        frame_override=override,
        frame=frame if override is None else override,
        _packed_frame=frame,
    )
    return event


def pack_events(response: RecordedResponse) -> Packed | None:
    """The events of ``response`` as :data:`Packed` values (see
    :meth:`RecordedResponse.set_packed_events`), without building them when they were never
    built (a stream read from lines and not built since: its lines)."""
    packed = response.__dict__.get(_PACKED)
    if packed is not None:
        return packed
    events = response.events
    return None if events is None else pack_event_list(events)


def pack_event_list(events: list[StreamEvent]) -> Packed:
    """``events`` as the :data:`Packed` value of their frames (see :func:`pack_events`)."""
    offsets = tuple(map(float, map(_OFFSET, events)))
    overrides = tuple(map(_OVERRIDE, events))
    if overrides.count(None) == len(overrides):
        return offsets, tuple(map(_FRAME, events)), None
    frames = tuple(e.frame if e.frame_override is None else e.message.encode() for e in events)
    return offsets, frames, overrides


_OFFSET = operator.attrgetter("offset")
_OVERRIDE = operator.attrgetter("frame_override")
_FRAME = operator.attrgetter("frame")


class _Events:
    """``RecordedResponse.events``, which a :meth:`~RecordedResponse.lazy_copy` shares with its
    original until they are first read, and then replaces with copies of its own.

    A cassette of a thousand streams holds tens of thousands of events; copying them all each
    time the file cache hands the cassette out would cost more than the cache saves, and a
    test replays only a few of them.
    """

    @overload
    def __get__(self, response: None, owner: Any = None) -> None: ...
    @overload
    def __get__(
        self, response: RecordedResponse, owner: Any = None
    ) -> list[StreamEvent] | None: ...
    def __get__(
        self, response: RecordedResponse | None, owner: Any = None
    ) -> list[StreamEvent] | None:
        if response is None:
            return None  # the field's default
        values = response.__dict__
        if _PACKED in values:
            with _sharing_lock:
                packed = values.get(_PACKED)
                if packed is not None:
                    values["events"] = values.get(_UNPACK, _unpack_events)(packed)
                    del values[_PACKED]
        if _SHARED in values:
            with _sharing_lock:  # copy once, even when two threads read at the same time
                shared = values.get(_SHARED)
                if shared is not None:
                    values["events"] = [event.copy() for event in shared]
                    del values[_SHARED]
        return values.get("events")

    def __set__(self, response: RecordedResponse, events: list[StreamEvent] | None) -> None:
        response.__dict__.pop(_SHARED, None)
        response.__dict__.pop(_PACKED, None)
        response.__dict__["events"] = events


@dataclass
class RecordedResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: ``None`` for a plain body; the list of frames for an event stream.
    events: _Events = _Events()
    #: Seconds from sending the request to the end of the response (plain bodies) or the
    #: headers (streams).
    latency: float = 0.0
    #: How the stream ended: one of :data:`STREAM_ENDS`.
    stream_end: str = "complete"

    @property
    def is_stream(self) -> bool:
        return _PACKED in self.__dict__ or self.events is not None

    def set_packed_events(
        self, packed: Packed, unpack: Callable[[Any], list[StreamEvent]] | None = None
    ) -> None:
        """Events as :func:`pack_events` gives them, decoded into :class:`StreamEvent` when
        first read (by ``unpack`` when given: lines are read by the format's reader)."""
        self.events = None
        self.__dict__[_PACKED] = packed
        if unpack is not None:
            self.__dict__[_UNPACK] = unpack
        else:
            self.__dict__.pop(_UNPACK, None)  # (lines made into frames: no longer read as lines)

    @property
    def lines(self) -> str | None:
        """The lines the stream was read from, while its events are not built (else ``None``)."""
        found = self.__dict__.get(_PACKED)
        return found if isinstance(found, str) else None

    def frames(self) -> list[bytes] | None:
        """The frames replay sends, one per event (``None`` for a plain body): those of a
        cache entry as they are, without building its events when nothing has read them."""
        packed = self.__dict__.get(_PACKED)
        if packed is not None and not isinstance(packed, str):
            _, frames, overrides = packed
            if overrides is None:
                return list(frames)
            return [f if o is None else o for f, o in zip(frames, overrides, strict=True)]
        events = self.events
        return None if events is None else [e.frame for e in events]

    def header(self, name: str, default: str | None = None) -> str | None:
        lname = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lname:
                return value
        return default

    def copy(self) -> RecordedResponse:
        """An equal response sharing nothing mutable with this one."""
        events = None if self.events is None else [event.copy() for event in self.events]
        return RecordedResponse(
            self.status, dict(self.headers), self.body, events, self.latency, self.stream_end
        )

    def lazy_copy(self) -> RecordedResponse:
        """Like :meth:`copy`, but the events are copied when first read; only for a response
        that is never changed itself (the file cache's), since until then they are shared."""
        copied = RecordedResponse(
            self.status, dict(self.headers), self.body, None, self.latency, self.stream_end
        )
        packed = self.__dict__.get(_PACKED)
        if packed is not None:  # immutable: shared, and decoded anew by each reader
            copied.__dict__[_PACKED] = packed
            if _UNPACK in self.__dict__:
                copied.__dict__[_UNPACK] = self.__dict__[_UNPACK]
            return copied
        events = self.events
        if events is not None:
            copied.__dict__[_SHARED] = events
        return copied


@dataclass
class Interaction:
    request: RecordedRequest
    response: RecordedResponse | None = None  # None while a recording is still in flight
    recorded_at: str | None = None

    def copy(self) -> Interaction:
        """An equal interaction the caller may change without changing this one."""
        response = None if self.response is None else self.response.copy()
        return Interaction(self.request.copy(), response, self.recorded_at)

    def lazy_copy(self) -> Interaction:
        """:meth:`copy` with the response's events copied when first read (see
        :meth:`RecordedResponse.lazy_copy`): for an interaction that is never changed itself."""
        response = None if self.response is None else self.response.lazy_copy()
        return Interaction(self.request.copy(), response, self.recorded_at)


def error_response(status: int, code: str, message: str, **extra: Any) -> RecordedResponse:
    """A Bedrock-shaped error: ``x-amzn-ErrorType`` header and ``{"message": ...}`` body."""
    body = json.dumps({"message": message, **extra}, separators=(",", ":")).encode()
    return RecordedResponse(
        status,
        {
            "content-type": "application/json",
            "x-amzn-errortype": code + ERROR_TYPE_SUFFIX,
            "x-amzn-requestid": str(uuid.uuid4()),
        },
        body=body,
    )
