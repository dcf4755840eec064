"""``bedrock-vcr scrub``: rewrite cassettes without volatile response headers.

Headers such as ``date`` and ``x-amzn-requestid`` change on every recording and make cassette
diffs noisy; writing the file again also re-runs the check for secrets.

Nothing is destroyed on the way: a vcrpy cassette is refused (rewriting it would turn it into
bedrock-vcr's format and drop its non-Bedrock interactions, so vcrpy could no longer read it;
``bedrock-vcr import`` converts it into a new file instead), several cassettes go to a folder
given with ``-o`` under their own names (two of the same name are refused before anything is
written), and a file that cannot be read or written is reported while the others go on.
"""

from __future__ import annotations

import argparse
from collections.abc import Collection
from pathlib import Path

from ..cassettes import storage, vcrpy
from ..cassettes import yaml_format as serialize
from ..errors import BedrockVCRError, VcrpyCassetteError
from .outputs import destinations, report_failure, report_total


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
    p.add_argument(
        "-o",
        "--output",
        help="write here instead of rewriting in place: a file for one cassette, or an "
        "existing folder (each cassette keeps its name)",
    )
    p.set_defaults(func=run)


def scrub_file(source: Path, target: Path, drop: Collection[str]) -> int:
    """Write ``source`` to ``target`` without the response headers named in ``drop`` (lower
    case); returns how many header values were removed.

    Raises :class:`~bedrock_vcr.errors.VcrpyCassetteError` for a vcrpy cassette (nothing is
    written), :class:`~bedrock_vcr.errors.SecretInCassetteError` when the result would hold a
    credential, :class:`OSError` when ``source`` cannot be read.
    """
    if vcrpy.file_is_vcrpy(source):
        raise VcrpyCassetteError(
            "this is a vcrpy cassette; scrubbing it would rewrite it in bedrock-vcr's format and "
            "drop its non-Bedrock interactions, so it was left unchanged",
            path=source,
            fix=f"convert it first with `bedrock-vcr import {source}`, then scrub the "
            "converted file",
        )
    interactions = storage.load_file(source)
    removed = 0
    for interaction in interactions:
        response = interaction.response
        assert response is not None
        for header in list(response.headers):
            if header.lower() in drop:
                del response.headers[header]
                removed += 1
    storage.write_atomic(target, serialize.dumps(interactions))
    return removed


def run(args: argparse.Namespace) -> int:
    """Rewrite cassettes without volatile response headers (and check them for secrets)."""
    drop = {h.lower() for h in args.drop_header}
    sources = [Path(p) for p in args.paths]
    targets = destinations("scrub", sources, args.output, default=lambda path: path)
    if targets is None:
        return 2
    failed = 0
    for source, target in zip(sources, targets, strict=True):
        try:
            removed = scrub_file(source, target, drop)
        except (BedrockVCRError, OSError) as exc:
            report_failure("scrub", source, exc)
            failed += 1
            continue
        print(f"{source}: removed {removed} header value(s); wrote {target}")
    return report_total("scrub", failed, len(sources))
