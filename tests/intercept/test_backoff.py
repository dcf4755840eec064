"""skip_backoff: botocore keeps deciding whether to retry; only the sleeps between attempts go."""

from __future__ import annotations

import json
import time

import pytest
from botocore import retryhandler
from botocore.config import Config
from botocore.retries import standard

from bedrock_vcr import skip_backoff as exported
from bedrock_vcr.intercept.backoff import skip_backoff
from bedrock_vcr.intercept.mock import BedrockMock
from bedrock_vcr.simulation import Answer

from ..helpers import bedrock_client

MODEL = "meta.llama3-8b-instruct-v1:0"
BODY = json.dumps({"prompt": "hi"})

pytestmark = pytest.mark.usefixtures("aws_env")


def test_skip_backoff_is_installed_only_while_asked_for() -> None:
    original = (standard.RetryPolicy.compute_retry_delay, retryhandler.RetryHandler.__call__)
    with BedrockMock(skip_backoff=False):
        assert (
            standard.RetryPolicy.compute_retry_delay,
            retryhandler.RetryHandler.__call__,
        ) == original
    with skip_backoff() as outer, skip_backoff() as inner:
        assert standard.RetryPolicy.compute_retry_delay is not original[0]
        assert retryhandler.RetryHandler.__call__ is not original[1]
        assert outer == inner == []
    assert (
        standard.RetryPolicy.compute_retry_delay,
        retryhandler.RetryHandler.__call__,
    ) == original


def test_the_public_name_is_this_function() -> None:
    assert exported is skip_backoff


@pytest.mark.parametrize("mode", ["standard", "legacy"])
def test_every_user_sees_every_skipped_delay(mode: str) -> None:
    client = bedrock_client(config=Config(retries={"mode": mode, "max_attempts": 3}))
    with skip_backoff() as outer, skip_backoff() as inner, BedrockMock(skip_backoff=False) as mock:
        route = mock.on(model_id=MODEL)
        route.side_effect = [mock.throttling(), mock.throttling(), Answer("after two retries")]
        started = time.monotonic()
        result = client.invoke_model(modelId=MODEL, body=BODY)
        elapsed = time.monotonic() - started
    assert json.loads(result["body"].read())["generation"] == "after two retries"
    assert result["ResponseMetadata"]["RetryAttempts"] == 2
    assert len(outer) == 2 and outer == inner
    assert all(delay >= 0 for delay in outer)
    assert elapsed < 0.5


def test_a_later_user_does_not_see_earlier_delays() -> None:
    client = bedrock_client(config=Config(retries={"mode": "standard", "max_attempts": 2}))
    with BedrockMock() as mock:
        mock.on(model_id=MODEL, side_effect=[mock.throttling(), Answer()])
        client.invoke_model(modelId=MODEL, body=BODY)
        with skip_backoff() as late:
            assert late == []
        assert len(mock.backoff_delays) == 1
