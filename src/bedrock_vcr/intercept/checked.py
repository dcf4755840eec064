"""Schema validation hooked into a cassette player, its answers made into what botocore receives.

:mod:`bedrock_vcr.validation.policy` decides what a check finds and answers with
:class:`~bedrock_vcr.cassettes.records.RecordedResponse`; this module, the only one of the pair
that knows botocore, replays that answer as an ``AWSResponse`` and adds the checks to a
:class:`~bedrock_vcr.intercept.player.CassettePlayer`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..cassettes.records import RecordedRequest, RecordedResponse
from ..validation.policy import CassetteChecks
from ..validation.settings import ValidationSettings
from .raw import replay_response

if TYPE_CHECKING:
    from botocore.awsrequest import AWSResponse

    from ..cassettes.cassette import Cassette

#: What a player calls with each request before matching (see ``player.RequestCheck``).
RequestCheck = Callable[[RecordedRequest], "AWSResponse | None"]


class CheckedPlayer(Protocol):
    """What :func:`install` needs of a player (:class:`CassettePlayer` has it); a protocol, so
    that the player, which installs the checks lazily, is not imported back from here."""

    cassette: Cassette
    request_checks: list[RequestCheck]
    response_checks: list[Callable[[RecordedRequest, RecordedResponse], None]]


def request_check(answer: Callable[[RecordedRequest], RecordedResponse | None]) -> RequestCheck:
    """A player's request check from a validation answer (``RequestValidator.answer``,
    ``CassetteChecks.check_request``): the rejection replayed as botocore's ``AWSResponse``."""

    def check(request: RecordedRequest) -> AWSResponse | None:
        rejection = answer(request)
        return replay_response(request.path or "/", rejection) if rejection is not None else None

    return check


def install(player: CheckedPlayer) -> CassetteChecks:
    """Add the checks the player's cassette config asks for, and check the loaded cassette."""
    cassette = player.cassette
    settings = ValidationSettings.parse(cassette.config.extra)
    checks = CassetteChecks(cassette, settings)
    if settings.validate_requests != "off":
        player.request_checks.append(request_check(checks.check_request))
    if settings.validate_requests != "off" or settings.validate_responses != "off":
        player.response_checks.append(checks.check_recorded)
    if settings.validate_responses != "off":
        checks.check_loaded()
    return checks
