"""``bedrock-vcr inspect``: what a cassette holds, one line per interaction.

For a quick look without reading YAML: operation, model, status, and for a stream its events by
type, its duration and how it ended (a stream cut short of its final events is marked).
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

from ..cassettes import storage, stream_end
from ..errors import BedrockVCRError, TruncatedStreamWarning
from .outputs import report_failure, report_total


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inspect", help="summarise the interactions of cassettes")
    p.add_argument("paths", nargs="+", metavar="CASSETTE")
    p.add_argument("-v", "--verbose", action="store_true", help="show request bodies")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.paths:
        try:
            with warnings.catch_warnings():  # a cut-short stream is marked on its own line
                warnings.simplefilter("ignore", TruncatedStreamWarning)
                interactions = storage.load_file(Path(path))
        except (BedrockVCRError, OSError) as exc:  # reported; the other cassettes go on
            report_failure("inspect", Path(path), exc)
            failed += 1
            continue
        print(f"{path}: {len(interactions)} interaction(s)")
        for index, interaction in enumerate(interactions):
            request, response = interaction.request, interaction.response
            assert response is not None
            if response.events is not None:
                kinds: dict[str, int] = {}
                for event in response.events:
                    name = event.event_type or "?"
                    kinds[name] = kinds.get(name, 0) + 1
                summary = ", ".join(f"{n} {k}" for k, n in kinds.items()) or "no events"
                what = f"stream of {len(response.events)} event(s) ({summary})"
                if response.events:
                    what += f" over {response.events[-1].offset:.3f}s"
                if response.stream_end != "complete":
                    what += f", {response.stream_end}"
                missing = stream_end.missing_end(interaction)
                if missing is not None:
                    what += f", CUT SHORT: ends without {missing}"
            else:
                what = f"{len(response.body)} byte body"
            print(f"  #{index} {request.operation} {request.model_id} -> {response.status} {what}")
            if args.verbose:
                body = request.json
                print("     request: " + (json.dumps(body)[:200] if body is not None else "-"))
    return report_total("inspect", failed, len(args.paths))
