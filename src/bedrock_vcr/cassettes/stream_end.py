"""Whether a recorded stream ran to its end.

Each streaming operation ends its stream a known way, and a stream that stops short of it lost
its final events (a recording cut short, a careless edit). Replaying it would hand the code
under test an answer Bedrock never sends: no stop reason, no usage.

- ``ConverseStream`` ends with ``messageStop`` and then ``metadata`` (usage and metrics).
- ``InvokeModelWithResponseStream``: Bedrock adds ``amazon-bedrock-invocationMetrics`` to the
  final chunk of every model family (the chunk that holds the family's stop reason; see
  :data:`FINAL_CHUNKS` and the ``invocationMetrics`` definition of the chunk schemas). A final
  chunk without the metrics (a hand-written stream) still counts when it shows the family's own
  end: a stop reason set, Claude's ``message_stop``, Nova's ``metadata``. A stream whose input
  a guardrail blocked is one chunk with ``amazon-bedrock-guardrailAction: INTERVENED`` and no
  metrics.
- A stream that ends in an exception frame (a recorded mid-stream error) is complete, and so is
  one recorded as ``stream_end: dropped``: it says itself how it ended.
- Streams of models whose family is unknown (custom, imported) are not judged, as they are not
  validated; neither are error answers.

The rules hold for every real recording in ``../shared/real-cassettes`` and every bundled one.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..bedrock.models import UNKNOWN, resolve_model
from . import stream_text
from .records import Interaction, StreamEvent

METRICS_KEY = "amazon-bedrock-invocationMetrics"
GUARDRAIL_ACTION_KEY = "amazon-bedrock-guardrailAction"

#: What the final chunk of an InvokeModelWithResponseStream answer holds, per model family.
FINAL_CHUNKS: dict[str, str] = {
    "meta.llama": f"stop_reason and {METRICS_KEY}",
    "amazon.titan-text": f"completionReason and {METRICS_KEY}",
    "amazon.nova": f"messageStop, then metadata with {METRICS_KEY}",
    "anthropic.claude-messages": f"message_stop with {METRICS_KEY}",
    "anthropic.claude-text": f"stop_reason (or message_stop) with {METRICS_KEY}",
    "cohere.command": f"is_finished and {METRICS_KEY}",
    "cohere.command-r": f"is_finished and {METRICS_KEY}",
    "mistral.text": f"outputs[].stop_reason and {METRICS_KEY}",
    "mistral.chat": f"choices[].stop_reason and {METRICS_KEY}",
    "ai21.jamba": f"choices[].finish_reason and {METRICS_KEY}",
}
CONVERSE_END = ("messageStop", "metadata")


@dataclass(frozen=True)
class CutShort:
    """A stream of interaction ``interaction`` that ends without ``missing``."""

    interaction: int
    operation: str
    model_id: str
    missing: str

    @property
    def problem(self) -> str:
        return (
            f"{self.operation} stream ends without {self.missing}: the recording was cut short; "
            "re-record it"
        )

    def __str__(self) -> str:
        return f"interaction {self.interaction} ({self.operation} {self.model_id}): {self.problem}"


def missing_end(interaction: Interaction, overrides: Mapping[str, str] | None = None) -> str | None:
    """What the stream of ``interaction`` lacks at its end, or ``None`` when nothing is missing
    (or it is not a stream these rules judge)."""
    request, response = interaction.request, interaction.response
    if response is None or not response.is_stream or response.status >= 300:
        return None
    if response.stream_end != "complete":
        return None  # a dropped connection, recorded as one
    # a stream of lines not yet built: its last line and (ConverseStream) its lines' event
    # types are all this reads
    lines = response.lines
    if lines is not None:
        last_line = stream_text.last_line(lines)
        if last_line.split(" ", 2)[1:2] == [stream_text.EXCEPTION_WORD]:
            return None  # a mid-stream error ends the stream
        if request.operation == "ConverseStream":
            return _converse_missing_lines(lines, last_line)
    events = None if lines is not None else (response.events or [])
    last = events[-1] if events else None
    if last is not None and last.message_type != "event":
        return None
    if request.operation == "ConverseStream":
        return _converse_missing([event.event_type for event in events or ()])
    if request.operation != "InvokeModelWithResponseStream":
        return None
    try:
        family = resolve_model(request.model_id, overrides).family
    except ValueError:  # an override naming no family: reported where overrides are checked
        return None
    if family == UNKNOWN:
        return None
    if lines is not None:
        chunk = _line_chunk_json(last_line)
    else:
        chunk = _chunk_json(last) if last is not None else None
    if isinstance(chunk, dict) and (
        METRICS_KEY in chunk
        or chunk.get(GUARDRAIL_ACTION_KEY) == "INTERVENED"
        or _FINAL.get(family, _never)(chunk)
    ):
        return None
    return f"its final chunk ({family}: {FINAL_CHUNKS.get(family, METRICS_KEY)})"


def _never(chunk: dict[str, Any]) -> bool:
    return False


def _first(chunk: dict[str, Any], key: str) -> dict[str, Any]:
    """The first item of the list ``chunk[key]`` when it is a mapping, else ``{}``."""
    items = chunk.get(key)
    first = items[0] if isinstance(items, list) and items else None
    return first if isinstance(first, dict) else {}


#: The family's own sign of its final chunk, for streams recorded without Bedrock's metrics
#: (hand-written or simulated ones): a stop reason set, or the family's closing event.
_FINAL: dict[str, Callable[[dict[str, Any]], bool]] = {
    "meta.llama": lambda c: c.get("stop_reason") is not None,
    "amazon.titan-text": lambda c: c.get("completionReason") is not None,
    "amazon.nova": lambda c: "metadata" in c,
    "anthropic.claude-messages": lambda c: c.get("type") == "message_stop",
    "anthropic.claude-text": lambda c: (
        c.get("type") == "message_stop" or ("type" not in c and c.get("stop_reason") is not None)
    ),
    "cohere.command": lambda c: c.get("is_finished") is True,
    "cohere.command-r": lambda c: c.get("is_finished") is True,
    "mistral.text": lambda c: _first(c, "outputs").get("stop_reason") is not None,
    "mistral.chat": lambda c: _first(c, "choices").get("stop_reason") is not None,
    "ai21.jamba": lambda c: _first(c, "choices").get("finish_reason") is not None,
}


#: A stream line's event type, or an exception line's exception type (see ``stream_text``).
_LINE_TYPE = re.compile(r"^[^ \n]* (?:exception )?([^ \n]*)", re.MULTILINE)


#: A line (exception lines too, as :data:`_LINE_TYPE` reads them) of type ``messageStop``.
_STOP_LINE = re.compile(r"^[^ \n]* (?:exception )?messageStop(?![^ \n])", re.MULTILINE)


def _converse_missing_lines(lines: str, last_line: str) -> str | None:
    """:func:`_converse_missing` of checked lines, whose last is ``last_line``: the event
    types it reads are the last line's, and whether any line is ``messageStop`` (most often
    the line before the last; the lines are searched only when it is not)."""
    last = _LINE_TYPE.findall(last_line)
    before = lines[: len(lines.rstrip("\n")) - len(last_line)].rstrip("\n")
    stop = _LINE_TYPE.findall(stream_text.last_line(before)) == ["messageStop"] or bool(
        _STOP_LINE.search(lines)
    )
    return _converse_missing((["messageStop"] if stop else []) + last)


def _converse_missing(types: Sequence[str | None]) -> str | None:
    if types[-1:] == ["metadata"] and "messageStop" in types:
        return None
    if "messageStop" in types:
        return "metadata"
    if types[-1:] == ["metadata"]:
        return "messageStop"
    return "/".join(CONVERSE_END)


def _chunk_json(event: StreamEvent) -> Any:
    """The decoded JSON of a ``chunk`` event's base64 ``bytes``, or ``None``."""
    if event.event_type != "chunk":
        return None
    try:
        payload = json.loads(event.message.payload)
        data = payload.get("bytes") if isinstance(payload, dict) else None
        return json.loads(base64.b64decode(data, validate=True)) if isinstance(data, str) else None
    except (ValueError, binascii.Error, RecursionError):
        return None


