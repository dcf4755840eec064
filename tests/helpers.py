"""What several test modules share: the no-retry config, a bedrock-runtime client factory, and
where the real recordings of other projects live (tests that read them skip without them)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

# one attempt, no retry: a test sees exactly the answer it arranged
NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})

REAL_CASSETTES = Path(
    os.environ.get(
        "BEDROCK_VCR_REAL_CASSETTES",
        Path(__file__).resolve().parents[2] / "shared" / "real-cassettes",
    )
)


def bedrock_client(
    url: str | None = None,
    *,
    config: Config | None = NO_RETRY,
    session: boto3.Session | None = None,
    region: str = "us-east-1",
) -> Any:
    """A real boto3 bedrock-runtime client (to ``url`` when given), with no retries by default."""
    maker = session.client if session is not None else boto3.client
    return maker("bedrock-runtime", endpoint_url=url, region_name=region, config=config)


# one retry (two attempts): for tests that arrange a failure and then the answer
ONE_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 2})
