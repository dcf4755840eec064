"""Per-call cost against the unsigned floor, and the cost of recording (issue 11).

    python benchmarks/bench_calls.py            # 100 calls x 7 repeats per block
    python benchmarks/bench_calls.py --quick    # 40 calls x 5 repeats
    python benchmarks/bench_calls.py --profile  # where bedrock-vcr's own per-call time goes

Every row is timed in alternating batches with its own reference (see :mod:`timing`):

- replay (``use_cassette`` defaults, request checks on) and simulated answers (``BedrockMock``
  with an ``Answer`` per operation) against the **unsigned floor**: a ``before-send`` handler on
  a client made with ``signature_version=UNSIGNED`` answering prebuilt bytes, the least any tool
  that answers through botocore's parsers can cost;
- recording (``use_cassette(record_mode="all")``, default options, against the local
  ``BedrockServer`` in this process) against the **plain call** to the same server. Each batch
  records into a fresh cassette; its save (after the batch) is not timed. Beside it, the time to
  the first event of a stream, plain and recorded (medians of single calls, interleaved).

``--profile`` times nothing against anything: it runs replayed and simulated calls under
``cProfile`` (CPU time, so a spell the process spent descheduled is not counted) and lists
bedrock-vcr's own functions by cumulative time per call. Profiling inflates every figure alike:
read them as shares of the call, not as costs.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from approaches import (  # noqa: E402
    DEAD_ENDPOINT,
    UNSIGNED_FLOOR,
    Row,
    floor_contender,
)
from timing import Contender, Plan, measure_block, paired_ratio, spread_targets  # noqa: E402
from workload import (  # noqa: E402
    INVOKE,
    MODEL_ID,
    OP_LABEL,
    OPERATIONS,
    STREAM,
    Workload,
    caller,
    generate_bedrock_vcr,
    make_client,
)

import bedrock_vcr  # noqa: E402

REPLAY = "bedrock-vcr replay (defaults)"
SIMULATED = "simulated (BedrockMock, Answer)"
PLAIN = "plain call, local server"
RECORDED = "recorded (record_mode=all)"
SIZE = 10


def replay_row(path: Path, workload: Workload, plan: Plan) -> Row:
    row = Row(REPLAY, SIZE)
    with bedrock_vcr.use_cassette(path, allow_playback_repeats=True):
        client = make_client(DEAD_ENDPOINT)
        for op in OPERATIONS:
            targets = spread_targets(workload.indices(SIZE, op), plan.calls, 1)
            floor = floor_contender(workload, op, targets, signed=False)
            contender = Contender(REPLAY, caller(client, workload, op, targets))
            timings = measure_block([floor, contender], targets, plan)
            row.timings[op], row.floor[op] = timings[REPLAY], timings[UNSIGNED_FLOOR]
    return row


def simulated_row(workload: Workload, plan: Plan) -> Row:
    words = " ".join(f"word{k}" for k in range(60))
    pieces = [f" piece{k}" for k in range(workload.chunks)]
    row = Row(SIMULATED, None)
    for op in OPERATIONS:
        targets = spread_targets(workload.indices(SIZE, op), plan.calls, 1)
        floor = floor_contender(workload, op, targets, signed=False)
        with bedrock_vcr.BedrockMock() as bedrock:
            text = words if op == INVOKE else pieces
            bedrock.on(model_id=MODEL_ID, operation=op, return_value=bedrock_vcr.Answer(text))
            contender = Contender(
                SIMULATED, caller(make_client(DEAD_ENDPOINT), workload, op, targets)
            )
            timings = measure_block([floor, contender], targets, plan)
            row.timings[op], row.floor[op] = timings[SIMULATED], timings[UNSIGNED_FLOOR]
    return row


def recording_row(workload: Workload, plan: Plan, url: str, folder: Path) -> Row:
    row = Row(RECORDED, None)
    client = make_client(url)
    batch = [0]
    active: list[Any] = []

    def start() -> None:
        batch[0] += 1
        cassette = bedrock_vcr.use_cassette(folder / f"rec-{batch[0]}.yaml", record_mode="all")
        cassette.__enter__()
        active.append(cassette)

    def stop() -> None:
        active.pop().__exit__(None, None, None)

    for op in OPERATIONS:
        targets = spread_targets(workload.indices(SIZE, op), plan.calls, 1)
        for i in targets:
            workload.answer_for(i)  # the server's answers built before timing
        call = caller(client, workload, op, targets)
        plain = Contender(PLAIN, call)
        recorded = Contender(RECORDED, call, before=start, after=stop)
        timings = measure_block([plain, recorded], targets, plan)
        row.timings[op], row.floor[op] = timings[RECORDED], timings[PLAIN]
    return row


def first_event(workload: Workload, url: str, folder: Path, calls: int) -> dict[str, float]:
    """Median ms to the first event of a stream, plain and recorded, alternating call by call."""
    client = make_client(url)
    targets = spread_targets(workload.indices(SIZE, STREAM), calls, 2)
    bodies = {i: workload.request_body(i) for i in targets}
    times: dict[str, list[float]] = {PLAIN: [], RECORDED: []}

    def one(i: int) -> float:
        started = time.perf_counter()
        stream = client.invoke_model_with_response_stream(modelId=MODEL_ID, body=bodies[i])
        events = iter(stream["body"])
        next(events)
        took = time.perf_counter() - started
        for _ in events:
            pass
        return took * 1000

    for k, i in enumerate(targets * 2):
        times[PLAIN].append(one(i))
        with bedrock_vcr.use_cassette(folder / f"first-{k}.yaml", record_mode="all"):
            times[RECORDED].append(one(i))
    return {name: statistics.median(values) for name, values in times.items()}


def run(quick: bool) -> dict[str, Any]:
    workload = Workload()
    plan = Plan(40, 5, 5) if quick else Plan(100, 7, 10)
    with tempfile.TemporaryDirectory(prefix="bench-calls-") as temp:
        folder = Path(temp)
        path = folder / "replay.yaml"
        generate_bedrock_vcr(path, workload, SIZE)
        rows = [replay_row(path, workload, plan), simulated_row(workload, plan)]
        with bedrock_vcr.BedrockServer([workload.source()]) as server:
            rows.append(recording_row(workload, plan, server.url, folder))
            first = first_event(workload, server.url, folder, 10 if quick else 25)
    figures: dict[str, Any] = {"first_event_ms": first, "rows": {}}
    for row in rows:
        figures["rows"][row.approach] = {
            OP_LABEL[op]: {
                "ms": row.timings[op].median,
                "reference_ms": row.floor[op].median,
                "ratio": paired_ratio(row.timings[op], row.floor[op]),
            }
            for op in OPERATIONS
        }
    return figures


def lines(figures: dict[str, Any]) -> list[str]:
    out = [f"{'per call':<34} {'op':<13} {'ms':>8} {'ref ms':>8} {'ratio':>7}  reference"]
    for name, ops in figures["rows"].items():
        ref = "plain call" if name == RECORDED else "unsigned floor"
        for op, cell in ops.items():
            out.append(
                f"{name:<34} {op:<13} {cell['ms']:8.3f} {cell['reference_ms']:8.3f} "
                f"{cell['ratio']:6.2f}x  {ref}"
            )
    first = figures["first_event_ms"]
    out.append(
        f"time to the first stream event: plain {first[PLAIN]:.2f} ms, recorded "
        f"{first[RECORDED]:.2f} ms ({first[RECORDED] / first[PLAIN]:.2f}x)"
    )
    return out


def profile(workload: Workload, calls: int = 400, top: int = 12) -> list[str]:
    """bedrock-vcr's own functions by cumulative microseconds per call, per kind of call."""
    out: list[str] = []
    words = " ".join(f"word{k}" for k in range(60))
    pieces = [f" piece{k}" for k in range(workload.chunks)]
    with tempfile.TemporaryDirectory(prefix="bench-calls-") as temp:
        path = Path(temp) / "replay.yaml"
        generate_bedrock_vcr(path, workload, SIZE)
        for op in OPERATIONS:
            targets = spread_targets(workload.indices(SIZE, op), calls, 1)
            with bedrock_vcr.use_cassette(path, allow_playback_repeats=True):
                call = caller(make_client(DEAD_ENDPOINT), workload, op, targets)
                out += _profiled(f"replay, {OP_LABEL[op]}", call, targets, top)
            with bedrock_vcr.BedrockMock() as bedrock:
                text = words if op == INVOKE else pieces
                answer = bedrock_vcr.Answer(text)
                bedrock.on(model_id=MODEL_ID, operation=op, return_value=answer)
                call = caller(make_client(DEAD_ENDPOINT), workload, op, targets)
                out += _profiled(f"simulated, {OP_LABEL[op]}", call, targets, top)
    return out


def _profiled(title: str, call: Any, targets: list[int], top: int) -> list[str]:
    for i in targets[:20]:  # warm: the first call of a request builds what later ones reuse
        call(i)
    profiler = cProfile.Profile(time.thread_time)  # CPU time: a descheduled spell is not counted
    profiler.enable()
    for i in targets:
        call(i)
    profiler.disable()
    stats: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in stats.values())  # tottime of everything: the calls' own time
    own = sorted(
        (
            (v[3], f"{Path(k[0]).name}:{k[1]}({k[2]})")
            for k, v in stats.items()
            if "bedrock_vcr" in k[0]
        ),
        reverse=True,
    )
    scale = 1e6 / len(targets)
    lines = [f"{title}: {total * scale:.0f} us per call profiled; bedrock-vcr's, cumulative:"]
    lines += [
        f"  {seconds * scale:8.1f} us {100 * seconds / total:5.1f} %  {name}"
        for seconds, name in own[:top]
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 calls x 5 repeats per block")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument(
        "--profile", action="store_true", help="profile replayed and simulated calls instead"
    )
    args = parser.parse_args(argv)
    if args.profile:
        print("\n".join(profile(Workload())))
        return 0
    figures = run(args.quick)
    print("\n".join(lines(figures)))
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
