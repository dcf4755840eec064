"""pydantic-ai's vcrpy cassettes: JSON bodies kept as a ``parsed_body`` mapping.

pydantic-ai's serializer (``json_body_serializer``, also ``pydantic_ai.testing``) replaces the
``body`` of each JSON request and response with ``parsed_body``, the body parsed, so that the
YAML reads as data. Here each ``parsed_body`` becomes a body again (compact JSON, as Bedrock
sends it and the AWS SDKs send requests), so :mod:`..vcrpy` reads the file as any other
vcrpy cassette; a body never silently becomes empty.
"""

from __future__ import annotations

import json
from typing import Any

from ..._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ...errors import CassetteFormatError


def _dumped(value: Any, where: str) -> str:
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise CassetteFormatError(
            f"parsed_body cannot be written as JSON: {exc}",
            json_path=where,
            fix="quote dates and other YAML-only values in parsed_body",
        ) from None


def _part(part: Any, kind: str) -> Any:
    if not isinstance(part, dict) or "parsed_body" not in part:
        return part
    out = {k: v for k, v in part.items() if k != "parsed_body"}
    body = _dumped(part["parsed_body"], f"#/{kind}/parsed_body")
    out["body"] = {"string": body} if kind == "response" else body
    return out


def to_vcrpy(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` with every ``parsed_body`` turned back into the body vcrpy writes."""
    items = []
    for index, item in enumerate(value.get("interactions") or []):
        if not isinstance(item, dict):
            items.append(item)
            continue
        try:
            items.append({kind: _part(part, kind) for kind, part in item.items()})
        except CassetteFormatError as exc:
            raise CassetteFormatError(
                exc.problem, interaction=index, json_path=exc.json_path, fix=exc.fix
            ) from None
    return {**value, "interactions": items}
