"""Errors of call assertions (``calls.assert_called_with(...)`` on a cassette or a mock)."""

from __future__ import annotations

from collections.abc import Sequence

from .base import DOCS, BedrockVCRError


class CallAssertionError(BedrockVCRError, AssertionError):
    """The calls a cassette or mock saw do not meet an assertion on them.

    ``expected`` says what was asserted, ``source`` whose calls they are, ``seen`` one line per
    call seen (with why it does not match, where that applies).
    """

    def __init__(self, *, expected: str, source: str, seen: Sequence[str]) -> None:
        self.expected = expected
        self.source = source
        self.seen = tuple(seen)
        count = len(self.seen)
        lines = [f"{expected}; {source} saw {count} call{'s' if count != 1 else ''}"]
        lines[0] += ":" if self.seen else "."
        lines += [f"  {i}. {line}" for i, line in enumerate(self.seen, 1)]
        lines.append(
            "  fix: change the code under test or the assertion; filters are operation "
            "(InvokeModel or invoke_model ...), model_id (an id, its profiles and ARNs, or a "
            f"pattern) and body (a subset of the JSON body); see {DOCS}call-assertions."
        )
        super().__init__("\n".join(lines))
