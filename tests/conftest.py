from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bedrock_vcr.server.http1 import BedrockServer
from bedrock_vcr.server.sources import ScriptedSource

from . import scripted


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials and region; no shared config file is read."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def server() -> Iterator[BedrockServer]:
    """The project's local Bedrock-compatible server answering scripted responses."""
    with BedrockServer([ScriptedSource(scripted.answer)], speed=1.0) as srv:
        yield srv
