"""Streams per second from the local server beside a minimal asyncio server (issue 11).

    python benchmarks/bench_server.py                 # 1, 8 and 50 concurrent streams, 3 rounds
    python benchmarks/bench_server.py --quick         # 1 and 8, 1 round, 2 s each
    python benchmarks/bench_server.py --clients 1,16,64 --seconds 10 --json server.json
    python benchmarks/bench_server.py --client boto3  # boto3 clients instead of raw ones
    python benchmarks/bench_server.py --baseline-command "env PYTHONPATH=old/src bedrock-vcr"

Three servers run in their own processes on the same generated cassette of 50-event streams:
``bedrock-vcr serve CASSETTE --port 0`` and two minimal asyncio servers sending the same
prebuilt bytes (``reference_server.py``): ``one-write``, each whole answer in one write, the
strict floor the goal is judged against, and ``frame-writes``, one write and drain per frame,
printed beside it. Clients spread over ``--procs`` processes hit one server at a time; each
level alternates the servers over ``--rounds`` rounds and keeps the median. Printed per level
and server: streams/s and its ratio to one-write, the server's own CPU time per stream (from
``/proc``) and its ratio, the median time to the first chunk and to the whole stream, and the
clients' CPU per stream (the same clients for every server). Then one line per goal and level
(at least half one-write's streams/s, CPU per stream within 3x) with PASS or MISS, and the same
ratios against frame-writes. Clients and servers share the machine's cores, so streams/s is what
the machine sustains end to end. ``--baseline-command`` adds another bedrock-vcr (an earlier
version) to the same rounds, printed as ``baseline``. ``--check`` exits 1 when a goal against
one-write is missed; any failed stream makes the exit status 1.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from raw_clients import DUMMY_ENV, client_process  # noqa: E402
from timing import spread_targets  # noqa: E402
from workload import STREAM, Workload, generate_bedrock_vcr  # noqa: E402

#: The goal is judged against ONE_WRITE (the strict floor: each whole answer in one write);
#: FRAME_WRITES (one write and drain per frame) is printed beside it.
ONE_WRITE, FRAME_WRITES, VCR = "one-write", "frame-writes", "bedrock-vcr"
#: Another version of bedrock-vcr measured in the same run (``--baseline-command``).
BASELINE = "baseline"
SERVERS = (ONE_WRITE, VCR, FRAME_WRITES, BASELINE)
#: The issue's goals: streams/s at least this share of the reference's; CPU within this factor.
MIN_RATE_RATIO = 0.5
MAX_CPU_RATIO = 3.0


@dataclass
class Level:
    server: str
    clients: int
    seconds: float
    streams: int
    errors: int
    streams_per_s: float
    latency_ms_p50: float
    latency_ms_p95: float
    #: from sending the request to holding the first chunk whole (raw clients only)
    first_chunk_ms_p50: float | None
    server_cpu_ms_per_stream: float | None
    client_cpu_ms_per_stream: float | None


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_level(
    server: str,
    url: str,
    pid: int,
    workload: Workload,
    targets: list[int],
    args: argparse.Namespace,
    clients: int,
) -> Level:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    procs = min(args.procs, clients)
    shares = [clients // procs + (1 if n < clients % procs else 0) for n in range(procs)]
    start = context.Barrier(len(shares))
    children = [
        context.Process(
            target=client_process,
            args=(args.client, url, workload, targets, share, args.seconds, start, queue),
        )
        for share in shares
    ]
    cpu_before = _cpu_seconds(pid)
    for child in children:
        child.start()
    results = [queue.get() for _ in children]
    cpu_after = _cpu_seconds(pid)
    for child in children:
        child.join()
    latencies = sorted(x for result in results for x in result[0])
    errors = [e for result in results for e in result[1]]
    firsts = [x for result in results for x in result[2]]
    client_cpu = sum(result[3] for result in results)
    if errors:
        print(f"  {server}: {len(errors)} failed streams, first: {errors[0]}", file=sys.stderr)
    n = len(latencies)
    cpu = None
    if cpu_before is not None and cpu_after is not None and n:
        cpu = (cpu_after - cpu_before) * 1000 / n
    return Level(
        server=server,
        clients=clients,
        seconds=args.seconds,
        streams=n,
        errors=len(errors),
        streams_per_s=n / args.seconds,
        latency_ms_p50=statistics.median(latencies) * 1000 if n else float("nan"),
        latency_ms_p95=latencies[int(0.95 * (n - 1))] * 1000 if n else float("nan"),
        first_chunk_ms_p50=statistics.median(firsts) * 1000 if firsts else None,
        server_cpu_ms_per_stream=cpu,
        client_cpu_ms_per_stream=client_cpu * 1000 / n if n else None,
    )


def _start(command: list[str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if "serving on" not in line:
        process.kill()
        raise RuntimeError(f"{command[0]} did not start: {line!r}")
    return process, line.rsplit(" ", 1)[1].strip()


def start_servers(
    cassette: Path, args: argparse.Namespace
) -> dict[str, tuple[subprocess.Popen[str], str]]:
    exe = shutil.which("bedrock-vcr")
    serve = [exe] if exe else [sys.executable, "-m", "bedrock_vcr.cli.main"]
    if args.serve_command:
        serve = shlex.split(args.serve_command)
    reference = Path(__file__).resolve().parent / "reference_server.py"
    floor = [sys.executable, str(reference), "--interactions", str(args.interactions)]
    floor += ["--chunks", str(args.chunks)]
    servers = {
        VCR: _start([*serve, "serve", str(cassette), "--port", "0"]),
        FRAME_WRITES: _start(floor),
        ONE_WRITE: _start([*floor, "--one-write"]),
    }
    if args.baseline_command:
        command = [*shlex.split(args.baseline_command), "serve", str(cassette), "--port", "0"]
        servers[BASELINE] = _start(command)
    return servers


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Local server throughput beside a reference.")
    parser.add_argument("--quick", action="store_true", help="1 and 8 clients, 1 round, 2 s")
    parser.add_argument("--clients", help="concurrent streams to try (1,8,50)")
    parser.add_argument("--seconds", type=float, help="measuring time per level and server (3)")
    parser.add_argument("--rounds", type=int, help="alternating rounds per level (3)")
    parser.add_argument("--procs", type=int, default=2, help="client processes (2)")
    parser.add_argument("--client", choices=("raw", "boto3"), default="raw", help="(raw)")
    parser.add_argument("--chunks", type=int, default=50, help="events per stream (50)")
    parser.add_argument("--interactions", type=int, default=200, help="cassette size (200)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument(
        "--serve-command",
        help="the command that runs bedrock-vcr (its `serve ...` arguments are added), to "
        "measure another version; default: the installed `bedrock-vcr`",
    )
    parser.add_argument(
        "--baseline-command",
        help="also measure this bedrock-vcr command (`serve ...` added) in the same rounds, "
        "printed as `baseline` (an earlier version, to compare time to first chunk)",
    )
    args = parser.parse_args(argv)
    if args.clients is None:
        args.clients = "1,8" if args.quick else "1,8,50"
    if args.seconds is None:
        args.seconds = 2.0 if args.quick else 3.0
    if args.rounds is None:
        args.rounds = 1 if args.quick else 3
    args.clients = [int(c) for c in args.clients.split(",") if c.strip()]
    if not args.clients or min(args.clients) < 1 or args.procs < 1 or args.rounds < 1:
        parser.error("--clients, --procs and --rounds need positive integers")
    return args


def _median(levels: list[Level], server: str, clients: int, field: str) -> float | None:
    values = [getattr(x, field) for x in levels if x.server == server and x.clients == clients]
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _f(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def goal_lines(levels: list[Level], args: argparse.Namespace, against: str) -> list[list[str]]:
    """One row per goal and level: what, the figure, the goal, PASS or MISS."""
    rows = []
    for clients in args.clients:
        rate = _ratio(*(_median(levels, s, clients, "streams_per_s") for s in (VCR, against)))
        cpu = _ratio(
            *(_median(levels, s, clients, "server_cpu_ms_per_stream") for s in (VCR, against))
        )
        for label, value, limit, met in (
            (
                "streams/s",
                rate,
                f">= {MIN_RATE_RATIO:g}x",
                rate is not None and rate >= MIN_RATE_RATIO,
            ),
            ("CPU/stream", cpu, f"<= {MAX_CPU_RATIO:g}x", cpu is not None and cpu <= MAX_CPU_RATIO),
        ):
            verdict = "PASS" if met else "MISS"
            rows.append([f"{clients} client(s), {label} / {against}", _f(value, ".2f") + "x"])
            rows[-1] += [limit, verdict]
    return rows


def report(levels: list[Level], args: argparse.Namespace) -> bool:
    """Print the side-by-side table and the goal lines; whether every goal holds."""
    print(
        f"local server, {args.chunks}-event streams, {args.client} clients in {args.procs} "
        f"process(es), {args.rounds} alternating round(s) of {args.seconds:g} s, "
        f"{os.cpu_count()} CPUs shared by clients and servers (medians)"
    )
    print(
        f"{'clients':>7} {'server':<12} {'streams/s':>9} {'x 1-write':>9} "
        f"{'CPU ms':>7} {'x 1-write':>9} {'1st chunk ms':>12} {'p50 ms':>7} {'client CPU':>10}"
    )
    for clients in args.clients:
        base_rate = _median(levels, ONE_WRITE, clients, "streams_per_s")
        base_cpu = _median(levels, ONE_WRITE, clients, "server_cpu_ms_per_stream")
        for server in (ONE_WRITE, FRAME_WRITES, VCR, BASELINE):
            if not any(x.server == server for x in levels):
                continue
            rate = _median(levels, server, clients, "streams_per_s")
            cpu = _median(levels, server, clients, "server_cpu_ms_per_stream")
            first = _median(levels, server, clients, "first_chunk_ms_p50")
            p50 = _median(levels, server, clients, "latency_ms_p50")
            client = _median(levels, server, clients, "client_cpu_ms_per_stream")
            print(
                f"{clients:>7} {server:<12} {_f(rate, '.0f'):>9} "
                f"{_f(_ratio(rate, base_rate), '.2f'):>9} {_f(cpu, '.3f'):>7} "
                f"{_f(_ratio(cpu, base_cpu), '.2f'):>9} {_f(first, '.3f'):>12} "
                f"{_f(p50, '.3f'):>7} {_f(client, '.3f'):>10}"
            )
    print(
        "one-write: a minimal asyncio server writing each whole prebuilt answer at once (the "
        "strict floor); frame-writes: the same with one write and drain per frame. CPU ms: the "
        "server's own CPU per stream; client CPU: the client processes' CPU ms per stream."
    )
    strict = goal_lines(levels, args, ONE_WRITE)
    print(f"goals (issue 11), judged against {ONE_WRITE}:")
    for row in strict:
        print(f"  {row[0]:<42} {row[1]:>7}  {row[2]:<8} {row[3]}")
    print(f"beside them, against {FRAME_WRITES} (not the goal):")
    for row in goal_lines(levels, args, FRAME_WRITES):
        print(f"  {row[0]:<42} {row[1]:>7}  {row[2]:<8} {row[3]}")
    return all(row[3] == "PASS" for row in strict)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.update(DUMMY_ENV)
    workload = Workload(chunks=args.chunks, stream_share=0.5)
    folder = Path(tempfile.mkdtemp(prefix="bedrock-vcr-serve-bench-"))
    levels: list[Level] = []
    try:
        cassette = folder / "serve.yaml"
        generate_bedrock_vcr(cassette, workload, args.interactions)
        targets = spread_targets(workload.indices(args.interactions, STREAM), 10**6, 7)
        servers = start_servers(cassette, args)
        try:
            for clients in args.clients:
                for round_ in range(args.rounds):
                    order = SERVERS if round_ % 2 == 0 else SERVERS[::-1]
                    for name in (x for x in order if x in servers):
                        process, url = servers[name]
                        print(f"{name}: {clients} client(s), round {round_ + 1}", file=sys.stderr)
                        levels.append(
                            measure_level(name, url, process.pid, workload, targets, args, clients)
                        )
        finally:
            for process, _ in servers.values():
                process.terminate()
                process.wait(timeout=10)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    met = report(levels, args)
    if args.json is not None:
        document = {"levels": [asdict(x) for x in levels], "settings": vars(args)}
        args.json.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    failed = any(level.errors for level in levels)
    return 1 if failed or (args.check and not met) else 0


if __name__ == "__main__":
    sys.exit(main())
