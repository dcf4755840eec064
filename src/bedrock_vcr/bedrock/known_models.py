"""The foundation-model ids Bedrock Runtime is known to accept, to catch a misspelled one.

:func:`~bedrock_vcr.bedrock.models.resolve_model` finds a model's family from the start of its id
(``meta\\.llama...``), so ``meta.llama3-8b-instruct-v1:O`` (letter O) resolves like the real
``meta.llama3-8b-instruct-v1:0``. :func:`unlisted` tells such an id apart and
:func:`nearest_known` names the nearest known one. The list is of the ids this package's
families describe; an id newer than it is reported as not known, and whoever meets one maps it
with an override (``--model-family``) or extends :data:`KNOWN_MODEL_IDS`.
"""

from __future__ import annotations

import difflib
import re

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from .models import resolve_model

#: Foundation-model ids per provider, without their context-window suffixes (``:200k``, ``:mm``).
KNOWN_MODEL_IDS: frozenset[str] = frozenset(
    {
        # AI21
        "ai21.j2-mid-v1",
        "ai21.j2-ultra-v1",
        "ai21.jamba-instruct-v1:0",
        "ai21.jamba-1-5-large-v1:0",
        "ai21.jamba-1-5-mini-v1:0",
        # Amazon
        "amazon.titan-tg1-large",
        "amazon.titan-text-lite-v1",
        "amazon.titan-text-express-v1",
        "amazon.titan-text-premier-v1:0",
        "amazon.titan-embed-text-v1",
        "amazon.titan-embed-g1-text-02",
        "amazon.titan-embed-text-v2:0",
        "amazon.nova-micro-v1:0",
        "amazon.nova-lite-v1:0",
        "amazon.nova-pro-v1:0",
        "amazon.nova-premier-v1:0",
        "amazon.nova-2-lite-v1:0",
        "amazon.nova-2-pro-v1:0",
        # Anthropic
        "anthropic.claude-instant-v1",
        "anthropic.claude-v2",
        "anthropic.claude-v2:1",
        "anthropic.claude-3-haiku-20240307-v1:0",
        "anthropic.claude-3-sonnet-20240229-v1:0",
        "anthropic.claude-3-opus-20240229-v1:0",
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "anthropic.claude-3-5-sonnet-20241022-v2:0",
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        "anthropic.claude-3-7-sonnet-20250219-v1:0",
        "anthropic.claude-sonnet-4-20250514-v1:0",
        "anthropic.claude-opus-4-20250514-v1:0",
        "anthropic.claude-opus-4-1-20250805-v1:0",
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        "anthropic.claude-opus-4-5-20251101-v1:0",
        # Cohere
        "cohere.command-text-v14",
        "cohere.command-light-text-v14",
        "cohere.command-r-v1:0",
        "cohere.command-r-plus-v1:0",
        "cohere.embed-english-v3",
        "cohere.embed-multilingual-v3",
        # Meta
        "meta.llama2-13b-chat-v1",
        "meta.llama2-70b-chat-v1",
        "meta.llama3-8b-instruct-v1:0",
        "meta.llama3-70b-instruct-v1:0",
        "meta.llama3-1-8b-instruct-v1:0",
        "meta.llama3-1-70b-instruct-v1:0",
        "meta.llama3-1-405b-instruct-v1:0",
        "meta.llama3-2-1b-instruct-v1:0",
        "meta.llama3-2-3b-instruct-v1:0",
        "meta.llama3-2-11b-instruct-v1:0",
        "meta.llama3-2-90b-instruct-v1:0",
        "meta.llama3-3-70b-instruct-v1:0",
        "meta.llama4-scout-17b-instruct-v1:0",
        "meta.llama4-maverick-17b-instruct-v1:0",
        # Mistral AI
        "mistral.mistral-7b-instruct-v0:2",
        "mistral.mixtral-8x7b-instruct-v0:1",
        "mistral.mistral-large-2402-v1:0",
        "mistral.mistral-large-2407-v1:0",
        "mistral.mistral-small-2402-v1:0",
        "mistral.pixtral-large-2502-v1:0",
    }
)

# what may follow a known id: a version and/or a context window (``:2:8k``, ``:0:200k``, ``:mm``)
_SUFFIX = re.compile(r"(\d+|\d+k|mm)(:(\d+|\d+k|mm))?")


def _is_known(base_id: str) -> bool:
    if base_id in KNOWN_MODEL_IDS:
        return True
    return any(
        base_id.startswith(known + ":") and _SUFFIX.fullmatch(base_id[len(known) + 1 :])
        for known in KNOWN_MODEL_IDS
    )


def unlisted(model_id: str) -> bool:
    """Whether ``model_id`` (any spelling) takes a built-in family by its prefix but is not a
    known id. Ids without a built-in family are not unlisted: they are unknown models."""
    info = resolve_model(model_id)
    return info.known and not _is_known(info.base_id)


def nearest_known(model_id: str) -> str | None:
    """The known foundation-model id closest to ``model_id``'s, or ``None`` when none is close."""
    close = difflib.get_close_matches(resolve_model(model_id).base_id, sorted(KNOWN_MODEL_IDS), n=1)
    return close[0] if close else None
