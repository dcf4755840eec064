"""The keys each part of a bedrock-vcr cassette may hold, and the error for any other.

A misspelled key would otherwise be dropped (``latncy:`` replays with no latency) or
misreported (``streem:`` reads as a response with neither body nor stream), so every mapping of
the document is checked against its keys when read, and an unknown one is refused with the
closest valid key and the full list. A new key of the format is added here.
"""

from __future__ import annotations

from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..errors import CassetteFormatError, did_you_mean

#: The keys of each part, in the order the format writes them (errors list them so).
VALID: dict[str, tuple[str, ...]] = {
    "interaction": ("request", "response", "recorded_at"),
    "request": ("operation", "model_id", "path", "method", "headers", "body"),
    "response": ("status", "headers", "latency", "body", "stream", "stream_end"),
    "stream event": ("offset", "headers", "chunk", "payload", "frame"),
    "body": ("json", "style", "text", "base64"),
}
_SETS = {part: frozenset(keys) for part, keys in VALID.items()}


def refuse_unknown(doc: dict[Any, Any], part: str, where: str) -> None:
    """Raise :class:`CassetteFormatError` for the first key of mapping ``doc`` (the ``part``
    at JSON path ``where``) that the format does not have."""
    if _SETS[part].issuperset(doc):
        return
    key = str(next(k for k in doc if k not in _SETS[part]))
    valid = VALID[part]
    raise CassetteFormatError(
        f"unknown key {key!r} in the {part}{did_you_mean(key, valid)}; valid keys: "
        + ", ".join(valid),
        json_path=f"{where}/{key}",
        fix="correct the key's spelling (README section 'Cassette format'), or remove it",
    )


def refuse_unknown_keys(item: dict[Any, Any]) -> None:
    """:func:`refuse_unknown` for an interaction and its request and response mappings."""
    refuse_unknown(item, "interaction", "#")
    for part in ("request", "response"):
        if isinstance(item.get(part), dict):
            refuse_unknown(item[part], part, f"#/{part}")
