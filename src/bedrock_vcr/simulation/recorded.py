"""Reading a recorded answer back into an :class:`~bedrock_vcr.simulation.Answer`: its text
pieces, native stop reason, tool calls, token counts and timing, from a plain body or from every
chunk of a recorded stream, in each family's native format.

The inverse of the encoders: :mod:`.mutate` re-encodes what is read here to derive variants of a
real recording.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..cassettes.records import Interaction, RecordedResponse, StreamEvent
from ..errors import ConfigError
from .answer import Answer
from .render import ToolCall
from .selection import family_of


@dataclass
class _Decoded:
    pieces: list[str]
    stop: str | None
    tool_calls: list[ToolCall]
    stop_sequence: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None


def _tool(name: Any, arguments: Any, ident: Any = None) -> ToolCall:
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments else {}
        except ValueError:
            arguments = {"_raw": arguments}
    return ToolCall(str(name), dict(arguments or {}), str(ident) if ident else None)


def _converse_blocks(content: Iterable[Mapping[str, Any]]) -> tuple[str, list[ToolCall]]:
    text, tools = [], []
    for block in content:
        if "text" in block:
            text.append(str(block["text"]))
        if "toolUse" in block:
            use = block["toolUse"]
            tools.append(_tool(use.get("name"), use.get("input"), use.get("toolUseId")))
    return "".join(text), tools


def _openai_tools(calls: Iterable[Mapping[str, Any]] | None) -> list[ToolCall]:
    out = []
    for call in calls or []:
        function = call.get("function", {})
        out.append(_tool(function.get("name"), function.get("arguments"), call.get("id")))
    return out


def _decode_body(family: str, operation: str, b: Mapping[str, Any]) -> _Decoded:
    """The answer in a plain body; here the formats that carry token counts, the rest in
    :func:`_decode_uncounted`."""
    if family in ("bedrock.converse", "amazon.nova"):
        text, tools = _converse_blocks(b.get("output", {}).get("message", {}).get("content", []))
        usage = b.get("usage", {})
        return _Decoded(
            [text], b.get("stopReason"), tools, None, usage.get("inputTokens"),
            usage.get("outputTokens"),
        )  # fmt: skip
    if family == "meta.llama":
        return _Decoded(
            [b.get("generation", "")], b.get("stop_reason"), [], None,
            b.get("prompt_token_count"), b.get("generation_token_count"),
        )  # fmt: skip
    if family == "amazon.titan-text":
        result = b["results"][0]
        return _Decoded(
            [result.get("outputText", "")], result.get("completionReason"), [], None,
            b.get("inputTextTokenCount"), result.get("tokenCount"),
        )  # fmt: skip
    if family in ("ai21.jamba", "mistral.chat"):
        choice = b["choices"][0]
        message = choice.get("message", {})
        usage = b.get("usage") or {}
        return _Decoded(
            [message.get("content") or ""],
            choice.get("finish_reason") or choice.get("stop_reason"),
            _openai_tools(message.get("tool_calls")),
            None,
            usage.get("prompt_tokens"),
            usage.get("completion_tokens"),
        )
    if family == "anthropic.claude-messages":
        text = "".join(c.get("text", "") for c in b.get("content", []) if c.get("type") == "text")
        tools = [
            _tool(c.get("name"), c.get("input"), c.get("id"))
            for c in b.get("content", [])
            if c.get("type") == "tool_use"
        ]
        usage = b.get("usage", {})
        return _Decoded(
            [text], b.get("stop_reason"), tools, b.get("stop_sequence"),
            usage.get("input_tokens"), usage.get("output_tokens"),
        )  # fmt: skip
    return _decode_uncounted(family, b)


def _decode_uncounted(family: str, b: Mapping[str, Any]) -> _Decoded:
    """Formats whose body carries no token counts (InvokeModel headers may have them)."""
    if family == "ai21.j2":
        completion = b["completions"][0]
        reason = completion.get("finishReason", {})
        return _Decoded(
            [completion["data"]["text"]], reason.get("reason"), [], reason.get("sequence")
        )
    if family == "anthropic.claude-text":
        return _Decoded([b.get("completion", "")], b.get("stop_reason"), [], b.get("stop"))
    if family == "cohere.command":
        generation = b["generations"][0]
        return _Decoded([generation.get("text", "")], generation.get("finish_reason"), [])
    if family == "cohere.command-r":
        tools = [_tool(c.get("name"), c.get("parameters")) for c in b.get("tool_calls") or []]
        return _Decoded([b.get("text", "")], b.get("finish_reason"), tools)
    if family == "mistral.text":
        output = b["outputs"][0]
        return _Decoded([output.get("text", "")], output.get("stop_reason"), [])
    raise ConfigError(f"bedrock-vcr cannot read answers of the {family} family")


class _StreamReader:
    """Accumulates the text pieces, stop reason and tool calls of a recorded stream."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.stop: str | None = None
        self.stop_sequence: str | None = None
        self.tools: dict[Any, dict[str, Any]] = {}
        self.usage: tuple[int | None, int | None] = (None, None)

    def tool(self, key: Any, name: Any = None, ident: Any = None, args: str = "") -> None:
        entry = self.tools.setdefault(key, {"name": None, "id": None, "args": ""})
        if name:
            entry["name"] = name
        if ident:
            entry["id"] = ident
        entry["args"] += args

    def text(self, piece: Any) -> None:
        if isinstance(piece, str) and piece:
            self.pieces.append(piece)

    def tool_calls(self) -> list[ToolCall]:
        return [_tool(t["name"], t["args"], t["id"]) for t in self.tools.values() if t["name"]]


