"""``bedrock-vcr validate`` and ``bedrock-vcr schema``: the model schemas from the command line.

``validate PATH...`` checks every request, answer and stream chunk of cassettes (bedrock-vcr and
vcrpy ones; folders are searched recursively for ``*.yaml``/``*.yml``), and that every stream
ends the way its operation and model family end (:mod:`~bedrock_vcr.cassettes.stream_end`); it
exits 1 when one breaks its schema, is cut short or cannot be read. ``schema MODEL_ID`` prints
the schema a model's payloads must fit.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

from ..bedrock.models import FAMILIES, UNKNOWN
from ..cassettes import storage, stream_end
from ..cassettes.stream_end import CutShort
from ..errors import BedrockVCRError, TruncatedStreamWarning, UnknownModelError
from ..validation.checks import CassetteReport, PayloadChecker, check_interactions
from ..validation.schemas import KINDS, OPERATIONS, schema_for

PATTERNS = ("*.yaml", "*.yml")


def _family_arg(text: str) -> tuple[str, str]:
    pattern, sep, family = text.rpartition("=")
    if not sep or not pattern or family.partition(":")[0] not in FAMILIES:
        raise argparse.ArgumentTypeError(
            f"expected MODEL_ID_OR_PATTERN=FAMILY with a family among "
            f"{', '.join(sorted(FAMILIES))}; got {text!r}"
        )
    return pattern, family


def _add_family_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model-family",
        action="append",
        type=_family_arg,
        default=[],
        metavar="ID=FAMILY",
        help="validate a model id (or fnmatch pattern) as this family, e.g. "
        "'arn:aws:bedrock:*:imported-model/*=meta.llama' (repeatable)",
    )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate",
        help="check cassettes' requests, answers and stream chunks against the model schemas",
        description="Exit status: 0 all valid, 1 a violation or an unreadable cassette.",
    )
    p.add_argument(
        "paths", nargs="+", metavar="PATH", help="cassette files, or folders searched recursively"
    )
    p.add_argument(
        "--strict-models",
        action="store_true",
        help="fail on model ids with no known schema (default: skip them with a note)",
    )
    _add_family_option(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems and the total")
    p.set_defaults(func=run_validate)

    p = sub.add_parser("schema", help="print the JSON Schema a model's payloads must fit")
    p.add_argument("model_id", metavar="MODEL_ID", help="any spelling Bedrock accepts (ARNs too)")
    p.add_argument("--kind", choices=KINDS, default="request", help="default: request")
    p.add_argument(
        "--operation",
        choices=OPERATIONS,
        default=None,
        help="default: InvokeModel (InvokeModelWithResponseStream for --kind chunk)",
    )
    _add_family_option(p)
    p.set_defaults(func=run_schema)


# --- validate ----------------------------------------------------------------------------------


def _cassettes(name: str) -> Iterator[Path]:
    path = Path(name)
    if path.is_dir():
        found = {p for pattern in PATTERNS for p in path.rglob(pattern) if p.is_file()}
        yield from sorted(found)
    else:
        yield path


def _print_report(report: CassetteReport, args: argparse.Namespace, cut: list[CutShort]) -> int:
    """Print one cassette's result; returns the number of problems counted against it."""
    unknown = report.unknown_models
    problems = len(report.findings) + len(cut)
    problems += sum(unknown.values()) if args.strict_models else 0
    count = f"{report.interactions} interaction(s)"
    if unknown and not args.strict_models:
        count += f" ({sum(unknown.values())} not checked)"
    if problems:
        print(f"{report.path}: {problems} problem(s) in {count}")
    elif not args.quiet:
        print(f"{report.path}: ok, {count}")
    for finding in report.findings:
        print(f"  {finding}")
    for stream in cut:
        print(f"  {stream}")
    for model_id, skipped in unknown.items():
        if args.strict_models:
            print(f"  {skipped} interaction(s) with model {model_id!r}: no schema is known")
        elif not args.quiet:
            print(
                f"  note: {skipped} interaction(s) not checked, no schema is known for model "
                f"{model_id!r} (map it with --model-family ID=FAMILY)"
            )
    return problems


def run_validate(args: argparse.Namespace) -> int:
    checker = PayloadChecker(dict(args.model_family))
    files = failed = unreadable = problems = interactions = 0
    for name in args.paths:
        paths = list(_cassettes(name))
        if not paths:
            print(f"{name}: no *.yaml or *.yml cassette found")
            unreadable += 1
            continue
        for path in paths:
            files += 1
            try:
                with warnings.catch_warnings():  # cut-short streams are reported below
                    warnings.simplefilter("ignore", TruncatedStreamWarning)
                    loaded = storage.load_file(path)
            except (BedrockVCRError, OSError) as exc:
                unreadable += 1
                print(f"{path}: cannot be read: {exc}")
                continue
            report = check_interactions(loaded, path=path, checker=checker)
            interactions += report.interactions
            cut = stream_end.cut_short(loaded, checker.overrides)
            found = _print_report(report, args, cut)
            problems += found
            failed += bool(found)
    summary = (
        f"checked {files} cassette(s), {interactions} interaction(s): "
        f"{problems} problem(s) in {failed} cassette(s)"
    )
    if unreadable:
        summary += f", {unreadable} unreadable or missing"
    print(summary)
    return 1 if problems or unreadable else 0


# --- schema ------------------------------------------------------------------------------------


def run_schema(args: argparse.Namespace) -> int:
    operation = args.operation or (
        "InvokeModelWithResponseStream" if args.kind == "chunk" else "InvokeModel"
    )
    try:
        schema = schema_for(
            args.model_id, args.kind, operation, overrides=dict(args.model_family) or None
        )
    except UnknownModelError:
        print(
            f"bedrock-vcr schema: no schema is known for model {args.model_id!r}.\n"
            "  fix: name its family with --model-family ID=FAMILY (families: "
            f"{', '.join(sorted(FAMILIES - {UNKNOWN}))}).",
            file=sys.stderr,
        )
        return 1
    json.dump(schema, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
