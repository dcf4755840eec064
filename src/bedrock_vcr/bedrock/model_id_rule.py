"""Bedrock Runtime's rule for a ``modelId``: its length limits and its regular expression.

Kept here rather than read from the installed botocore, whose copy of the service model may be
older than Bedrock: botocore releases before inference profiles reject ``us.`` ids. The values
are those of botocore's ``bedrock-runtime`` service model in the release named by
:data:`TAKEN_FROM` (the same for InvokeModel, its streaming form, Converse and ConverseStream).
"""

from __future__ import annotations

import re

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)

#: The botocore release these values were copied from.
TAKEN_FROM = (1, 43, 117)
MIN_LENGTH = 1
MAX_LENGTH = 2048
PATTERN = re.compile(
    r"(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:(([0-9]{12}:custom-model/[a-z0-9-]{1,63}[.]{1}"
    r"[a-z0-9-]{1,63}/[a-z0-9]{12})|(:foundation-model/[a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}"
    r"([.:]?[a-z0-9-]{1,63}))|([0-9]{12}:imported-model/[a-z0-9]{12})|([0-9]{12}:"
    r"provisioned-model/[a-z0-9]{12})|([0-9]{12}:custom-model-deployment/[a-z0-9]{12})|"
    r"([0-9]{12}:(inference-profile|application-inference-profile)/[a-zA-Z0-9-:.]+)))|"
    r"([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.:]?[a-z0-9-]{1,63}))|(([0-9a-zA-Z][_-]?)+)|"
    r"([a-zA-Z0-9-:.]+)$|(^(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:prompt/"
    r"[0-9a-zA-Z]{10}(?::[0-9]{1,5})?))$|(^arn:aws:sagemaker:[a-z0-9-]+:[0-9]{12}:endpoint/"
    r"[a-zA-Z0-9-]+$)|(^arn:aws(-[^:]+)?:bedrock:([0-9a-z-]{1,20}):([0-9]{12}):(default-)?"
    r"prompt-router/[a-zA-Z0-9-:.]+$)"
)


def problem(model_id: str) -> str | None:
    """The constraint ``model_id`` breaks, in Bedrock's words, or ``None`` when it keeps them."""
    if len(model_id) < MIN_LENGTH:
        return f"Member must have length greater than or equal to {MIN_LENGTH}"
    if len(model_id) > MAX_LENGTH:
        return f"Member must have length less than or equal to {MAX_LENGTH}"
    if not PATTERN.fullmatch(model_id):
        return f"Member must satisfy regular expression pattern: {PATTERN.pattern}"
    return None
