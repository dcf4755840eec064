"""``bedrock-vcr import``: convert vcrpy / pytest-recording cassettes to this format.

The conversion itself is :func:`bedrock_vcr.cassettes.vcrpy_convert.convert_file`; this picks the
output names (``NAME.bedrock.yaml`` beside each input, or a given file or folder) and prints each
report. Every destination is checked before the first is written (see :mod:`.outputs`); a file
that cannot be converted is reported and the others still are, and the exit status is 1 when any
failed.

The module is not called ``import``, which Python cannot import by name.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import BedrockVCRError
from .outputs import destinations, report_failure, report_total


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import", help="convert other recorders' cassettes (vcrpy, nock, ...) to this format"
    )
    p.add_argument(
        "paths",
        nargs="+",
        metavar="CASSETTE",
        help="vcrpy/pytest-recording, pydantic-ai, langchain-aws (.yaml.gz) or nock (.json) files",
    )
    p.add_argument(
        "-o", "--output", help="output file, or folder (default: NAME.bedrock.yaml beside it)"
    )
    p.add_argument("-f", "--force", action="store_true", help="replace an existing output file")
    p.set_defaults(func=run)


def _stem(path: Path) -> str:
    """``a`` for ``a.yaml``, ``a.json`` and ``a.yaml.gz``."""
    name = path.name[: -len(".gz")] if path.name.endswith(".gz") else path.name
    return Path(name).stem


def run(args: argparse.Namespace) -> int:
    from ..cassettes.vcrpy_convert import convert_file

    sources = [Path(p) for p in args.paths]
    targets = destinations(
        "import",
        sources,
        args.output,
        default=lambda src: src.with_name(_stem(src) + ".bedrock.yaml"),
    )
    if targets is None:
        return 2
    failed = 0
    for src, dest in zip(sources, targets, strict=True):
        try:
            report = convert_file(src, dest, overwrite=args.force)
        except (BedrockVCRError, OSError) as exc:
            report_failure("import", src, exc)
            failed += 1
            continue
        print(report.summary())
    return report_total("import", failed, len(sources))
