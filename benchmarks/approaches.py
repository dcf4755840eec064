"""The ways of answering a Bedrock call that the benchmark compares, each paired with the floor.

Every block below times one approach against the floor (a ``before-send`` handler returning a
prebuilt response) in alternating batches over the same requests; see :mod:`timing`.
"""

from __future__ import annotations

import cProfile
import gc
import os
import pstats
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSResponse
from timing import Contender, Plan, Timing, measure_block, paired_ratio, spread_targets
from workload import (
    INVOKE,
    MODEL_ID,
    OP_LABEL,
    OPERATIONS,
    Workload,
    caller,
    make_client,
    vcrpy_replay_config,
)

from bedrock_vcr import use_cassette
from bedrock_vcr.intercept import clients as interception

SEND_EVENT = "before-send.bedrock-runtime"
#: Nothing listens here: a call that escapes interception fails instead of timing a network.
DEAD_ENDPOINT = "http://127.0.0.1:9"

FLOOR = "floor (before-send, prebuilt)"
UNSIGNED_FLOOR = "unsigned floor (before-send, prebuilt, no SigV4)"
BEDROCK_VCR = "bedrock-vcr (default options)"
BEDROCK_VCR_OFF = "bedrock-vcr, validate_requests=off"
VCRPY = "vcrpy (match_on + body)"
LIVE = "live local server (TCP_NODELAY)"
SIMULATED = "simulated (BedrockMock, Answer)"


@dataclass
class Row:
    approach: str
    size: int | None
    timings: dict[str, Timing] = field(default_factory=dict)
    #: The floor measured in the same block, batch for batch.
    floor: dict[str, Timing] = field(default_factory=dict)

    def x_floor(self, operation: str) -> float | None:
        """This row's batches over the floor's batches of the same repeats (median)."""
        if operation not in self.timings or operation not in self.floor:
            return None
        return paired_ratio(self.timings[operation], self.floor[operation])


class FloorRaw:
    """The least a response body can do for botocore: hand over pre-encoded bytes."""

    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = pieces

    def stream(self, amt: int | None = None, decode_content: Any = None) -> Iterator[bytes]:
        yield from self._pieces

    def read(self, amt: int | None = None, decode_content: Any = None) -> bytes:
        data = b"".join(self._pieces)
        self._pieces = []
        return data

    def close(self) -> None:
        self._pieces = []


def floor_contender(
    workload: Workload, operation: str, targets: list[int], *, signed: bool = True
) -> Contender:
    """A ``before-send`` handler returning a prebuilt response: botocore's own cost.

    botocore runs *every* ``before-send`` handler and takes the first answer, and bedrock-vcr
    hooks each ``bedrock-runtime`` client while a cassette is active; so before each batch the
    floor's client drops bedrock-vcr's hooks (through botocore's public ``unregister``), or the
    floor would pay for a cassette lookup it does not use, and would skip signing as replay
    does. The replay blocks check that their cassette served exactly their own calls.
    """
    prebuilt: dict[int, tuple[dict[str, str], list[bytes]]] = {}
    for i in set(targets):
        answer = workload.answer_for(i)
        headers = dict(answer.headers)
        if answer.events is not None:
            pieces = [event.frame for event in answer.events]
        else:
            pieces = [answer.body]
            headers["content-length"] = str(len(answer.body))
        prebuilt[i] = (headers, pieces)
    current = [targets[0]]
    answered = [0]

    def before_send(request: Any, **_: Any) -> AWSResponse:
        answered[0] += 1
        headers, pieces = prebuilt[current[0]]
        return AWSResponse(request.url, 200, headers, FloorRaw(pieces))

    client = make_client(DEAD_ENDPOINT, signed=signed)
    client.meta.events.register_first(SEND_EVENT, before_send)
    inner = caller(client, workload, operation, targets)

    def call(i: int) -> None:
        current[0] = i
        expected = answered[0] + 1
        inner(i)
        if answered[0] != expected:
            raise AssertionError("the floor handler did not answer this call")

    def detach() -> None:
        client.meta.events.unregister(SEND_EVENT, unique_id=interception.UNIQUE_ID)
        # bedrock-vcr also skips SigV4 signing while nothing can reach the network; the floor
        # keeps botocore's full cost, signing included.
        client.meta.events.unregister(interception.SIGNER_EVENT, unique_id=interception.SIGNER_ID)

    return Contender(FLOOR if signed else UNSIGNED_FLOOR, call, before=detach)


