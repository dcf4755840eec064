"""Which values a re-recording may differ in and still count as the same answer, and how the
interactions a save replaces are paired with new recordings (``bedrock_vcr.cassettes.stable``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from bedrock_vcr.cassettes import stable
from bedrock_vcr.cassettes.records import (
    Interaction,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)

from .samples import MODEL


def converse(
    text: str = "Hello", latency_ms: int = 120, trace: Any = None, **headers: str
) -> Interaction:
    body: dict[str, Any] = {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 3, "outputTokens": 1, "totalTokens": 4},
        "metrics": {"latencyMs": latency_ms},
        "trace": trace or {"guardrailProcessingLatency": 3},
    }
    data = json.dumps(body).encode()
    response = RecordedResponse(
        200,
        {
            "date": "Tue, 01 Dec 2026 10:00:00 GMT",
            "content-type": "application/json",
            "x-amzn-requestid": "11111111-2222",
            "content-length": str(len(data)),
            **headers,
        },
        body=data,
        latency=0.25,
    )
    request = RecordedRequest("Converse", MODEL, b'{"messages":[]}')
    return Interaction(request, response, recorded_at="2026-12-01T10:00:00+00:00")


def stream(padding: str = "abcd", first_byte: int = 40, offset: float = 0.05) -> Interaction:
    events = [
        StreamEvent.event("contentBlockDelta", {"delta": {"text": "Hi"}, "p": padding}, offset),
        StreamEvent.chunk(
            {
                "generation": "",
                "stop_reason": "stop",
                "amazon-bedrock-invocationMetrics": {
                    "outputTokenCount": 1,
                    "invocationLatency": 250,
                    "firstByteLatency": first_byte,
                },
            },
            offset * 2,
        ),
    ]
    response = RecordedResponse(200, {"x-amzn-requestid": "r-1"}, events=events, latency=0.01)
    return Interaction(RecordedRequest("ConverseStream", MODEL, b"{}"), response)


def _set(change: Callable[[Interaction], Any]) -> Callable[[Interaction], Interaction]:
    def apply(interaction: Interaction) -> Interaction:
        copy = interaction.copy()
        change(copy)
        return copy

    return apply


def _header(name: str, value: str | None) -> Callable[[Interaction], Interaction]:
    def change(i: Interaction) -> None:
        assert i.response is not None
        if value is None:
            i.response.headers.pop(name)
        else:
            i.response.headers[name] = value

    return _set(change)


VOLATILE = [
    ("date", _header("date", "Wed, 02 Dec 2026 11:11:11 GMT")),
    ("request-id", _header("x-amzn-requestid", "99999999-0000")),
    ("request-id-scrubbed", _header("x-amzn-requestid", None)),
    ("invocation-latency-header", _header("x-amzn-bedrock-invocation-latency", "99")),
    ("content-length", _header("content-length", "9999")),
    ("latency", _set(lambda i: setattr(i.response, "latency", 1.5))),
    ("recorded-at", _set(lambda i: setattr(i, "recorded_at", "2027-01-01T00:00:00+00:00"))),
    ("latency-ms", lambda i: converse(latency_ms=987)),
    ("guardrail-latency", lambda i: converse(trace={"guardrailProcessingLatency": 7})),
]
CHANGED = [
    ("text", lambda i: converse(text="Goodbye")),
    ("status", _set(lambda i: setattr(i.response, "status", 500))),
    ("token-header", _header("x-amzn-bedrock-output-token-count", "7")),
    ("request-body", _set(lambda i: setattr(i.request, "body", b'{"messages":[1]}'))),
    ("model", _set(lambda i: setattr(i.request, "model_id", "other.model-v1:0"))),
    ("id-in-answer", lambda i: converse(trace={"guardrailProcessingLatency": 3, "id": "x"})),
]


@pytest.mark.parametrize("change", [c for _, c in VOLATILE], ids=[n for n, _ in VOLATILE])
def test_volatile_values_leave_the_answer_the_same(
    change: Callable[[Interaction], Interaction],
) -> None:
    old = converse()
    new = change(old)
    assert stable.identity(new) != stable.identity(old)
    assert stable.answer_key(new) == stable.answer_key(old)


@pytest.mark.parametrize("change", [c for _, c in CHANGED], ids=[n for n, _ in CHANGED])
def test_any_other_difference_is_a_changed_answer(
    change: Callable[[Interaction], Interaction],
) -> None:
    assert stable.answer_key(change(converse())) != stable.answer_key(converse())


@pytest.mark.parametrize(
    "new",
    [stream(offset=0.07), stream(padding="abcdefghij"), stream(first_byte=55)],
    ids=["offsets", "padding", "first-byte-latency"],
)
def test_stream_timings_and_padding_leave_the_answer_the_same(new: Interaction) -> None:
    assert stable.identity(new) != stable.identity(stream())
    assert stable.answer_key(new) == stable.answer_key(stream())


def test_a_different_stream_event_is_a_changed_answer() -> None:
    changed = stream()
    assert changed.response is not None and changed.response.events is not None
    changed.response.events[0] = StreamEvent.event("contentBlockDelta", {"delta": {"text": "Ho"}})
    assert stable.answer_key(changed) != stable.answer_key(stream())


def test_settle_swaps_each_unchanged_recording_for_the_interaction_it_repeats_once() -> None:
    old_a, old_b = converse(), converse(text="B")
    new_a1 = _header("x-amzn-requestid", "new-1")(old_a)
    new_a2 = _header("x-amzn-requestid", "new-2")(old_a)
    new_c = converse(text="C")
    settled = stable.settle([new_a1, new_c, new_a2], [old_b, old_a])
    assert settled[0] is old_a
    assert settled[1] is new_c  # nothing to repeat: written as recorded
    assert settled[2] is new_a2  # old_a was used once already
    assert stable.settle([new_a1], []) == [new_a1]


def test_subtract_takes_out_one_equal_item_per_removed_one() -> None:
    a, b = converse(), converse(text="B")
    kept = stable.subtract([a, b, a.copy()], [a.copy()])
    assert [stable.identity(i) for i in kept] == [stable.identity(b), stable.identity(a)]
    assert stable.subtract([a, b], []) == [a, b]
