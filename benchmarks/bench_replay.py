"""Per-call cost of replaying Bedrock Runtime calls: bedrock-vcr, vcrpy, botocore's floor, live.

    python benchmarks/bench_replay.py            # full run (several minutes)
    python benchmarks/bench_replay.py --quick    # under a minute
    python benchmarks/bench_replay.py --help     # sizes, iterations, --json, --profile

Each timed call is a real boto3 call that consumes the whole answer: ``invoke_model`` reads its
body, ``invoke_model_with_response_stream`` iterates every event. ``benchmarks/README.md`` says
what each row measures and how the cassettes are built.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import botocore  # noqa: E402
import report  # noqa: E402
from approaches import (  # noqa: E402
    Loaded,
    Row,
    bedrock_vcr_rows,
    live_row,
    profile_replay,
    simulated_row,
    vcrpy_row,
)
from timing import Plan  # noqa: E402
from workload import (  # noqa: E402
    OP_LABEL,
    Workload,
    generate_bedrock_vcr,
    record_bedrock_vcr,
    record_vcrpy,
)

import bedrock_vcr  # noqa: E402
from bedrock_vcr.server.http1 import BedrockServer  # noqa: E402

DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


# --- options -------------------------------------------------------------------------------------


def parse_sizes(text: str) -> list[int]:
    if text.strip().lower() in ("", "none"):
        return []
    try:
        sizes = sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"sizes are integers separated by commas (or 'none'), got {text!r}"
        ) from None
    if sizes[0] < 2:
        raise argparse.ArgumentTypeError(
            f"a cassette needs at least 2 interactions (one per operation), got {text!r}"
        )
    return sizes


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Per-call replay cost: bedrock-vcr vs vcrpy vs botocore's floor vs live.",
    )
    add = parser.add_argument
    add(
        "--quick", action="store_true", help="sizes 10,100, fewer calls: finishes in under a minute"
    )
    add("--sizes", type=parse_sizes, help="bedrock-vcr cassette sizes (10,1000,10000)")
    add(
        "--vcrpy-sizes", type=parse_sizes, help="vcrpy cassette sizes (10,1000); 'none' skips vcrpy"
    )
    add("--calls", type=int, help="calls per timed batch (200)")
    add("--repeats", type=int, help="timed batches per contender, median kept (7)")
    add("--warmup", type=int, help="untimed calls per contender first (50)")
    add("--vcrpy-calls", type=int, help="calls per batch for vcrpy, which scans its cassette (20)")
    add("--vcrpy-repeats", type=int, help="timed batches for vcrpy (5)")
    add("--chunks", type=int, default=50, help="events per stream (50)")
    add(
        "--stream-share",
        type=float,
        default=0.5,
        help="fraction of cassette interactions that are streams (0.5)",
    )
    add(
        "--build",
        choices=("generate", "record"),
        default="generate",
        help="bedrock-vcr cassettes: 'generate' Interactions and write them with "
        "serialize.dumps (default), or 'record' them through use_cassette(record_mode='all') "
        "against the local server (slower)",
    )
    add(
        "--workdir",
        type=Path,
        help="keep cassettes in this folder and reuse them next time (default: a temporary "
        "folder removed at the end)",
    )
    add("--no-live", action="store_true", help="skip the live local server row")
    add(
        "--no-simulation",
        action="store_true",
        help="skip the simulated-answer row (BedrockMock)",
    )
    add(
        "--profile",
        action="store_true",
        help="also print where bedrock-vcr's own per-call time goes (cProfile)",
    )
    add("--seed", type=int, default=7, help="shuffles the order of replayed interactions")
    add("--json", type=Path, help="also write every figure to this JSON file")
    add("--check", action="store_true", help="exit with status 1 when a target is missed")
    add(
        "--render",
        type=Path,
        metavar="JSON",
        help="print the report of a run saved with --json again (measures nothing)",
    )
    args = parser.parse_args(argv)
    defaults = {
        "sizes": [10, 100] if args.quick else [10, 1000, 10000],
        "vcrpy_sizes": [10, 100] if args.quick else [10, 1000],
        "calls": 100 if args.quick else 200,
        "repeats": 5 if args.quick else 7,
        "warmup": 20 if args.quick else 50,
        "vcrpy_calls": 10 if args.quick else 20,
        "vcrpy_repeats": 3 if args.quick else 5,
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if not args.sizes:
        parser.error("--sizes needs at least one size")
    if not 0 < args.stream_share < 1:
        parser.error("--stream-share must be strictly between 0 and 1 (both operations run)")
    for name in ("calls", "repeats", "vcrpy_calls", "vcrpy_repeats", "chunks"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.vcrpy_sizes:
        try:
            import vcr  # noqa: F401
        except ImportError:
            parser.error("vcrpy is not installed: pip install vcrpy, or pass --vcrpy-sizes none")
    return args


# --- cassettes -----------------------------------------------------------------------------------


@dataclass
class Built:
    path: Path
    seconds: float | None  # None when an existing file was reused


def build_cassette(
    kind: str, workdir: Path, workload: Workload, size: int, build: str, url: str
) -> Built:
    how = "recorded" if kind == "vcrpy" or build == "record" else "generated"
    path = workdir / f"{kind}-{size}-c{workload.chunks}-s{workload.stream_share:g}-{how}.yaml"
    if path.exists():
        return Built(path, None)
    started = time.perf_counter()
    if kind == "vcrpy":
        record_vcrpy(path, workload, size, url)
    elif build == "record":
        record_bedrock_vcr(path, workload, size, url)
    else:
        generate_bedrock_vcr(path, workload, size)
    return Built(path, time.perf_counter() - started)


@contextmanager
def working_directory(path: Path | None) -> Iterator[Path]:
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    temp = Path(tempfile.mkdtemp(prefix="bedrock-vcr-bench-"))
    try:
        yield temp
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def progress(row: Row) -> None:
    """One row's figures as soon as they exist (a long run that fails later keeps them)."""
    figures = ", ".join(
        f"{OP_LABEL[op]} {timing.median:.3f} ms ({row.x_floor(op):.2f}x floor)"
        for op, timing in row.timings.items()
    )
    say(f"  {row.approach} [{row.size if row.size is not None else '-'}]: {figures}")