def _read_converse_event(reader: _StreamReader, event: Mapping[str, Any]) -> None:
    if "contentBlockStart" in event:
        start = event["contentBlockStart"]
        use = start.get("start", {}).get("toolUse")
        if use:
            reader.tool(start.get("contentBlockIndex"), use.get("name"), use.get("toolUseId"))
    if "contentBlockDelta" in event:
        delta_event = event["contentBlockDelta"]
        delta = delta_event.get("delta", {})
        reader.text(delta.get("text"))
        if "toolUse" in delta:
            reader.tool(
                delta_event.get("contentBlockIndex"), args=delta["toolUse"].get("input", "")
            )
    if "messageStop" in event:
        reader.stop = event["messageStop"].get("stopReason")
    if "metadata" in event:
        usage = event["metadata"].get("usage", {})
        reader.usage = (usage.get("inputTokens"), usage.get("outputTokens"))


def _read_chunk(family: str, reader: _StreamReader, c: Mapping[str, Any]) -> None:
    if family == "amazon.nova":
        _read_converse_event(reader, c)
    elif family == "meta.llama":
        reader.text(c.get("generation"))
        reader.stop = c.get("stop_reason") or reader.stop
    elif family == "amazon.titan-text":
        reader.text(c.get("outputText"))
        reader.stop = c.get("completionReason") or reader.stop
    elif family in ("ai21.jamba", "mistral.chat"):
        for choice in c.get("choices") or []:
            delta = choice.get("delta") or choice.get("message") or {}
            reader.text(delta.get("content"))
            for n, call in enumerate(delta.get("tool_calls") or []):
                function = call.get("function", {})
                reader.tool(
                    call.get("index", n), function.get("name"), call.get("id"),
                    function.get("arguments") or "",
                )  # fmt: skip
            reader.stop = choice.get("finish_reason") or choice.get("stop_reason") or reader.stop
    elif family == "anthropic.claude-messages":
        kind = c.get("type")
        if kind == "content_block_start" and c.get("content_block", {}).get("type") == "tool_use":
            block = c["content_block"]
            reader.tool(c.get("index"), block.get("name"), block.get("id"))
        elif kind == "content_block_delta":
            delta = c.get("delta", {})
            reader.text(delta.get("text"))
            if delta.get("type") == "input_json_delta":
                reader.tool(c.get("index"), args=delta.get("partial_json", ""))
        elif kind == "message_delta":
            reader.stop = c.get("delta", {}).get("stop_reason")
            reader.stop_sequence = c.get("delta", {}).get("stop_sequence")
    elif family == "anthropic.claude-text":
        reader.text(c.get("completion"))
        if c.get("stop_reason"):
            reader.stop, reader.stop_sequence = c["stop_reason"], c.get("stop")
    elif family == "cohere.command":
        if not c.get("is_finished"):
            reader.text(c.get("text"))
        reader.stop = c.get("finish_reason") or reader.stop
    elif family == "cohere.command-r":
        if c.get("event_type") == "text-generation":
            reader.text(c.get("text"))
        for n, call in enumerate(c.get("tool_calls") or []):
            if c.get("event_type") == "tool-calls-generation":
                reader.tool(n, call.get("name"), args=json.dumps(call.get("parameters", {})))
        reader.stop = c.get("finish_reason") or reader.stop
    elif family == "mistral.text":
        for output in c.get("outputs") or []:
            reader.text(output.get("text"))
            reader.stop = output.get("stop_reason") or reader.stop
    else:
        raise ConfigError(f"bedrock-vcr cannot read streams of the {family} family")
    metrics = c.get("amazon-bedrock-invocationMetrics")
    if isinstance(metrics, Mapping):
        reader.usage = (metrics.get("inputTokenCount"), metrics.get("outputTokenCount"))


