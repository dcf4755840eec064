"""``bedrock-vcr validate`` and ``bedrock-vcr schema``: the model schemas from the command line.

``validate PATH...`` checks every request, answer and stream chunk of cassettes (bedrock-vcr and
vcrpy ones; folders are searched recursively for ``*.yaml``/``*.yml``), and that every stream
ends the way its operation and model family end (:mod:`~bedrock_vcr.cassettes.stream_end`); it
exits 1 when one breaks its schema, is cut short or cannot be read. A model id that takes a family
by its prefix but is no known id (``meta.llama3-8b-instruct-v1:O``) gets a note naming the nearest
known id, and is a problem under ``--strict-models`` (:mod:`~bedrock_vcr.bedrock.known_models`).
``schema MODEL_ID`` prints the schema a model's payloads must fit.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Iterator, Mapping, Sequence
from fnmatch import fnmatchcase
from pathlib import Path

from ..bedrock.known_models import nearest_known, unlisted
from ..bedrock.models import FAMILIES, UNKNOWN
from ..cassettes import storage, stream_end
from ..cassettes.records import Interaction
from ..cassettes.stream_end import CutShort
from ..errors import BedrockVCRError, TruncatedStreamWarning, UnknownModelError
from ..validation.checks import CassetteReport, PayloadChecker, check_interactions
from ..validation.schemas import KINDS, OPERATIONS, schema_for

#: What a folder is searched for (JSON files, such as nock recordings, are checked when named).
PATTERNS = ("*.yaml", "*.yml", "*.yaml.gz", "*.yml.gz")


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


def _unlisted_models(
    interactions: Sequence[Interaction], overrides: Mapping[str, str]
) -> dict[str, int]:
    """Interactions per model id that is not a known id (a misspelling, most likely), leaving out
    ids the caller mapped with ``--model-family``."""
    found: dict[str, int] = {}
    for interaction in interactions:
        model_id = interaction.request.model_id
        if any(model_id == p or fnmatchcase(model_id, p) for p in overrides):
            continue
        if model_id and unlisted(model_id):
            found[model_id] = found.get(model_id, 0) + 1
    return found


def _print_unlisted(unlisted_ids: Mapping[str, int], args: argparse.Namespace) -> None:
    for model_id, count in unlisted_ids.items():
        near = nearest_known(model_id)
        hint = f" (did you mean {near!r}?)" if near else ""
        if args.strict_models:
            print(
                f"  {count} interaction(s) with model {model_id!r}: not a known model id{hint}; "
                "fix: correct it, or map a newer model with --model-family ID=FAMILY"
            )
        elif not args.quiet:
            print(f"  note: model {model_id!r} is not a known model id{hint}")


def _print_report(
    report: CassetteReport,
    args: argparse.Namespace,
    cut: list[CutShort],
    unlisted_ids: Mapping[str, int],
) -> int:
    """Print one cassette's result; returns the number of problems counted against it."""
    unknown = report.unknown_models
    problems = len(report.findings) + len(cut)
    if args.strict_models:
        problems += sum(unknown.values()) + sum(unlisted_ids.values())
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
    _print_unlisted(unlisted_ids, args)
    return problems


def run_validate(args: argparse.Namespace) -> int:
    checker = PayloadChecker(dict(args.model_family))
    files = failed = unreadable = problems = interactions = 0
    for name in args.paths:
        paths = list(_cassettes(name))
        if not paths:
            print(f"{name}: no *.yaml or *.yml cassette found (nor *.yaml.gz)")
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
            unlisted_ids = _unlisted_models(loaded, checker.overrides or {})
            found = _print_report(report, args, cut, unlisted_ids)
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
