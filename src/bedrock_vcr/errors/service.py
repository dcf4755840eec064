"""Errors of the local server, interception, the mock and the network guard."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .base import DOCS, BedrockVCRError, BedrockVCRWarning
from .replay import ConfigError

# --- the local server -----------------------------------------------------------------------------


class ServeConfigError(ConfigError):
    """A ``serve`` config file or option is invalid; says where (file, route, key) and why."""

    def __init__(self, problem: str, *, where: str, fix: str | None = None) -> None:
        self.problem = problem
        self.where = where
        self.fix = fix
        text = f"{where}: {problem}"
        if fix:
            text += f"\n  fix: {fix}"
        super().__init__(text)


class SimulationError(BedrockVCRError):
    """A declared outcome cannot answer this request (the server answers it with a 400)."""

    def __init__(self, problem: str, *, route: str) -> None:
        self.problem = problem
        self.route = route
        super().__init__(f"bedrock-vcr {route} cannot answer this request: {problem}")


# --- interception ---------------------------------------------------------------------------------


class UnfinishedStreamWarning(BedrockVCRWarning):
    """An async stream being recorded was not read to its end before the cassette closed."""


class AsyncClientNotSupported(BedrockVCRError):
    """An aiobotocore client's HTTP backend cannot be recorded (neither aiohttp nor httpx)."""


# --- simulation through bedrock_mock --------------------------------------------------------------


class UnexpectedRequestError(BedrockVCRError, AssertionError):
    """A request matched no route of an active :class:`BedrockMock`."""

    def __init__(self, request: Any, reasons: Sequence[tuple[str, str]]) -> None:
        self.request = request
        self.reasons = tuple(reasons)
        lines = [f"{request.operation} request to model {request.model_id!r} matches no route."]
        if reasons:
            lines.append("  routes declared:")
            lines += [f"    {route}: {why}" for route, why in reasons]
        else:
            lines.append("  no route is declared.")
        lines.append(
            f"  fix: declare it, e.g. bedrock_mock.on(model_id={request.model_id!r}, "
            f"operation={request.operation!r}).return_value = Answer(...); or let unmatched "
            "requests through with passthrough=True."
        )
        super().__init__("\n".join(lines))


class RouteExhaustedError(BedrockVCRError, AssertionError):
    """A route's ``side_effect`` sequence ran out of outcomes."""

    def __init__(self, route: object, count: int) -> None:
        self.route = route
        self.count = count
        super().__init__(
            f"{route} received call #{count} but its side_effect sequence holds only "
            f"{count - 1} outcome{'s' if count != 2 else ''}.\n  fix: add outcomes to the "
            "sequence, or set return_value for an answer that repeats."
        )


class MockVerificationError(BedrockVCRError, AssertionError):
    """At exit: routes never called, outcomes never used, or requests left unanswered."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        lines = ["bedrock_mock expectations not met:"]
        lines += [f"  - {p}" for p in self.problems]
        lines.append(
            "  fix: remove the unused declarations, mark a route optional "
            "(on(..., optional=True)), or turn the check off with assert_all_called=False "
            "(@pytest.mark.bedrock_mock(assert_all_called=False) in pytest)."
        )
        super().__init__("\n".join(lines))


# --- the network guard -------------------------------------------------------------------------


class NetworkBlockedError(BedrockVCRError, AssertionError):
    """A request to Bedrock Runtime would bypass bedrock-vcr while nothing may reach the network."""

    def __init__(
        self, *, method: str, url: str, caller: str, transport: str, why: str | None = None
    ) -> None:
        self.method = method
        self.url = url
        self.caller = caller
        self.transport = transport
        self.why = why
        if why is None:
            reason = (
                "which no bedrock-vcr adapter covers (botocore, httpx and requests are "
                "covered), while the active cassette or mock may not reach the network (record "
                "mode 'none', or a mock without passthrough)."
            )
            fix = (
                "call Bedrock through boto3, httpx or requests (requests needs "
                "pip install 'bedrock-vcr[requests]'), or point the caller at the "
                "bedrock_server fixture's URL"
            )
        else:
            reason = f"{why}."
            fix = (
                "add @pytest.mark.bedrock_cassette (or bedrock_mock) to the test, or let the host "
                "through with --bedrock-allowed-hosts"
            )
        super().__init__(
            f"bedrock-vcr blocked {method} {url}: it was sent by {caller} (through {transport}), "
            f"{reason}\n  fix: {fix} (see {DOCS}network-guard)."
        )


class UncoveredRequestWarning(BedrockVCRWarning):
    """A request to Bedrock Runtime went to the network around bedrock-vcr: it is not recorded."""

    def __init__(self, *, method: str, url: str, caller: str, transport: str) -> None:
        self.method = method
        self.url = url
        self.caller = caller
        self.transport = transport
        super().__init__(
            f"bedrock-vcr did not record {method} {url}: it was sent by {caller} (through "
            f"{transport}), which no bedrock-vcr adapter covers (botocore, httpx and requests "
            f"are); in replay it will be refused (see {DOCS}network-guard)."
        )


class CassetteMovedWarning(BedrockVCRWarning):
    """A test's cassette is missing at its default path but exists at the old default path."""

    def __init__(self, old: Path, new: Path) -> None:
        self.old = old
        self.new = new
        super().__init__(
            f"bedrock-vcr: no cassette at {new}, but one at the default path of earlier versions, "
            f"{old}.\n  fix: move it (git mv {old} {new}), or name it in the marker: "
            f"@pytest.mark.bedrock_cassette(path=...) (see {DOCS}cassette-paths)."
        )


class UnplayedInteractionsError(BedrockVCRError, AssertionError):
    """``assert_all_played``: the test ended with recorded interactions it never played."""

    def __init__(self, cassette: Path, unplayed: Sequence[Any]) -> None:
        self.cassette = cassette
        self.unplayed = tuple(f"{i.request.operation} {i.request.model_id}" for i in unplayed)
        shown = "".join(f"\n    - {u}" for u in self.unplayed[:10])
        more = f"\n    ... and {len(self.unplayed) - 10} more" if len(self.unplayed) > 10 else ""
        super().__init__(
            f"{len(self.unplayed)} recorded interaction(s) of {cassette} were never played:"
            f"{shown}{more}\n  fix: re-record the cassette (--bedrock-record-mode=rewrite drops "
            "what is no longer asked for), or turn the check off (assert_all_played=False)."
        )