def _chunk_json(event: StreamEvent) -> Any:
    payload = json.loads(event.message.payload)
    return json.loads(base64.b64decode(payload["bytes"]))


def _timing(events: Sequence[StreamEvent], pieces: int) -> tuple[float, float]:
    if not events:
        return 0.0, 0.0
    first = events[0].offset
    gap = (events[-1].offset - first) / (pieces - 1) if pieces > 1 else 0.0
    return max(0.0, first), max(0.0, gap)


def _header_int(response: RecordedResponse, name: str) -> int | None:
    value = response.header(name)
    return int(value) if value is not None and value.isdigit() else None


def recorded_answer(
    interaction: Interaction, *, overrides: Mapping[str, str] | None = None
) -> Answer:
    """The recorded answer as an :class:`~bedrock_vcr.simulation.Answer` (pieces, native stop
    reason, tool calls, recorded token counts and timing)."""
    request, response = interaction.request, recorded_response(interaction)
    if response.status >= 300:
        raise ConfigError(
            f"interaction holds an HTTP {response.status} error, not an answer to vary"
        )
    family = family_of(request, overrides=overrides)
    operation = request.operation
    if response.events is not None:
        if response.stream_end != "complete" or any(
            e.message_type != "event" for e in response.events
        ):
            raise ConfigError("the recorded stream did not complete; vary a complete recording")
        reader = _StreamReader()
        for event in response.events:
            if operation == "ConverseStream":
                event_type = event.event_type or ""
                _read_converse_event(reader, {event_type: json.loads(event.message.payload)})
            else:
                _read_chunk(family, reader, _chunk_json(event))
        decoded = _Decoded(
            reader.pieces, reader.stop, reader.tool_calls(), reader.stop_sequence, *reader.usage
        )
        first, gap = _timing(response.events, max(1, len(decoded.pieces)))
    else:
        decoded = _decode_body(family, operation, json.loads(response.body))
        first, gap = response.latency, 0.0
        if operation == "InvokeModel":
            decoded.input_tokens = _header_int(response, "x-amzn-bedrock-input-token-count") or (
                decoded.input_tokens
            )
            decoded.output_tokens = _header_int(response, "x-amzn-bedrock-output-token-count") or (
                decoded.output_tokens
            )
    if decoded.stop is None:
        raise ConfigError("the recorded answer carries no stop reason")
    pieces = [p for p in decoded.pieces if p] or [""]
    return Answer(
        text=pieces,
        stop_reason=decoded.stop,
        input_tokens=decoded.input_tokens,
        output_tokens=decoded.output_tokens,
        first_chunk_delay=first,
        chunk_delay=gap,
        tool_calls=decoded.tool_calls,
        stop_sequence=decoded.stop_sequence,
    )


def recorded_response(interaction: Interaction) -> RecordedResponse:
    """The interaction's response; refused when its recording did not finish."""
    if interaction.response is None:
        raise ConfigError("the interaction has no response (its recording did not finish)")
    return interaction.response
