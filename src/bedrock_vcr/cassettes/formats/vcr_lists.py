"""vcrpy's ``{requests: [...], responses: [...]}`` layout as a vcrpy document.

langchain-aws (through ``langchain_tests``' ``CustomSerializer``) skips vcrpy's own serializer:
it writes the cassette dictionary vcrpy hands a persister, two lists paired by index, as YAML
compressed with gzip (``*.yaml.gz``; :mod:`.sniff` decompresses it). Requests are vcrpy request
mappings (``method``, ``uri``, ``body``, ``headers: {Name: [value]}``), responses vcrpy response
mappings; its header filter replaces values with ``**REDACTED**``, which :mod:`..vcrpy` drops.
"""

from __future__ import annotations

from typing import Any

from ..._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ...errors import CassetteFormatError

FIX = (
    "the file looks like a langchain-aws cassette (requests and responses paired by index) but "
    "is not one it writes; record it again, or correct the entry named above"
)


def to_vcrpy(value: dict[str, Any]) -> dict[str, Any]:
    """The vcrpy document pairing ``requests[i]`` with ``responses[i]``."""
    requests, responses = value.get("requests"), value.get("responses")
    if not isinstance(requests, list) or not isinstance(responses, list):
        raise CassetteFormatError(
            "'requests' and 'responses' must both be lists, found "
            f"{type(requests).__name__} and {type(responses).__name__}",
            json_path="#/responses",
            fix=FIX,
        )
    if len(requests) != len(responses):
        raise CassetteFormatError(
            f"{len(requests)} request(s) but {len(responses)} response(s); each request is "
            "paired with the response at its index (was the file cut short?)",
            json_path="#/responses",
            fix=FIX,
        )
    pairs = [{"request": q, "response": a} for q, a in zip(requests, responses, strict=True)]
    return {"version": 1, "interactions": pairs}