def split(timings: dict[str, Timing], name: str, operation: str, row: Row) -> None:
    row.timings[operation] = timings[name]
    row.floor[operation] = timings[FLOOR]


def live_row(workload: Workload, size: int, plan: Plan, seed: int, url: str) -> Row:
    row = Row(LIVE, None)
    client = make_client(url)
    for operation in OPERATIONS:
        targets = spread_targets(workload.indices(size, operation), plan.calls, seed)
        for i in targets:  # build (and cache) the answers before timing
            workload.answer_for(i)
        floor = floor_contender(workload, operation, targets)
        live = Contender(LIVE, caller(client, workload, operation, targets))
        split(measure_block([floor, live], targets, plan), LIVE, operation, row)
    return row


@dataclass
class Loaded:
    """Opening a cassette: seconds, file size, and resident memory before and after."""

    seconds: float
    bytes: int
    rss_before_mb: float | None
    rss_after_mb: float | None = None

    @property
    def held_mb(self) -> float | None:
        if self.rss_before_mb is None or self.rss_after_mb is None:
            return None
        return self.rss_after_mb - self.rss_before_mb


def resident_mb() -> float | None:
    """This process's resident memory (Linux ``/proc``; ``None`` elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def bedrock_vcr_rows(
    path: Path, workload: Workload, size: int, plan: Plan, seed: int
) -> tuple[list[Row], Loaded]:
    """Replay through ``use_cassette`` with its default options (repeats allowed, so targets
    can be cycled), and the same with request validation taken out for the batches of the
    ``validate_requests=off`` contender: the checks the cassette installed are removed from the
    player for those batches and put back after, so both run on the same loaded cassette.
    """
    targets = {
        op: spread_targets(workload.indices(size, op), plan.calls, seed) for op in OPERATIONS
    }
    floors = {op: floor_contender(workload, op, targets[op]) for op in OPERATIONS}
    cassette = use_cassette(path, allow_playback_repeats=True)
    gc.collect()
    memory = resident_mb()
    started = time.perf_counter()
    with cassette:
        loaded = Loaded(time.perf_counter() - started, path.stat().st_size, memory)
        gc.collect()
        loaded.rss_after_mb = resident_mb()
        player = cassette.player
        assert player is not None
        installed = list(player.request_checks)

        def without_checks() -> None:
            player.request_checks[:] = []

        def with_checks() -> None:
            player.request_checks[:] = installed

        client = make_client(DEAD_ENDPOINT)
        rows = [Row(BEDROCK_VCR, size), Row(BEDROCK_VCR_OFF, size)]
        for operation in OPERATIONS:
            call = caller(client, workload, operation, targets[operation])
            contenders = [
                floors[operation],
                Contender(BEDROCK_VCR, call),
                Contender(BEDROCK_VCR_OFF, call, before=without_checks, after=with_checks),
            ]
            timings = measure_block(contenders, targets[operation], plan)
            for row in rows:
                split(timings, row.approach, operation, row)
        served = len(player.requests)
    expected = 2 * sum(plan.warmup + plan.repeats * plan.calls for _ in OPERATIONS)
    if served != expected:
        raise AssertionError(f"the cassette answered {served} calls, expected {expected}")
    return rows, loaded


def vcrpy_row(
    path: Path, workload: Workload, size: int, plan: Plan, seed: int, calls: int
) -> tuple[Row, Loaded]:
    """vcrpy replaying its own cassette; it runs ``calls`` per batch, the floor ``plan.calls``.

    The client points at the host and port the cassette was recorded from (vcrpy matches on
    them); that server is gone by now, so a request vcrpy cannot match fails loudly.
    """
    import vcr

    targets = {
        op: spread_targets(workload.indices(size, op), plan.calls, seed) for op in OPERATIONS
    }
    floors = {op: floor_contender(workload, op, targets[op]) for op in OPERATIONS}
    player = vcr.VCR(**vcrpy_replay_config())
    gc.collect()
    memory = resident_mb()
    started = time.perf_counter()
    with player.use_cassette(str(path), allow_playback_repeats=True) as cassette:
        loaded = Loaded(time.perf_counter() - started, path.stat().st_size, memory)
        gc.collect()
        loaded.rss_after_mb = resident_mb()
        if len(cassette) != size:
            raise AssertionError(f"vcrpy loaded {len(cassette)} interactions, expected {size}")
        recorded = urlsplit(cassette.requests[0].uri)
        client = make_client(f"{recorded.scheme}://{recorded.netloc}")
        row = Row(VCRPY, size)
        for operation in OPERATIONS:
            call = caller(client, workload, operation, targets[operation])
            contender = Contender(VCRPY, call, calls=calls, warmup=3)
            timings = measure_block([floors[operation], contender], targets[operation], plan)
            split(timings, VCRPY, operation, row)
    return row, loaded


def simulated_row(workload: Workload, size: int, plan: Plan, seed: int) -> Row:
    """Simulated answers through ``BedrockMock`` (issue 4): a Llama answer of the same length
    as the workload's (60 words; ``workload.chunks`` stream pieces), built for every call."""
    from bedrock_vcr import Answer, BedrockMock

    words = " ".join(f"word{k}" for k in range(60))
    pieces = [f" piece{k}" for k in range(workload.chunks)]
    row = Row(SIMULATED, None)
    for operation in OPERATIONS:
        targets = spread_targets(workload.indices(size, operation), plan.calls, seed)
        floor = floor_contender(workload, operation, targets)
        with BedrockMock() as bedrock:
            text = words if operation == INVOKE else pieces
            route = bedrock.on(model_id=MODEL_ID, operation=operation, return_value=Answer(text))
            client = make_client(DEAD_ENDPOINT)
            contender = Contender(SIMULATED, caller(client, workload, operation, targets))
            split(measure_block([floor, contender], targets, plan), SIMULATED, operation, row)
            expected = plan.warmup + plan.repeats * plan.calls
            if route.call_count != expected:
                raise AssertionError(f"the mock answered {route.call_count} calls, not {expected}")
    return row


