"""Suite scale: a whole pytest suite replayed by bedrock-vcr, pytest-recording and the floor.

    python benchmarks/bench_suite.py                  # 500 cassettes, 5 rounds; load 10..10,000
    python benchmarks/bench_suite.py --quick          # 40 cassettes, 1 round; load 10, 200
    python benchmarks/bench_suite.py --json out.json  # also write every figure as JSON

Three generated pytest projects hold the same N tests (one per cassette file, modules of 50;
each test makes ``boto3.client("bedrock-runtime", region_name="us-east-1")``, an
``invoke_model`` on Llama 3 and a 50-event stream read to the end: Llama streaming for even
tests, ConverseStream for odd ones):

- bedrock-vcr: ``@pytest.mark.bedrock_cassette(path=...)`` on cassettes recorded by bedrock-vcr
  (``use_cassette(record_mode="rewrite")``) against ``bedrock_vcr.BedrockServer``;
- pytest-recording: ``@pytest.mark.vcr`` with ``--record-mode=none`` on cassettes recorded by
  vcrpy against the same server (same response bytes; streams are vcrpy's binary blob),
  ``match_on`` = vcrpy's defaults + ``body``;
- floor: no marker; a ``before-send`` handler on the default boto3 session answers with the
  test's prebuilt bytes (``botocore.awsrequest.AWSResponse``), read from one small JSON file per
  test.

Each project runs only its own plugin (``-p no:recording`` / ``-p no:bedrock_vcr``) as
``python -m pytest -q -p no:cacheprovider``, once untimed (bytecode, page cache), then timed in
rounds a, b, c, then b, c, a... (the order turns each round). Times are medians; a ratio is the
median over rounds of the ratio of the two runs of the same round, which cancels a slow spell
that hit both. A second table gives the same runs in CPU seconds (user + system of the pytest
process): on shared cores a busy spell of another process stretches wall times, much less CPU
times.

Cassette load and save are timed each in a fresh process, after one untimed load or save of the
smallest file of the same kind (imports and lazy set-up done): wall time of the call and peak RSS
above the process's RSS before it (Linux ``VmHWM``, reset through ``clear_refs``). Loading:
``bedrock_vcr.Cassette(path)``, ``bedrock_vcr.use_cassette(path, record_mode="none")`` entered
(what a test pays), vcrpy's ``Cassette.load`` and ``json.loads`` of the bedrock-vcr cassette's
document as JSON; saving: ``Cassette.save()`` of recorded interactions, vcrpy's
``Cassette._save`` and ``json.dumps``. Sizes above 1,000 interactions run one round.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest_projects as P  # noqa: E402

PROJECTS = {
    "bedrock-vcr": ["-p", "no:recording"],
    "pytest-recording": ["-p", "no:bedrock_vcr", "--record-mode=none"],
    "floor": ["-p", "no:bedrock_vcr", "-p", "no:recording"],
}
#: bedrock-vcr with its parsed-cassette cache turned off: every test parses its cassette.
NO_CACHE = "bedrock-vcr, cache off"
CACHE_OFF = {"BEDROCK_VCR_CACHE": "off"}
VCR_CONFTEST = f"""import pytest


@pytest.fixture(scope="module")
def vcr_config():
    return {{"match_on": {P.VCRPY_MATCH_ON!r}}}
