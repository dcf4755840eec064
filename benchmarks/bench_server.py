"""Streams per second from the local server, as users run it (``bedrock-vcr serve``).

    python benchmarks/bench_server.py                 # 1, 8 and 50 concurrent streams, 5 s each
    python benchmarks/bench_server.py --quick         # 1 and 8, 2 s each
    python benchmarks/bench_server.py --clients 1,4,16,64 --seconds 10 --json server.json

The server runs in its own process (``bedrock-vcr serve CASSETTE --port 0``) answering from a
generated cassette; clients are threads, spread over ``--procs`` processes, each with its own
boto3 client, iterating every event of every 50-chunk stream. Client and server processes share
the machine's cores, so the figure is what one machine sustains end to end, not the server alone;
the server's own CPU time per stream (from ``/proc``) is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import spread_targets  # noqa: E402
from workload import STREAM, Workload, caller, generate_bedrock_vcr, make_client  # noqa: E402

DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@dataclass
class Level:
    clients: int
    seconds: float
    streams: int
    errors: int
    streams_per_s: float
    events_per_s: float
    latency_ms_p50: float
    latency_ms_p95: float
    server_cpu_ms_per_stream: float | None


def _client_process(
    url: str, workload: Workload, targets: list[int], threads: int, seconds: float, queue: Any
) -> None:
    """``threads`` clients streaming until the deadline; puts (latencies, errors) on the queue."""
    os.environ.update(DUMMY_ENV)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def loop(offset: int) -> None:
        client = make_client(url)
        call = caller(client, workload, STREAM, targets)
        mine: list[float] = []
        start.wait()
        deadline = time.perf_counter() + seconds
        k = offset
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                call(targets[k % len(targets)])
            except Exception as exc:  # counted and reported, never hidden
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
            else:
                mine.append(time.perf_counter() - began)
            k += 1
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=loop, args=(n * 7,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    queue.put((latencies, errors))


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_level(
    url: str,
    server_pid: int,
    workload: Workload,
    targets: list[int],
    clients: int,
    procs: int,
    seconds: float,
) -> Level:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    shares = [clients // procs + (1 if n < clients % procs else 0) for n in range(procs)]
    shares = [s for s in shares if s]
    cpu_before = _cpu_seconds(server_pid)
    children = [
        context.Process(
            target=_client_process, args=(url, workload, targets, share, seconds, queue)
        )
        for share in shares
    ]
    for child in children:
        child.start()
    results = [queue.get() for _ in children]
    for child in children:
        child.join()
    cpu_after = _cpu_seconds(server_pid)
    latencies = sorted(x for lat, _ in results for x in lat)
    errors = [e for _, errs in results for e in errs]
    if errors:
        print(f"  {len(errors)} failed streams, first: {errors[0]}", file=sys.stderr)
    n = len(latencies)
    # every client streams for `seconds` once all threads of its process are ready, so start-up
    # (imports, client creation) is outside the window
    rate = n / seconds
    cpu = None
    if cpu_before is not None and cpu_after is not None and n:
        cpu = (cpu_after - cpu_before) * 1000 / n
    return Level(
        clients=clients,
        seconds=seconds,
        streams=n,
        errors=len(errors),
        streams_per_s=rate,
        events_per_s=rate * workload.chunks,
        latency_ms_p50=statistics.median(latencies) * 1000 if n else float("nan"),
        latency_ms_p95=latencies[int(0.95 * (n - 1))] * 1000 if n else float("nan"),
        server_cpu_ms_per_stream=cpu,
    )


def start_server(cassette: Path) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "bedrock_vcr.cli.main", "serve", str(cassette), "--port", "0"]
    exe = shutil.which("bedrock-vcr")
    if exe is not None:
        command = [exe, "serve", str(cassette), "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if "serving on" not in line:
        process.kill()
        raise RuntimeError(f"bedrock-vcr serve did not start: {line!r}")
    return process, line.rsplit(" ", 1)[1].strip()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Local server throughput (streams/s).")
    parser.add_argument("--quick", action="store_true", help="1 and 8 clients, 2 s each")
    parser.add_argument("--clients", help="concurrent streams to try (1,8,50)")
    parser.add_argument("--seconds", type=float, help="measuring time per level (5)")
    parser.add_argument("--procs", type=int, default=2, help="client processes (2)")
    parser.add_argument("--chunks", type=int, default=50, help="events per stream (50)")
    parser.add_argument("--interactions", type=int, default=200, help="cassette size (200)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.clients is None:
        args.clients = "1,8" if args.quick else "1,8,50"
    if args.seconds is None:
        args.seconds = 2.0 if args.quick else 5.0
    args.clients = [int(c) for c in args.clients.split(",") if c.strip()]
    if not args.clients or min(args.clients) < 1 or args.procs < 1:
        parser.error("--clients and --procs need positive integers")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.update(DUMMY_ENV)
    workload = Workload(chunks=args.chunks, stream_share=0.5)
    folder = Path(tempfile.mkdtemp(prefix="bedrock-vcr-serve-bench-"))
    levels = []
    try:
        cassette = folder / "serve.yaml"
        generate_bedrock_vcr(cassette, workload, args.interactions)
        targets = spread_targets(workload.indices(args.interactions, STREAM), 10**6, 7)
        server, url = start_server(cassette)
        try:
            for clients in args.clients:
                print(f"{clients} concurrent stream(s) for {args.seconds:g} s ...", file=sys.stderr)
                levels.append(
                    measure_level(
                        url,
                        server.pid,
                        workload,
                        targets,
                        clients,
                        min(args.procs, clients),
                        args.seconds,
                    )
                )
        finally:
            server.terminate()
            server.wait(timeout=10)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(
        f"bedrock-vcr serve throughput: {args.chunks}-event streams, {args.procs} client "
        f"process(es), {os.cpu_count()} CPUs shared by clients and server"
    )
    print(
        f"{'clients':>8} {'streams':>8} {'errors':>7} {'streams/s':>10} {'events/s':>9} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'server CPU ms/stream':>21}"
    )
    for level in levels:
        cpu = level.server_cpu_ms_per_stream
        print(
            f"{level.clients:>8} {level.streams:>8} {level.errors:>7} "
            f"{level.streams_per_s:>10.1f} {level.events_per_s:>9.0f} "
            f"{level.latency_ms_p50:>8.2f} {level.latency_ms_p95:>8.2f} "
            f"{'-' if cpu is None else format(cpu, '.2f'):>21}"
        )
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {"levels": [asdict(x) for x in levels], "settings": vars(args)},
                indent=2,
                default=str,
            )
            + "\n",
            encoding="utf-8",
        )
    return 1 if any(level.errors for level in levels) else 0


if __name__ == "__main__":
    sys.exit(main())
