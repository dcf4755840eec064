"""The environment a replayed or simulated test runs in: dummy credentials, no profile or
configuration file of the machine's, a region, and one boto3 session for every such test."""

from __future__ import annotations

import os
from typing import Any

DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "bedrock-vcr-replay",
    "AWS_SECRET_ACCESS_KEY": "bedrock-vcr-replay",
    "AWS_SESSION_TOKEN": "bedrock-vcr-replay",
    "AWS_EC2_METADATA_DISABLED": "true",
}
_NO_FILE = os.path.join(os.devnull, "bedrock-vcr-no-such-file")
#: What is set (``None``: removed) while a test replays.
REPLAY_ENV: dict[str, str | None] = {
    **DUMMY_ENV,
    "AWS_PROFILE": None,
    "AWS_DEFAULT_PROFILE": None,
    "AWS_BEARER_TOKEN_BEDROCK": None,
    "AWS_CONFIG_FILE": _NO_FILE,
    "AWS_SHARED_CREDENTIALS_FILE": _NO_FILE,
}
#: The boto3 module and the session made for replay under the dummy environment.
_replay_session: tuple[Any, Any] | None = None


class ReplayEnvironment:
    """Sets :data:`REPLAY_ENV` (and ``AWS_DEFAULT_REGION`` when no region is set) and
    ``boto3.DEFAULT_SESSION`` for the block, and puts back what was there.

    Set directly rather than through ``pytest.MonkeyPatch``, which costs every replayed test
    about 30 us for these few names.
    """

    def __init__(self) -> None:
        self._saved: list[tuple[str, str | None]] = []
        self._session: tuple[Any, Any] | None = None

    def __enter__(self) -> None:
        environ = os.environ
        changes = dict(REPLAY_ENV)
        if not environ.get("AWS_DEFAULT_REGION") and not environ.get("AWS_REGION"):
            changes["AWS_DEFAULT_REGION"] = "us-east-1"
        for name, value in changes.items():
            self._saved.append((name, environ.get(name)))
            _put(name, value)
        self._use_replay_session()

    def __exit__(self, *exc: object) -> None:
        if self._session is not None:
            boto3, previous = self._session
            boto3.DEFAULT_SESSION = previous
            self._session = None
        saved, self._saved = self._saved, []
        for name, value in reversed(saved):
            _put(name, value)

    def _use_replay_session(self) -> None:
        # boto3.client() goes through boto3.DEFAULT_SESSION, which may hold what the real
        # environment gave it. One session made under the dummy environment serves every
        # replayed test (building a session reads botocore's data files: tens of ms per test);
        # it reads the region from the environment at each client creation, and its
        # credentials are the dummy. (Keyed by the boto3 module: an in-process inner pytest
        # run, as pytester makes, may have imported boto3 and botocore afresh, and a session
        # of the old ones would make clients of a botocore that nothing watches.)
        global _replay_session
        import boto3

        if _replay_session is None or _replay_session[0] is not boto3:
            _replay_session = (boto3, boto3.Session())
        self._session = (boto3, boto3.DEFAULT_SESSION)
        boto3.DEFAULT_SESSION = _replay_session[1]


def _put(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
