"""How an outgoing request finds its recorded answer.

By default a request matches a recorded one with the same operation, model id and canonical JSON
body (key order and whitespace ignored; idempotency tokens botocore draws anew on every call are
left out). The fields compared are configurable, body keys can be
ignored, and a custom predicate can refine the match. Lookup goes through a hash of the compared
fields, so it costs the same whatever the cassette's size.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .._memo import BytesMemo
from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..bedrock.operations import VOLATILE_BODY_KEYS
from ..errors import ConfigError
from .records import RecordedRequest
from .textdiff import describe, short

Matcher = Callable[[RecordedRequest, RecordedRequest], bool]

FIELDS = ("operation", "model_id", "body", "headers")
# vcrpy's match_on names: the URI's parts are the operation and the model id here
_VCRPY_FIELDS = {
    "method": "operation",
    "uri": "operation and model_id",
    "path": "operation and model_id",
    "host": "nothing (every request goes to Bedrock Runtime)",
    "scheme": "nothing (every request goes to Bedrock Runtime)",
    "port": "nothing (every request goes to Bedrock Runtime)",
    "query": "nothing (Bedrock Runtime requests have none)",
    "raw_body": "body (compared as canonical JSON, or as bytes when not JSON)",
}
DEFAULT_MATCH_ON = ("operation", "model_id", "body")
#: Canonical bodies by ``(body bytes, operation, ignored keys)`` (see :meth:`MatchConfig.body_key`).
_BODY_KEYS: BytesMemo[bytes | str] = BytesMemo()


@dataclass(frozen=True)
class MatchConfig:
    """What makes two requests the same.

    ``ignore_body_keys``: a plain name (``"temperature"``) ignores that key at any depth; a dotted
    path (``"textGenerationConfig.temperature"``) ignores it only there.
    ``matcher``: an extra predicate ``(recorded, incoming) -> bool`` applied after the hash lookup.
    ``full_diffs``: explain a miss with whole values (the plugin sets it under ``pytest -vv``).
    """

    match_on: tuple[str, ...] = DEFAULT_MATCH_ON
    ignore_body_keys: tuple[str, ...] = ()
    matcher: Matcher | None = None
    full_diffs: bool = False

    def __post_init__(self) -> None:
        unknown = [f for f in self.match_on if f not in FIELDS]
        if unknown:
            hints = [
                f"{f!r} is vcrpy's: use {_VCRPY_FIELDS[f]}" for f in unknown if f in _VCRPY_FIELDS
            ]
            raise ConfigError(
                f"unknown match_on field(s) {unknown}; valid fields: {', '.join(FIELDS)}"
                + (f" ({'; '.join(hints)})" if hints else "")
            )

    @classmethod
    def build(
        cls,
        match_on: Iterable[str] | None = None,
        ignore_body_keys: Iterable[str] | None = None,
        matcher: Matcher | None = None,
    ) -> MatchConfig:
        return cls(
            match_on=tuple(match_on) if match_on is not None else DEFAULT_MATCH_ON,
            ignore_body_keys=tuple(ignore_body_keys or ()),
            matcher=matcher,
        )

    # --- keys ------------------------------------------------------------------------------

    def body_for_matching(self, request: RecordedRequest) -> Any:
        data = request.json
        if data is None and not request.is_json:
            return request.body
        return self._compared(data, request.operation)

    def _compared(self, data: Any, operation: str) -> Any:
        volatile = VOLATILE_BODY_KEYS.get(operation)
        if volatile and isinstance(data, dict):
            data = {key: value for key, value in data.items() if key not in volatile}
        if self.ignore_body_keys:
            data = _strip(data, self.ignore_body_keys, ())
        return data

    def body_key(self, request: RecordedRequest) -> bytes | str:
        """The body as matching compares it: canonical JSON text, or the bytes when not JSON.

        Remembered by the body's bytes (with the operation and the ignored keys): a request
        sent again is not parsed and canonicalised again."""
        memo_key = (request.body, request.operation, self.ignore_body_keys)
        found = _BODY_KEYS.get(memo_key)
        if found is None:
            # parsed with whole floats as ints (what canonical_json makes of them), without a
            # second walk over the value
            try:
                data = _parsed(request.body) if request.body else _NO_JSON
            except (ValueError, UnicodeDecodeError, RecursionError):  # nested too deep: bytes
                data = _NO_JSON
            if data is _NO_JSON:
                found = request.body
            else:
                found = _canonical_text(self._compared(data, request.operation))
            _BODY_KEYS.put(memo_key, request.body, found)
        return found

    def key(self, request: RecordedRequest) -> tuple[Any, ...]:
        parts: list[Any] = []
        for name in self.match_on:
            if name == "operation":
                parts.append(request.operation)
            elif name == "model_id":
                parts.append(request.model_id)
            elif name == "body":
                parts.append(self.body_key(request))
            elif name == "headers":
                parts.append(tuple(sorted(request.headers.items())))
        return tuple(parts)

    # --- explaining a miss -----------------------------------------------------------------

    def differences(self, recorded: RecordedRequest, incoming: RecordedRequest) -> list[str]:
        """Why ``recorded`` does not match ``incoming``, one line per difference."""
        out: list[str] = []
        if "operation" in self.match_on and recorded.operation != incoming.operation:
            out.append(f"operation: recorded {recorded.operation}, request {incoming.operation}")
        if "model_id" in self.match_on and recorded.model_id != incoming.model_id:
            out.append(f"model_id: recorded {recorded.model_id!r}, request {incoming.model_id!r}")
        if "headers" in self.match_on and recorded.headers != incoming.headers:
            for name in sorted(set(recorded.headers) | set(incoming.headers)):
                a, b = recorded.headers.get(name), incoming.headers.get(name)
                if a != b:
                    out.append(f"header {name}: recorded {a!r}, request {b!r}")
        if "body" in self.match_on:
            a, b = self.body_for_matching(recorded), self.body_for_matching(incoming)
            if isinstance(a, bytes) or isinstance(b, bytes):
                if a != b:
                    out.append("body: differs (not JSON, compared as bytes)")
            else:
                out.extend(json_differences(a, b, "#", full=self.full_diffs))
        return out


def remember_body_key(request: RecordedRequest, key: bytes | str) -> None:
    """Remember ``key`` as the body key of ``request`` with no ignored keys (one a cache entry
    kept: the recorded request's body is then never parsed to be matched)."""
    _BODY_KEYS.put((request.body, request.operation, ()), request.body, key)


def canonical_json(data: Any) -> str:
    """One text per JSON value: keys sorted, no whitespace, ``1.0`` written as ``1``."""
    return _canonical_text(_integral(data))


def _canonical_text(data: Any) -> str:
    return _ENCODER.encode(data)


_NO_JSON = object()


def _number(text: str) -> int | float:
    """A JSON number with a fraction or an exponent, as :func:`_integral` leaves it."""
    value = float(text)
    return int(value) if value.is_integer() else value


# made once: json.loads and json.dumps given options make a new coder on every call, which
# costs as much as coding a usual request body
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_DECODER = json.JSONDecoder(parse_float=_number)


def _parsed(body: bytes) -> Any:
    """``json.loads(body, parse_float=_number)``."""
    return _DECODER.decode(body.decode(json.detect_encoding(body), "surrogatepass"))


def _integral(data: Any) -> Any:
    """JSON has one number type: ``1`` and ``1.0`` are the same value (as for Bedrock)."""
    if isinstance(data, float):
        return int(data) if data.is_integer() else data
    if isinstance(data, dict):
        return {key: _integral(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_integral(item) for item in data]
    return data


def _strip(data: Any, ignored: tuple[str, ...], path: tuple[str, ...]) -> Any:
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            here = (*path, str(key))
            if key in ignored or ".".join(here) in ignored:
                continue
            out[key] = _strip(value, ignored, here)
        return out
    if isinstance(data, list):
        return [_strip(item, ignored, path) for item in data]
    return data


def json_differences(
    recorded: Any, incoming: Any, pointer: str, limit: int = 8, *, full: bool = False
) -> list[str]:
    """List the JSON-pointer locations where two documents differ (at most ``limit``)."""
    out: list[str] = []

    def walk(a: Any, b: Any, where: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in list(a) + [k for k in b if k not in a]:
                sub = f"{where}/{_pointer_token(key)}"
                if key not in b:
                    out.append(f"body {sub}: only in the recording ({short(a[key])})")
                elif key not in a:
                    out.append(f"body {sub}: only in the request ({short(b[key])})")
                else:
                    walk(a[key], b[key], sub)
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, f"{where}/{i}")
        elif a != b or type(a) is not type(b) and not _same_number(a, b):
            out.append(f"body {where}: {describe(a, b, full=full)}")

    walk(recorded, incoming, pointer)
    return out


def _pointer_token(key: Any) -> str:
    """Escape a key for a JSON pointer (RFC 6901: ``~`` as ``~0``, ``/`` as ``~1``)."""
    return str(key).replace("~", "~0").replace("/", "~1")


def _same_number(a: Any, b: Any) -> bool:
    return (
        isinstance(a, (int, float))
        and isinstance(b, (int, float))
        and not isinstance(a, bool)
        and not isinstance(b, bool)
        and a == b
    )
