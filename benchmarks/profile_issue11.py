"""Where the time goes (issue 11): short cProfile excerpts of a load, a save and a suite run.

    python benchmarks/profile_issue11.py                   # all three parts, CPU-time profiles
    python benchmarks/profile_issue11.py --part suite      # only the suite (also: load, save)
    python benchmarks/profile_issue11.py --suite-cache off # the suite with BEDROCK_VCR_CACHE=off
    python benchmarks/profile_issue11.py --variant floor   # the floor project instead (no plugin)
    python benchmarks/profile_issue11.py --top 25 --size 1000 --cassettes 40 --workdir DIR

Each part prints the total profiled time and excerpts: the top ``--top`` (15) entries by
cumulative time and by own time (``tottime``), for the suite also bedrock-vcr's own functions by
cumulative time (pytest's frames fill the top of the plain list); paths shortened to
``bedrock_vcr/...`` and ``site/...``. The profiler's clock is the process's CPU time by default
(``--timer wall`` for wall time): the machine's cores are shared, and CPU time is what a slow
spell of another process disturbs least. Profiling inflates every call, small ones most, so read
the excerpts for proportions and call counts, never as timings (the ``bench_*.py`` scripts time).

- ``load``: ``bedrock_vcr.Cassette(path)`` of a generated cassette of ``--size`` (1,000)
  interactions, half ``invoke_model`` and half 50-event streams (``workload.py``), on first parse:
  ``BEDROCK_VCR_CACHE=off`` and a file this process never read, after an untimed load of a small
  copy (imports and lazy set-up done).
- ``save``: ``Cassette.save()`` of the same ``--size`` interactions recorded into a new
  ``rewrite`` cassette (``reserve`` + ``complete``, as a recording does; untimed).
- ``suite``: ``pytest.main`` in this process on the generated bedrock-vcr project of
  ``bench_suite.py`` (``--cassettes`` (40) tests, each a ``boto3.client()``, an ``invoke_model``
  and a 50-event stream replayed from its cassette), after one untimed ``python -m pytest`` of
  the same project in a child process (bytecode and the parsed-cassette cache written, as for
  any run after the first). ``--variant floor`` profiles the floor project (the same tests
  answered by a ``before-send`` handler with prebuilt bytes) for comparison.

It uses only the public ``bedrock_vcr`` API and what ``benchmarks/`` already uses
(``workload.py``, ``pytest_projects.py``, ``bench_suite.py``), so the same file also profiles an
older checkout: run it with that checkout's ``src`` first on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Imported only where needed: the suite's child must not import boto3 or bedrock_vcr before
# pytest does, or the profile would leave their imports out.
sys.path.insert(0, str(Path(__file__).resolve().parent))

PARTS = ("load", "save", "suite")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--part", action="append", choices=PARTS, help="what to profile (repeatable; all)")
    add("--size", type=int, default=1000, help="interactions of the load and save (1000)")
    add("--cassettes", type=int, default=40, help="tests (= cassettes) of the suite (40)")
    add("--per-module", type=int, default=20, help="tests per module of the suite (20)")
    add("--suite-cache", choices=("on", "off"), default="on", help="BEDROCK_VCR_CACHE (on)")
    add("--variant", choices=("bedrock-vcr", "floor"), default="bedrock-vcr", help="suite project")
    add("--top", type=int, default=15, help="entries per excerpt (15)")
    add("--timer", choices=("cpu", "wall"), default="cpu", help="the profiler's clock (cpu)")
    add("--workdir", type=Path, help="build in DIR/profile-issue11 and keep it (default: temp)")
    add("--child", choices=PARTS, help=argparse.SUPPRESS)
    add("--pytest-options", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.part = args.part or list(PARTS)
    return args


# --- printing ------------------------------------------------------------------------------------

_SITE = re.compile(r"\S*/site-packages/")
_SRC = re.compile(r"\S*/src/(bedrock_vcr/)")
_STDLIB = re.compile(r"\S*/lib/python3\.\d+/")


def _short(text: str) -> str:
    text = _SRC.sub(r"\1", text)
    text = _SITE.sub("site/", text)
    return _STDLIB.sub("", text)


def excerpt(profile: cProfile.Profile, title: str, top: int, own: bool = False) -> str:
    """The total, then the top entries by cumulative and by own time (and with ``own``, by
    cumulative time among bedrock-vcr's functions: in a suite, pytest's own frames fill the
    top of the cumulative list)."""
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    total = getattr(stats, "total_tt", 0.0)
    lines = [f"=== {title}: {total:.3f} s profiled, {stats.total_calls:,} calls"]  # type: ignore[attr-defined]
    excerpts = [("cumulative", "cumulative", ()), ("tottime", "own time", ())]
    if own:
        excerpts.append(("cumulative", "cumulative, bedrock-vcr's functions", ("bedrock_vcr",)))
    for key, label, only in excerpts:
        out.seek(0)
        out.truncate()
        stats.sort_stats(key).print_stats(*only, top)
        body = out.getvalue().splitlines()
        start = next((i for i, line in enumerate(body) if line.lstrip().startswith("ncalls")), 0)
        lines += [f"--- by {label}", *(_short(line) for line in body[start:] if line.strip())]
        if start == 0:  # nothing matched the restriction
            lines.append("    (none)")
    return "\n".join(lines)


def profiled(action: Callable[[], Any], timer: str) -> tuple[cProfile.Profile, float]:
    clock = time.process_time if timer == "cpu" else time.perf_counter
    profile = cProfile.Profile(clock)
    started = time.perf_counter()
    profile.enable()
    try:
        action()
    finally:
        profile.disable()
    return profile, time.perf_counter() - started


# --- load and save -------------------------------------------------------------------------------


def build_cassette(root: Path, size: int) -> tuple[Path, Path]:
    """A generated cassette of ``size`` interactions and a small one to warm up with (kept in
    the workdir: delete it after a change of the cassette format)."""
    import pytest_projects as P
    import workload

    shape = workload.Workload()
    big, small = root / f"generated-{size}.yaml", root / "generated-warm.yaml"
    for path, n in ((big, size), (small, 10)):
        if not path.exists():
            P.say(f"generating {path.name} ...")
            workload.generate_bedrock_vcr(path, shape, n)
    return big, small


def profile_load(root: Path, args: argparse.Namespace) -> str:
    import bedrock_vcr

    big, small = build_cassette(root, args.size)
    os.environ["BEDROCK_VCR_CACHE"] = "off"
    try:
        bedrock_vcr.Cassette(small)  # untimed: imports, the readers' lazy set-up
        fresh = big.with_name(f"first-parse-{time.time_ns()}.yaml")  # never read by this process
        shutil.copy(big, fresh)
        loaded: list[Any] = []
        profile, wall = profiled(lambda: loaded.append(bedrock_vcr.Cassette(fresh)), args.timer)
        fresh.unlink()
    finally:
        del os.environ["BEDROCK_VCR_CACHE"]
    count = len(loaded[0].interactions)
    title = f"(a) load: Cassette() of {count:,} interactions, first parse, cache off"
    title += f" ({wall:.2f} s wall)"
    return excerpt(profile, title, args.top)


def profile_save(root: Path, args: argparse.Namespace) -> str:
    import bedrock_vcr

    big, _ = build_cassette(root, args.size)
    target = root / f"saved-{args.size}.yaml"
    target.unlink(missing_ok=True)
    config = bedrock_vcr.CassetteConfig(record_mode=bedrock_vcr.RecordMode.REWRITE)
    out = bedrock_vcr.Cassette(target, config)
    for interaction in bedrock_vcr.Cassette(big).interactions:
        assert interaction.response is not None
        interaction.response.events  # noqa: B018 - built, as a recording's are
        out.complete(out.reserve(interaction.request), interaction.response)
    profile, wall = profiled(out.save, args.timer)
    count = len(out.new_interactions)
    title = f"(b) save: Cassette.save() of {count:,} recorded interactions ({wall:.2f} s wall)"
    return excerpt(profile, title, args.top)


# --- the suite -----------------------------------------------------------------------------------


def build_suite(root: Path, args: argparse.Namespace) -> Path:
    """bench_suite's projects (recorded against the local server), built once per workdir."""
    import bench_suite
    import pytest_projects as P

    import bedrock_vcr

    suite = root / f"suite-{args.cassettes}-{args.per_module}"
    if not (suite / "floor" / "tests").is_dir():
        shutil.rmtree(suite, ignore_errors=True)
        P.say(f"recording the {args.cassettes} cassettes of the suite ...")
        os.environ.update(P.DUMMY_ENV)  # recording talks only to the local server
        with bedrock_vcr.BedrockServer([bedrock_vcr.ScriptedSource(P.answer)]) as server:
            bench_suite.build_projects(suite, args.cassettes, args.per_module, server.url)
    return suite


