"""The ``bedrock-vcr`` command: inspect, validate, scrub and import cassettes; serve; schemas."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ..cassettes import yaml_format as serialize
from ..cassettes.records import Interaction
from ..errors import BedrockVCRError


def _interactions(path: Path) -> list[Interaction]:
    return serialize.load_file(path)


# --- inspect -----------------------------------------------------------------------------------


def cmd_inspect(args: argparse.Namespace) -> int:
    for path in args.paths:
        interactions = _interactions(Path(path))
        print(f"{path}: {len(interactions)} interaction(s)")
        for index, interaction in enumerate(interactions):
            request, response = interaction.request, interaction.response
            assert response is not None
            if response.events is not None:
                kinds: dict[str, int] = {}
                for event in response.events:
                    name = event.event_type or "?"
                    kinds[name] = kinds.get(name, 0) + 1
                summary = ", ".join(f"{n} {k}" for k, n in kinds.items()) or "no events"
                what = f"stream of {len(response.events)} event(s) ({summary})"
                if response.events:
                    what += f" over {response.events[-1].offset:.3f}s"
                if response.stream_end != "complete":
                    what += f", {response.stream_end}"
            else:
                what = f"{len(response.body)} byte body"
            print(f"  #{index} {request.operation} {request.model_id} -> {response.status} {what}")
            if args.verbose:
                body = request.json
                print("     request: " + (json.dumps(body)[:200] if body is not None else "-"))
    return 0


# --- scrub ---------------------------------------------------------------------------------------


def cmd_scrub(args: argparse.Namespace) -> int:
    """Rewrite cassettes without volatile response headers (and check them for secrets)."""
    drop = {h.lower() for h in args.drop_header}
    status = 0
    for name in args.paths:
        path = Path(name)
        interactions = _interactions(path)
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
            serialize.write_atomic(target, text)
        except BedrockVCRError as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            status = 1
            continue
        print(f"{path}: removed {removed} header value(s); wrote {target}")
    return status


# --- import --------------------------------------------------------------------------------------


def cmd_import(args: argparse.Namespace) -> int:
    from ..cassettes.vcrpy import convert_file

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


# --- main ----------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bedrock-vcr",
        description="Record, replay, validate and simulate Amazon Bedrock Runtime calls.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("inspect", help="summarise the interactions of cassettes")
    p.add_argument("paths", nargs="+", metavar="CASSETTE")
    p.add_argument("-v", "--verbose", action="store_true", help="show request bodies")
    p.set_defaults(func=cmd_inspect)

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
    p.set_defaults(func=cmd_scrub)

    p = sub.add_parser("import", help="convert vcrpy/pytest-recording cassettes to this format")
    p.add_argument("paths", nargs="+", metavar="VCRPY_CASSETTE")
    p.add_argument(
        "-o", "--output", help="output file, or folder (default: NAME.bedrock.yaml beside it)"
    )
    p.add_argument("-f", "--force", action="store_true", help="replace an existing output file")
    p.set_defaults(func=cmd_import)

    from . import register_all

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
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
