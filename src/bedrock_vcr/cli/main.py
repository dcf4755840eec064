"""The ``bedrock-vcr`` command: inspect, validate, scrub and import cassettes; serve; schemas.

The parser is assembled from the command modules of :mod:`bedrock_vcr.cli`; this module runs the
chosen command and turns a :class:`~bedrock_vcr.errors.BedrockVCRError` or an :class:`OSError`
(a file that cannot be read, a port in use) into a one-line message and exit status 1. Exit status
2 means arguments that cannot work together (argparse's own errors, or ``-o`` naming one file for
several cassettes); commands given several files report each failure and go on.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import BedrockVCRError
from . import register_all


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bedrock-vcr",
        description="Record, replay, validate and simulate Amazon Bedrock Runtime calls.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    register_all(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except BedrockVCRError as exc:
        print(f"bedrock-vcr {args.command}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a path that cannot be read or written, a port in use...
        print(f"bedrock-vcr {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
