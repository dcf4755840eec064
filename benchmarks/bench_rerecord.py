"""What quiet re-recording costs a save: a ``rewrite`` save of N stream recordings whose answers
are unchanged, with ``exact_volatile=True`` (the values as they came, no comparison) and with the
default (each recording compared with what the file held, which is parsed for that).

    python benchmarks/bench_rerecord.py                 # cassettes of 10, 200 and 1,000 streams
    python benchmarks/bench_rerecord.py --sizes 10 200  # other sizes
    python benchmarks/bench_rerecord.py --repeats 5

The two are timed alternately on the same file (the order rotating between repeats); each line
gives both medians and the median of the per-repeat ratio quiet / exact, which cancels a slow spell
that hit both. Nothing reaches the network: the recordings are built in memory.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from bedrock_vcr.cassettes import merge
from bedrock_vcr.cassettes.cassette import Cassette, CassetteConfig
from bedrock_vcr.cassettes.modes import RecordMode
from bedrock_vcr.cassettes.records import RecordedRequest, RecordedResponse, StreamEvent


def record(path: Path, size: int, mode: RecordMode, exact: bool) -> float:
    """Record ``size`` ten-event ConverseStream answers into ``path``; seconds the save took."""
    cassette = Cassette(path, CassetteConfig(record_mode=mode, exact_volatile=exact))
    for i in range(size):
        text = {"messages": [{"role": "user", "content": [{"text": f"question {i}"}]}]}
        request = RecordedRequest(
            "ConverseStream", "amazon.nova-lite-v1:0", json.dumps(text).encode()
        )
        jitter = (time.perf_counter_ns() % 1000) / 1e7  # timings differ on every recording
        events = [
            StreamEvent.event(
                "contentBlockDelta",
                {"contentBlockIndex": 0, "delta": {"text": f"word{k} "}, "p": "abcdef"},
                0.05 * k + jitter,
            )
            for k in range(10)
        ]
        headers = {
            "date": time.strftime("%a, %d %b %Y %H:%M:%S GMT"),
            "x-amzn-requestid": str(uuid.uuid4()),
        }
        cassette.complete(
            cassette.reserve(request),
            RecordedResponse(200, headers, events=events, latency=0.3 + jitter),
        )
    started = time.perf_counter()
    cassette.save()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 200, 1000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            path = Path(folder) / f"c{size}.yaml"
            record(path, size, RecordMode.ONCE, exact=True)
            before = path.read_text()
            times: dict[bool, list[float]] = {True: [], False: []}
            for repeat in range(args.repeats):
                for exact in (True, False) if repeat % 2 == 0 else (False, True):
                    path.write_text(before)
                    merge._last_parse = None  # a run's first save parses the file: time that
                    times[exact].append(record(path, size, RecordMode.REWRITE, exact))
                    assert (path.read_text() == before) is not exact
            ratio = statistics.median(q / e for q, e in zip(times[False], times[True], strict=True))
            print(
                f"{size:>5} streams: exact {statistics.median(times[True]):.3f} s, "
                f"quiet {statistics.median(times[False]):.3f} s, quiet/exact x{ratio:.2f} "
                "(file unchanged only when quiet)"
            )


if __name__ == "__main__":
    main()
