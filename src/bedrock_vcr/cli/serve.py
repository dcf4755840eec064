"""``bedrock-vcr serve``: the local Bedrock-compatible server, from the command line.

Answers come from cassettes (positional arguments, served first), a config file of simulated
routes (``--config``, see :mod:`bedrock_vcr.server.routes_file`) and the simulation options
(``--answer`` ... ``--fault`` ...), in that order. With none of them every request to a known
model gets a default simulated answer. SIGINT and SIGTERM stop the server cleanly: no new
connections, requests in flight finish (up to ``--grace`` seconds), the port is released, exit
code 0.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from ..cassettes.matching import MatchConfig
from ..server.app import MAX_BODY
from ..server.http1 import DEFAULT_GRACE, BedrockServer
from ..server.routes import RouteSpec
from ..server.routes_file import ServeConfig, SimulationSource, load_config, option_routes
from ..server.sources import CassetteSource
from . import server_limits

_SIMULATION_OPTIONS = (
    "answer",
    "stop_reason",
    "chunk_size",
    "latency",
    "chunk_delay",
    "input_tokens",
    "output_tokens",
    "fault",
    "times",
    "stream_error",
    "after",
    "disconnect_after",
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="serve cassettes and simulated answers over HTTP to any SDK (set its endpoint to "
        "the printed URL)",
        description="A local Bedrock Runtime endpoint (HTTP/1.1 and cleartext HTTP/2). Point an "
        "SDK at the printed URL (boto3: endpoint_url=; JavaScript SDK: endpoint:). Stop it with "
        "Ctrl-C or SIGTERM.",
    )
    p.add_argument("cassettes", nargs="*", metavar="CASSETTE", help="cassettes to answer from")
    p.add_argument(
        "-c",
        "--config",
        metavar="FILE",
        help="YAML file of simulated routes (see the README section #server)",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="0 picks a free port (default 8000)")
    p.add_argument(
        "--speed",
        type=float,
        default=None,
        help="pacing factor for recorded and declared delays: 0 sends at once, 1 at the "
        "recorded pace, 0.5 twice as fast (default: the config's speed, else 1 when --latency "
        "or --chunk-delay is given, else 0)",
    )
    p.add_argument(
        "--grace",
        type=float,
        default=DEFAULT_GRACE,
        help=f"seconds requests in flight may take to finish on shutdown "
        f"(default {DEFAULT_GRACE:g})",
    )
    p.add_argument(
        "--max-body",
        type=int,
        default=MAX_BODY,
        help=f"largest request body in bytes (default Bedrock's {MAX_BODY})",
    )
    p.add_argument(
        "--match-on",
        metavar="FIELDS",
        help="request fields a cassette's recording must share, comma-separated (default "
        "operation,model_id,body; also headers)",
    )
    p.add_argument(
        "--ignore-body-key",
        action="append",
        metavar="KEY",
        help="body key left out when matching cassettes (repeatable; a dotted path ignores one "
        "place, e.g. inferenceConfig.temperature)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log each request")
    _add_simulation_options(p)
    server_limits.add_options(p)
    p.set_defaults(func=run)


def _add_simulation_options(p: argparse.ArgumentParser) -> None:
    sim = p.add_argument_group("simulated answer (one route for every request to a known model)")
    sim.add_argument("--answer", metavar="TEXT", help="the answer's text")
    sim.add_argument(
        "--stop-reason",
        metavar="REASON",
        help="stop, length, stop_sequence, content_filtered... or a native value",
    )
    sim.add_argument("--chunk-size", type=int, metavar="N", help="characters per stream chunk")
    sim.add_argument(
        "--latency",
        type=float,
        metavar="SECONDS",
        help="time to the first chunk (the whole answer for plain calls)",
    )
    sim.add_argument("--chunk-delay", type=float, metavar="SECONDS", help="gap between chunks")
    sim.add_argument("--input-tokens", type=int, metavar="N")
    sim.add_argument("--output-tokens", type=int, metavar="N")
    sim.add_argument("--model", metavar="GLOB", help="answer only these model ids")
    sim.add_argument(
        "--operation",
        metavar="NAME",
        help="answer only this operation (InvokeModel, converse_stream, ...)",
    )
    sim.add_argument(
        "--fault", metavar="CODE", help="answer with this error (ThrottlingException, ...) instead"
    )
    sim.add_argument(
        "--times",
        type=int,
        metavar="N",
        help="with --fault: only the first N requests fail, then the answer",
    )
    sim.add_argument(
        "--stream-error",
        metavar="CODE",
        help="end streams with this exception frame (modelStreamErrorException...)",
    )
    sim.add_argument(
        "--after",
        type=int,
        metavar="N",
        help="with --stream-error: frames sent before it (default 0)",
    )
    sim.add_argument(
        "--disconnect-after",
        type=int,
        metavar="N",
        help="drop the connection after N stream frames",
    )


def build(args: argparse.Namespace) -> tuple[list[Any], float]:
    """The sources and the pacing the arguments ask for."""
    config = load_config(args.config) if args.config else ServeConfig()
    sources: list[Any] = []
    if args.cassettes:
        match = MatchConfig.build(
            match_on=[f.strip() for f in args.match_on.split(",")] if args.match_on else None,
            ignore_body_keys=args.ignore_body_key,
        )
        sources.append(CassetteSource([Path(p) for p in args.cassettes], match))
    sources.extend(config.sources())
    options = {name: getattr(args, name) for name in _SIMULATION_OPTIONS}
    routes: list[RouteSpec] = []
    if any(value is not None for value in options.values()) or not sources:
        routes = option_routes(**options, model=args.model, operation=args.operation)
        sources.append(SimulationSource(routes))
    if args.speed is not None:
        speed = args.speed
    elif config.speed is not None:
        speed = config.speed
    else:
        speed = 1.0 if args.latency is not None or args.chunk_delay is not None else 0.0
    return sources, speed


def run(args: argparse.Namespace) -> int:
    sources, speed = build(args)
    server = BedrockServer(
        sources,
        host=args.host,
        port=args.port,
        speed=speed,
        verbose=args.verbose,
        max_body=args.max_body,
        grace=args.grace,
        **server_limits.options(args),
    )
    stop = threading.Event()
    received: list[str] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        received.append(signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    server.start()
    print(f"bedrock-vcr serving on {server.url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        why = f" on {received[0]}" if received else ""
        print(f"bedrock-vcr server stopping{why}...", file=sys.stderr, flush=True)
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        print(
            f"bedrock-vcr server stopped; port {server.port} released", file=sys.stderr, flush=True
        )
    return 0