def note(one_time: dict[str, dict[str, Any]], key: str, loaded: Loaded) -> None:
    one_time["load_s"][key] = loaded.seconds
    one_time["file_mb"][key] = loaded.bytes / 1e6
    one_time["memory_held_mb"][key] = loaded.held_mb


# --- the run -------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> tuple[list[Row], dict[str, Any], str | None]:
    workload = Workload(chunks=args.chunks, stream_share=args.stream_share)
    plan = Plan(args.calls, args.repeats, args.warmup)
    vcrpy_plan = Plan(args.calls, args.vcrpy_repeats, args.warmup)
    rows: list[Row] = []
    one_time: dict[str, dict[str, Any]] = {
        "load_s": {},
        "file_mb": {},
        "memory_held_mb": {},
        "build_s": {},
    }
    profile_text = None
    with working_directory(args.workdir) as workdir:
        server = BedrockServer([workload.source()]).start()
        try:
            cassettes: dict[tuple[str, int], Path] = {}
            for kind, sizes in (("bedrock-vcr", args.sizes), ("vcrpy", args.vcrpy_sizes)):
                for size in sizes:
                    say(f"building the {kind} cassette of {size:,} interactions ...")
                    built = build_cassette(kind, workdir, workload, size, args.build, server.url)
                    cassettes[kind, size] = built.path
                    one_time["build_s"][f"{kind} {size}"] = built.seconds
            live = None
            if not args.no_live:
                say("timing the live local server ...")
                live = live_row(workload, max(args.sizes), plan, args.seed, server.url)
        finally:
            server.stop()  # from here on, a call that reaches the network fails

        for size in args.sizes:
            say(f"timing bedrock-vcr replay, {size:,} interactions (loading first) ...")
            path = cassettes["bedrock-vcr", size]
            replayed, loaded = bedrock_vcr_rows(path, workload, size, plan, args.seed)
            rows.extend(replayed)
            for row in replayed:
                progress(row)
            note(one_time, f"bedrock-vcr {size}", loaded)
            del replayed
            gc.collect()
        for size in args.vcrpy_sizes:
            say(f"timing vcrpy replay, {size:,} interactions ...")
            row, loaded = vcrpy_row(
                cassettes["vcrpy", size],
                workload,
                size,
                vcrpy_plan,
                args.seed,
                min(args.calls, args.vcrpy_calls),
            )
            rows.append(row)
            progress(row)
            note(one_time, f"vcrpy {size}", loaded)
            gc.collect()
        if not args.no_simulation:
            say("timing simulated answers ...")
            rows.append(simulated_row(workload, max(args.sizes), plan, args.seed))
            progress(rows[-1])
        if live is not None:
            rows.append(live)
            progress(live)
        if args.profile:
            say("profiling bedrock-vcr replay ...")
            size = min(args.sizes)
            profile_text = profile_replay(
                cassettes["bedrock-vcr", size], workload, size, args.calls, args.seed
            )
    return rows, one_time, profile_text


