"""Streams per second from the local server beside a minimal asyncio server (issue 11).

    python benchmarks/bench_server.py                 # 1, 8 and 50 concurrent streams, 3 rounds
    python benchmarks/bench_server.py --quick         # 1 and 8, 1 round, 2 s each
    python benchmarks/bench_server.py --clients 1,16,64 --seconds 10 --json server.json
    python benchmarks/bench_server.py --client boto3  # boto3 clients instead of raw ones

Three servers run in their own processes on the same generated cassette of 50-event streams:
``bedrock-vcr serve CASSETTE --port 0``, ``reference_server.py`` (the floor: a minimal asyncio
server sending the same prebuilt bytes, one write per frame as bedrock-vcr flushes them) and
``reference_server.py --one-write`` (each whole answer in one write, for comparison). Clients
spread over ``--procs`` processes hit one server at a time; each level alternates the servers
over ``--rounds`` rounds and keeps the median. Printed side by side: streams/s, the ratio
bedrock-vcr / reference, and each server's own CPU time per stream (from ``/proc``). Clients and
servers share the machine's cores, so streams/s is what the machine sustains end to end.
``--check`` exits 1 when a goal is missed (at least half the reference's streams/s, CPU per
stream within 3x); any failed stream makes the exit status 1.
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

SERVERS = ("reference", "bedrock-vcr", "one-write")
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
    server_cpu_ms_per_stream: float | None


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
    latencies = sorted(x for lat, _ in results for x in lat)
    errors = [e for _, errs in results for e in errs]
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
        server_cpu_ms_per_stream=cpu,
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
    return {
        "bedrock-vcr": _start([*serve, "serve", str(cassette), "--port", "0"]),
        "reference": _start(floor),
        "one-write": _start([*floor, "--one-write"]),
    }


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


def _median(levels: list[Level], server: str, clients: int) -> tuple[float, float | None]:
    mine = [x for x in levels if x.server == server and x.clients == clients]
    cpus = [x.server_cpu_ms_per_stream for x in mine if x.server_cpu_ms_per_stream is not None]
    rate = statistics.median(x.streams_per_s for x in mine)
    return rate, statistics.median(cpus) if cpus else None


def report(levels: list[Level], args: argparse.Namespace) -> bool:
    """Print the side-by-side table; whether every goal holds."""
    print(
        f"local server, {args.chunks}-event streams, {args.client} clients in {args.procs} "
        f"process(es), {args.rounds} alternating round(s) of {args.seconds:g} s, "
        f"{os.cpu_count()} CPUs shared by clients and servers (medians)"
    )
    print(
        f"{'clients':>7} | {'reference/s':>11} {'bedrock-vcr/s':>13} {'ratio':>6} | "
        f"{'ref CPU ms':>10} {'vcr CPU ms':>10} {'ratio':>6} | {'goals':<6} | "
        f"{'one-write/s':>11} {'CPU ms':>7} {'vcr/it':>6} {'CPU x':>6}"
    )
    ok = True
    nan = float("nan")
    for clients in args.clients:
        ref_rate, ref_cpu = _median(levels, "reference", clients)
        rate, cpu = _median(levels, "bedrock-vcr", clients)
        one_rate, one_cpu = _median(levels, "one-write", clients)
        ratio = rate / ref_rate if ref_rate else nan
        cpu_ratio = cpu / ref_cpu if cpu is not None and ref_cpu else nan
        met = ratio >= MIN_RATE_RATIO and cpu_ratio <= MAX_CPU_RATIO
        ok = ok and met
        print(
            f"{clients:>7} | {ref_rate:>11.0f} {rate:>13.0f} {ratio:>6.2f} | "
            f"{ref_cpu or nan:>10.3f} {cpu or nan:>10.3f} {cpu_ratio:>5.2f}x | "
            f"{'met' if met else 'MISSED':<6} | {one_rate:>11.0f} {one_cpu or nan:>7.3f} "
            f"{rate / one_rate if one_rate else nan:>6.2f} "
            f"{cpu / one_cpu if cpu is not None and one_cpu else nan:>5.1f}x"
        )
    print(
        f"goals: bedrock-vcr streams/s >= {MIN_RATE_RATIO}x the reference's, server CPU per "
        f"stream <= {MAX_CPU_RATIO:g}x (reference: one write per frame, as bedrock-vcr flushes); "
        "one-write: the same bytes in one write per stream, for comparison"
    )
    return ok


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
                    for name in order:
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
