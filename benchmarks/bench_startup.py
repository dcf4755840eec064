"""pytest start-up cost of the installed plugin, and the per-test cost of a replayed cassette.

    python benchmarks/bench_startup.py                  # 10 alternating rounds
    python benchmarks/bench_startup.py --quick          # 3 rounds (well under a minute)
    python benchmarks/bench_startup.py --json out.json  # also write every figure as JSON

(i) Start-up: a generated project of 10 trivial tests (no Bedrock, no marker) run as
``python -m pytest -q -p no:cacheprovider`` with bedrock-vcr's plugin loaded (it is installed,
so pytest loads it) and with ``-p no:bedrock_vcr``, alternating, after one untimed run each;
medians of wall time and their ratio (goal: at most 1.15x). pytest-recording is installed too:
both runs pass ``-p no:recording`` so the reference is pytest without either plugin; a third
variant loads pytest-recording alone, for comparison. Then which modules the plugin loads:
``python -c "import bedrock_vcr.plugin"`` (how many ``bedrock_vcr`` modules, whether jsonschema,
http.server, yaml, h2 and boto3 are in ``sys.modules``, the largest ``-X importtime`` entries), and
the same after a whole trivial pytest session run in-process with the plugin.

(ii) Per test: 20 tests, each making ``boto3.client("bedrock-runtime", region_name="us-east-1")``
and one ``invoke_model`` on Llama 3, answered (a) by ``@pytest.mark.bedrock_cassette(path=...)``
from a one-interaction cassette recorded by bedrock-vcr against ``bedrock_vcr.BedrockServer``,
(b) by ``botocore.stub.Stubber`` with the same answer bytes inline in the test module, and (c) by
a ``before-send`` handler on the default boto3 session returning prebuilt
``botocore.awsrequest.AWSResponse`` bytes. A conftest hook times each test's whole protocol
(set-up, call, teardown, so client creation, cassette loading and saving are included); per test
= the sum over the 20 tests / 20, alongside the median test and the first test (which also pays
any lazy imports). Rounds alternate (a), (b), (c).

Both parts also report CPU time (user + system of the pytest process, and ``time.process_time``
per test): the cores are shared, and another process's busy spell stretches wall times (a
trivial run's ratio has swung 0.95-1.2x between runs) far more than CPU times.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest_projects as P  # noqa: E402

GOAL_STARTUP = 1.15
GOAL_PER_TEST = 1.5
STARTUP = {
    "bedrock-vcr installed": ["-p", "no:recording"],
    "-p no:bedrock_vcr": ["-p", "no:bedrock_vcr", "-p", "no:recording"],
    "pytest-recording only": ["-p", "no:bedrock_vcr"],
}
PER_TEST = {
    "bedrock-vcr marker": ["-p", "no:recording"],
    "botocore Stubber": ["-p", "no:bedrock_vcr", "-p", "no:recording"],
    "before-send floor": ["-p", "no:bedrock_vcr", "-p", "no:recording"],
}
WATCH = ("jsonschema", "http.server", "yaml", "h2", "boto3", "botocore")
PROBE = """
import json, sys, time
{setup}
started = time.perf_counter()
{action}
seconds = time.perf_counter() - started
ours = sorted(m for m in sys.modules if m.split(".")[0] == "bedrock_vcr")
print(json.dumps({{"seconds": seconds, "modules": ours,
                  "present": {{n: n in sys.modules for n in {watch!r}}}}}))
"""
TIMING_HOOK = """
import json as _json
import os as _os
import time as _time
from pathlib import Path as _Path

import pytest as _pytest

_DURATIONS = []
_CPU = []


@_pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    started, cpu = _time.perf_counter(), _time.process_time()
    yield
    _DURATIONS.append(_time.perf_counter() - started)
    _CPU.append(_time.process_time() - cpu)


def pytest_sessionfinish(session):
    _Path(_os.environ["BENCH_DURATIONS"]).write_text(_json.dumps(_DURATIONS))
    _Path(_os.environ["BENCH_DURATIONS"] + ".cpu").write_text(_json.dumps(_CPU))
"""
STUBBED = """
    with Stubber(client) as stub:
        data = ANSWERS[{k}]
        stub.add_response(
            "invoke_model",
            {{
                "body": StreamingBody(io.BytesIO(data), len(data)),
                "contentType": "application/json",
            }},
            {{"modelId": MODEL, "body": llama_body({k})}},
        )
        invoke(client, {k})
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--quick", action="store_true", help="3 rounds instead of 10")
    add("--rounds", type=int, help="timed runs of each variant (10; quick 3)")
    add("--tests", type=int, default=20, help="tests of the per-test projects (20)")
    add("--workdir", type=Path, help="keep the projects in DIR/bench-startup (default: a temp dir)")
    add("--json", type=Path, help="also write every figure to this JSON file")
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = 3 if args.quick else 10
    if args.rounds < 1 or args.tests < 1:
        parser.error("--rounds and --tests must be at least 1")
    return args


# --- projects ------------------------------------------------------------------------------------


