"""The ``bedrock-vcr`` command: inspect, validate, scrub and import cassettes; serve; schemas.

The parser is assembled from the command modules of :mod:`bedrock_vcr.cli`; this module runs the
chosen command and turns a :class:`~bedrock_vcr.errors.BedrockVCRError` or an :class:`OSError`
(a file that cannot be read, a port in use) into a one-line message and exit status 1. Exit status
2 means arguments that cannot work together (argparse's own errors, or ``-o`` naming one file for
several cassettes); commands given several files report each failure and go on. Output into a
pipe whose reader went away (``bedrock-vcr schema ID | head -1``) ends quietly with status 141
(128 + SIGPIPE, what a shell reports for such a writer), without a traceback or a message.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ..errors import BedrockVCRError
from . import register_all

#: Exit status when the reader of standard output went away: 128 + SIGPIPE, as a shell reports.
BROKEN_PIPE = 141


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bedrock-vcr")
    except PackageNotFoundError:  # run from a source tree that was never installed
        from .. import __version__

        return __version__


def _quiet_broken_pipe() -> int:
    """Point standard output at the null device, so the interpreter's last flush does not fail
    again (and print "Exception ignored ... BrokenPipeError") at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (captured): nothing to flush
        pass
    finally:
        os.close(devnull)
    return BROKEN_PIPE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bedrock-vcr",
        description="Record, replay, validate and simulate Amazon Bedrock Runtime calls.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    register_all(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here rather than at the interpreter's exit
        return code
    except BrokenPipeError:
        return _quiet_broken_pipe()
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