def vcrpy_version() -> str:
    try:
        import vcr
    except ImportError:
        return "absent"
    return str(vcr.__version__)


def render(
    settings: dict[str, Any],
    versions: dict[str, Any],
    rows: list[Row],
    one_time: dict[str, dict[str, Any]],
    profile_text: str | None,
    wall_s: float | None,
) -> tuple[str, dict[str, Any]]:
    """The printed report, and the targets' figures for the JSON document."""
    s = settings
    target_lines, results = report.targets(rows, s["sizes"], s["vcrpy_sizes"])
    how = (
        "recorded through use_cassette(record_mode='all')"
        if s["build"] == "record"
        else "generated (Interactions written with serialize.dumps)"
    )
    lines = [
        f"bedrock-vcr {versions['bedrock_vcr']} replay benchmark: botocore "
        f"{versions['botocore']}, vcrpy {versions['vcrpy']}, Python {versions['python']}, "
        f"{versions['cpus']} CPUs",
        f"ms/call = median of {s['repeats']} batches x {s['calls']} calls after {s['warmup']} "
        f"warm-up (vcrpy: {s['vcrpy_repeats']} x {min(s['calls'], s['vcrpy_calls'])}); every "
        f"call reads the whole body / iterates all {s['chunks']} events; replayed interactions "
        "spread over the whole cassette",
        "floor ms = the floor timed in alternating batches with that row; x floor = median over "
        "repeats of (row batch / floor batch of the same repeat)",
        f"bedrock-vcr cassettes {how}; vcrpy cassettes recorded through vcrpy against "
        f"BedrockServer; {s['stream_share']:.0%} of interactions are streams",
        "",
        *report.table(rows, s["chunks"]),
        "",
        "targets (cross-row ratios compare x-floor figures; raw ms ratios in brackets):",
        *(f"  {line}" for line in target_lines),
        "",
        "one-time costs (not in the per-call figures):",
    ]
    for key, seconds in one_time["load_s"].items():
        held = one_time["memory_held_mb"].get(key)
        lines.append(
            f"  load  {key:<20} {seconds:>9.2f} s   file {one_time['file_mb'][key]:>6.1f} MB   "
            f"RSS growth {'-' if held is None else format(held, ',.0f')} MB"
        )
    for key, seconds in one_time["build_s"].items():
        shown = "reused" if seconds is None else f"{seconds:.2f} s"
        lines.append(f"  build {key:<20} {shown:>9}")
    if wall_s is not None:
        lines.append(f"total wall time {wall_s:.1f} s")
    if profile_text:
        lines += ["", profile_text]
    return "\n".join(lines), results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render is not None:
        saved = json.loads(args.render.read_text(encoding="utf-8"))
        rows = report.rows_from_document(saved)
        text, _ = render(
            saved["settings"],
            saved["versions"],
            rows,
            saved["one_time"],
            saved["profile"],
            saved.get("wall_s"),
        )
        print(text)
        return 0
    os.environ.update(DUMMY_ENV)  # nothing here may read a real credential
    started = time.perf_counter()
    rows, one_time, profile_text = run(args)
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    versions = {
        "bedrock_vcr": bedrock_vcr.__version__,
        "botocore": botocore.__version__,
        "vcrpy": vcrpy_version(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    wall_s = time.perf_counter() - started
    text, results = render(settings, versions, rows, one_time, profile_text, wall_s)
    print(text)
    if args.json is not None:
        context = {
            "versions": versions,
            "settings": settings,
            "one_time": one_time,
            "profile": profile_text,
            "wall_s": wall_s,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        document = report.document(rows, results, context)
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        say(f"results written to {args.json}")
    missed = report.missed(results)
    if missed:
        say(f"targets missed: {', '.join(missed)}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
