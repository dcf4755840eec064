"""Quiet re-recording: a new recording of an unchanged answer is written as the file had it.

Some values change on every recording although the answer does not: the ``date`` and
``x-amzn-requestid`` headers, timings (a response's ``latency``, each stream event's ``offset``,
the ``x-amzn-bedrock-invocation-latency`` header, and :data:`VOLATILE_ANSWER_KEYS` in answers),
the random padding ``p`` of stream events, ``content-length`` (it follows those numbers) and
``recorded_at``. When a save replaces interactions of the file (``rewrite``, or
``drop_unplayed``) with a recording whose request and answer equal one of them but for those
values, that interaction is written again unchanged: the file keeps its bytes, and replay keeps
exposing what the file said. Any other difference writes the new recording whole, its new values
included. ``exact_volatile=True`` turns this off.

Ids in an answer (Claude's ``msg_...``, ``toolUseId``) are not volatile: the code under test may
send them back in its next request, which must then match what the file answered.
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from .records import Interaction

#: Response headers whose value says nothing about the answer.
VOLATILE_HEADERS = frozenset(
    {"date", "x-amzn-requestid", "x-amzn-bedrock-invocation-latency", "content-length"}
)
#: Keys of answer JSON (bodies, stream chunks and payloads, at any depth) that hold timings.
VOLATILE_ANSWER_KEYS = frozenset(
    {"latencyMs", "invocationLatency", "firstByteLatency", "guardrailProcessingLatency"}
)
#: The padding Bedrock adds to each stream event's payload (a random run of letters).
PADDING_KEY = "p"


def _canonical(doc: Any) -> str:
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, default=repr)


def _doc(interaction: Interaction) -> dict[str, Any]:
    from .yaml_format import interaction_to_doc  # only when saving: replay needs no YAML

    return interaction_to_doc(interaction)


def identity(interaction: Interaction) -> str:
    """The interaction exactly as it would be written (two are equal when their text is)."""
    return _canonical(_doc(interaction))


def answer_key(interaction: Interaction) -> str:
    """The interaction without its volatile values: equal for two recordings of one answer."""
    doc = _doc(interaction)
    doc.pop("recorded_at", None)
    response = doc["response"]
    response.pop("latency", None)
    response["headers"] = {
        k: v for k, v in response["headers"].items() if k.lower() not in VOLATILE_HEADERS
    }
    if "body" in response:
        response["body"] = _steady_body(response["body"])
    for event in response.get("stream", ()):
        event.pop("offset", None)
        if "chunk" in event:
            event["chunk"] = _steady_body(event["chunk"])
        if "payload" in event:
            payload = _steady_body(event["payload"])
            if isinstance(payload.get("json"), dict):
                payload["json"].pop(PADDING_KEY, None)
            event["payload"] = payload
    return _canonical(doc)


def _steady_body(body: dict[str, Any]) -> dict[str, Any]:
    if "json" not in body:
        return body
    return {**body, "json": _without_timings(body["json"])}


def _without_timings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k not in VOLATILE_ANSWER_KEYS}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def subtract(items: Iterable[Interaction], removed: Iterable[Interaction]) -> list[Interaction]:
    """``items`` without ``removed``, compared as written: each removed interaction takes out
    one equal item (the first), so a repeated recording stays as often as it was not removed."""
    count: dict[str, int] = defaultdict(int)
    for interaction in removed:
        count[identity(interaction)] += 1
    if not count:
        return list(items)
    out = []
    for interaction in items:
        key = identity(interaction)
        if count[key]:
            count[key] -= 1
        else:
            out.append(interaction)
    return out


def settle(recorded: Sequence[Interaction], replaced: Sequence[Interaction]) -> list[Interaction]:
    """``recorded`` with each recording of an unchanged answer swapped for the replaced
    interaction it repeats (each replaced one used once, in file order)."""
    if not replaced:
        return list(recorded)
    pool: dict[str, deque[Interaction]] = defaultdict(deque)
    for old in replaced:
        pool[answer_key(old)].append(old)
    out = []
    for new in recorded:
        same = pool.get(answer_key(new))
        out.append(same.popleft() if same else new)
    return out
