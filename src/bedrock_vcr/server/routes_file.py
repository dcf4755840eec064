"""What ``bedrock-vcr serve`` answers with: simulated routes from a YAML file or from options.

A config file (``bedrock-vcr serve --config FILE``)::

    speed: 1                      # optional: pace declared latency (0 = never wait)
    overrides: {"my-model-*": "meta.llama"}   # optional: model id/pattern -> family
    cassettes: [recorded.yaml]    # optional: answered first, paths relative to this file
    routes:                       # first matching route answers
      - match: {operation: InvokeModelWithResponseStream, model: "meta.llama3-*",
                prompt: "MIDSTREAM"}
        stream_error: {code: modelStreamErrorException, after: 3, original_status_code: 500}
      - match: {prompt: "THROTTLE"}
        times: 2                  # the first two such requests only, then later routes
        fault: ThrottlingException
      - match: {prompt: "RETRY ME"}
        sequence:                 # one outcome per request; then the last one repeats
          - fault: ThrottlingException
          - fault: ThrottlingException
          - answer: "Recovered."
      - answer: {text: "Hello there!", stop_reason: stop, chunk_size: 6, chunk_delay: 0.05}

A route's ``match`` keys are all optional and must all hold: ``operation`` (``InvokeModel``... or
the boto3 method name), ``model`` (an exact id, which also matches inference profiles and ARNs of
that model, or an ``fnmatch`` pattern), ``prompt`` (a substring of the request's text). The
server answers a model id that Bedrock does not have with Bedrock's "The provided model
identifier is invalid." before any route is asked, unless ``overrides`` or a route's ``model``
names it (that is how a custom model's id is simulated).

Outcomes (one per route, or a ``sequence`` of them): ``answer`` (a string, or the fields of
:class:`~bedrock_vcr.simulation.Answer`: ``text``, ``stop_reason``, ``input_tokens``,
``output_tokens``, ``first_chunk_delay``, ``chunk_delay``, ``chunk_size``, ``tool_calls``,
``stop_sequence``), ``embedding`` (fields of :class:`~bedrock_vcr.simulation.Embedding`),
``fault`` (an error code, or ``code``, ``message``, ``status``, ``fields``, ``latency``),
``stream_error`` (``code``, ``after``, ``message``, ``original_status_code``,
``original_message``, ``answer``), ``disconnect`` (``after``, ``answer``) and ``corrupt_frame``
(``at``, ``answer``), ``token_count`` (CountTokens: a number, or ``input_tokens``; empty counts
the request) and ``guardrail`` (ApplyGuardrail: ``NONE``, ``GUARDRAIL_INTERVENED`` or the fields
of :class:`~bedrock_vcr.simulation.GuardrailResult`). A route with no ``operation`` whose outcome
is an ``answer`` gives CountTokens and ApplyGuardrail their default answers. Every outcome
is checked when the file is loaded (a stop reason the route's
model lacks, an error its operation cannot return), with the file, route and key in the message.

One route's keys are read by :mod:`~bedrock_vcr.server.routes`; this module reads the file, builds
the sources that serve the routes and turns ``serve``'s command-line options into routes.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..bedrock.models import resolve_model
from ..cassettes import safe_yaml
from ..cassettes.records import RecordedRequest, RecordedResponse
from ..errors import BedrockVCRError, CassetteFormatError, ServeConfigError, SimulationError
from ..intercept.mock import BedrockMock
from ..intercept.routes import Route
from ..simulation import SERVICE_ANSWERS, Answer, default_outcome, faults
from .routes import RouteSpec, as_mapping, check_keys, route_spec
from .sources import CassetteSource

TOP_KEYS = ("version", "speed", "overrides", "cassettes", "routes")


class SimulationSource:
    """A server source answering from routes (a :class:`~bedrock_vcr.BedrockMock` inside).

    Thread-safe: requests from concurrent connections pick their route and outcome one at a
    time; building and sending the answer happen outside the lock.
    """

    nonblocking = True  # answers are built at once; delays are paced by the server

    def __init__(
        self,
        routes: Sequence[RouteSpec],
        *,
        overrides: Mapping[str, str] | None = None,
        where: str = "routes",
    ) -> None:
        self.specs = list(routes)
        self.mock = BedrockMock(assert_all_called=False, skip_backoff=False, overrides=overrides)
        self.overrides = self.mock.overrides
        self._lock = threading.Lock()
        self._routes: list[tuple[Route, RouteSpec]] = []
        for index, spec in enumerate(self.specs):
            label = f"{where}[{index}]"
            try:
                route = self.mock.on(
                    spec.model,
                    spec.operation,
                    match=spec.wants,
                    name=spec.name or label,
                )
                if spec.outcomes != [None]:
                    route.side_effect = list(spec.outcomes)  # checks each one now
            except BedrockVCRError as exc:
                raise ServeConfigError(str(exc), where=label) from None
            route.side_effect = None
            self._routes.append((route, spec))

    def knows_model(self, model_id: str) -> bool:
        """A model id no family describes is still valid when ``overrides`` or a route names it."""
        if self.overrides and resolve_model(model_id, self.overrides).known:
            return True
        return any(
            spec.model is not None
            and (spec.model == model_id or fnmatch.fnmatchcase(model_id, spec.model))
            for spec in self.specs
        )

    def answer(self, request: RecordedRequest) -> RecordedResponse | None:
        found = next(((r, s) for r, s in self._routes if r.why_not(request) is None), None)
        if found is None:
            return None
        # checked as the in-process mock checks it: Bedrock's 400, and no outcome used up
        rejection = self.mock.validator.answer(request)
        if rejection is not None:
            return rejection
        route, spec = found
        with self._lock:
            chosen = spec.next_outcome()
        if spec.operation is None and request.operation in SERVICE_ANSWERS:
            if chosen is None or isinstance(chosen, Answer):  # `serve --answer` covers them too
                chosen = default_outcome(request, self.overrides)
        try:
            return self.mock.build(chosen, request)
        except BedrockVCRError as exc:
            raise SimulationError(str(exc), route=route.name or "") from exc


# --- files and options --------------------------------------------------------------------------


@dataclass
class ServeConfig:
    """A loaded config: the simulation routes, cassettes to serve first, and the pacing."""

    routes: list[RouteSpec] = field(default_factory=list)
    cassettes: list[Path] = field(default_factory=list)
    overrides: dict[str, str] | None = None
    speed: float | None = None

    def sources(self) -> list[Any]:
        out: list[Any] = []
        if self.cassettes:
            out.append(CassetteSource(self.cassettes))
        if self.routes:
            out.append(SimulationSource(self.routes, overrides=self.overrides))
        return out


def parse_config(data: Any, where: str, base: Path | None = None) -> ServeConfig:
    if data is None:
        data = {}
    data = as_mapping(data, where, "the config")
    check_keys(data, TOP_KEYS, where)
    version = data.get("version", 1)
    if version != 1:
        raise ServeConfigError(
            f"unknown config version {version!r}; this bedrock-vcr reads 1",
            where=f"{where}.version",
        )
    speed = data.get("speed")
    if speed is not None and (not isinstance(speed, (int, float)) or speed < 0):
        raise ServeConfigError(
            f"speed must be a number >= 0, got {speed!r}", where=f"{where}.speed"
        )
    overrides = data.get("overrides")
    if overrides is not None:
        overrides = {str(k): str(v) for k, v in as_mapping(overrides, where, "overrides").items()}
    cassettes = []
    for item in data.get("cassettes") or []:
        path = Path(str(item))
        cassettes.append(path if path.is_absolute() or base is None else base / path)
    routes_data = data.get("routes") or []
    if not isinstance(routes_data, list):
        raise ServeConfigError("routes must be a list", where=f"{where}.routes")
    routes = [route_spec(r, f"{where}.routes[{i}]") for i, r in enumerate(routes_data)]
    config = ServeConfig(routes, cassettes, overrides, float(speed) if speed is not None else None)
    if routes:
        SimulationSource(routes, overrides=overrides, where=f"{where}.routes")  # checks outcomes
    return config


def load_config(path: Path | str) -> ServeConfig:
    """Read and check a config file (see the module docstring for its keys)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ServeConfigError(f"cannot read the config: {exc.strerror}", where=str(path)) from None
    try:  # the cassettes' loader: no anchors or aliases (an alias bomb), bounded nesting
        data = safe_yaml.load(text, path, fix="correct the config file")
    except CassetteFormatError as exc:
        raise ServeConfigError(f"not valid YAML: {exc.problem}", where=str(path)) from None
    return parse_config(data, str(path), path.parent)


