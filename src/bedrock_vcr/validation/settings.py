"""The four validation settings, checked once so that every later check can trust them.

They come as ``use_cassette`` options, marker arguments or ``bedrock_vcr_config`` keys, and mean
(:mod:`.policy` applies them):

``validate_requests``
    ``"bedrock"`` (default): a replayed request whose body breaks its model's schema is answered
    before matching the way Bedrock answers it, HTTP 400 ``ValidationException`` with Bedrock's
    message shape, so the code under test sees what production would show. ``"fail"``: raise
    :class:`InvalidRequestError` (an ``AssertionError``) listing every violation. ``"off"``.
``validate_responses``
    Recorded answers (plain bodies and every stream chunk) are checked while recording and when a
    cassette is loaded: ``"warn"`` (default) emits a :class:`SchemaDriftWarning`, ``"fail"`` raises
    :class:`CassetteSchemaError`, ``"off"`` skips them.
``strict_models``
    A model id with no known schema raises
    :class:`~bedrock_vcr.errors.UnknownModelError` instead of being skipped with a
    one-time warning.
``model_families``
    ``{model id or fnmatch pattern: family}`` for custom, imported or provisioned models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..bedrock.models import FAMILIES
from ..errors import ConfigError

REQUEST_MODES = ("bedrock", "fail", "off")
RESPONSE_MODES = ("warn", "fail", "off")


def _mode(name: str, value: Any, modes: tuple[str, ...]) -> str:
    if value is True:
        return modes[0]
    if value is False:
        return "off"
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text not in modes:
        raise ConfigError(f"{name} must be one of {', '.join(modes)} (or a bool), got {value!r}")
    return text


def _families(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(
            "model_families must map model ids or fnmatch patterns to a family, "
            f"e.g. {{'arn:aws:bedrock:*:imported-model/*': 'meta.llama'}}; got {value!r}"
        )
    out = {}
    for pattern, family in value.items():
        name = str(family).partition(":")[0]
        if not isinstance(pattern, str) or not isinstance(family, str) or name not in FAMILIES:
            raise ConfigError(
                f"model_families[{pattern!r}] = {family!r} names no known family; known "
                f"families: {', '.join(sorted(FAMILIES))} (add ':variant' for a per-model "
                "variant, e.g. 'amazon.titan-text:lite')"
            )
        out[pattern] = family
    return out


@dataclass(frozen=True)
class ValidationSettings:
    """The four validation options, checked (see the module docstring for their meaning)."""

    validate_requests: str = "bedrock"
    validate_responses: str = "warn"
    strict_models: bool = False
    model_families: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, options: Mapping[str, Any]) -> ValidationSettings:
        """Check the options (others in ``options`` are ignored; missing ones take defaults)."""
        strict = options.get("strict_models", False)
        if not isinstance(strict, bool):
            raise ConfigError(f"strict_models must be True or False, got {strict!r}")
        return cls(
            validate_requests=_mode(
                "validate_requests", options.get("validate_requests", "bedrock"), REQUEST_MODES
            ),
            validate_responses=_mode(
                "validate_responses", options.get("validate_responses", "warn"), RESPONSE_MODES
            ),
            strict_models=strict,
            model_families=_families(options.get("model_families")),
        )

    def as_options(self) -> dict[str, Any]:
        return {
            "validate_requests": self.validate_requests,
            "validate_responses": self.validate_responses,
            "strict_models": self.strict_models,
            "model_families": dict(self.model_families),
        }
