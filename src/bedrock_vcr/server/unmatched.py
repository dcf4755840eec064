"""Why no served cassette answers a request: the closest recordings across all of them.

The server serves several cassettes at once, so a near miss may sit in any of them; each
cassette ranks its own recordings (:meth:`~bedrock_vcr.cassettes.cassette.Cassette.unmatched`,
same operation and model first, then fewest differences) and this merges the rankings,
ties going to the most similar body. The fix
it names is the serve command's own (its matching flags), since a pytest flag does not apply to
a running server.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..cassettes.cassette import Cassette
from ..cassettes.matching import canonical_json
from ..cassettes.records import RecordedRequest
from ..errors import Candidate

#: Candidates shown, across every served cassette.
SHOWN = 3
FIX = (
    "fix: if the request changed on purpose, re-record the cassette and restart the server; "
    "otherwise relax matching when serving: `bedrock-vcr serve --ignore-body-key KEY` (repeat "
    "it; a dotted path ignores one place) or `--match-on operation,model_id` (fields: "
    "operation, model_id, body, headers); in Python, CassetteSource(paths, "
    "match=MatchConfig(...)). See the README section #server."
)


def _rank(
    cassette: Cassette, request: RecordedRequest, candidate: Candidate
) -> tuple[int, int, float]:
    """Same operation and model first, then fewest differences, then the most similar body."""
    same = (candidate.operation == request.operation) + (candidate.model_id == request.model_id)
    match = cassette.config.match
    recorded = match.body_for_matching(cassette.interactions[candidate.index].request)
    incoming = match.body_for_matching(request)
    similar = difflib.SequenceMatcher(None, _text(recorded), _text(incoming)).quick_ratio()
    return -same, len(candidate.differences), -similar


def _text(body: Any) -> str:
    if isinstance(body, bytes):
        return body.decode("utf-8", "replace")
    return canonical_json(body)


def explain(cassettes: Sequence[Cassette], request: RecordedRequest) -> str:
    """Why ``request`` found no answer in ``cassettes``, closest recordings first, and the fix."""
    if not cassettes:
        return "no cassette is loaded"
    found: list[tuple[tuple[int, int, float], int, Path, Candidate]] = []
    for order, cassette in enumerate(cassettes):
        for candidate in cassette.unmatched(request).candidates:
            found.append((_rank(cassette, request, candidate), order, cassette.path, candidate))
    found.sort(key=lambda item: (item[0], item[1], item[3].index))
    count = len(cassettes)
    lines = [
        f"the request matches no recorded interaction of the {count} served "
        f"cassette{'s' if count != 1 else ''}."
    ]
    if found:
        lines.append("  closest recorded requests:")
        for _, _, path, cand in found[:SHOWN]:
            lines.append(f"    {path} #{cand.index} {cand.operation} {cand.model_id}")
            lines.extend(f"        - {diff}" for diff in cand.differences)
    else:
        lines.append("  the served cassettes hold no recorded request.")
    lines.append(f"  {FIX}")
    return "\n".join(lines)


__all__ = ["FIX", "explain"]
