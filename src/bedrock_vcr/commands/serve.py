"""``bedrock-vcr serve``: the local Bedrock-compatible server, from the command line."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from ..server import BedrockServer, CassetteSource


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "serve",
        help="serve cassettes over HTTP to any SDK (set its endpoint to the printed URL)",
    )
    p.add_argument("cassettes", nargs="*", metavar="CASSETTE", help="cassettes to answer from")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="0 picks a free port (default 8000)")
    p.add_argument(
        "--speed",
        type=float,
        default=0.0,
        help="replay pacing: 0 as fast as possible (default), 1 at the recorded speed",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log each request")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    sources = [CassetteSource([Path(p) for p in args.cassettes])] if args.cassettes else []
    server = BedrockServer(
        sources, host=args.host, port=args.port, speed=args.speed, verbose=args.verbose
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.start()
    print(f"bedrock-vcr serving on {server.url}", flush=True)
    try:
        stop.wait()
    finally:
        server.stop()
        print("bedrock-vcr server stopped", file=sys.stderr, flush=True)
    return 0