def suite_project(root: Path, args: argparse.Namespace) -> tuple[Path, list[str]]:
    """The project folder and its pytest options (``bench_suite.PROJECTS``, which the parent
    reads and hands to the child in ``--pytest-options``)."""
    suite = root / f"suite-{args.cassettes}-{args.per_module}"
    if args.pytest_options is None:
        import bench_suite

        args.pytest_options = json.dumps(bench_suite.PROJECTS[args.variant])
    return suite / args.variant, list(json.loads(args.pytest_options))


def suite_env(args: argparse.Namespace) -> dict[str, str]:
    return {"BEDROCK_VCR_CACHE": "off"} if args.suite_cache == "off" else {}


def warm_suite(root: Path, args: argparse.Namespace) -> dict[str, str]:
    """One untimed ``python -m pytest`` of the project (bytecode, the parsed-cassette cache);
    returns the environment it ran in, for the profiled run."""
    import pytest_projects as P

    project, options = suite_project(root, args)
    P.say(f"untimed run of {project} ...")
    P.run_pytest(project, options, args.cassettes, suite_env(args))
    return P.clean_env(suite_env(args))


def profile_suite(root: Path, args: argparse.Namespace) -> str:
    import contextlib

    import pytest

    project, options = suite_project(root, args)
    os.chdir(project)
    codes: list[Any] = []
    command = ["-q", "-p", "no:cacheprovider", *options]
    output = io.StringIO()  # pytest's own report, shown only if the run fails
    with contextlib.redirect_stdout(output):
        profile, wall = profiled(lambda: codes.append(pytest.main(command)), args.timer)
    if codes[0] != 0:
        raise SystemExit(f"pytest in {project} exited with {codes[0]}\n{output.getvalue()}")
    cache = f", cache {args.suite_cache}" if args.variant == "bedrock-vcr" else ""
    title = (
        f"(c) suite: pytest.main, {args.variant} project{cache}, {args.cassettes} tests "
        f"({wall:.2f} s wall)"
    )
    return excerpt(profile, title, args.top, own=True)


