"""``bedrock-vcr inspect``: what a cassette holds, one line per interaction.

For a quick look without reading YAML: operation, model, status, and for a stream its events by
type, its duration and how it ended (a stream cut short of its final events is marked). With
``-v``, each request body (cut at :data:`WIDTH` characters, marked ``...`` when cut) and the
answer: the generated text (a stream's chunks joined) and tool calls, or the body of an error.
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

from ..cassettes import storage, stream_end
from ..cassettes.records import Interaction
from ..errors import BedrockVCRError, TruncatedStreamWarning
from .outputs import report_failure, report_total

#: Characters of a request or answer shown by ``inspect -v``; longer ones end in ``...``.
WIDTH = 200


def _cut(text: str) -> str:
    return text if len(text) <= WIDTH else text[:WIDTH] + "..."


def _answer(interaction: Interaction) -> str:
    """The answer's text (and tool calls) for ``-v``; the raw body where no text can be read."""
    from ..simulation.recorded import recorded_answer

    response = interaction.response
    assert response is not None
    if response.status < 300:
        try:
            answer = recorded_answer(interaction)
        except (BedrockVCRError, ValueError, KeyError, TypeError, AttributeError):
            pass  # an embedding, an unknown family, a cut-short stream: show what was recorded
        else:
            text = json.dumps("".join(answer.text), ensure_ascii=False)
            calls = [f"{c.name}({json.dumps(dict(c.input))})" for c in answer.tool_calls or ()]
            return _cut(" + ".join([text, *calls]) if calls else text)
    if response.events is not None:
        return "-"
    return _cut(response.body.decode("utf-8", "replace")) if response.body else "-"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inspect", help="summarise the interactions of cassettes")
    p.add_argument("paths", nargs="+", metavar="CASSETTE")
    p.add_argument("-v", "--verbose", action="store_true", help="show request bodies and answers")
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
                print("     request: " + (_cut(json.dumps(body)) if body is not None else "-"))
                print("     answer: " + _answer(interaction))
    return report_total("inspect", failed, len(args.paths))
