"""Demo wiring: a ``demo`` fixture that prints each call, and a closing table of every call.

The cassettes themselves come from the bedrock-vcr pytest plugin (installed with the package):
each test marked ``@pytest.mark.bedrock_cassette`` replays
``cassettes/examples/<module>/<test id>.bedrock.yaml`` (this repository's ``bedrock_cassette_dir``
ini key is ``cassettes``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bedrock_app import Reply
from demo_report import Demo, summary_table

from bedrock_vcr import Cassette

CALLS = pytest.StashKey[list[tuple[str, Reply]]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[CALLS] = []


def pytest_report_header(config: pytest.Config) -> list[str]:
    folder = Path(config.getini("bedrock_cassette_dir") or "cassettes")
    mode = config.getoption("--bedrock-record-mode") or config.getini("bedrock_record_mode")
    return [
        f"bedrock-vcr demo: cassettes in {config.rootpath / folder}, "
        f"record mode {mode or 'none (replay only, offline)'}"
    ]


@pytest.fixture
def demo(request: pytest.FixtureRequest, bedrock_cassette: Cassette) -> Demo:
    """Runs an application call against the test's cassette and prints what it did."""
    runner = Demo(bedrock_cassette)
    runner.calls = request.config.stash[CALLS]
    return runner


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    calls = terminalreporter.config.stash.get(CALLS, [])
    if not calls:
        return
    terminalreporter.section("Bedrock calls made by the demo")
    for line in summary_table(calls):
        terminalreporter.write_line(line)