def trivial_project(root: Path) -> None:
    tests = "".join(f"\n\ndef test_{k}():\n    assert {k} + 1 == {k + 1}\n" for k in range(10))
    P.write_project(root, "", {"test_trivial": tests.lstrip()})


def per_test_module(kind: str, n: int, answers: dict[int, bytes]) -> str:
    head = "import io\nimport json\n\nimport boto3\nimport pytest\n"
    if kind == "botocore Stubber":
        head += "from botocore.response import StreamingBody\nfrom botocore.stub import Stubber\n"
        head += f"\nANSWERS = {answers!r}\n"
    parts = [head, P.CALLS]
    for k in range(n):
        marker = ""
        body = f"    invoke(client, {k})\n"
        if kind == "bedrock-vcr marker":
            marker = f'@pytest.mark.bedrock_cassette(path="cassettes/test_{k:02d}.yaml")\n'
        elif kind == "botocore Stubber":
            body = STUBBED.format(k=k).lstrip("\n")
        client = '    client = boto3.client("bedrock-runtime", region_name="us-east-1")\n'
        parts.append(f"\n\n{marker}def test_{k:02d}():\n{client}{body}")
    return "".join(parts)


def per_test_projects(root: Path, n: int) -> None:
    """Record the one-interaction cassettes, then write the three projects."""
    import bedrock_vcr

    project = root / "bedrock-vcr marker"
    jobs = [P.Job(project / "cassettes" / f"test_{k:02d}.yaml", [k], True) for k in range(n)]
    with bedrock_vcr.BedrockServer([bedrock_vcr.ScriptedSource(P.answer)]) as server:
        warned = P.record_bedrock_vcr(jobs, server.url)
    for warning in warned:
        P.say(f"warning while recording: {warning}")
    wire = {k: P.wire_answers(job.path) for k, job in enumerate(jobs)}
    answers = {k: b"".join(w[0]["pieces"]) for k, w in wire.items()}
    prebuilt = root / "before-send floor" / "tests" / "prebuilt" / "test_per_test"
    prebuilt.mkdir(parents=True, exist_ok=True)
    for k, w in wire.items():
        (prebuilt / f"test_{k:02d}.json").write_text(P.prebuilt_json(w), encoding="utf-8")
    for kind in PER_TEST:
        conftest = (P.FLOOR_CONFTEST if kind == "before-send floor" else "") + TIMING_HOOK
        module = per_test_module(kind, n, answers)
        P.write_project(root / kind, conftest, {"test_per_test": module})


# --- measurements --------------------------------------------------------------------------------


