"""``bedrock-vcr import``: convert vcrpy / pytest-recording cassettes to this format.

The conversion itself is :func:`bedrock_vcr.cassettes.vcrpy_convert.convert_file`; this picks the
output names (``NAME.bedrock.yaml`` beside each input, or a given file or folder) and prints each
report.
The module is not called ``import``, which Python cannot import by name.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="convert vcrpy/pytest-recording cassettes to this format")
    p.add_argument("paths", nargs="+", metavar="VCRPY_CASSETTE")
    p.add_argument(
        "-o", "--output", help="output file, or folder (default: NAME.bedrock.yaml beside it)"
    )
    p.add_argument("-f", "--force", action="store_true", help="replace an existing output file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..cassettes.vcrpy_convert import convert_file

    sources = [Path(p) for p in args.paths]
    if args.output and len(sources) > 1 and not Path(args.output).is_dir():
        print("--output must be a folder when importing several cassettes", file=sys.stderr)
        return 2
    for src in sources:
        if args.output:
            out = Path(args.output)
            dest = out / src.name if out.is_dir() else out
        else:
            dest = src.with_name(src.stem + ".bedrock.yaml")
        report = convert_file(src, dest, overwrite=args.force)
        print(report.summary())
    return 0
