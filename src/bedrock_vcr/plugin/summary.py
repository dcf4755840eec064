"""The end-of-run summary: cassettes replayed and recorded, interactions never played.

Counted per test at the cassette fixture's teardown, added up across pytest-xdist workers by
the controller, and printed as one line before pytest's own summary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ..cassettes.cassette import Cassette

STATS = pytest.StashKey[dict[str, int]]()
STAT_NAMES = ("replayed", "recorded", "played", "written", "unplayed")


def stats(config: pytest.Config) -> dict[str, int]:
    counts: dict[str, int] = config.stash.setdefault(STATS, dict.fromkeys(STAT_NAMES, 0))
    return counts


def count(config: pytest.Config, cassette: Cassette) -> None:
    counts = stats(config)
    new = [i for i in cassette.new_interactions if i.response is not None]
    counts["replayed"] += cassette.play_count > 0
    counts["recorded"] += bool(new)
    counts["played"] += cassette.play_count
    counts["written"] += len(new)
    counts["unplayed"] += len(cassette.unplayed)


def summary_line(counts: dict[str, int]) -> str | None:
    if not any(counts.values()):
        return None
    return (
        f"bedrock-vcr: {counts['replayed']} cassettes replayed ({counts['played']} interactions), "
        f"{counts['recorded']} recorded ({counts['written']} interactions written), "
        f"{counts['unplayed']} recorded interactions never played"
    )


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    line = summary_line(stats(config))
    if line is not None:
        terminalreporter.write_line(line)
    if config.getoption("record_mode", None) not in (None, "none") and not config.getoption(
        "--bedrock-record-mode"
    ):
        terminalreporter.write_line(
            "bedrock-vcr: --record-mode is pytest-recording's option and does not record bedrock "
            "cassettes; use --bedrock-record-mode too (e.g. --bedrock-record-mode=once)"
        )


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workeroutput"):  # an xdist worker: the controller adds them up
        config.workeroutput["bedrock_vcr_stats"] = stats(config)


class XdistStats:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        theirs = getattr(node, "workeroutput", {}).get("bedrock_vcr_stats", {})
        ours = stats(self.config)
        for name, value in theirs.items():
            ours[name] = ours.get(name, 0) + value