def alternate(
    root: Path, variants: dict[str, list[str]], rounds: int, expect: int, durations: bool
) -> dict[str, list[dict[str, Any]]]:
    """One untimed run per variant, then ``rounds`` rounds (order rotating each round)."""
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    names = list(variants)
    file = root / "durations.json"
    env = {"BENCH_DURATIONS": str(file)} if durations else None
    for r in range(-1, rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            project = root / name if durations else root / "trivial"
            outcome = P.run_pytest(project, variants[name], expect, env)
            if r < 0:
                continue
            run: dict[str, Any] = {
                "wall": outcome.seconds,
                "cpu": outcome.cpu,
                "summary": outcome.summary,
            }
            if durations:
                run["tests"] = json.loads(file.read_text())
                run["tests_cpu"] = json.loads(file.with_name(f"{file.name}.cpu").read_text())
            out[name].append(run)
            P.say(
                f"round {r + 1}/{rounds} {name:<24} {outcome.seconds:6.3f} s"
                f" ({outcome.cpu:.3f} s CPU)"
            )
    return out


def probe(action: str, cwd: Path, extra: list[str] | None = None) -> dict[str, Any]:
    """Run ``action`` in a fresh interpreter after ``import pytest`` (pytest has loaded itself
    before it loads a plugin); its time, the bedrock_vcr modules and which of ``WATCH`` exist."""
    code = PROBE.format(setup="import pytest", action=action, watch=WATCH)
    command = [sys.executable, *(extra or []), "-c", code]
    done = subprocess.run(
        command, cwd=cwd, env=P.clean_env(), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"probe failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if extra:
        result["stderr"] = done.stderr
    return result


def import_top(stderr: str, count: int = 8) -> list[tuple[str, float]]:
    """The largest top-level ``-X importtime`` entries (cumulative ms) after pytest's own."""
    entries: list[tuple[str, float]] = []
    for line in stderr.splitlines():
        found = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S+)", line)
        if found and found.group(2) == "pytest":
            entries = []  # everything so far was pytest importing itself
        elif found:
            entries.append((found.group(2), int(found.group(1)) / 1000))
    return sorted(entries, key=lambda e: -e[1])[:count]


def modules_loaded(root: Path) -> dict[str, Any]:
    session = "assert pytest.main(['-q', '-p', 'no:cacheprovider', '-p', 'no:recording']) == 0"
    traced = probe(session, root / "trivial", ["-X", "importtime"])
    return {
        "import": probe("import bedrock_vcr.plugin", root),
        "session": probe(session, root / "trivial"),
        "importtime_top": import_top(traced["stderr"]),
    }


# --- the report ----------------------------------------------------------------------------------


def startup_lines(runs: dict[str, list[dict[str, Any]]]) -> list[str]:
    wall = {name: P.median([r["wall"] for r in rs]) for name, rs in runs.items()}
    cpu = {name: P.median([r.get("cpu", 0.0) for r in rs]) for name, rs in runs.items()}
    ref, ref_cpu = wall["-p no:bedrock_vcr"], cpu["-p no:bedrock_vcr"]
    rows = [
        [name, f"{w:.3f} s", P.ratio(w, ref), f"{cpu[name]:.3f} s", P.ratio(cpu[name], ref_cpu)]
        for name, w in wall.items()
    ]
    for row, name in zip(rows, wall, strict=True):
        row.append(str(len(runs[name])))
    ratio = wall["bedrock-vcr installed"] / ref
    verdict = "PASS" if ratio <= GOAL_STARTUP else "MISS"
    header = ["10 trivial tests, pytest -q", "wall median", "x reference", "CPU median", "x ref"]
    lines = P.table([*header, "runs"], rows)
    lines.append(f"plugin start-up ratio {ratio:.2f}x (goal <= {GOAL_STARTUP}x): {verdict}")
    if ref_cpu:
        share = cpu["bedrock-vcr installed"] / ref_cpu
        lines.append(f"the same in CPU time of the pytest process: {share:.2f}x")
    return lines


def module_lines(found: dict[str, Any]) -> list[str]:
    lines = []
    for label, key in (
        ("import bedrock_vcr.plugin", "import"),
        ("a trivial pytest run", "session"),
    ):
        got = found[key]
        present = ", ".join(f"{n} {'yes' if v else 'no'}" for n, v in got["present"].items())
        lines.append(
            f"{label}: {len(got['modules'])} bedrock_vcr modules, {got['seconds'] * 1000:.1f} ms;"
            f" in sys.modules: {present}"
        )
    top = ", ".join(f"{name} {ms:.0f}" for name, ms in found["importtime_top"])
    lines.append(
        f"imports of that pytest run after pytest's own, largest (ms, -X importtime): {top}"
    )
    lines.append(f"bedrock_vcr modules after a pytest run: {' '.join(found['session']['modules'])}")
    return lines


def per_test_lines(runs: dict[str, list[dict[str, Any]]], n: int) -> list[str]:
    def figure(name: str, pick: Any) -> float:
        return P.median([pick(r) * 1000 for r in runs[name]])

    per = {name: figure(name, lambda r: sum(r["tests"]) / n) for name in runs}
    rows = []
    for name in runs:
        middle = figure(name, lambda r: P.median(r["tests"]))
        first = figure(name, lambda r: r["tests"][0])
        wall = figure(name, lambda r: r["wall"]) / 1000
        ratios = [P.ratio(per[name], per["botocore Stubber"])]
        ratios.append(P.ratio(per[name], per["before-send floor"]))
        cells = [f"{per[name]:.1f}", f"{middle:.1f}", f"{first:.1f}", f"{wall:.2f} s", *ratios]
        rows.append([name, *cells])
    header = [f"{n} one-interaction tests", "ms/test", "median test", "first test", "wall"]
    lines = P.table([*header, "x Stubber", "x before-send"], rows)
    ratio = per["bedrock-vcr marker"] / per["before-send floor"]
    verdict = "PASS" if ratio <= GOAL_PER_TEST else "MISS"
    lines.append(f"per-test ratio to the before-send floor {ratio:.2f}x (goal <= 1.5x): {verdict}")
    if all("tests_cpu" in r for rs in runs.values() for r in rs):
        cpu = {name: figure(name, lambda r: sum(r["tests_cpu"]) / n) for name in runs}
        share = cpu["bedrock-vcr marker"] / cpu["before-send floor"]
        lines.append(
            f"the same in CPU time of the pytest process: {share:.2f}x "
            f"({cpu['bedrock-vcr marker']:.1f} / {cpu['before-send floor']:.1f} ms per test)"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.update(P.DUMMY_ENV)  # recording below talks only to the local server
    started = time.perf_counter()
    if args.workdir is None:
        root = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    else:
        root = args.workdir / "bench-startup"
        shutil.rmtree(root, ignore_errors=True)  # the previous run's projects
        root.mkdir(parents=True)
    try:
        trivial_project(root / "trivial")
        per_test_projects(root, args.tests)
        startup = alternate(root, STARTUP, args.rounds, 10, durations=False)
        found = modules_loaded(root)
        per_test = alternate(root, PER_TEST, args.rounds, args.tests, durations=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    info = P.versions()
    lines = [
        P.version_line("start-up benchmark", info),
        f"medians of {args.rounds} alternating rounds after one untimed run of each variant",
        "",
        *startup_lines(startup),
        "",
        *module_lines(found),
        "",
        *per_test_lines(per_test, args.tests),
        f"total wall time {time.perf_counter() - started:.1f} s",
    ]
    print("\n".join(lines))
    if args.json is not None:
        settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
        document = {"versions": info, "settings": settings, "startup": startup}
        document.update({"modules": found, "per_test": per_test})
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        P.say(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
