"""The pytest markers that configure the ``bedrock_mock`` fixture.

``@pytest.mark.bedrock_mock(**options)`` sets the options of a test's
:class:`~bedrock_vcr.intercept.mock.BedrockMock`; every
``@pytest.mark.bedrock_answer(*outcomes, **route)`` declares a route. Reading markers is pytest
glue, kept apart so that the mock itself knows nothing of pytest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..errors import ConfigError, did_you_mean
from .mock import OPTIONS, BedrockMock, check_options

if TYPE_CHECKING:
    import pytest

ANSWER_MARKER = "bedrock_answer"
OPTIONS_MARKER = "bedrock_mock"
_ANSWER_OPTIONS = ("model_id", "operation", "match", "optional", "name")


def from_markers(node: pytest.Item) -> BedrockMock:
    """A :class:`BedrockMock` configured by a test's ``bedrock_mock`` and ``bedrock_answer``
    markers (closest ``bedrock_mock`` wins; every ``bedrock_answer`` adds a route, outermost
    first)."""
    options_marker = node.get_closest_marker(OPTIONS_MARKER)
    options: dict[str, Any] = {}
    if options_marker is not None:
        if options_marker.args:
            raise ConfigError(
                f"@pytest.mark.{OPTIONS_MARKER} takes keyword arguments only ({', '.join(OPTIONS)})"
            )
        options = dict(options_marker.kwargs)
        check_options(options, f"@pytest.mark.{OPTIONS_MARKER}")
    mock = BedrockMock(**options)
    for marker in reversed(list(node.iter_markers(ANSWER_MARKER))):
        kwargs = dict(marker.kwargs)
        for name in kwargs:
            if name not in _ANSWER_OPTIONS:
                hint = did_you_mean(name, _ANSWER_OPTIONS)
                raise ConfigError(
                    f"unknown argument {name!r} in @pytest.mark.{ANSWER_MARKER}{hint}; valid: "
                    f"outcomes as positional arguments, then {', '.join(_ANSWER_OPTIONS)}"
                )
        route = mock.on(**kwargs)
        if marker.args:
            route.respond(*marker.args)
    return mock
