"""The synchronous raw adapter: recorded pieces served the way botocore reads a response body."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import IncompleteReadError
from botocore.response import StreamingBody
from urllib3.exceptions import ProtocolError

from bedrock_vcr.cassettes.records import RecordedResponse, StreamEvent
from bedrock_vcr.intercept.raw import Pieces, ReplayRaw, TeeRaw, replay_response

from ..helpers import bedrock_client
from .handlers import Handler, active

NOVA = "us.amazon.nova-lite-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]

pytestmark = pytest.mark.usefixtures("aws_env")


def paced(pieces: list[bytes], delays: list[float] | None, **kw: Any) -> tuple[ReplayRaw, list]:
    """A ReplayRaw whose pauses are noted (in order with the pieces served) instead of slept."""
    log: list[Any] = []
    return ReplayRaw(pieces, delays, sleep=lambda s: log.append(("sleep", s)), **kw), log


# --- ReplayRaw ---------------------------------------------------------------------------------


def test_stream_yields_one_piece_per_step_and_skips_empty_ones() -> None:
    raw = ReplayRaw([b"one", b"", b"two"])
    assert list(raw.stream()) == [b"one", b"two"]
    assert list(raw.stream()) == []  # read to the end: nothing more


def test_read_with_an_amount_spans_pieces_and_keeps_the_rest() -> None:
    raw = ReplayRaw([b"abc", b"defg", b"h"])
    assert raw.read(2) == b"ab"
    assert raw.read(4) == b"cdef"
    assert raw.read() == b"gh"
    assert raw.read(10) == b""
    raw = ReplayRaw([b"abc"])
    assert raw.read(-1) == b"abc"


def test_stream_after_a_partial_read_starts_with_what_was_buffered() -> None:
    raw = ReplayRaw([b"abcd", b"ef"])
    assert raw.read(1) == b"a"
    assert list(raw.stream()) == [b"bcd", b"ef"]


def test_each_delay_is_waited_before_its_piece_and_zero_delays_not_at_all() -> None:
    raw, log = paced([b"a", b"b", b"c"], [0.25, 0.0, 0.5])
    for piece in raw.stream():
        log.append(piece)
    assert log == [("sleep", 0.25), b"a", b"b", ("sleep", 0.5), b"c"]


def test_a_dropped_body_ends_with_protocol_error_once() -> None:
    raw = ReplayRaw([b"first"], dropped=True)
    chunks = []
    with pytest.raises(ProtocolError, match="Connection broken"):
        for chunk in raw.stream():
            chunks.append(chunk)
    assert chunks == [b"first"]
    assert raw.read() == b""  # the connection is gone: nothing more, and no second error


def test_read_all_of_a_dropped_body_raises_too() -> None:
    with pytest.raises(ProtocolError):
        ReplayRaw([b"a", b"b"], dropped=True).read()


def test_close_and_release_conn_mark_it_closed() -> None:
    for method in ("close", "release_conn"):
        raw = ReplayRaw([b"x"])
        assert raw.closed is False
        getattr(raw, method)()
        assert raw.closed is True


def test_unread_is_what_is_left_with_its_pacing_and_end() -> None:
    raw, _ = paced([b"abc", b"de", b"f"], [0.1, 0.2, 0.3], dropped=True)
    assert raw.unread() == Pieces([b"abc", b"de", b"f"], [0.1, 0.2, 0.3], True)
    assert raw.read(4) == b"abcd"
    # the buffered "e" comes first and is not waited for again
    assert raw.unread() == Pieces([b"e", b"f"], [0.0, 0.3], True)
    assert ReplayRaw([b"x"]).unread() == Pieces([b"x"], None, False)


def test_an_unpaced_stream_left_half_read_keeps_its_place() -> None:
    raw = ReplayRaw([b"a", b"", b"b", b"c"], dropped=True)
    steps = raw.stream()
    assert next(steps) == b"a"
    assert raw.unread() == Pieces([b"", b"b", b"c"], None, True)
    assert next(steps) == b"b"  # the empty piece is skipped, not served
    assert raw.read(1) == b"c"  # another reader takes up where the stream left off
    with pytest.raises(ProtocolError):
        next(steps)


def test_botocore_streaming_body_reads_it() -> None:
    body = StreamingBody(ReplayRaw([b'{"a":', b" 1}"]), content_length=8)
    assert json.loads(body.read()) == {"a": 1}
    body = StreamingBody(ReplayRaw([b"0123", b"4567"]), content_length=8)
    assert list(body.iter_chunks(chunk_size=3)) == [b"012", b"345", b"67"]
    short = StreamingBody(ReplayRaw([b"0123"]), content_length=8)
    with pytest.raises(IncompleteReadError):
        short.read()  # botocore checks the length it was promised


# --- replay_response ---------------------------------------------------------------------------


def _stream(*texts: str, latency: float = 0.0, end: str = "complete") -> RecordedResponse:
    events = [StreamEvent.event("messageStart", {"role": "assistant"}, offset=latency)]
    for i, text in enumerate(texts):
        delta = {"contentBlockIndex": 0, "delta": {"text": text}}
        events.append(StreamEvent.event("contentBlockDelta", delta, offset=latency + 0.1 * (i + 1)))
    headers = {"content-type": "application/vnd.amazon.eventstream"}
    return RecordedResponse(200, headers, events=events, latency=latency, stream_end=end)


def test_a_plain_body_gets_its_length_and_waits_its_latency_scaled() -> None:
    recorded = RecordedResponse(200, {"content-type": "application/json"}, b"{}", latency=0.4)
    response = replay_response("https://x/model/m/invoke", recorded, speed=0.5)
    assert isinstance(response, AWSResponse)
    assert response.status_code == 200
    assert response.headers["content-length"] == "2"
    assert response.raw.unread() == Pieces([b"{}"], [0.2], False)
    assert "content-length" not in recorded.headers  # the recording is not changed
    assert replay_response("u", recorded).raw.unread().delays is None  # speed 0: no pauses


def test_a_stream_is_one_piece_per_frame_paced_by_arrival() -> None:
    recorded = _stream("Hel", "lo", latency=0.2)
    response = replay_response("https://x", recorded, speed=1.0)
    rest = response.raw.unread()
    assert list(rest.pieces) == [event.frame for event in recorded.events or []]
    # the first frame waits for the headers' latency plus its own gap; then the gaps between
    assert rest.delays == pytest.approx([0.2, 0.1, 0.1])
    assert "content-length" not in response.headers
    assert replay_response("https://x", recorded, speed=2.0).raw.unread().delays == pytest.approx(
        [0.4, 0.2, 0.2]
    )


def test_an_error_status_stream_is_served_as_its_body() -> None:
    recorded = RecordedResponse(400, {"x-amzn-errortype": "ValidationException"}, b'{"m":1}')
    response = replay_response("https://x", recorded)
    assert response.content == b'{"m":1}'


def test_botocore_parses_a_replayed_stream_and_a_dropped_one_breaks_off() -> None:
    client = bedrock_client("http://127.0.0.1:9")  # never reached: the handler answers
    complete = Handler(answer=lambda r: replay_response(r.url, _stream("Hel", "lo")))
    with active(complete):
        events = list(client.converse_stream(modelId=NOVA, messages=MESSAGES)["stream"])
    texts = [e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e]
    assert texts == ["Hel", "lo"]
    dropped = Handler(answer=lambda r: replay_response(r.url, _stream("Hel", "lo", end="dropped")))
    received = []
    with active(dropped), pytest.raises(ProtocolError):
        for event in client.converse_stream(modelId=NOVA, messages=MESSAGES)["stream"]:
            received.append(event)
    assert len(received) == 3  # every recorded frame arrived before the connection broke


# --- TeeRaw ------------------------------------------------------------------------------------


class LiveBody:
    """A live urllib3-like body: ``stream()`` yields the chunks, then raises ``error`` if set."""

    def __init__(self, chunks: list[bytes], error: Exception | None = None) -> None:
        self.chunks = chunks
        self.error = error
        self.sent = 0
        self.closed = False

    def stream(self) -> Any:
        for chunk in self.chunks:
            self.sent += 1
            yield chunk
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        self.closed = True


def _tee(live: LiveBody) -> tuple[TeeRaw, list[tuple[list[StreamEvent], str]]]:
    finished: list[tuple[list[StreamEvent], str]] = []
    ticks = iter(range(100))
    tee = TeeRaw(live, 0.0, lambda events, end: finished.append((events, end)), lambda: next(ticks))
    return tee, finished


def test_tee_passes_chunks_on_and_records_frames_with_their_arrival() -> None:
    frames = [e.frame for e in (_stream("a", "b").events or [])]
    live = LiveBody([frames[0] + frames[1][:5], frames[1][5:], frames[2]])
    tee, finished = _tee(live)
    assert b"".join(tee.stream()) == b"".join(frames)
    [(events, end)] = finished
    assert end == "complete"
    assert [e.frame for e in events] == frames
    assert [e.offset for e in events] == [0, 1, 2]  # a frame arrives with its last byte


def test_tee_records_the_whole_stream_before_handing_over_an_exception_frame() -> None:
    ok = _stream("a").events or []
    error = StreamEvent.exception("throttlingException", {"message": "slow down"})
    after = StreamEvent.event("contentBlockDelta", {"delta": {"text": "never read"}})
    live = LiveBody([ok[0].frame, error.frame + after.frame])
    tee, finished = _tee(live)
    chunks = tee.stream()
    assert next(chunks) == ok[0].frame
    assert finished == []
    assert next(chunks) == error.frame + after.frame
    [(events, end)] = finished  # finished before the caller saw the exception frame
    assert (len(events), end) == (3, "complete")


def test_tee_records_a_broken_connection_as_dropped_and_raises_it() -> None:
    frames = [e.frame for e in (_stream("a").events or [])]
    tee, finished = _tee(LiveBody(frames, error=ProtocolError("broken")))
    with pytest.raises(ProtocolError):
        list(tee.stream())
    [(events, end)] = finished
    assert (len(events), end) == (2, "dropped")


def test_closing_a_tee_drains_and_records_what_nobody_read() -> None:
    frames = [e.frame for e in (_stream("a", "b").events or [])]
    live = LiveBody(frames)
    tee, finished = _tee(live)
    tee.close()
    assert live.closed and live.sent == 3
    [(events, end)] = finished
    assert (len(events), end) == (3, "complete")
    tee.close()
    assert len(finished) == 1  # finished exactly once
