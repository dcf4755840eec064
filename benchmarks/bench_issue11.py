"""Every goal of issue 11 (but the server's) in one run: the measured ratio beside the goal.

    python benchmarks/bench_issue11.py            # suite of 500; load 10 .. 10,000; save 1,000
    python benchmarks/bench_issue11.py --quick    # suite of 40, 3 rounds; load 10, 200; save 200
    python benchmarks/bench_issue11.py --quick --sizes 10,1000,10000 --save-size 1000
    python benchmarks/bench_issue11.py --json out.json

It runs, one after the other in this process and its children, the measurements of
``bench_calls.py`` (per call, simulated answers, recording), ``bench_startup.py`` (start-up,
per test) and ``bench_suite.py`` (the suite, cassette load and save), then prints their tables
and one line per goal: the figure, the goal, PASS or MISS. Every ratio compares figures taken
side by side in this run (alternating batches, or interleaved rounds and processes). ``--quick``
keeps the shape but shrinks the sizes; the load and save goals are stated at 1,000 and 10,000
interactions, so a quick run checks them at its own sizes and says so.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_calls  # noqa: E402
import bench_startup  # noqa: E402
import bench_suite  # noqa: E402
import pytest_projects as P  # noqa: E402

#: Rounds of the start-up and per-test runs, at least (each is a few seconds).
STARTUP_ROUNDS = 9


def startup_figures(root: Path, rounds: int, tests: int) -> dict[str, Any]:
    bench_startup.trivial_project(root / "trivial")
    bench_startup.per_test_projects(root, tests)
    startup = bench_startup.alternate(root, bench_startup.STARTUP, rounds, 10, durations=False)
    per_test = bench_startup.alternate(root, bench_startup.PER_TEST, rounds, tests, durations=True)
    return {"startup": startup, "per_test": per_test}


def goal(label: str, value: float | None, limit: float, unit: str = "x") -> list[str]:
    shown = "-" if value is None else f"{value:.2f}{unit}"
    verdict = "n/a" if value is None else ("PASS" if value <= limit else "MISS")
    return [label, shown, f"<= {limit:g}{unit}", verdict]


def goal_rows(result: dict[str, Any], args: argparse.Namespace) -> list[list[str]]:
    rows: list[list[str]] = []
    runs = result["suite"]["suite"]["runs"]["suite"]
    x = functools.partial(bench_suite.paired_ratio, runs)
    rows.append(goal("suite wall / floor suite", x("bedrock-vcr", "floor"), 1.1))
    rows.append(goal("suite wall / pytest-recording", x("bedrock-vcr", "pytest-recording"), 1.0))
    rows.append(goal("suite wall, cache off / floor suite", x(bench_suite.NO_CACHE, "floor"), 1.1))
    files = result["suite"]["files"]

    def seconds(what: str, kind: str, size: int) -> dict[str, Any]:
        return next(r for r in files if (r["what"], r["kind"], r["size"]) == (what, kind, size))

    for size in args.sizes:
        vcrpy = seconds("load", "vcrpy Cassette.load", size)["seconds"]
        plain_json = seconds("load", "json.loads", size)["seconds"]
        names = {
            bench_suite.FIRST_PARSE: "first parse",
            "bedrock-vcr Cassette(), cached": "cached, Cassette()",
            bench_suite.CACHED_ENTER: "cached, use_cassette",
        }
        for kind, name in names.items():
            row = seconds("load", kind, size)
            rows.append(goal(f"load {size:,} ({name}) / vcrpy", row["seconds"] / vcrpy, 1.0))
            rows.append(
                goal(f"load {size:,} ({name}) / json.loads", row["seconds"] / plain_json, 5.0)
            )
            rows.append(
                goal(f"load {size:,} ({name}) peak / file", row["peak_mb"] / row["file_mb"], 3.0)
            )
            if size >= 10000:
                rows.append(goal(f"load {size:,} ({name}) seconds", row["seconds"], 2.0, " s"))
    save = seconds("save", "bedrock-vcr Cassette.save", args.save_size)["seconds"]
    vcrpy_save = seconds("save", "vcrpy Cassette._save", args.save_size)["seconds"]
    rows.append(goal(f"save {args.save_size:,} / vcrpy", save / vcrpy_save, 1.0))
    startup = result["startup"]["startup"]
    wall = {n: P.median([r["wall"] for r in rs]) for n, rs in startup.items()}
    rows.append(
        goal(
            "start-up: plugin / -p no:bedrock_vcr",
            wall["bedrock-vcr installed"] / wall["-p no:bedrock_vcr"],
            1.15,
        )
    )
    per_test = result["startup"]["per_test"]
    per = {n: P.median([sum(r["tests"]) for r in rs]) for n, rs in per_test.items()}
    rows.append(
        goal(
            "per test: marker / before-send floor",
            per["bedrock-vcr marker"] / per["before-send floor"],
            1.5,
        )
    )
    calls = result["calls"]["rows"]
    recorded = calls[bench_calls.RECORDED]
    rows.append(goal("recording: 50-event stream / plain call", recorded["stream"]["ratio"], 1.3))
    first = result["calls"]["first_event_ms"]
    rows.append(
        goal(
            "recording: time to first event / plain",
            first[bench_calls.RECORDED] / first[bench_calls.PLAIN],
            1.1,
        )
    )
    replay = calls[bench_calls.REPLAY]
    rows.append(goal("per call: invoke / unsigned floor", replay["invoke_model"]["ratio"], 1.15))
    rows.append(goal("per call: stream / unsigned floor", replay["stream"]["ratio"], 1.05))
    simulated = calls[bench_calls.SIMULATED]
    rows.append(
        goal("simulated 50-chunk stream / unsigned floor", simulated["stream"]["ratio"], 1.2)
    )
    return rows


def run(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    P.say("per call, simulated, recording ...")
    result: dict[str, Any] = {"calls": bench_calls.run(args.quick)}
    P.say("start-up and per test ...")
    # a trivial run takes half a second and swings by a fifth on shared cores: more rounds
    result["startup"] = startup_figures(root / "startup", max(args.rounds, STARTUP_ROUNDS), 20)
    P.say("suite, load and save ...")
    (root / "suite").mkdir()
    result["suite"] = bench_suite.run(args, root / "suite")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one round (~3 min)")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--workdir", type=Path, help="keep the generated files in DIR/issue11")
    parser.add_argument("--sizes", help="interactions of the load rows (10,1000,10000)")
    parser.add_argument("--save-size", help="interactions of the save rows (1000)")
    parser.add_argument("--cassettes", help="tests in the suite (500)")
    parser.add_argument("--rounds", help="timed rounds of the suite and start-up runs (5)")
    ours = parser.parse_args(argv)
    # three rounds even when quick: one round of a pytest run is too noisy on a shared machine
    passed = ["--quick", "--rounds", "3"] if ours.quick else []
    for name in ("sizes", "save_size", "cassettes", "rounds"):
        if getattr(ours, name) is not None:
            passed += [f"--{name.replace('_', '-')}", getattr(ours, name)]
    args = bench_suite.parse_args(passed)
    args.quick = ours.quick
    os.environ.update(P.DUMMY_ENV)  # recording talks only to the local server
    started = time.perf_counter()
    if ours.workdir is None:
        root = Path(tempfile.mkdtemp(prefix="bench-issue11-"))
    else:
        root = ours.workdir / "issue11"
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
    try:
        result = run(args, root)
    finally:
        if ours.workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    suite = result["suite"]
    per_module = len(bench_suite.modules(args.cassettes, args.per_module)[suite["first"]])
    lines = [
        P.version_line("issue 11 benchmark", P.versions()),
        f"{'quick' if ours.quick else 'full'} run; suite of {args.cassettes} tests, "
        f"{args.rounds} round(s); load sizes {', '.join(map(str, args.sizes))}; "
        f"save {args.save_size}",
        "",
        *bench_calls.lines(result["calls"]),
        "",
        *bench_startup.startup_lines(result["startup"]["startup"]),
        "",
        *bench_startup.per_test_lines(result["startup"]["per_test"], 20),
        "",
        *bench_suite.suite_lines(suite["suite"], args.cassettes, per_module),
        "",
        *bench_suite.file_lines(suite["files"]),
        "",
        *P.table(["goal", "measured", "goal", "verdict"], goal_rows(result, args)),
        f"total wall time {time.perf_counter() - started:.1f} s",
    ]
    print("\n".join(lines))
    if ours.json is not None:
        ours.json.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
        P.say(f"results written to {ours.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
