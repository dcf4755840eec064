"""Showing how two long strings differ, for the unmatched-request message.

The most common mismatch is a prompt that changed, and prompts share long template prefixes:
a value cut from its start shows two identical texts. A single-line string is shown around its
first difference; multi-line text as a unified diff. ``full=True`` (pytest ``-vv``) shows
whole values instead of a window.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)

SHORT = 60  # values up to this long (as JSON) are shown whole
CONTEXT = 24  # characters kept on each side of the first difference
INDENT = "          "  # continuation lines of a difference in the unmatched message


def short(value: Any, limit: int = SHORT) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _first_difference(a: str, b: str) -> int:
    n = min(len(a), len(b))
    return next((i for i in range(n) if a[i] != b[i]), n)


def _window(text: str, start: int, end: int) -> str:
    piece = json.dumps(text[start:end], ensure_ascii=False)[1:-1]
    return f'"{"..." if start > 0 else ""}{piece}{"..." if end < len(text) else ""}"'


def _around(a: str, b: str) -> str:
    at = _first_difference(a, b)
    start = max(0, at - CONTEXT)
    return (
        f"differs at character {at} (recorded {len(a)} characters, request {len(b)}): "
        f"recorded {_window(a, start, at + CONTEXT)}, request {_window(b, start, at + CONTEXT)}"
    )


def _unified(a: str, b: str, full: bool) -> str:
    lines = difflib.unified_diff(
        a.splitlines(),
        b.splitlines(),
        "recorded",
        "request",
        n=max(len(a), len(b)) if full else 2,
        lineterm="",
    )
    return "text differs:\n" + "\n".join(INDENT + line for line in lines)


def describe(a: Any, b: Any, *, full: bool = False) -> str:
    """``recorded X, request Y`` for two differing JSON values, readable however long."""
    if isinstance(a, str) and isinstance(b, str):
        if full:
            return f"recorded {json.dumps(a, ensure_ascii=False)}, request " + json.dumps(
                b, ensure_ascii=False
            )
        if "\n" in a.strip("\n") or "\n" in b.strip("\n"):
            return _unified(a, b, full)
        if len(json.dumps(a)) > SHORT or len(json.dumps(b)) > SHORT:
            return _around(a, b)
    if full:
        return f"recorded {json.dumps(a, ensure_ascii=False)}, request " + json.dumps(
            b, ensure_ascii=False
        )
    return f"recorded {short(a)}, request {short(b)}"
