"""The ``bedrock-vcr serve`` flags for the server's resource limits (see
:mod:`bedrock_vcr.server.limits`): one flag per keyword of
:class:`~bedrock_vcr.server.http1.BedrockServer`, each defaulting to the server's default."""

from __future__ import annotations

import argparse
from typing import Any

from ..server.limits import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_RESETS_PER_SECOND,
    DEFAULT_MAX_STREAMS,
    DEFAULT_MAX_WORKERS,
)

#: (keyword, default, help) of each limit; ``None`` means "derived" (see the help).
LIMITS: tuple[tuple[str, int | None, str], ...] = (
    ("max_connections", DEFAULT_MAX_CONNECTIONS, "open connections; more are closed at once"),
    ("max_streams", DEFAULT_MAX_STREAMS, "concurrent streams per HTTP/2 connection"),
    (
        "max_workers",
        DEFAULT_MAX_WORKERS,
        "threads answering HTTP/2 streams and blocking sources, server-wide",
    ),
    (
        "max_connection_body",
        None,
        "request-body bytes one connection may hold at once (default: --max-body)",
    ),
    (
        "max_resets_per_second",
        DEFAULT_MAX_RESETS_PER_SECOND,
        "stream resets per HTTP/2 connection and second before GOAWAY ENHANCE_YOUR_CALM",
    ),
)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def add_options(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("limits (what clients can make the server spend)")
    for name, default, text in LIMITS:
        suffix = f" (default {default})" if default is not None else ""
        group.add_argument(
            "--" + name.replace("_", "-"),
            type=_positive,
            default=default,
            metavar="N",
            help=text + suffix,
        )


def options(args: argparse.Namespace) -> dict[str, Any]:
    """The limits the arguments give, as keywords of ``BedrockServer``."""
    return {name: getattr(args, name) for name, _, _ in LIMITS}
