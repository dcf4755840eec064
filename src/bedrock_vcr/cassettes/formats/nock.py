"""nock recordings (Node.js) as a vcrpy document, so that :mod:`..vcrpy` reads them.

nock's recorder (``nock.recorder.rec({output_objects: true})``), as the OpenTelemetry JS contrib
keeps its AWS SDK for JavaScript v3 fixtures, writes a JSON array of::

    {"scope": "https://bedrock-runtime.us-east-1.amazonaws.com:443", "method": "POST",
     "path": "/model/<id>/invoke", "body": <request: parsed JSON or text>,
     "status": 200, "response": <parsed JSON, text, or hex digits>,
     "rawHeaders": ["Name", "value", ...], "responseIsBinary": false}

A binary response (an event stream) is its bytes as hex digits. nock keeps JSON bodies parsed,
not their bytes, so they are written back compact, as the AWS SDKs send and Bedrock answers.
Older nock versions write ``headers`` (a mapping) instead of ``rawHeaders``, and ``reqheaders``
when request headers were recorded; both are read.
"""

from __future__ import annotations

import json
from typing import Any

from ..._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ...errors import CassetteFormatError

FIX = (
    "the file looks like a nock recording but this entry is not one nock writes; record it "
    "again with nock.recorder.rec({output_objects: true}), or correct the entry named above"
)


def _fail(problem: str, json_path: str, index: int) -> CassetteFormatError:
    return CassetteFormatError(problem, interaction=index, json_path=json_path, fix=FIX)


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def _compact(value: Any, where: str, index: int) -> str:
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise _fail(f"the value cannot be written as JSON: {exc}", where, index) from None


def _body(value: Any, where: str, index: int) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return _compact(value, where, index)


def _headers(
    entry: dict[str, Any], raw_key: str | None, key: str, index: int
) -> dict[str, list[str]]:
    """``rawHeaders`` (a flat name, value, name, value list) or a ``headers`` mapping."""
    out: dict[str, list[str]] = {}
    raw = entry.get(raw_key) if raw_key else None
    if raw is not None:
        if not isinstance(raw, list) or len(raw) % 2 or not all(isinstance(v, str) for v in raw):
            raise _fail(
                f"{raw_key} must be a list of names and values (text, in pairs), found "
                f"{_kind(raw)} of {len(raw) if isinstance(raw, list) else 0} item(s)",
                f"#/{raw_key}",
                index,
            )
        for name, value in zip(raw[::2], raw[1::2], strict=True):
            out.setdefault(name, []).append(value)
        return out
    mapping = entry.get(key)
    if mapping is None:
        return out
    if not isinstance(mapping, dict):
        raise _fail(f"{key} must be a mapping, found {_kind(mapping)}", f"#/{key}", index)
    for name, value in mapping.items():
        values = value if isinstance(value, list) else [value]
        out[str(name)] = [v if isinstance(v, str) else str(v) for v in values]
    return out


def _response_body(entry: dict[str, Any], index: int) -> bytes | str:
    value = entry.get("response")
    if entry.get("responseIsBinary") is True:
        if not isinstance(value, str):
            raise _fail(
                f"a binary response is hex digits, found {_kind(value)}", "#/response", index
            )
        try:
            return bytes.fromhex(value)
        except ValueError as exc:
            raise _fail(f"a binary response is hex digits: {exc}", "#/response", index) from None
    return _body(value, "#/response", index)


def _item(entry: Any, index: int) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise _fail(f"a nock recording is a mapping, found {_kind(entry)}", "#", index)
    for key in ("scope", "path"):
        if not isinstance(entry.get(key), str):
            raise _fail(f"{key} is missing or not text", f"#/{key}", index)
    method = entry.get("method", "POST")
    if not isinstance(method, str):
        raise _fail(f"method must be text, found {_kind(method)}", "#/method", index)
    status = entry.get("status", 200)
    if not isinstance(status, int) or isinstance(status, bool):
        raise _fail(f"status must be an HTTP status code, found {status!r}", "#/status", index)
    return {
        "request": {
            "method": method,
            "uri": entry["scope"].rstrip("/") + entry["path"],
            "body": _body(entry.get("body"), "#/body", index),
            "headers": _headers(entry, None, "reqheaders", index),
        },
        "response": {
            "status": {"code": status},
            "headers": _headers(entry, "rawHeaders", "headers", index),
            "body": {"string": _response_body(entry, index)},
        },
    }


def to_vcrpy(value: list[Any]) -> dict[str, Any]:
    """The vcrpy document holding the recordings of nock array ``value``, in order."""
    return {"version": 1, "interactions": [_item(e, i) for i, e in enumerate(value)]}
