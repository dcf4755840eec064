"""One route of a routes file and its outcomes: the keys, their checks, what they become.

Plain data in (what ``yaml.safe_load`` gives), checked objects out (:class:`RouteSpec`, holding
:class:`~bedrock_vcr.simulation.Answer`, :class:`~bedrock_vcr.simulation.faults.Fault`...), with
the place of a mistake named in every :class:`~bedrock_vcr.errors.ServeConfigError`. The file
format as a whole, and what serves the routes, is :mod:`~bedrock_vcr.server.routes_file`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..cassettes.records import RecordedRequest
from ..errors import BedrockVCRError, ServeConfigError, did_you_mean
from ..simulation import (
    Answer,
    Embedding,
    GuardrailResult,
    TokenCount,
    ToolCall,
    faults,
    prompt_text,
)

OUTCOME_KEYS = (
    "answer",
    "embedding",
    "token_count",
    "guardrail",
    "fault",
    "stream_error",
    "disconnect",
    "corrupt_frame",
)
ROUTE_KEYS = ("match", "times", "sequence", "cycle", "name", *OUTCOME_KEYS)
MATCH_KEYS = ("operation", "model", "prompt")
_ANSWER_KEYS = (
    "text",
    "stop_reason",
    "input_tokens",
    "output_tokens",
    "first_chunk_delay",
    "chunk_delay",
    "chunk_size",
    "tool_calls",
    "stop_sequence",
)
_FAULT_KEYS = ("code", "message", "status", "fields", "latency")
_STREAM_ERROR_KEYS = (
    "code",
    "after",
    "message",
    "original_status_code",
    "original_message",
    "answer",
)


def check_keys(keys: Mapping[str, Any], valid: Sequence[str], where: str) -> None:
    """Refuse the first key of ``keys`` not in ``valid``, suggesting the closest valid one."""
    for key in keys:
        if key not in valid:
            hint = did_you_mean(str(key), valid)
            raise ServeConfigError(
                f"unknown key {key!r}{hint}; valid keys: {', '.join(valid)}", where=where
            )


def as_mapping(value: Any, where: str, what: str) -> dict[str, Any]:
    """``value`` as a dict, or a :class:`ServeConfigError` saying ``what`` it should have been."""
    if not isinstance(value, Mapping):
        raise ServeConfigError(f"{what} must be a mapping, got {type(value).__name__}", where=where)
    return dict(value)


# --- outcomes -----------------------------------------------------------------------------------


def _answer(value: Any, where: str) -> Answer:
    if isinstance(value, str):
        return Answer(value)
    if isinstance(value, list):
        return Answer(value)
    spec = as_mapping(value, where, "answer")
    check_keys(spec, _ANSWER_KEYS, where)
    calls = spec.pop("tool_calls", None) or []
    tool_calls = []
    for i, call in enumerate(calls):
        call = as_mapping(call, f"{where}.tool_calls[{i}]", "a tool call")
        check_keys(call, ("name", "input", "id"), f"{where}.tool_calls[{i}]")
        tool_calls.append(ToolCall(**call))
    return Answer(**spec, tool_calls=tool_calls)


def _fault(value: Any, where: str) -> faults.Fault:
    if isinstance(value, str):
        return faults.Fault(value)
    spec = as_mapping(value, where, "fault")
    check_keys(spec, _FAULT_KEYS, where)
    return faults.Fault(**spec)


def _with_answer(spec: dict[str, Any], where: str) -> dict[str, Any]:
    if "answer" in spec:
        spec["answer"] = _answer(spec["answer"], f"{where}.answer")
    return spec


def _stream_error(value: Any, where: str) -> faults.StreamError:
    if isinstance(value, str):
        return faults.StreamError(value)
    spec = as_mapping(value, where, "stream_error")
    check_keys(spec, _STREAM_ERROR_KEYS, where)
    return faults.StreamError(**_with_answer(spec, where))


def _disconnect(value: Any, where: str) -> faults.Disconnect:
    spec = {"after": value} if isinstance(value, int) else as_mapping(value, where, "disconnect")
    check_keys(spec, ("after", "answer"), where)
    return faults.Disconnect(**_with_answer(spec, where))


def _corrupt(value: Any, where: str) -> faults.CorruptFrame:
    spec = {"at": value} if isinstance(value, int) else as_mapping(value, where, "corrupt_frame")
    check_keys(spec, ("at", "answer"), where)
    return faults.CorruptFrame(**_with_answer(spec, where))


def _embedding(value: Any, where: str) -> Embedding:
    spec = as_mapping(value or {}, where, "embedding")
    check_keys(spec, ("vector", "input_tokens", "latency"), where)
    return Embedding(**spec)


def _token_count(value: Any, where: str) -> TokenCount:
    if value is None or isinstance(value, int):
        return TokenCount(value)
    spec = as_mapping(value, where, "token_count")
    check_keys(spec, ("input_tokens", "latency"), where)
    return TokenCount(**spec)


def _guardrail(value: Any, where: str) -> GuardrailResult:
    if isinstance(value, str):
        if value not in ("NONE", "GUARDRAIL_INTERVENED"):
            raise ServeConfigError(
                f"guardrail is NONE or GUARDRAIL_INTERVENED (or a mapping), got {value!r}",
                where=where,
            )
        return GuardrailResult(intervened=value == "GUARDRAIL_INTERVENED")
    spec = as_mapping(value or {}, where, "guardrail")
    check_keys(spec, ("intervened", "output", "filter", "assessments", "reason", "latency"), where)
    return GuardrailResult(**spec)


_BUILDERS: dict[str, Callable[[Any, str], Any]] = {
    "answer": _answer,
    "embedding": _embedding,
    "token_count": _token_count,
    "guardrail": _guardrail,
    "fault": _fault,
    "stream_error": _stream_error,
    "disconnect": _disconnect,
    "corrupt_frame": _corrupt,
}


def outcome(spec: Mapping[str, Any], where: str) -> Any:
    """The outcome object one ``{kind: value}`` mapping describes."""
    kinds = [k for k in OUTCOME_KEYS if k in spec]
    if len(kinds) != 1:
        found = ", ".join(kinds) or "none"
        raise ServeConfigError(
            f"give exactly one outcome ({', '.join(OUTCOME_KEYS)}); found {found}", where=where
        )
    kind = kinds[0]
    try:
        return _BUILDERS[kind](spec[kind], f"{where}.{kind}")
    except ServeConfigError:
        raise
    except (BedrockVCRError, TypeError, ValueError) as exc:
        raise ServeConfigError(str(exc), where=f"{where}.{kind}") from None


# --- routes -------------------------------------------------------------------------------------


@dataclass
class RouteSpec:
    """One route of a config: what it matches and what it answers."""

    outcomes: list[Any]
    operation: str | None = None
    model: str | None = None
    prompt: str | None = None
    times: int | None = None
    cycle: bool = False
    name: str | None = None
    used: int = field(default=0, init=False)

    def next_outcome(self) -> Any:
        index = self.used
        self.used += 1
        if index >= len(self.outcomes):
            index = index % len(self.outcomes) if self.cycle else len(self.outcomes) - 1
        return self.outcomes[index]

    def wants(self, request: RecordedRequest) -> bool:
        if self.times is not None and self.used >= self.times:
            return False
        return self.prompt is None or self.prompt in prompt_text(request.json)


def route_spec(data: Any, where: str) -> RouteSpec:
    data = as_mapping(data, where, "a route")
    check_keys(data, ROUTE_KEYS, where)
    match = as_mapping(data.get("match") or {}, f"{where}.match", "match")
    check_keys(match, MATCH_KEYS, f"{where}.match")
    if "sequence" in data:
        if any(k in data for k in OUTCOME_KEYS):
            raise ServeConfigError(
                "a route has either one outcome or a sequence, not both", where=where
            )
        items = data["sequence"]
        if not isinstance(items, list) or not items:
            raise ServeConfigError("sequence must be a non-empty list of outcomes", where=where)
        outcomes = [
            outcome(
                as_mapping(item, f"{where}.sequence[{i}]", "an outcome"), f"{where}.sequence[{i}]"
            )
            for i, item in enumerate(items)
        ]
    elif any(k in data for k in OUTCOME_KEYS):
        outcomes = [outcome(data, where)]
    else:
        outcomes = [None]  # the mock's default answer for the model's family
    times = data.get("times")
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
        raise ServeConfigError(f"times must be an integer >= 1, got {times!r}", where=where)
    prompt = match.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        raise ServeConfigError("match.prompt must be a string", where=where)
    return RouteSpec(
        outcomes=outcomes,
        operation=match.get("operation"),
        model=match.get("model"),
        prompt=prompt,
        times=times,
        cycle=bool(data.get("cycle", False)),
        name=data.get("name"),
    )


__all__ = [
    "MATCH_KEYS",
    "OUTCOME_KEYS",
    "ROUTE_KEYS",
    "RouteSpec",
    "as_mapping",
    "check_keys",
    "outcome",
    "route_spec",
]
