"""The recordings closest to a request that matched none: what an unmatched error shows."""

from __future__ import annotations

from collections.abc import Sequence

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..errors import Candidate
from .matching import MatchConfig
from .records import Interaction, RecordedRequest


def closest(
    interactions: Sequence[Interaction], request: RecordedRequest, match: MatchConfig, n: int = 3
) -> list[Candidate]:
    """The ``n`` recordings nearest ``request``: the same operation and target first, then
    the fewest differences, each with the differences listed."""
    scored = []
    for i, recorded in enumerate(interactions):
        diffs = match.differences(recorded.request, request)
        if match.matcher is not None and not diffs:
            diffs = ["the custom matcher rejected it"]
        same_target = (recorded.request.operation == request.operation) + (
            recorded.request.model_id == request.model_id
        )
        scored.append((-same_target, len(diffs), i, diffs))
    scored.sort()
    return [
        Candidate(
            i,
            interactions[i].request.operation,
            interactions[i].request.model_id,
            tuple(diffs),
        )
        for _, _, i, diffs in scored[:n]
    ]