def option_routes(
    *,
    answer: str | None = None,
    stop_reason: str | None = None,
    chunk_size: int | None = None,
    latency: float | None = None,
    chunk_delay: float | None = None,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    fault: str | None = None,
    times: int | None = None,
    stream_error: str | None = None,
    after: int | None = None,
    disconnect_after: int | None = None,
    model: str | None = None,
    operation: str | None = None,
) -> list[RouteSpec]:
    """Routes for ``serve``'s command-line options: a fault (all requests, or the first
    ``times``) ahead of an answer (text, stop reason, chunking, latency), which a mid-stream
    error or a dropped connection may cut short."""
    where = "command line"
    fields: dict[str, Any] = {}
    for name, value in (
        ("text", answer),
        ("stop_reason", stop_reason),
        ("chunk_size", chunk_size),
        ("first_chunk_delay", latency),
        ("chunk_delay", chunk_delay),
        ("input_tokens", input_tokens),
        ("output_tokens", output_tokens),
    ):
        if value is not None:
            fields[name] = value
    try:
        reply: Any = Answer(**fields)
        if stream_error is not None:
            reply = faults.StreamError(stream_error, after or 0, reply)
        elif disconnect_after is not None:
            reply = faults.Disconnect(disconnect_after, reply)
        elif after is not None:
            raise ServeConfigError("--after goes with --stream-error", where=where)
        routes = []
        if fault is not None:
            routes.append(
                RouteSpec([faults.Fault(fault)], operation, model, times=times, name="--fault")
            )
        elif times is not None:
            raise ServeConfigError("--times goes with --fault", where=where)
        if fault is None or times is not None:
            routes.append(RouteSpec([reply], operation, model, name="--answer"))
    except ServeConfigError:
        raise
    except (BedrockVCRError, TypeError, ValueError) as exc:
        raise ServeConfigError(str(exc), where=where) from None
    SimulationSource(routes, where=where)  # checks the outcomes against --model/--operation
    return routes


__all__ = [
    "TOP_KEYS",
    "ServeConfig",
    "SimulationSource",
    "load_config",
    "option_routes",
    "parse_config",
]
