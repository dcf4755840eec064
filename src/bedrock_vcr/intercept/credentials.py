"""The credential values a botocore or aiobotocore client holds, so that none is ever written.

A ``bedrock-runtime`` client signs with what its request signer holds: SigV4 credentials (an
access key id, a secret access key and, for temporary credentials, a session token) and, since
botocore 1.39, a bearer token for Bedrock API keys. botocore reads ``AWS_BEARER_TOKEN_BEDROCK``
when the client is made and keeps it on the signer as a ``FrozenAuthToken``; with it set,
requests carry ``Authorization: Bearer <key>`` instead of a SigV4 signature.

:func:`held_credentials` reads those values without refreshing anything (a refreshable
credential is read as it was last fetched: the request being answered was signed with it), and
adds the values the request itself carries (the access key id in a SigV4 ``Authorization``, the
bearer key, ``X-Amz-Security-Token``) and the standard environment variables. The cassette
redacts every one of them (:mod:`bedrock_vcr.cassettes.redaction`).
"""

from __future__ import annotations

import os
import re
from typing import Any

from botocore.awsrequest import AWSPreparedRequest

from .._tracebacks import hide as __tracebackhide__  # noqa: F401 (pytest reads it)
from ..cassettes.redaction import KnownSecrets

ACCESS_KEY_ID = "aws_access_key_id"
SECRET_ACCESS_KEY = "aws_secret_access_key"
SESSION_TOKEN = "aws_session_token"
BEARER_TOKEN = "aws_bearer_token_bedrock"

#: attribute of botocore's Credentials (plain or refreshable) -> credential name
_CREDENTIAL_ATTRIBUTES = (
    (ACCESS_KEY_ID, ("_access_key", "access_key")),
    (SECRET_ACCESS_KEY, ("_secret_key", "secret_key")),
    (SESSION_TOKEN, ("_token", "token")),
)
_ENVIRONMENT = (
    (ACCESS_KEY_ID, "AWS_ACCESS_KEY_ID"),
    (SECRET_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY"),
    (SESSION_TOKEN, "AWS_SESSION_TOKEN"),
    (SESSION_TOKEN, "AWS_SECURITY_TOKEN"),
    (BEARER_TOKEN, "AWS_BEARER_TOKEN_BEDROCK"),
)
_SIGV4_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else None


def _from_signer(client: Any) -> list[tuple[str, str]]:
    signer = getattr(client, "_request_signer", None)
    found: list[tuple[str, str]] = []
    credentials = getattr(signer, "_credentials", None)
    # vars(): a refreshable credential's properties would refresh it; its fields do not
    state = getattr(credentials, "__dict__", {})
    for name, attributes in _CREDENTIAL_ATTRIBUTES:
        for attribute in attributes:
            value = _text(state.get(attribute))
            if value:
                found.append((name, value))
                break
    token = getattr(signer, "_auth_token", None)
    # a FrozenAuthToken holds .token; a refreshable one its last frozen token
    frozen = token if hasattr(token, "token") else getattr(token, "_frozen_token", None)
    value = _text(getattr(frozen, "token", None))
    if value:
        found.append((BEARER_TOKEN, value))
    return found


def _from_request(request: AWSPreparedRequest) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    headers = request.headers
    authorization = _text(headers.get("Authorization")) or ""
    if authorization[:7].lower() == "bearer ":
        found.append((BEARER_TOKEN, authorization[7:].strip()))
    else:
        match = _SIGV4_CREDENTIAL.search(authorization)
        if match:
            found.append((ACCESS_KEY_ID, match.group(1)))
    token = _text(headers.get("X-Amz-Security-Token"))
    if token:
        found.append((SESSION_TOKEN, token))
    return found


def held_credentials(
    client: Any, request: AWSPreparedRequest | None = None, *, environment: bool = True
) -> list[tuple[str, str]]:
    """``(name, value)`` of every credential ``client`` holds and ``request`` carries, then the
    ones in the environment unless ``environment`` is false (names: ``aws_access_key_id``,
    ``aws_secret_access_key``, ``aws_session_token``, ``aws_bearer_token_bedrock``)."""
    found = _from_signer(client)
    if request is not None:
        found += _from_request(request)
    if environment:
        seen = {value for _, value in found}  # a value keeps the name it was first found by
        for name, value in environment_credentials():
            if value not in seen:
                found.append((name, value))
                seen.add(value)
    return list(dict.fromkeys(found))


def environment_credentials() -> list[tuple[str, str]]:
    """``(name, value)`` of the credentials the standard environment variables hold."""
    found: list[tuple[str, str]] = []
    for name, variable in _ENVIRONMENT:
        value = os.environ.get(variable)
        if value:
            found.append((name, value))
    return found


def note_credentials(
    secrets: KnownSecrets,
    client: Any,
    request: AWSPreparedRequest | None,
    *,
    environment: bool = True,
) -> None:
    """Tell ``secrets`` (a cassette's) every credential value ``client`` and ``request`` hold,
    and those of the environment unless ``environment`` is false."""
    for name, value in held_credentials(client, request, environment=environment):
        secrets.add(name, value)