def child(part: str, root: Path, args: argparse.Namespace, env: dict[str, str] | None) -> str:
    """Profile ``part`` in a fresh process (its imports counted, nothing of another part kept)."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        part,
        "--workdir",
        str(root),
    ]
    if part == "suite":
        command += ["--pytest-options", suite_project(root, args)[1] and args.pytest_options]
    for name in ("size", "cassettes", "per_module", "suite_cache", "variant", "top", "timer"):
        command += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise SystemExit(f"profiling {part}: exit {done.returncode}\n{done.stderr[-3000:]}")
    return done.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    jobs = {"load": profile_load, "save": profile_save, "suite": profile_suite}
    if args.child:
        print(jobs[args.child](args.workdir, args))
        return 0
    if args.workdir is None:
        root = Path(tempfile.mkdtemp(prefix="profile-issue11-"))
    else:
        root = args.workdir / "profile-issue11"
        root.mkdir(parents=True, exist_ok=True)
    try:
        import bedrock_vcr

        if "load" in args.part or "save" in args.part:
            build_cassette(root, args.size)
        envs: dict[str, dict[str, str] | None] = {"load": None, "save": None}
        if "suite" in args.part:
            build_suite(root, args)
            envs["suite"] = warm_suite(root, args)
        clock = "process CPU time" if args.timer == "cpu" else "wall time"
        print(
            f"bedrock-vcr {bedrock_vcr.__version__} from {Path(bedrock_vcr.__file__).parent}; "
            f"profiler clock: {clock}; each part in a fresh process",
            flush=True,
        )
        for part in PARTS:
            if part in args.part:
                print("\n" + child(part, root, args, envs[part]), flush=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