def _line_chunk_json(line: str) -> Any:
    """:func:`_chunk_json` of a checked line's event, read from the line: its decoded chunk
    is the line's ``bytes`` member as written (an object or an array). A line of another form
    (the member base64 text, more members after it) has its event built and read."""
    _, key, payload = line.split(" ", 2)
    if key != "chunk":
        return None
    end = stream_text.payload_end(payload)
    if end and end == len(payload) - 1:  # {"bytes":<chunk>}
        try:
            return json.loads(payload[len(stream_text.CHUNK_PREFIX) : end])
        except (ValueError, RecursionError):
            return None
    last = stream_text.last_event(line)
    return _chunk_json(last) if last is not None else None


def cut_short(
    interactions: Iterable[Interaction], overrides: Mapping[str, str] | None = None
) -> list[CutShort]:
    """Every stream of ``interactions`` that ends without its final events."""
    found = []
    for index, interaction in enumerate(interactions):
        missing = missing_end(interaction, overrides)
        if missing is not None:
            request = interaction.request
            found.append(CutShort(index, request.operation, request.model_id, missing))
    return found


def warning_text(found: list[CutShort], path: Path | str | None) -> str:
    """The text of the one warning a cassette with cut-short streams gets when it loads."""
    count = len(found)
    head = (
        f"bedrock-vcr: {count} stream{'s' if count != 1 else ''} in "
        f"{path if path is not None else 'the cassette'} "
        f"{'do' if count != 1 else 'does'} not end the way Bedrock ends them; replaying "
        f"{'them' if count != 1 else 'it'} gives an answer Bedrock never sends:"
    )
    lines = [head, *(f"  {item}" for item in found)]
    lines.append(
        "  fix: re-record the cassette (--bedrock-record-mode=rewrite); `bedrock-vcr validate` "
        "lists these streams"
    )
    return "\n".join(lines)