# --- profile -------------------------------------------------------------------------------------


def profile_replay(path: Path, workload: Workload, size: int, calls: int, seed: int) -> str:
    """Where bedrock-vcr's own time goes per replayed call (its frames only), as text."""
    lines = []
    with use_cassette(path, allow_playback_repeats=True):
        client = make_client(DEAD_ENDPOINT)
        for operation in OPERATIONS:
            targets = spread_targets(workload.indices(size, operation), calls, seed)
            call = caller(client, workload, operation, targets)
            for i in targets:
                call(i)
            profiler = cProfile.Profile()
            profiler.enable()
            for k in range(calls):
                call(targets[k % len(targets)])
            profiler.disable()
            stats = pstats.Stats(profiler)
            entries = []
            for (filename, line, name), (_, ncalls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
                if f"bedrock_vcr{os.sep}" in filename:
                    short = f"{Path(filename).stem}.{name}:{line}"
                    entries.append((cumtime, tottime, ncalls, short))
            entries.sort(reverse=True)
            lines.append(
                f"{OP_LABEL[operation]}: bedrock-vcr frames per call (cProfile, {calls} calls, "
                f"{size} interactions; profiler overhead inflates all figures)"
            )
            lines.append(f"  {'function':<52} {'calls':>7} {'cum ms':>8} {'own ms':>8}")
            for cumtime, tottime, ncalls, short in entries[:15]:
                lines.append(
                    f"  {short:<52} {ncalls / calls:>7.1f} {cumtime * 1000 / calls:>8.3f} "
                    f"{tottime * 1000 / calls:>8.3f}"
                )
    return "\n".join(lines)
