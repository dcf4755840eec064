"""Model id resolution: from the id a caller passes to the schema family that describes it.

A model id reaches Bedrock in many spellings: ``meta.llama3-70b-instruct-v1:0``, the same
percent-encoded as botocore puts it in the URL (``meta.llama3-70b-instruct-v1%3A0``), a
cross-region inference profile (``us.meta.llama3-2-11b-instruct-v1:0``), or an ARN of a foundation
model or inference profile. :func:`resolve_model` reduces each to the foundation-model id and its
family. Custom, imported and provisioned models, application inference profiles, prompts and
SageMaker endpoints carry no family in their id; they resolve to ``"unknown"`` unless the caller
maps them (``overrides``).
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)

UNKNOWN = "unknown"

#: Geography prefixes of cross-region inference profiles (``us.anthropic.claude-...``).
PROFILE_PREFIXES = ("us-gov", "us", "eu", "apac", "global", "jp", "au", "ca")

#: ARN resource types whose id names a foundation model (directly or through a profile).
_MODEL_ARN_TYPES = ("foundation-model", "inference-profile")

# (family, pattern on the foundation-model id, variants). First match wins.
_FAMILIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("meta.llama", r"meta\.llama3-2-(11|90)b-", ()),
    ("meta.llama", r"meta\.llama4-", ()),
    ("meta.llama", r"meta\.llama", ("text",)),
    ("amazon.titan-text", r"amazon\.titan-text-lite", ("lite",)),
    ("amazon.titan-text", r"amazon\.titan-text-express", ("express",)),
    ("amazon.titan-text", r"amazon\.titan-text-premier", ("premier",)),
    ("amazon.titan-text", r"amazon\.titan-tg1", ("express",)),
    ("amazon.titan-embed-v2", r"amazon\.titan-embed-text-v2", ()),
    ("amazon.titan-embed-v1", r"amazon\.titan-embed-(text-v1|g1-text)", ()),
    ("amazon.nova", r"amazon\.nova-(2-)?(micro|lite|pro|premier)", ()),
    ("ai21.jamba", r"ai21\.jamba", ()),
    ("ai21.j2", r"ai21\.j2-", ()),
    ("anthropic.claude-text", r"anthropic\.claude-(instant-v1|v2)", ()),
    ("anthropic.claude-messages", r"anthropic\.claude-", ()),
    ("cohere.command-r", r"cohere\.command-r", ()),
    ("cohere.command", r"cohere\.command-(light-)?text", ()),
    ("cohere.embed", r"cohere\.embed-(english|multilingual)-v3", ()),
    ("mistral.text", r"mistral\.mixtral-8x7b", ("max-4096",)),
    ("mistral.text", r"mistral\.mistral-(7b|large-2402|small)", ("max-8192",)),
    ("mistral.chat", r"mistral\.(mistral-large-2407|pixtral)", ("max-8192",)),
)

#: Every family a schema exists for (plus ``"unknown"``).
FAMILIES: frozenset[str] = frozenset({family for family, _, _ in _FAMILIES} | {UNKNOWN})

#: Maximum generated tokens per variant, for callers that simulate answers.
MAX_TOKENS = {"lite": 4096, "express": 8192, "premier": 3072, "max-4096": 4096, "max-8192": 8192}

_ARN = re.compile(
    r"^arn:aws(?:-[a-z-]+)?:(?P<service>[a-z-]+):(?P<region>[a-z0-9-]*):(?P<account>\d*):"
    r"(?P<type>[a-z-]+)/(?P<resource>.+)$"
)


@dataclass(frozen=True)
class ModelInfo:
    """What :func:`resolve_model` found out about a model id.

    ``variants`` names the per-model refinements of the family schema (``lite`` for the Titan
    Text Lite maximum, ``text`` for Llama models without vision, ...).
    """

    model_id: str
    base_id: str
    family: str
    variants: tuple[str, ...] = field(default_factory=tuple)
    profile: str | None = None  # geography prefix of a cross-region profile, e.g. "us"
    arn_type: str | None = None  # ARN resource type, e.g. "inference-profile"
    max_tokens: int | None = None  # per-model output maximum where one is known

    @property
    def known(self) -> bool:
        return self.family != UNKNOWN


def _decode(model_id: str) -> str:
    text = model_id.strip()
    for _ in range(2):  # botocore encodes once; tolerate a second layer
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return text


def _split_profile(model_id: str) -> tuple[str | None, str]:
    for prefix in PROFILE_PREFIXES:
        head = prefix + "."
        if model_id.startswith(head) and "." in model_id[len(head) :]:
            return prefix, model_id[len(head) :]
    return None, model_id


def _family_of(base_id: str) -> tuple[str, tuple[str, ...]]:
    for family, pattern, variants in _FAMILIES:
        if re.match(pattern, base_id):
            return family, variants
    return UNKNOWN, ()


def _override(
    overrides: Mapping[str, str] | None, candidates: tuple[str, ...]
) -> tuple[str, str] | None:
    if not overrides:
        return None
    for candidate in candidates:  # exact ids win over patterns
        if candidate in overrides:
            return candidate, overrides[candidate]
    for pattern, family in overrides.items():
        if any(fnmatch.fnmatchcase(candidate, pattern) for candidate in candidates):
            return pattern, family
    return None


def resolve_model(model_id: str, overrides: Mapping[str, str] | None = None) -> ModelInfo:
    """Resolve ``model_id`` (any spelling Bedrock accepts) to its foundation model and family.

    ``overrides`` maps a model id or an :mod:`fnmatch` pattern (matched against the id as given,
    percent-decoded, and the foundation-model id) to a family name from :data:`FAMILIES`; it wins
    over the built-in table, which is how a custom or imported model gets a schema. An override
    may name a family with variants as ``"amazon.titan-text:lite"``. Results without overrides
    are cached (replay resolves the same few ids on every request).
    """
    if not overrides:
        return _resolve_cached(model_id)
    return _resolve(model_id, overrides)


@functools.lru_cache(maxsize=1024)
def _resolve_cached(model_id: str) -> ModelInfo:
    return _resolve(model_id, None)


def _resolve(model_id: str, overrides: Mapping[str, str] | None = None) -> ModelInfo:
    """The uncached resolution (see :func:`resolve_model`)."""
    decoded = _decode(model_id)
    profile: str | None = None
    arn_type: str | None = None
    base_id = decoded
    resolvable = True
    match = _ARN.match(decoded)
    if match:
        arn_type = match["type"]
        base_id = match["resource"]
        resolvable = match["service"] == "bedrock" and arn_type in _MODEL_ARN_TYPES
    if resolvable:
        profile, base_id = _split_profile(base_id)

    hit = _override(overrides, (model_id, decoded, base_id))
    if hit is not None:
        pattern, target = hit
        family, _, variant_text = target.partition(":")
        if family not in FAMILIES:
            raise ValueError(
                f"model override {pattern!r} -> {target!r} names an unknown family; "
                f"known families: {', '.join(sorted(FAMILIES))}"
            )
        variants = tuple(v for v in variant_text.split(",") if v)
    elif resolvable:
        family, variants = _family_of(base_id)
    else:
        family, variants = UNKNOWN, ()
    max_tokens = next((MAX_TOKENS[v] for v in variants if v in MAX_TOKENS), None)
    return ModelInfo(
        model_id=model_id,
        base_id=base_id,
        family=family,
        variants=variants,
        profile=profile,
        arn_type=arn_type,
        max_tokens=max_tokens,
    )