"""
#: Loading a file whose parsed-cassette cache entry was removed first (it is written again).
FIRST_PARSE = "bedrock-vcr Cassette(), first parse"
#: Entering ``use_cassette`` on a file whose cache entry and load-check verdict exist.
CACHED_ENTER = "bedrock-vcr use_cassette, cached"
#: What is timed, and which of the size's files it reads.
LOADS = {
    FIRST_PARSE: "bvcr",
    "bedrock-vcr Cassette(), cached": "bvcr",
    CACHED_ENTER: "bvcr",
    "vcrpy Cassette.load": "vcrpy",
    "json.loads": "json",
}
SAVES = {"bedrock-vcr Cassette.save": "bvcr", "vcrpy Cassette._save": "vcrpy", "json.dumps": "json"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--quick", action="store_true", help="40 cassettes, 1 round, load 10 and 200 (~1 min)")
    add("--cassettes", type=int, help="cassette files = tests in the suite (500; quick 40)")
    add("--per-module", type=int, help="tests per module (50; quick 20)")
    add("--rounds", type=int, help="timed runs of each project (5; quick 1)")
    add("--sizes", help="interactions of the load rows, comma-separated (10,1000,10000)")
    add("--save-size", type=int, help="interactions of the save rows (1000; quick 200)")
    add("--workdir", type=Path, help="keep the projects in DIR/bench-suite (default: a temp dir)")
    add("--json", type=Path, help="also write every figure to this JSON file")
    add("--measure", nargs=4, metavar=("KIND", "SRC", "DST", "WARM"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    quick = args.quick
    defaults: dict[str, Any] = {
        "cassettes": 40 if quick else 500,
        "per_module": 20 if quick else 50,
        "rounds": 1 if quick else 5,
        "sizes": "10,200" if quick else "10,1000,10000",
        "save_size": 200 if quick else 1000,
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.sizes = sorted({int(s) for s in str(args.sizes).split(",") if s.strip()})
    if min(args.sizes + [args.save_size]) < 2 or args.cassettes < 1 or args.rounds < 1:
        parser.error("sizes need at least 2 interactions; --cassettes and --rounds at least 1")
    return args


# --- the three projects --------------------------------------------------------------------------


def module_text(kind: str, module: str, ks: range) -> str:
    parts = ["import json\n\nimport boto3\nimport pytest\n", P.CALLS]
    for k in ks:
        marker = {
            "bedrock-vcr": f'@pytest.mark.bedrock_cassette(path="cassettes/{module}/'
            f'test_{k:04d}.yaml")\n',
            "pytest-recording": "@pytest.mark.vcr\n",
            "floor": "",
        }[kind]
        parts.append(
            f"\n\n{marker}def test_{k:04d}():\n"
            '    client = boto3.client("bedrock-runtime", region_name="us-east-1")\n'
            f"    invoke(client, {k})\n    {P.stream_call(k)}(client, {k})\n"
        )
    return "".join(parts)


def modules(n: int, per_module: int) -> dict[str, range]:
    return {
        f"test_m{m:03d}": range(s, min(n, s + per_module))
        for m, s in enumerate(range(0, n, per_module))
    }


def build_projects(root: Path, n: int, per_module: int, url: str) -> dict[str, Any]:
    """Record the cassettes with both tools, write the three projects; returns build figures."""
    layout = modules(n, per_module)
    jobs: dict[str, list[P.Job]] = {"bedrock-vcr": [], "pytest-recording": []}
    for module, ks in layout.items():
        for k in ks:
            name = f"{module}/test_{k:04d}.yaml"
            jobs["bedrock-vcr"].append(P.Job(root / "bedrock-vcr" / "cassettes" / name, [k]))
            jobs["pytest-recording"].append(
                P.Job(root / "pytest-recording" / "tests" / "cassettes" / name, [k])
            )
    started = time.perf_counter()
    warned = P.record_bedrock_vcr(jobs["bedrock-vcr"], url)
    built: dict[str, Any] = {"record_bedrock_vcr_s": time.perf_counter() - started}
    started = time.perf_counter()
    P.record_vcrpy(jobs["pytest-recording"], url)
    built["record_vcrpy_s"] = time.perf_counter() - started
    built["recording_warnings"] = warned
    for ours, theirs in zip(jobs["bedrock-vcr"], jobs["pytest-recording"], strict=True):
        answers = P.wire_answers(ours.path)
        if [b"".join(a["pieces"]) for a in answers] != P.vcrpy_bodies(theirs.path):
            raise SystemExit(f"{ours.path} and {theirs.path} answer with different bytes")
        floor = root / "floor" / "tests" / "prebuilt" / ours.path.parent.name
        floor.mkdir(parents=True, exist_ok=True)
        (floor / f"{ours.path.stem}.json").write_text(P.prebuilt_json(answers), encoding="utf-8")
    conftests = {"bedrock-vcr": "", "pytest-recording": VCR_CONFTEST, "floor": P.FLOOR_CONFTEST}
    for kind, conftest in conftests.items():
        texts = {m: module_text(kind, m, ks) for m, ks in layout.items()}
        P.write_project(root / kind, conftest, texts)
    return built


def time_suite(root: Path, n: int, first: str, per_module: int, rounds: int) -> dict[str, Any]:
    """Wall time of every project, whole suite and first module, interleaved over rounds."""
    runs: dict[str, dict[str, list[float]]] = {"suite": {}, "module": {}}
    cpu: dict[str, dict[str, list[float]]] = {"suite": {}, "module": {}}
    summaries: dict[str, str] = {}
    targets = {"suite": ([], n), "module": ([f"tests/{first}.py"], per_module)}
    for kind, args in PROJECTS.items():
        P.say(f"untimed first run: {kind} ...")
        summaries[kind] = P.run_pytest(root / kind, args, n).summary
    variants = list({**PROJECTS, NO_CACHE: PROJECTS["bedrock-vcr"]}.items())
    for r in range(rounds):
        # the order turns each round: none is always the one that runs after a given other
        turned = variants[r % len(variants) :] + variants[: r % len(variants)]
        for row, (paths, expect) in targets.items():
            for kind, args in turned:
                folder, env = ("bedrock-vcr", CACHE_OFF) if kind == NO_CACHE else (kind, None)
                outcome = P.run_pytest(root / folder, [*args, *paths], expect, env)
                runs[row].setdefault(kind, []).append(outcome.seconds)
                cpu[row].setdefault(kind, []).append(outcome.cpu)
                P.say(
                    f"round {r + 1}/{rounds} {row:<6} {kind:<16} {outcome.seconds:7.2f} s"
                    f" ({outcome.cpu:.2f} s CPU)"
                )
    return {"runs": runs, "cpu": cpu, "summaries": summaries}


# --- load and save, each in a fresh process ------------------------------------------------------


def _prepare(kind: str, src: Path, dst: Path) -> Callable[[], int]:
    """Untimed set-up (imports, objects to save); returns the timed action."""
    if kind.startswith("bedrock-vcr"):
        import bedrock_vcr
    if kind.startswith("vcrpy"):
        from vcr.cassette import Cassette
        from vcr.record_mode import RecordMode
    if kind in (FIRST_PARSE, "bedrock-vcr Cassette(), cached"):
        return lambda: len(bedrock_vcr.Cassette(src).interactions)
    if kind == CACHED_ENTER:

        def enter() -> int:
            with bedrock_vcr.use_cassette(src, record_mode="none") as cassette:
                return len(cassette.interactions)

        return enter
    if kind == "vcrpy Cassette.load":
        return lambda: len(Cassette.load(path=str(src), record_mode=RecordMode.NONE))
    if kind == "json.loads":
        return lambda: len(json.loads(src.read_text(encoding="utf-8"))["interactions"])
    if kind == "bedrock-vcr Cassette.save":
        mode = bedrock_vcr.RecordMode.REWRITE
        out = bedrock_vcr.Cassette(dst, bedrock_vcr.CassetteConfig(record_mode=mode))
        for interaction in bedrock_vcr.Cassette(src).interactions:
            assert interaction.response is not None
            interaction.response.events  # noqa: B018 - built, as a recording's are
            out.complete(out.reserve(interaction.request), interaction.response)
        return lambda: out.save() and len(out.new_interactions)
    if kind == "vcrpy Cassette._save":
        saved = Cassette(path=str(dst), record_mode=RecordMode.ALL)
        for request, response in Cassette.load(path=str(src), record_mode=RecordMode.NONE).data:
            saved.append(request, response)
        return lambda: saved._save(force=True) or len(saved)
    if kind == "json.dumps":
        data = json.loads(src.read_text(encoding="utf-8"))
        return lambda: (
            dst.write_text(json.dumps(data), encoding="utf-8") and len(data["interactions"])
        )
    raise SystemExit(f"unknown measurement {kind!r}")


def measure(kind: str, src: str, dst: str, warm: str) -> None:
    """The child's side: one untimed load/save of the small file ``warm`` (imports, lazy set-up),
    then time one of ``src``; print seconds, peak MB above the RSS before it, count."""
    warm_path = Path(warm)
    _prepare(kind, warm_path, warm_path.with_name(f"warm-{warm_path.name}"))()
    action = _prepare(kind, Path(src), Path(dst))
    gc.collect()
    before = P.reset_peak_rss()
    started = time.perf_counter()
    count = action()
    seconds = time.perf_counter() - started
    peak = P.peak_rss()
    print(json.dumps({"seconds": seconds, "peak_mb": max(peak - before, 0.0), "count": count}))


def child(kind: str, src: Path, dst: Path, warm: Path, expect: int) -> dict[str, float]:
    paths = [str(src), str(dst), str(warm)]
    command = [sys.executable, str(Path(__file__).resolve()), "--measure", kind, *paths]
    done = subprocess.run(command, env=P.clean_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} {src}: exit {done.returncode}\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["count"] != expect:
        raise SystemExit(f"{kind} {src}: {result['count']} interactions, expected {expect}")
    return result


def build_load_files(root: Path, sizes: list[int], url: str) -> dict[int, dict[str, Path]]:
    """Per size, the cassette recorded by each tool and its JSON twin; key 0: warm-up copies."""
    import yaml

    files: dict[int, dict[str, Path]] = {}
    for size in sizes:
        P.say(f"recording the {size:,}-interaction cassettes with bedrock-vcr and vcrpy ...")
        ks = range(size // 2)
        paths = {
            k: root / "load" / f"{k}-{size}.{e}"
            for k, e in [("bvcr", "yaml"), ("vcrpy", "yaml"), ("json", "json")]
        }
        P.record_bedrock_vcr([P.Job(paths["bvcr"], ks)], url)
        P.record_vcrpy([P.Job(paths["vcrpy"], ks)], url)
        doc = yaml.load(paths["bvcr"].read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        paths["json"].write_text(json.dumps(doc), encoding="utf-8")
        files[size] = paths
    # Copies of the smallest files warm each measuring process up (bedrock-vcr remembers the
    # files it parsed, by path, so the warm-up must not be the measured file).
    files[0] = {k: p.with_name(f"warm-{p.name}") for k, p in files[min(sizes)].items()}
    for k, p in files[min(sizes)].items():
        shutil.copy(p, files[0][k])
    return files


def drop_cache_entries(path: Path) -> None:
    """Remove the parsed-cassette cache entry of ``path`` (the next load parses the file; the
    load check's verdict, which ``Cassette()`` does not use, stays)."""
    for entry in (path.parent / ".bedrock-vcr" / "cache").glob(f"{path.name}.*.marshal"):
        entry.unlink()


def time_files(files: dict[int, dict[str, Path]], args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every load kind at every size and every save kind at the save size, interleaved."""
    plan = [("load", size, LOADS) for size in args.sizes] + [("save", args.save_size, SAVES)]
    rows = []
    for what, size, kinds in plan:
        rounds = args.rounds if size <= 1000 else 1
        results: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
        if CACHED_ENTER in kinds:  # untimed: the cache entry and the clean check's verdict
            src = files[size][kinds[CACHED_ENTER]]
            child(CACHED_ENTER, src, src, files[0][kinds[CACHED_ENTER]], size - size % 2)
        for _ in range(rounds):
            for kind in kinds:
                src = files[size][kinds[kind]]
                dst = src.with_name(f"saved-{src.name}")
                warm = files[0][kinds[kind]]
                if kind == FIRST_PARSE:  # the warm-up parses too (imports the parser)
                    drop_cache_entries(src)
                    drop_cache_entries(warm)
                if what == "save":  # a new file, as a first recording writes (both tools)
                    dst.unlink(missing_ok=True)
                results[kind].append(child(kind, src, dst, warm, size - size % 2))
                P.say(f"{what} {size:>6,} {kind:<26} {results[kind][-1]['seconds']:8.3f} s")
        for kind in kinds:
            src = files[size][kinds[kind]]
            out = src.with_name(f"saved-{src.name}") if what == "save" else src
            rows.append(
                {
                    "what": what,
                    "kind": kind,
                    "size": size,
                    "rounds": rounds,
                    "seconds": P.median([r["seconds"] for r in results[kind]]),
                    "peak_mb": P.median([r["peak_mb"] for r in results[kind]]),
                    "file_mb": out.stat().st_size / 1e6,
                }
            )
    return rows


# --- the report ----------------------------------------------------------------------------------


def suite_lines(timed: dict[str, Any], n: int, per_module: int) -> list[str]:
    labels = {
        "suite": f"suite: {n} cassettes x 2, one test each",
        "module": f"one module of {per_module} tests",
    }
    header = "pytest -q wall, median|bedrock-vcr|pytest-rec|floor|bvcr/floor|bvcr/pytest-rec"
    rows = []
    for row, label in labels.items():
        runs = timed["runs"][row]
        med = {k: P.median(v) for k, v in runs.items()}
        b, v, f, off = (med[k] for k in ("bedrock-vcr", "pytest-recording", "floor", NO_CACHE))
        x = functools.partial(paired, runs)
        cells = [f"{b:.2f} s", f"{v:.2f} s", f"{f:.2f} s"]
        cells += [x("bedrock-vcr", "floor"), x("bedrock-vcr", "pytest-recording")]
        rows.append(
            [label, *cells, x("floor", "pytest-recording"), f"{off:.2f} s", x(NO_CACHE, "floor")]
        )
    extra = ["floor/pytest-rec", "cache off", "off/floor"]
    return [*P.table([*header.split("|"), *extra], rows), "", *cpu_lines(timed, labels)]


def paired_ratio(runs: dict[str, list[float]], a: str, b: str) -> float:
    """The median over rounds of ``a``'s run / ``b``'s run of the same round."""
    return P.median([x / y for x, y in zip(runs[a], runs[b], strict=True)])


def paired(runs: dict[str, list[float]], a: str, b: str) -> str:
    return f"{paired_ratio(runs, a, b):.2f}x"


def cpu_lines(timed: dict[str, Any], labels: dict[str, str]) -> list[str]:
    """The same runs in CPU seconds of the pytest process (user + system): another process
    busy on the shared cores stretches wall times, much less these."""
    if "cpu" not in timed:  # a JSON file of a run before CPU times were taken
        return []
    header = (
        "pytest -q CPU, median|bedrock-vcr|floor|bvcr/floor|cache off|off/floor|bvcr/pytest-rec"
    )
    rows = []
    for row, label in labels.items():
        runs = timed["cpu"][row]
        med = {k: P.median(v) for k, v in runs.items()}
        b, f, off = med["bedrock-vcr"], med["floor"], med[NO_CACHE]
        x = functools.partial(paired, runs)
        cells = [f"{b:.2f} s", f"{f:.2f} s", x("bedrock-vcr", "floor"), f"{off:.2f} s"]
        rows.append([label, *cells, x(NO_CACHE, "floor"), x("bedrock-vcr", "pytest-recording")])
    return P.table(header.split("|"), rows)


def file_lines(rows: list[dict[str, Any]]) -> list[str]:
    header = "|interactions|file MB|seconds|peak MB|peak/file|x json|x vcrpy|runs".split("|")
    out = []
    for row in rows:
        same = {
            r["kind"]: r["seconds"]
            for r in rows
            if (r["what"], r["size"]) == (row["what"], row["size"])
        }
        base_json = same.get("json.loads", same.get("json.dumps"))
        base_vcrpy = same.get("vcrpy Cassette.load", same.get("vcrpy Cassette._save"))
        figures = [f"{row['file_mb']:.2f}", f"{row['seconds']:.3f}", f"{row['peak_mb']:.1f}"]
        ratios = [P.ratio(row["peak_mb"], row["file_mb"]), P.ratio(row["seconds"], base_json)]
        label = f"{row['what']}  {row['kind']}"
        rows_out = [
            label,
            f"{row['size']:,}",
            *figures,
            *ratios,
            P.ratio(row["seconds"], base_vcrpy),
        ]
        out.append([*rows_out, str(row["rounds"])])
    return P.table(header, out)


def run(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    import bedrock_vcr

    layout = modules(args.cassettes, args.per_module)
    first = next(iter(layout))
    with bedrock_vcr.BedrockServer([bedrock_vcr.ScriptedSource(P.answer)]) as server:
        P.say(f"recording {args.cassettes} cassettes with bedrock-vcr and with vcrpy ...")
        built = build_projects(root, args.cassettes, args.per_module, server.url)
        files = build_load_files(root, sorted(set(args.sizes) | {args.save_size}), server.url)
    timed = time_suite(root, args.cassettes, first, len(layout[first]), args.rounds)
    return {"built": built, "suite": timed, "files": time_files(files, args), "first": first}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.measure:
        measure(*args.measure)
        return 0
    os.environ.update(P.DUMMY_ENV)  # recording below talks only to the local server
    started = time.perf_counter()
    if args.workdir is None:
        root = Path(tempfile.mkdtemp(prefix="bench-suite-"))
    else:
        root = args.workdir / "bench-suite"
        shutil.rmtree(root, ignore_errors=True)  # the previous run's projects
        root.mkdir(parents=True)
    try:
        result = run(args, root)
    finally:
        if args.workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    info = P.versions()
    built = result["built"]
    per_module = len(modules(args.cassettes, args.per_module)[result["first"]])
    lines = [
        P.version_line("suite benchmark", info),
        f"{args.cassettes} tests, modules of {args.per_module}; {args.rounds} timed round(s) "
        "per project after one untimed run; half the interactions invoke_model, half 50-event "
        "streams",
        "",
        *suite_lines(result["suite"], args.cassettes, per_module),
        "",
        "load and save, each in a fresh warmed-up process (peak: max RSS above the RSS before):",
        *file_lines(result["files"]),
        "",
        "recording the suite's cassettes (one-time): bedrock-vcr "
        f"{built['record_bedrock_vcr_s']:.1f} s, vcrpy {built['record_vcrpy_s']:.1f} s",
        "untimed first runs: "
        + "; ".join(f"{k}: {s}" for k, s in result["suite"]["summaries"].items()),
        *(f"warning while recording: {w}" for w in built["recording_warnings"]),
        f"total wall time {time.perf_counter() - started:.1f} s",
    ]
    print("\n".join(lines))
    if args.json is not None:
        settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
        document = {"versions": info, "settings": settings, **result}
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        P.say(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
