"""``bedrock-vcr scrub``: rewrite cassettes without volatile response headers.

Headers such as ``date`` and ``x-amzn-requestid`` change on every recording and make cassette
diffs noisy; writing the file again also re-runs the check for secrets.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cassettes import storage
from ..cassettes import yaml_format as serialize
from ..errors import BedrockVCRError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scrub", help="drop volatile response headers and re-check for secrets")
    p.add_argument("paths", nargs="+", metavar="CASSETTE")
    p.add_argument(
        "--drop-header",
        action="append",
        default=["date", "x-amzn-requestid"],
        metavar="NAME",
        help="response header to remove (repeatable; default: date, x-amzn-requestid)",
    )
    p.add_argument("-o", "--output", help="write here instead of rewriting in place")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Rewrite cassettes without volatile response headers (and check them for secrets)."""
    drop = {h.lower() for h in args.drop_header}
    status = 0
    for name in args.paths:
        path = Path(name)
        interactions = storage.load_file(path)
        removed = 0
        for interaction in interactions:
            response = interaction.response
            assert response is not None
            for header in list(response.headers):
                if header.lower() in drop:
                    del response.headers[header]
                    removed += 1
        text = serialize.dumps(interactions)
        target = Path(args.output) if args.output else path
        try:
            storage.write_atomic(target, text)
        except BedrockVCRError as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            status = 1
            continue
        print(f"{path}: removed {removed} header value(s); wrote {target}")
    return status
