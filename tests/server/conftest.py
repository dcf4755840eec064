"""Fixtures of the server tests: a running server answering from a :class:`Recorder`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bedrock_vcr.server.http1 import BedrockServer
from bedrock_vcr.server.sources import ScriptedSource

from .support import Recorder


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def srv(recorder: Recorder) -> Iterator[BedrockServer]:
    with BedrockServer([ScriptedSource(recorder)], grace=1.0) as server:
        yield server
